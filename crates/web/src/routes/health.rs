//! Liveness and readiness for load balancers and orchestrators.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers. When it does not: 503 with `Retry-After`, like every other route.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match kintsugi_core::db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                "database unreachable",
            )
                .into_response()
        }
    }
}
