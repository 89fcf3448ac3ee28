//! Every route of the application, one module per area.

pub mod admin;
pub mod api;
pub mod assets;
pub mod assignments;
pub mod audit_log;
pub mod couples;
pub mod dashboard;
pub mod export;
pub mod fallback;
pub mod health;
pub mod homework;
pub mod library;
pub mod login;
pub mod metrics;
pub mod outbox;
pub mod reminders;
pub mod sessions;
pub mod settings;
pub mod stages;
pub mod table;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Routes anyone may reach without signing in. Everything else needs a counselor session or
/// an API token; the test suite checks this list against the router.
pub const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/totp"),
    ("POST", "/login/totp"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    // Not signed in, but not open either: only from this machine, or with the metrics token
    // (see `metrics::show`); anyone else gets 404.
    ("GET", "/metrics"),
    ("GET", "/static/kintsugi.css"),
    ("GET", "/static/autosave.js"),
    ("GET", "/h/{secret}"),
    ("GET", "/reminders/opt-out/{token}"),
    ("POST", "/reminders/opt-out/{token}"),
    ("GET", "/api/v1/openapi.json"),
];

pub fn router(state: AppState) -> Router {
    routes().with_state(state)
}

/// Every route, before the state is attached: [`table`] reads the route list from this.
fn routes() -> Router<AppState> {
    let (api, _openapi) = api::router().split_for_parts();
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::sign_out))
        .route("/couples/new", get(couples::new_form))
        .route("/couples", post(couples::create))
        .route(
            "/couples/{couple_id}",
            get(couples::show).post(couples::update),
        )
        .route("/couples/{couple_id}/edit", get(couples::edit_form))
        .route("/couples/{couple_id}/status", post(couples::set_status))
        .route("/couples/{couple_id}/markers", post(stages::rate))
        .route(
            "/couples/{couple_id}/stages/{stage}/complete",
            post(stages::complete),
        )
        .route(
            "/couples/{couple_id}/stages/{stage}/override",
            post(stages::override_gate),
        )
        .route(
            "/couples/{couple_id}/stages/{stage}/reopen",
            post(stages::reopen),
        )
        .route(
            "/admin/counselors",
            get(admin::counselors).post(admin::create_counselor),
        )
        .route(
            "/admin/counselors/{counselor_id}/active",
            post(admin::set_active),
        )
        .route(
            "/admin/practice",
            get(admin::practice).post(admin::save_practice),
        )
        .route("/settings", get(settings::show))
        .route("/settings/api-tokens", post(settings::create_api_token))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::show))
        .route("/static/kintsugi.css", get(assets::stylesheet))
        .route("/static/autosave.js", get(assets::autosave_script))
        .route("/api/v1/openapi.json", get(api::openapi_json))
        .merge(library::routes())
        .merge(outbox::routes())
        .merge(assignments::routes())
        .merge(homework::routes())
        .merge(sessions::routes())
        .merge(settings::routes())
        .merge(login::routes())
        .merge(audit_log::routes())
        .merge(export::routes())
        .merge(reminders::routes())
        .merge(api)
        .fallback(fallback::not_found)
}
