//! Sessions and notes through the API: schedule and list a couple's sessions, save the draft
//! note, sign it, add addenda, and download the note and progress-report PDFs.

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
