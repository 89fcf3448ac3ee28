//! Sessions and notes through the API: schedule and list a couple's sessions, reschedule one
//! or record its attendance, save the draft note, sign it, add addenda, and download the note
//! and progress-report PDFs.
//!
//! A signed note is locked: saving or signing it again is a 409, and the lock is the database
//! write itself (see `kintsugi_core::sessions::note_store`), so racing requests cannot both win.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store as couples;
use kintsugi_core::entities::{counselor, note_addendum};
use kintsugi_core::sessions::input::StartInput;
use kintsugi_core::sessions::note_store::{self, NoteRecord};
use kintsugi_core::sessions::notes::{AddendumText, NoteContent, NoteStatus};
use kintsugi_core::sessions::report_period::ReportPeriod;
use kintsugi_core::sessions::store::{self as sessions, Session};
use kintsugi_core::sessions::{Attendance, Location, SessionInput, SessionState, ends_at};
use kintsugi_core::{CoreError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json::ApiJson;
use super::paging::PageParams;
use super::query::{ApiQuery, Day};
use super::schema;
use crate::auth::{ApiCounselor, signature};
use crate::documents::{self, Pdf};
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, schedule))
        .routes(routes!(read, update))
        .routes(routes!(save_note))
        .routes(routes!(sign_note))
        .routes(routes!(add_addendum))
        .routes(routes!(note_pdf))
        .routes(routes!(report_pdf))
}

// ---------------------------------------------------------------------------------------------
// Wire types.

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionJson {
    pub id: String,
    pub couple_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// `office` or `video`.
    pub location: &'static str,
    /// The room or address of an office session, the https link of a video session.
    pub location_detail: Option<String>,
    /// `scheduled`, `attended`, `cancelled` or `no_show`.
    pub state: &'static str,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `draft` or `signed`; null while no note was started.
    pub note_status: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddendumJson {
    pub id: String,
    pub text: String,
    /// The counselor who wrote and signed it.
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
    /// SHA-256 (hex) of the addendum, bound to its note and time.
    pub content_hash: String,
}

/// A note: its format and one field per section of that format (DAP: `data`, `assessment`,
/// `plan`; SOAP: `subjective`, `objective`, `assessment`, `plan`).
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteJson {
    pub id: String,
    pub session_id: String,
    /// `DAP` or `SOAP`.
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subjective: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    pub assessment: String,
    pub plan: String,
    /// `draft` or `signed`. A signed note is locked; only addenda can follow.
    pub status: &'static str,
    /// Send it back with a save or a signature to refuse it if the note changed in between.
    pub version: i32,
    pub signed_by: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the note as signed; printed on the PDF.
    pub content_hash: Option<String>,
    /// Oldest first.
    pub addenda: Vec<AddendumJson>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDetailJson {
    #[serde(flatten)]
    pub session: SessionJson,
    /// Null while no note was started.
    pub note: Option<NoteJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    pub items: Vec<SessionJson>,
    /// The URL of the next page, or null on the last page.
    pub next: Option<String>,
    pub total: u64,
}

/// A PDF file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(#[allow(dead_code)] Vec<u8>);

fn session_json(s: &Session, note_status: Option<NoteStatus>) -> SessionJson {
    let location = Location::from_columns(&s.location_kind, s.location_detail.as_deref());
    SessionJson {
        id: s.id.to_string(),
        couple_id: s.couple_id.to_string(),
        starts_at: s.starts_at,
        ends_at: ends_at(s.starts_at, s.duration_minutes),
        duration_minutes: s.duration_minutes,
        location: location.kind(),
        location_detail: location.detail().map(str::to_owned),
        state: SessionState::of(s.attendance.as_deref()).key(),
        cancelled_at: s.cancelled_at,
        note_status: note_status.map(NoteStatus::key),
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn addendum_json(a: &note_addendum::Model) -> AddendumJson {
    AddendumJson {
        id: a.id.to_string(),
        text: a.body.clone(),
        signed_by: a.signed_by.to_string(),
        signed_at: a.signed_at,
        content_hash: a.content_hash.clone(),
    }
}

fn note_json(r: &NoteRecord) -> NoteJson {
    let c = &r.content;
    let section = |key: &str| {
        c.sections()
            .any(|(k, _, _)| k == key)
            .then(|| c.text(key).to_owned())
    };
    let n = &r.note;
    NoteJson {
        id: n.id.to_string(),
        session_id: n.session_id.to_string(),
        format: c.format().key(),
        data: section("data"),
        subjective: section("subjective"),
        objective: section("objective"),
        assessment: c.text("assessment").to_owned(),
        plan: c.text("plan").to_owned(),
        status: n.status.key(),
        version: n.version,
        signed_by: n.signed_by.map(|id| id.to_string()),
        signed_at: n.signed_at,
        content_hash: n.content_hash.clone(),
        addenda: r.addenda.iter().map(addendum_json).collect(),
        created_at: n.created_at,
        updated_at: n.updated_at,
    }
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    AppError::Invalid(errors)
}

fn actor(counselor: &counselor::Model, ip: ClientIp) -> Actor {
    Actor::counselor(counselor.id, ip.to_audit())
}

/// The session, checked to be one of the counselor's (404 otherwise).
async fn own_session(
    state: &AppState,
    counselor: &counselor::Model,
    raw_id: &str,
) -> Result<Session, AppError> {
    let id = parse_id(raw_id)?;
    Ok(sessions::get(&state.db, counselor.id, id).await?.session)
}

// ---------------------------------------------------------------------------------------------
// A couple's sessions.

/// A couple's sessions, newest first, each with the state of its note.
#[utoipa::path(
    get,
    path = "/api/v1/couples/{couple_id}/sessions",
    tag = "sessions",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id"), PageParams),
    responses(
        (status = 200, description = "One page of the couple's sessions", body = SessionList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<SessionList>, ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let all = sessions::for_couple(&state.db, id).await?;
    let paging = params.paging();
    let (shown, more) = paging.cut(&all);
    let statuses = note_store::statuses(&state.db, shown.iter().map(|s| s.id).collect()).await?;
    state
        .views
        .record(
            state.clock(),
            &actor(&counselor, ip),
            Action::SessionsViewed,
            Some(Record::couple(id)),
        )
        .await?;
    Ok(Json(SessionList {
        items: shown
            .iter()
            .map(|s| session_json(s, statuses.get(&s.id).copied()))
            .collect(),
        next: paging.next(more, &format!("/api/v1/couples/{id}/sessions"), &[]),
        total: all.len() as u64,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSessionBody {
    /// RFC 3339 (`2026-05-01T17:30:00+02:00`); up to a year back (to record a past session) and
    /// two years ahead.
    #[schema(schema_with = schema::rfc3339)]
    pub starts_at: String,
    /// 10 to 480.
    #[schema(minimum = 10, maximum = 480)]
    pub duration_minutes: i64,
    /// `office` (default) or `video`.
    #[schema(schema_with = schema::or_null::location)]
    pub location: Option<String>,
    /// For an office session, an optional room or address (up to 300 characters); for a video
    /// session, its https link.
    #[schema(schema_with = schema::or_null::location_detail)]
    pub location_detail: Option<String>,
}

/// Schedule a session for one of your couples.
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/sessions",
    tag = "sessions",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    request_body = NewSessionBody,
    responses(
        (status = 201, description = "The session scheduled", body = SessionJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn schedule(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiJson(body): ApiJson<NewSessionBody>,
) -> Result<(StatusCode, Json<SessionJson>), ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let new = SessionInput {
        start: StartInput::Instant(body.starts_at),
        duration_minutes: body.duration_minutes.to_string(),
        location: body.location.unwrap_or_default(),
        location_detail: body.location_detail.unwrap_or_default(),
    }
    .parse(state.clock().now())?;
    let session = sessions::schedule(
        &state.db,
        state.clock(),
        &actor(&counselor, ip),
        counselor.id,
        id,
        new,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(session_json(&session, None))))
}

// ---------------------------------------------------------------------------------------------
// One session.

/// One session with its note and the note's addenda.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    responses(
        (status = 200, description = "The session with its note", body = SessionDetailJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
) -> Result<Json<SessionDetailJson>, ApiError> {
    let session = own_session(&state, &counselor, &session_id).await?;
    let note = note_store::get(&state.db, session.id).await?;
    state
        .views
        .record(
            state.clock(),
            &actor(&counselor, ip),
            Action::NoteViewed,
            Some(Record::session(session.id)),
        )
        .await?;
    Ok(Json(SessionDetailJson {
        session: session_json(&session, note.as_ref().map(|n| n.note.status)),
        note: note.as_ref().map(note_json),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    /// A new start (RFC 3339). Only a session without recorded attendance moves.
    #[schema(schema_with = schema::or_null::rfc3339)]
    pub starts_at: Option<String>,
    /// 10 to 480.
    #[schema(minimum = 10, maximum = 480)]
    pub duration_minutes: Option<i64>,
    /// `office` or `video`.
    #[schema(schema_with = schema::or_null::location)]
    pub location: Option<String>,
    #[schema(schema_with = schema::or_null::location_detail)]
    pub location_detail: Option<String>,
    /// `attended`, `cancelled` or `no_show`; sent alone. Attended and no-show once the session
    /// has begun; a cancelled session stays cancelled.
    #[schema(schema_with = schema::or_null::attendance)]
    pub attendance: Option<String>,
}

/// Reschedule a session (new time, length or place), or record its attendance.
#[utoipa::path(
    patch,
    path = "/api/v1/sessions/{session_id}",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    request_body = SessionPatch,
    responses(
        (status = 200, description = "The changed session", body = SessionJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Attendance is recorded or the session was cancelled", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
    ApiJson(patch): ApiJson<SessionPatch>,
) -> Result<Json<SessionJson>, ApiError> {
    let current = own_session(&state, &counselor, &session_id).await?;
    let actor = actor(&counselor, ip);
    let moves = patch.starts_at.is_some()
        || patch.duration_minutes.is_some()
        || patch.location.is_some()
        || patch.location_detail.is_some();
    let changed = match (patch.attendance, moves) {
        (Some(_), true) => {
            return Err(invalid(
                "attendance",
                "send attendance alone, or the new time and place without it",
            )
            .into());
        }
        (None, false) => {
            return Err(invalid(
                "body",
                "send attendance, or at least one of starts_at, duration_minutes, location, location_detail",
            )
            .into());
        }
        (Some(raw), false) => {
            let attendance = Attendance::from_key(raw.trim())
                .ok_or_else(|| invalid("attendance", "must be attended, cancelled or no_show"))?;
            sessions::record_attendance(
                &state.db,
                state.clock(),
                &actor,
                counselor.id,
                current.id,
                attendance,
            )
            .await?
        }
        (None, true) => {
            // What is not sent stays as it was; a new kind of place starts without the old detail.
            let kind_changes = patch
                .location
                .as_deref()
                .is_some_and(|k| k.trim() != current.location_kind);
            let detail = match patch.location_detail {
                Some(d) => d,
                None if kind_changes => String::new(),
                None => current.location_detail.clone().unwrap_or_default(),
            };
            let new = SessionInput {
                start: StartInput::Instant(
                    patch
                        .starts_at
                        .unwrap_or_else(|| current.starts_at.to_rfc3339()),
                ),
                duration_minutes: patch
                    .duration_minutes
                    .map_or(current.duration_minutes.to_string(), |d| d.to_string()),
                location: patch
                    .location
                    .unwrap_or_else(|| current.location_kind.clone()),
                location_detail: detail,
            }
            .parse(state.clock().now())?;
            sessions::reschedule(
                &state.db,
                state.clock(),
                &actor,
                counselor.id,
                current.id,
                new,
            )
            .await?
        }
    };
    let statuses = note_store::statuses(&state.db, vec![changed.id]).await?;
    Ok(Json(session_json(
        &changed,
        statuses.get(&changed.id).copied(),
    )))
}

// ---------------------------------------------------------------------------------------------
// The note.

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// `DAP` or `SOAP`.
    #[schema(schema_with = schema::note_format)]
    pub format: String,
    /// DAP only. Each section: up to 40,000 characters; line breaks are kept.
    #[schema(schema_with = schema::or_null::note_section)]
    pub data: Option<String>,
    /// SOAP only.
    #[schema(schema_with = schema::or_null::note_section)]
    pub subjective: Option<String>,
    /// SOAP only.
    #[schema(schema_with = schema::or_null::note_section)]
    pub objective: Option<String>,
    #[schema(schema_with = schema::or_null::note_section)]
    pub assessment: Option<String>,
    #[schema(schema_with = schema::or_null::note_section)]
    pub plan: Option<String>,
    /// The note's `version` this edit started from; the save is refused with 409 if the note
    /// changed since. Leave it out to replace the latest draft.
    pub version: Option<i32>,
}

fn note_content(body: &NoteBody) -> Result<NoteContent, AppError> {
    let field = |key: &str| match key {
        "data" => body.data.as_deref(),
        "subjective" => body.subjective.as_deref(),
        "objective" => body.objective.as_deref(),
        "assessment" => body.assessment.as_deref(),
        "plan" => body.plan.as_deref(),
        _ => None,
    };
    Ok(NoteContent::parse(&body.format, field)?)
}

/// Save the session's draft note (creating it on the first save). A signed note is locked.
#[utoipa::path(
    put,
    path = "/api/v1/sessions/{session_id}/note",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The saved draft", body = NoteJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The note is signed, or changed since `version`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_note(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<NoteJson>, ApiError> {
    let session = own_session(&state, &counselor, &session_id).await?;
    let content = note_content(&body)?;
    note_store::save_draft(
        &state.db,
        state.clock(),
        &actor(&counselor, ip),
        counselor.id,
        session.id,
        &content,
        body.version,
    )
    .await?;
    let saved = note_store::get(&state.db, session.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(note_json(&saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// Your password, confirming that you are the one signing. Give this or `code`.
    pub password: Option<String>,
    /// Instead of the password, for counselors with two-factor sign-in: the six-digit code your
    /// authenticator app shows now. Each code signs once.
    pub code: Option<String>,
    /// The note's `version` you read; the signature is refused with 409 if it changed since.
    pub version: Option<i32>,
}

/// Sign and lock the note: records you as the signer, the time and the SHA-256 content hash.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{session_id}/note/sign",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    request_body = SignBody,
    responses(
        (status = 200, description = "The signed note", body = NoteJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already signed, or changed since `version`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong password or code (`errors` names `password` or `code`), neither given, or nothing written yet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords or codes tried; see `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_note(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
    ApiJson(body): ApiJson<SignBody>,
) -> Result<Json<NoteJson>, ApiError> {
    let session = own_session(&state, &counselor, &session_id).await?;
    // A signed note answers at once, without a password check; the signature itself is still
    // decided by the conditional write in core.
    let existing = note_store::get(&state.db, session.id).await?;
    if existing.as_ref().is_some_and(NoteRecord::is_signed) {
        return Err(AppError::Conflict("This note is already signed.".into()).into());
    }
    let proof = match (&body.password, &body.code) {
        (None, Some(code)) => Some(signature::Proof::Code(code)),
        (Some(password), None) => Some(signature::Proof::Password(password)),
        _ => None,
    };
    let confirmation = match proof {
        Some(proof) => {
            signature::confirm(&state, counselor.id, counselor.email.as_str(), ip.0, proof).await?
        }
        None => Err(CoreError::invalid(
            "password",
            "or `code` is needed, one of the two; the note was not signed",
        )),
    };
    let confirmed = confirmation.map_err(|e| match e {
        CoreError::NotFound => AppError::Unauthorized,
        other => other.into(),
    })?;
    let signed = note_store::sign(
        &state.db,
        state.clock(),
        &actor(&counselor, ip),
        confirmed,
        session.id,
        body.version,
    )
    .await?;
    Ok(Json(note_json(&signed)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddendumBody {
    /// Up to 20,000 characters.
    #[schema(schema_with = schema::addendum)]
    pub text: String,
}

/// Append a dated, signed addendum to a signed note.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{session_id}/note/addenda",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    request_body = AddendumBody,
    responses(
        (status = 201, description = "The addendum", body = AddendumJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The note is not signed yet: edit the draft instead", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_addendum(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
    ApiJson(body): ApiJson<AddendumBody>,
) -> Result<(StatusCode, Json<AddendumJson>), ApiError> {
    let session = own_session(&state, &counselor, &session_id).await?;
    let text = AddendumText::parse(&body.text)?;
    let addendum = note_store::add_addendum(
        &state.db,
        state.clock(),
        &actor(&counselor, ip),
        counselor.id,
        session.id,
        &text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(addendum_json(&addendum))))
}

// ---------------------------------------------------------------------------------------------
// Documents.

/// The session note as a PDF (a draft is marked as such on every page).
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}/note.pdf",
    tag = "sessions",
    params(("session_id" = String, Path, format = Uuid, description = "The session's id")),
    responses(
        (status = 200, description = "The PDF, as an attachment named by the session's date", body = PdfFile, content_type = "application/pdf"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn note_pdf(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(session_id): Path<String>,
) -> Result<Pdf, ApiError> {
    let id = parse_id(&session_id)?;
    Ok(documents::note_pdf(&state, &counselor, &actor(&counselor, ip), id).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day (`YYYY-MM-DD`, your time zone); default: the couple's intake date.
    #[param(inline)]
    from: Option<Day>,
    /// Last day, included; default: today.
    #[param(inline)]
    to: Option<Day>,
}

impl ReportParams {
    /// The period by core's rule, the same as on the couple page.
    fn period(
        &self,
        intake: NaiveDate,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate), AppError> {
        let period = ReportPeriod::new(
            self.from.as_ref().map(|d| d.0),
            self.to.as_ref().map(|d| d.0),
            intake,
            today,
        )?;
        Ok((period.from, period.to))
    }
}

/// The couple's progress report for a period, as a PDF.
#[utoipa::path(
    get,
    path = "/api/v1/couples/{couple_id}/report.pdf",
    tag = "sessions",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id"), ReportParams),
    responses(
        (status = 200, description = "The PDF, as an attachment named by the period", body = PdfFile, content_type = "application/pdf"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A date is invalid, or `from` is after `to`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report_pdf(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Pdf, ApiError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, counselor.id, id).await?;
    let today = state
        .clock()
        .now()
        .with_timezone(&counselor.timezone.tz())
        .date_naive();
    let (from, to) = params.period(record.couple.intake_date, today)?;
    Ok(documents::report_pdf(&state, &counselor, &actor(&counselor, ip), id, from, to).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::api::query;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn period(
        raw: &str,
        intake: NaiveDate,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate), AppError> {
        query::parse::<ReportParams>(raw)?.period(intake, today)
    }

    #[test]
    fn report_dates_default_to_intake_and_today() {
        let (intake, today) = (d("2026-01-05"), d("2026-04-01"));
        assert_eq!(period("", intake, today).expect("ok"), (intake, today));
        assert!(
            period("to=2025-12-31", intake, today).is_err(),
            "a period that ends before intake is refused, as on the couple page"
        );
        for bad in [
            "from=2026-02-30",
            "from=yesterday",
            "from=2026-03-02&to=2026-03-01",
            "until=2026-03-01",
            "from=2026-03-01&from=2026-03-02",
        ] {
            assert!(
                matches!(period(bad, intake, today), Err(AppError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
