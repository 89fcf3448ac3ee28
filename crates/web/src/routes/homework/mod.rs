//! The client pages behind a personal homework link (`/h/...`).

use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
