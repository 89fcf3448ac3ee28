//! Session pages: schedule, reschedule, attendance, the note editor, signing, addenda, PDFs.

use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
