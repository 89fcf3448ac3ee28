//! The PDF downloads: a session's note and a couple's progress report, assembled from core
//! records into the reports crate's plain documents, rendered, and audited. Pages and the API
//! both call these; another counselor's records are "not found".
//!
//! - [`note`]: the session note.
//! - [`report`]: the progress report for a period.
//!
//! Times are printed in the downloading counselor's time zone. File names carry the kind of
//! document and dates only: no names, no clinical words.

mod note;
mod report;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kintsugi_core::audit::{self, Action, Actor, Record};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store::CoupleRecord;
use kintsugi_core::entities::{counselor, practice};
use kintsugi_core::stages::Stage;
use kintsugi_reports::PaperSize;
use kintsugi_reports::note::PartnerLine;
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

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
    state: &AppState,
    counselor: &counselor::Model,
    actor: &Actor,
    session_id: Uuid,
) -> Result<Pdf, AppError> {
    let pdf = note_pdf_unaudited(state, counselor, session_id).await?;
    audit::record(
        &state.db,
        state.clock(),
        actor,
        Action::NotePdfDownloaded,
        Some(Record::session(session_id)),
    )
    .await?;
    Ok(pdf)
}

/// [`note_pdf`] for a caller that audits the whole of what it hands out (the couple export).
pub async fn note_pdf_unaudited(
    state: &AppState,
    counselor: &counselor::Model,
    session_id: Uuid,
) -> Result<Pdf, AppError> {
    let (doc, day) = note::document(state, counselor, session_id).await?;
    let bytes = render(move || kintsugi_reports::note::render(&doc)).await?;
    Ok(Pdf {
        bytes,
        file_name: note_file_name(day),
    })
}

/// [`report_pdf`] for a caller that audits the whole of what it hands out (the couple export).
pub async fn report_pdf_unaudited(
    state: &AppState,
    counselor: &counselor::Model,
    couple_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Pdf, AppError> {
    let doc = report::document(state, counselor, couple_id, from, to).await?;
    let bytes = render(move || kintsugi_reports::progress::render(&doc)).await?;
    Ok(Pdf {
        bytes,
        file_name: report_file_name(from, to),
    })
}

/// The progress report of one of the counselor's couples for `[from, to]` (whole days in the
/// counselor's time zone; defaults chosen by the caller), as a PDF (audited).
pub async fn report_pdf(
    state: &AppState,
    counselor: &counselor::Model,
    actor: &Actor,
    couple_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Pdf, AppError> {
    let pdf = report_pdf_unaudited(state, counselor, couple_id, from, to).await?;
    audit::record(
        &state.db,
        state.clock(),
        actor,
        Action::ReportPdfDownloaded,
        Some(Record::couple(couple_id)),
    )
    .await?;
    Ok(pdf)
}

/// `session-note-2026-03-14.pdf`: the session's local date, nothing else.
pub fn note_file_name(day: NaiveDate) -> String {
    format!("session-note-{}.pdf", day.format("%Y-%m-%d"))
}

/// `progress-report-2026-01-01-to-2026-03-31.pdf`.
pub fn report_file_name(from: NaiveDate, to: NaiveDate) -> String {
    format!(
        "progress-report-{}-to-{}.pdf",
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    )
}

/// Laying out a long note takes a few milliseconds of CPU: off the async workers.
async fn render(
    work: impl FnOnce() -> Result<Vec<u8>, kintsugi_reports::ReportError> + Send + 'static,
) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("PDF rendering stopped: {e}")))?
        .map_err(|e| AppError::Internal(format!("PDF rendering failed: {e}")))
}

/// The practice's paper.
fn paper(practice: &practice::Model) -> PaperSize {
    match practice.paper_size {
        kintsugi_core::practice::settings::PaperSize::A4 => PaperSize::A4,
        kintsugi_core::practice::settings::PaperSize::Letter => PaperSize::Letter,
    }
}

use crate::time_format::{in_words_with_zone as moment, long_date};

fn stage_label(stage: Option<Stage>) -> String {
    match stage {
        Some(s) => format!("{} · {}", s.number(), s.name()),
        None => "All six stages complete".into(),
    }
}

fn partner_lines(record: &CoupleRecord) -> Vec<PartnerLine> {
    PartnerRole::BOTH
        .iter()
        .map(|role| PartnerLine {
            role_label: role.label().to_lowercase(),
            name: record.partner(*role).name.clone(),
        })
        .collect()
}

/// "Zoë Ñúñez-Łukasiewicz (involved partner)".
fn partner_name(record: &CoupleRecord, role: PartnerRole) -> String {
    format!(
        "{} ({})",
        record.partner(role).name,
        role.label().to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use kintsugi_core::domain::TimeZone;

    #[test]
    fn file_names_carry_dates_only() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(
            note_file_name(d(2026, 3, 14)),
            "session-note-2026-03-14.pdf"
        );
        assert_eq!(
            report_file_name(d(2026, 1, 1), d(2026, 3, 31)),
            "progress-report-2026-01-01-to-2026-03-31.pdf"
        );
    }

    #[test]
    fn moments_are_local_to_the_counselor() {
        let tz = TimeZone::parse("America/New_York").expect("zone");
        let at: DateTime<Utc> = "2026-03-14T19:00:00Z".parse().expect("time");
        assert_eq!(
            moment(at, tz),
            "Saturday 14 March 2026, 15:00 (America/New_York)"
        );
    }
}
