//! The JSON API under `/api/v1`: bearer tokens, JSON in and out, RFC 9457 problem details.
//! The OpenAPI document is generated from the handlers' annotations, so it cannot drift.

pub mod assignments;
pub mod couples;
pub mod exercises;
pub mod json;
pub mod links;
pub mod outbox;
pub mod paging;
pub mod progress;
pub mod query;
pub mod schema;
pub mod sessions;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

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
        let (_, mut doc) = router().split_for_parts();
        CommonResponses.modify(&mut doc);
        doc.to_pretty_json().unwrap_or_default()
    })
}

/// The answers every operation can give besides its own, documented where an operation does
/// not already describe them (its own description is more precise). Each is added only where
/// it can happen, so the document stays true:
/// - 400: a body, query string or path segment that cannot be read at all (not JSON, not
///   UTF-8);
/// - 401: no valid token (every operation needs one);
/// - 403: the practice requires two-factor sign-in and the token's counselor has not set it up;
/// - 404: an id in the path that names nothing on your caseload (operations with path
///   parameters);
/// - 413 and 415: a body too large, or not sent as JSON (operations with a body);
/// - 422: a parameter or body field that is invalid (operations with parameters or a body).
///
/// It runs on the merged document (after the routes are added), so it sees every operation.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                let has_body = op.request_body.is_some();
                let mut common = vec![
                    (
                        "400",
                        "The request could not be read (a body that is not JSON, or a query string or path that cannot be decoded)",
                    ),
                    ("401", "No valid token"),
                    (
                        "403",
                        "Your practice requires two-factor sign-in and you have not set it up yet: set it up on the Settings page first",
                    ),
                ];
                if in_path {
                    common.push(("404", "Nothing with that id on your caseload"));
                }
                if has_body {
                    common.push(("413", "Body too large"));
                    common.push((
                        "415",
                        "The body was not sent as JSON (`Content-Type: application/json`)",
                    ));
                }
                // Ids in the path that do not parse are simply not found (404); other
                // parameters (a stage, a role, the query) can be invalid.
                let checked_params = params.iter().any(|p| {
                    !matches!(p.parameter_in, ParameterIn::Path) || !p.name.ends_with("_id")
                });
                if has_body || checked_params {
                    common.push((
                        "422",
                        "A parameter or field is invalid; `errors` names each",
                    ));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

pub async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
}
