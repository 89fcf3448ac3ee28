//! A couple's whole record for the counselor, as one zip: `record.json` (the couple, partners,
//! stage history, marker ratings, assignments with responses, sessions with notes and addenda,
//! all in plain text: the counselor, as the data controller, is the one exporting it) and the
//! PDFs (every session note and a progress report from intake to today).
//!
//! Another counselor's couple is "not found". One audit event records the export; the file
//! name carries the date only.

use std::collections::BTreeMap;
use std::io::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use kintsugi_core::audit::{self, Action, Actor, Record};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store::{self as couples, CoupleRecord};
use kintsugi_core::homework::assignments;
use kintsugi_core::homework::responses::decode;
use kintsugi_core::sessions::note_store;
use kintsugi_core::sessions::report_data;
use kintsugi_core::sessions::store as sessions;
use kintsugi_core::sessions::{Location, SessionState};
use kintsugi_core::stages::store as stages;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::SignedIn;
use crate::documents::{self, Pdf};
use crate::error::AppError;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

/// Names the format of `record.json`, for whoever reads it later.
pub const FORMAT: &str = "kintsugi-couple-record/1";

pub fn routes() -> Router<AppState> {
    Router::new().route("/couples/{couple_id}/export.zip", get(download))
}

async fn download(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(couple_id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let zip = export(&state, &signed, &actor, id).await?;
    Ok(zip.into_response())
}

/// The zip of one of the counselor's couples (audited as one export).
pub async fn export(
    state: &AppState,
    signed: &SignedIn,
    actor: &Actor,
    couple_id: Uuid,
) -> Result<ZipFile, AppError> {
    let db = &state.db;
    let counselor = &signed.counselor;
    let record = couples::get(db, counselor.id, couple_id).await?;
    let now = state.clock().now();
    let today = now.with_timezone(&counselor.timezone.tz()).date_naive();

    let history = stages::history(db, &record.couple).await?;
    let ratings = report_data::marker_history(db, couple_id).await?;
    let homework = assignments::for_couple(db, &record).await?;
    let mut session_rows = sessions::for_couple(db, couple_id).await?;
    session_rows.sort_by_key(|s| s.starts_at);

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names = FileNames::default();
    let mut session_json = Vec::new();
    for s in &session_rows {
        let note = note_store::get(db, s.id).await?;
        let note_file = match &note {
            Some(_) => {
                let Pdf { bytes, file_name } =
                    documents::note_pdf_unaudited(state, counselor, s.id).await?;
                let name = names.unique(&format!("notes/{file_name}"));
                files.push((name.clone(), bytes));
                Some(name)
            }
            None => None,
        };
        session_json.push(SessionJson::new(db, s, note, note_file).await?);
    }
    let from = record.couple.intake_date.min(today);
    let report = documents::report_pdf_unaudited(state, counselor, couple_id, from, today).await?;
    let report_name = names.unique(&report.file_name);
    files.push((report_name.clone(), report.bytes));

    let json = RecordJson {
        format: FORMAT,
        exported_at: now,
        exported_by: counselor.name.clone(),
        couple: CoupleJson::new(&record),
        partners: PartnerRole::BOTH
            .iter()
            .map(|role| PartnerJson::new(*role, record.partner(*role)))
            .collect(),
        stages: history
            .rows
            .iter()
            .map(|r| StageJson {
                stage: r.stage.key(),
                name: r.stage.name(),
                status: r.status,
                started_at: r.started_at,
                completed_at: r.completed_at,
            })
            .collect(),
        stage_events: history
            .events
            .iter()
            .map(|e| StageEventJson {
                stage: e.stage.key(),
                kind: e.kind,
                reason: e.reason.clone(),
                at: e.at,
            })
            .collect(),
        marker_ratings: ratings
            .iter()
            .map(|r| RatingJson {
                stage: r.stage.key(),
                marker: r.marker.key(),
                rating: r.rating.key(),
                session_id: r.session_id,
                rated_at: r.rated_at,
            })
            .collect(),
        assignments: homework
            .iter()
            .map(|d| AssignmentJson {
                id: d.assignment.id,
                exercise: d.exercise.model.title.clone(),
                due_at: d.assignment.due_at,
                visibility: d.assignment.visibility,
                recurrence: d.assignment.recurrence,
                cancelled_at: d.assignment.cancelled_at,
                session_id: d.assignment.session_id,
                responses: d
                    .responses
                    .iter()
                    .map(|(role, r)| ResponseJson {
                        partner: role.key(),
                        status: r.status,
                        answers: decode(r.answers.as_deref()),
                        shared_with_partner: r.shared_with_partner,
                        submitted_at: r.submitted_at,
                        reviewed_at: r.reviewed_at,
                        counselor_comment: r.counselor_comment.clone(),
                    })
                    .collect(),
            })
            .collect(),
        sessions: session_json,
        files: files.iter().map(|(n, _)| n.clone()).collect(),
    };
    let json = serde_json::to_vec_pretty(&json)
        .map_err(|e| AppError::Internal(format!("export JSON: {e}")))?;

    let bytes = tokio::task::spawn_blocking(move || write_zip(json, files))
        .await
        .map_err(|e| AppError::Internal(format!("export stopped: {e}")))??;
    audit::record(
        db,
        state.clock(),
        actor,
        Action::CoupleExported,
        Some(Record::couple(couple_id)),
    )
    .await?;
    Ok(ZipFile {
        bytes,
        file_name: file_name(today),
    })
}

/// `couple-record-2026-11-29.zip`: the day of the export, nothing else.
pub fn file_name(day: NaiveDate) -> String {
    format!("couple-record-{}.zip", day.format("%Y-%m-%d"))
}

/// A zip download.
#[derive(Debug)]
pub struct ZipFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl IntoResponse for ZipFile {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/zip".to_owned()),
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

fn write_zip(json: Vec<u8>, files: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, AppError> {
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;
    let failed = |e: &dyn std::fmt::Display| AppError::Internal(format!("export zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // PDFs are compressed inside already.
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    zip.start_file("record.json", deflated)
        .map_err(|e| failed(&e))?;
    zip.write_all(&json).map_err(|e| failed(&e))?;
    for (name, bytes) in files {
        zip.start_file(name, stored).map_err(|e| failed(&e))?;
        zip.write_all(&bytes).map_err(|e| failed(&e))?;
    }
    Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
}

/// File names made unique within the zip (two sessions on one day: `-2`, `-3`).
#[derive(Default)]
struct FileNames(BTreeMap<String, u32>);

impl FileNames {
    fn unique(&mut self, name: &str) -> String {
        let n = self.0.entry(name.to_owned()).or_insert(0);
        *n += 1;
        match (*n, name.rsplit_once('.')) {
            (1, _) => name.to_owned(),
            (k, Some((stem, ext))) => format!("{stem}-{k}.{ext}"),
            (k, None) => format!("{name}-{k}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `record.json`: wire types, apart from the database models.

#[derive(Serialize)]
struct RecordJson {
    format: &'static str,
    exported_at: DateTime<Utc>,
    exported_by: String,
    couple: CoupleJson,
    partners: Vec<PartnerJson>,
    stages: Vec<StageJson>,
    stage_events: Vec<StageEventJson>,
    marker_ratings: Vec<RatingJson>,
    assignments: Vec<AssignmentJson>,
    sessions: Vec<SessionJson>,
    /// The PDFs beside this file.
    files: Vec<String>,
}

#[derive(Serialize)]
struct CoupleJson {
    id: Uuid,
    label: String,
    status: kintsugi_core::couples::CoupleStatus,
    open_agreement: bool,
    intake_date: NaiveDate,
    disclosure_date: Option<NaiveDate>,
    current_stage: Option<&'static str>,
    created_at: DateTime<Utc>,
}

impl CoupleJson {
    fn new(r: &CoupleRecord) -> Self {
        let c = &r.couple;
        Self {
            id: c.id,
            label: c.label.clone(),
            status: c.status,
            open_agreement: c.open_agreement,
            intake_date: c.intake_date,
            disclosure_date: c.disclosure_date,
            current_stage: c.current_stage.map(|s| s.key()),
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize)]
struct PartnerJson {
    id: Uuid,
    role: &'static str,
    name: String,
    email: String,
    timezone: String,
    reminders_opt_out: bool,
    pin_required: bool,
}

impl PartnerJson {
    fn new(role: PartnerRole, p: &kintsugi_core::entities::partner::Model) -> Self {
        Self {
            id: p.id,
            role: role.key(),
            name: p.name.clone(),
            email: p.email.to_string(),
            timezone: p.timezone.to_string(),
            reminders_opt_out: p.reminders_opt_out,
            pin_required: p.pin_required,
        }
    }
}

#[derive(Serialize)]
struct StageJson {
    stage: &'static str,
    name: &'static str,
    status: kintsugi_core::stages::StageStatus,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct StageEventJson {
    stage: &'static str,
    kind: kintsugi_core::stages::StageEventKind,
    reason: Option<String>,
    at: DateTime<Utc>,
}

#[derive(Serialize)]
struct RatingJson {
    stage: &'static str,
    marker: &'static str,
    rating: &'static str,
    session_id: Option<Uuid>,
    rated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct AssignmentJson {
    id: Uuid,
    exercise: String,
    due_at: DateTime<Utc>,
    visibility: kintsugi_core::homework::Visibility,
    recurrence: Option<kintsugi_core::homework::Recurrence>,
    cancelled_at: Option<DateTime<Utc>>,
    session_id: Option<Uuid>,
    responses: Vec<ResponseJson>,
}

#[derive(Serialize)]
struct ResponseJson {
    partner: &'static str,
    status: kintsugi_core::homework::ResponseStatus,
    answers: BTreeMap<String, kintsugi_core::homework::prompts::Answer>,
    shared_with_partner: bool,
    submitted_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    counselor_comment: Option<String>,
}

#[derive(Serialize)]
struct SessionJson {
    id: Uuid,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    location: String,
    attendance: &'static str,
    cancelled_at: Option<DateTime<Utc>>,
    note: Option<NoteJson>,
}

#[derive(Serialize)]
struct NoteJson {
    format: &'static str,
    status: kintsugi_core::sessions::notes::NoteStatus,
    sections: Vec<SectionJson>,
    signed_by: Option<String>,
    signed_at: Option<DateTime<Utc>>,
    content_hash: Option<String>,
    addenda: Vec<AddendumJson>,
    /// The PDF of this note in the zip.
    file: Option<String>,
}

#[derive(Serialize)]
struct SectionJson {
    key: &'static str,
    heading: &'static str,
    text: String,
}

#[derive(Serialize)]
struct AddendumJson {
    text: String,
    signed_by: String,
    signed_at: DateTime<Utc>,
    content_hash: String,
}

impl SessionJson {
    async fn new(
        db: &sea_orm::DatabaseConnection,
        s: &sessions::Session,
        note: Option<note_store::NoteRecord>,
        file: Option<String>,
    ) -> Result<Self, AppError> {
        let note = match note {
            None => None,
            Some(n) => {
                let signers = n
                    .note
                    .signed_by
                    .into_iter()
                    .chain(n.addenda.iter().map(|a| a.signed_by));
                let names = report_data::counselor_names(db, signers).await?;
                let name = |id: Uuid| names.get(&id).cloned().unwrap_or_default();
                Some(NoteJson {
                    format: n.content.format().key(),
                    status: n.note.status,
                    sections: n
                        .content
                        .sections()
                        .map(|(key, heading, text)| SectionJson {
                            key,
                            heading,
                            text: text.to_owned(),
                        })
                        .collect(),
                    signed_by: n.note.signed_by.map(name),
                    signed_at: n.note.signed_at,
                    content_hash: n.note.content_hash.clone(),
                    addenda: n
                        .addenda
                        .iter()
                        .map(|a| AddendumJson {
                            text: a.body.clone(),
                            signed_by: name(a.signed_by),
                            signed_at: a.signed_at,
                            content_hash: a.content_hash.clone(),
                        })
                        .collect(),
                    file,
                })
            }
        };
        Ok(Self {
            id: s.id,
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            location: Location::from_columns(&s.location_kind, s.location_detail.as_deref())
                .describe(),
            attendance: SessionState::of(s.attendance.as_deref()).key(),
            cancelled_at: s.cancelled_at,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_neutral_and_unique() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        assert_eq!(file_name(d), "couple-record-2026-11-29.zip");
        let mut names = FileNames::default();
        assert_eq!(names.unique("notes/a.pdf"), "notes/a.pdf");
        assert_eq!(names.unique("notes/a.pdf"), "notes/a-2.pdf");
        assert_eq!(names.unique("notes/b.pdf"), "notes/b.pdf");
    }
}
