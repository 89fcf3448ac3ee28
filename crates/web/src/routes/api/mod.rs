//! The JSON API under `/api/v1`: bearer tokens, JSON in and out, RFC 9457 problem details.
//! The OpenAPI document is generated from the handlers' annotations, so it cannot drift.

pub mod assignments;
pub mod couples;
pub mod exercises;
pub mod json;
pub mod links;
pub mod outbox;
pub mod progress;
pub mod sessions;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kintsugi API",
        version = "1",
        description = "Couples, recovery progress, homework and session notes for counselors. Authenticate with `Authorization: Bearer <token>` (create a token on the Settings page or with `kintsugi api-token`). Errors are RFC 9457 problem details; validation failures list each field in `errors`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "couples", description = "The counselor's caseload"),
        (name = "stages", description = "The six recovery stages: markers, completion, the gate, reopening"),
        (name = "exercises", description = "The exercise library: the built-ins and your own exercises"),
        (name = "homework", description = "Assignments to partners, their responses, review"),
        (name = "sessions", description = "Sessions, their signed notes and addenda, and the PDF documents"),
        (name = "email", description = "Outgoing messages and their states"),
        (name = "links", description = "Partners' personal homework links: send, rotate, revoke (the link itself goes only by email)")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(couples::list, couples::create))
        .routes(routes!(couples::read, couples::update))
        .routes(routes!(progress::read))
        .routes(routes!(progress::rate))
        .routes(routes!(progress::complete))
        .routes(routes!(progress::override_gate))
        .routes(routes!(progress::reopen))
        .merge(exercises::routes())
        .merge(assignments::routes())
        .merge(links::routes())
        .merge(outbox::routes())
        .merge(sessions::routes())
}

/// The OpenAPI 3.1 document, built once.
pub fn openapi_document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = router().split_for_parts();
        doc.to_pretty_json().unwrap_or_default()
    })
}

pub async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
}
