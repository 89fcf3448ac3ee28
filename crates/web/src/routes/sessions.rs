//! Session pages: schedule and reschedule, attendance, the note editor (autosaved drafts,
//! signing with the counselor's password, addenda), marker ratings and homework given in the
//! session, and the PDF downloads. A refused form comes back with what was typed and why.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Duration;
use kintsugi_core::access::totp_store;
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store as couples;
use kintsugi_core::homework::assignments;
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::sessions::input::StartInput;
use kintsugi_core::sessions::note_store::{self, NoteRecord};
use kintsugi_core::sessions::notes::{AddendumText, NoteContent, NoteFormat};
use kintsugi_core::sessions::report_period::ReportPeriod;
use kintsugi_core::sessions::store::{self, SessionRecord};
use kintsugi_core::sessions::{Attendance, Location, SessionInput, SessionState};
use kintsugi_core::stages::store::StageAction;
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;
use uuid::Uuid;

use super::assignments::{default_assign, parse_assignment};
use super::couples::{Feedback, couple_page};
use crate::app::AppState;
use crate::auth::csrf::SignedForm;
use crate::auth::{Signed, signature};
use crate::documents;
use crate::error::AppError;
use crate::request::{ClientIp, parse_id};
use crate::views::homework_review::{AssignFormValues, assign_form, local_inputs, when};
use crate::views::sessions::{
    AddendumView, NoteView, SectionField, SessionFormPage, SessionFormValues, SessionPage,
    SignatureView, location_of, section_hint, session_when,
};
use crate::views::{Chrome, Errors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/couples/{couple_id}/sessions/new", get(new_form))
        .route("/couples/{couple_id}/sessions", post(schedule))
        .route("/couples/{couple_id}/report.pdf", get(report_pdf))
        .route("/sessions/{session_id}", get(show).post(reschedule))
        .route("/sessions/{session_id}/edit", get(edit_form))
        .route("/sessions/{session_id}/attendance", post(attendance))
        .route("/sessions/{session_id}/note", post(save_note))
        .route("/sessions/{session_id}/note/addenda", post(add_addendum))
        .route("/sessions/{session_id}/note.pdf", get(note_pdf))
        .route("/sessions/{session_id}/markers", post(rate_markers))
        .route("/sessions/{session_id}/homework", post(assign_homework))
}

fn actor(signed: &Signed, ip: ClientIp) -> Actor {
    Actor::counselor(signed.counselor.id, ip.to_audit())
}

// ---------------------------------------------------------------------------------------------
// Scheduling and rescheduling.

impl SessionFormValues {
    fn to_input(&self, signed: &Signed) -> SessionInput {
        SessionInput {
            start: StartInput::Local {
                date: self.date.clone(),
                time: self.time.clone(),
                zone: signed.counselor.timezone,
            },
            duration_minutes: self.duration_minutes.clone(),
            location: self.location.clone(),
            location_detail: self.location_detail.clone(),
        }
    }
}

enum FormMode {
    Schedule { couple_id: Uuid },
    Reschedule { session_id: Uuid, couple_id: Uuid },
}

fn form_page(
    signed: &Signed,
    mode: &FormMode,
    couple_label: &str,
    values: SessionFormValues,
    errors: FieldErrors,
    conflict: Option<String>,
) -> SessionFormPage {
    let (heading, action, submit_label, cancel_url, couple_id) = match mode {
        FormMode::Schedule { couple_id } => (
            "Schedule a session".to_owned(),
            format!("/couples/{couple_id}/sessions"),
            "Schedule",
            format!("/couples/{couple_id}#sessions"),
            *couple_id,
        ),
        FormMode::Reschedule {
            session_id,
            couple_id,
        } => (
            "Change the session".to_owned(),
            format!("/sessions/{session_id}"),
            "Save changes",
            format!("/sessions/{session_id}"),
            *couple_id,
        ),
    };
    SessionFormPage {
        chrome: Chrome::new(signed, "caseload"),
        heading,
        couple_id: couple_id.to_string(),
        couple_label: couple_label.to_owned(),
        action,
        submit_label,
        cancel_url,
        values,
        errors: Errors(errors),
        conflict,
        time_zone: signed.counselor.timezone.name(),
    }
}

/// The session as typed, or the form shown again with what needs attention (422).
fn parse_session_form(
    state: &AppState,
    signed: &Signed,
    mode: &FormMode,
    couple_label: &str,
    form: &SessionFormValues,
) -> Result<kintsugi_core::sessions::NewSession, Box<Response>> {
    match form.to_input(signed).parse(state.clock().now()) {
        Ok(new) => Ok(new),
        Err(CoreError::Invalid(errors)) => {
            let page = form_page(signed, mode, couple_label, form.clone(), errors, None);
            Err(Box::new(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ))
        }
        Err(e) => Err(Box::new(AppError::from(e).into_response())),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(couple_id): Path<String>,
) -> Result<SessionFormPage, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let tz = signed.counselor.timezone;
    let tomorrow = state.clock().now().with_timezone(&tz.tz()).date_naive() + Duration::days(1);
    let values = SessionFormValues {
        date: tomorrow.format("%Y-%m-%d").to_string(),
        time: "10:00".into(),
        duration_minutes: "50".into(),
        location: "office".into(),
        location_detail: String::new(),
    };
    Ok(form_page(
        &signed,
        &FormMode::Schedule { couple_id: id },
        &record.couple.label,
        values,
        FieldErrors::new(),
        None,
    ))
}

pub async fn schedule(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedForm { signed, form }: SignedForm<SessionFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let mode = FormMode::Schedule { couple_id: id };
    let new = match parse_session_form(&state, &signed, &mode, &record.couple.label, &form) {
        Ok(new) => new,
        Err(refused) => return Ok(*refused),
    };
    let actor = actor(&signed, ip);
    let session = store::schedule(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        new,
    )
    .await?;
    Ok(Redirect::to(&format!("/sessions/{}?done=scheduled", session.id)).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(session_id): Path<String>,
) -> Result<SessionFormPage, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let s = &found.session;
    let (date, time) = local_inputs(s.starts_at, signed.counselor.timezone);
    let location = location_of(s);
    let values = SessionFormValues {
        date,
        time,
        duration_minutes: s.duration_minutes.to_string(),
        location: location.kind().to_owned(),
        location_detail: location.detail().unwrap_or_default().to_owned(),
    };
    let mode = FormMode::Reschedule {
        session_id: id,
        couple_id: s.couple_id,
    };
    Ok(form_page(
        &signed,
        &mode,
        &found.couple.label,
        values,
        FieldErrors::new(),
        None,
    ))
}

pub async fn reschedule(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<SessionFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let mode = FormMode::Reschedule {
        session_id: id,
        couple_id: found.couple.id,
    };
    let new = match parse_session_form(&state, &signed, &mode, &found.couple.label, &form) {
        Ok(new) => new,
        Err(refused) => return Ok(*refused),
    };
    let actor = actor(&signed, ip);
    match store::reschedule(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        new,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=rescheduled")).into_response()),
        Err(CoreError::Conflict(msg)) => {
            let page = form_page(
                &signed,
                &mode,
                &found.couple.label,
                form,
                FieldErrors::new(),
                Some(msg),
            );
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The session page.

/// What the session page says about the last action, and anything typed that was refused.
#[derive(Debug, Default)]
struct Kept {
    notice: Option<String>,
    alert: Option<String>,
    /// The note as typed: format key and section texts.
    note: Option<(String, HashMap<String, String>)>,
    note_errors: FieldErrors,
    note_alert: Option<String>,
    sign_error: Option<String>,
    addendum: Option<(String, Option<String>)>,
    assign: Option<(AssignFormValues, FieldErrors)>,
    /// The format asked for with `?format=`.
    format: Option<NoteFormat>,
}

/// Fixed notices after a redirect: the URL carries a key, never text.
fn notice_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "scheduled" => "Session scheduled.",
        "rescheduled" => "Session changed.",
        "attended" => "Recorded as attended.",
        "no_show" => "Recorded as a no-show.",
        "cancelled" => "Session cancelled. Reminders for it will not be sent.",
        "saved" => "Draft saved.",
        "signed" => "Note signed and locked.",
        "addendum" => "Addendum added.",
        "ratings" => "Marker ratings saved for this session.",
        "unchanged" => "No ratings changed, so nothing new was recorded.",
        "assigned" => "Homework assigned. Each partner sees it behind their homework link.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowParams {
    done: String,
    format: String,
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    ip: ClientIp,
    Path(session_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<SessionPage, AppError> {
    let id = parse_id(&session_id)?;
    let params: ShowParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let kept = Kept {
        notice: notice_for(&params.done).map(str::to_owned),
        format: NoteFormat::from_key(&params.format),
        ..Default::default()
    };
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let page = session_page(&state, &signed, &found, kept).await?;
    if page.note.started {
        state
            .views
            .record(
                state.clock(),
                &actor(&signed, ip),
                Action::NoteViewed,
                Some(Record::session(id)),
            )
            .await?;
    }
    Ok(page)
}

/// The page again after a refused action, with the status that says why.
async fn page_with(
    state: &AppState,
    signed: &Signed,
    found: &SessionRecord,
    kept: Kept,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = session_page(state, signed, found, kept).await?;
    Ok((status, page).into_response())
}

fn note_view(
    record: Option<&NoteRecord>,
    kept: &Kept,
    default_format: NoteFormat,
    signer: Option<String>,
    tz: kintsugi_core::domain::TimeZone,
) -> NoteView {
    let saved = record.map(|r| &r.content);
    let signed = record.is_some_and(NoteRecord::is_signed);
    // The format: as typed, else as asked for (while switching loses nothing), else as saved.
    let typed_format = kept
        .note
        .as_ref()
        .and_then(|(f, _)| NoteFormat::from_key(f));
    let saved_format = saved.map(NoteContent::format);
    let may_switch = |to: NoteFormat| {
        !signed
            && saved.is_none_or(|c| {
                c.sections()
                    .filter(|(k, _, _)| !to.sections().iter().any(|(tk, _)| tk == k))
                    .all(|(_, _, t)| t.trim().is_empty())
            })
    };
    let format = typed_format
        .or(kept.format.filter(|f| may_switch(*f)))
        .or(saved_format)
        .unwrap_or(default_format);
    let sections = format
        .sections()
        .iter()
        .map(|(key, heading)| {
            let typed = kept.note.as_ref().and_then(|(_, m)| m.get(*key)).cloned();
            SectionField {
                key,
                heading,
                hint: section_hint(key),
                value: typed
                    .unwrap_or_else(|| saved.map(|c| c.text(key).to_owned()).unwrap_or_default()),
                error: kept.note_errors.get(key).map(str::to_owned),
            }
        })
        .collect();
    let other = NoteFormat::ALL.into_iter().find(|f| *f != format);
    NoteView {
        format_key: format.key(),
        format_label: format.describe(),
        sections,
        version: record.map_or(0, |r| r.note.version).to_string(),
        switch_to: other.filter(|f| may_switch(*f)).map(|f| (f.key(), f.key())),
        signature: record.filter(|r| r.is_signed()).map(|r| SignatureView {
            signer: signer.unwrap_or_else(|| "A former counselor".into()),
            signed_at: r.note.signed_at.map(|t| when(t, tz)).unwrap_or_default(),
            content_hash: r.note.content_hash.clone().unwrap_or_default(),
        }),
        started: record.is_some(),
        last_saved: record
            .filter(|r| !r.is_signed())
            .map(|r| when(r.note.updated_at, tz)),
    }
}

async fn session_page(
    state: &AppState,
    signed: &Signed,
    found: &SessionRecord,
    kept: Kept,
) -> Result<SessionPage, AppError> {
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let s = &found.session;
    let record = couples::get(&state.db, signed.counselor.id, found.couple.id).await?;
    let note = note_store::get(&state.db, s.id).await?;
    let settings = kintsugi_core::practice::settings::ensure(&state.db, state.clock()).await?;
    let default_format = NoteFormat::from_key(&settings.note_format).unwrap_or(NoteFormat::Dap);
    // Signer and addenda authors, in one query (the note's reader may have left the practice).
    let people: Vec<Uuid> = note
        .iter()
        .flat_map(|n| {
            n.note
                .signed_by
                .into_iter()
                .chain(n.addenda.iter().map(|a| a.signed_by))
        })
        .collect();
    let names = kintsugi_core::sessions::report_data::counselor_names(&state.db, people).await?;
    let signer = note
        .as_ref()
        .and_then(|n| n.note.signed_by)
        .and_then(|id| names.get(&id).cloned());
    let note_view = note_view(note.as_ref(), &kept, default_format, signer, tz);
    let mut addenda = Vec::new();
    for a in note.iter().flat_map(|n| &n.addenda) {
        addenda.push(AddendumView {
            author: names
                .get(&a.signed_by)
                .cloned()
                .unwrap_or_else(|| "A former counselor".into()),
            written_at: when(a.signed_at, tz),
            text: a.body.clone(),
            content_hash: a.content_hash.clone(),
        });
    }

    let state_now = SessionState::of(s.attendance.as_deref());
    let attendance_actions = match state_now {
        SessionState::Scheduled if s.starts_at <= now => vec![
            ("attended", "Attended"),
            ("no_show", "No-show"),
            ("cancelled", "Cancelled"),
        ],
        SessionState::Scheduled => vec![("cancelled", "Cancel this session")],
        SessionState::Recorded(Attendance::Attended) => vec![("no_show", "Change to no-show")],
        SessionState::Recorded(Attendance::NoShow) => vec![("attended", "Change to attended")],
        SessionState::Recorded(Attendance::Cancelled) => vec![],
    };

    // The current stage's markers, to rate in the session.
    let history = kintsugi_core::stages::store::history(&state.db, &record.couple).await?;
    let tracker = crate::views::stages::tracker(&history, now.date_naive(), &None, None);
    let markers = tracker
        .stages
        .into_iter()
        .find(|c| c.current && c.can_rate && !c.complete);

    let details = assignments::for_couple(&state.db, &record).await?;
    let assigned_here = details
        .iter()
        .filter(|d| d.assignment.session_id == Some(s.id))
        .map(|d| {
            (
                d.exercise.model.title.clone(),
                when(d.assignment.due_at, tz),
            )
        })
        .collect();
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let (values, errors) = kept
        .assign
        .unwrap_or_else(|| (default_assign(now, tz), FieldErrors::new()));
    let assign = assign_form(
        values,
        Errors(errors),
        &exercises,
        record.couple.current_stage,
        tz,
    );
    let location = location_of(s);
    let (addendum_text, addendum_error) = kept.addendum.unwrap_or_default();
    Ok(SessionPage {
        chrome: Chrome::new(signed, "caseload"),
        id: s.id.to_string(),
        couple_id: record.couple.id.to_string(),
        couple_label: record.couple.label.clone(),
        when: session_when(s, tz),
        duration: format!("{} minutes", s.duration_minutes),
        location: location.describe(),
        video_link: match location {
            Location::Video(url) => Some(url),
            Location::Office(_) => None,
        },
        time_zone: tz.name(),
        state_key: state_now.key(),
        state_label: state_now.label(),
        can_reschedule: state_now == SessionState::Scheduled,
        attendance_actions,
        notice: kept.notice,
        alert: kept.alert,
        note: note_view,
        note_alert: kept.note_alert,
        sign_error: kept.sign_error,
        sign_with_code: totp_store::is_enabled(&signed.counselor),
        addenda,
        addendum_text,
        addendum_error,
        markers,
        assign,
        assign_action: format!("/sessions/{}/homework", s.id),
        assigned_here,
    })
}

// ---------------------------------------------------------------------------------------------
// Attendance.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AttendanceForm {
    attendance: String,
}

pub async fn attendance(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<AttendanceForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let Some(attendance) = Attendance::from_key(form.attendance.trim()) else {
        let kept = Kept {
            alert: Some("Choose attended, no-show or cancelled.".into()),
            ..Default::default()
        };
        return page_with(
            &state,
            &signed,
            &found,
            kept,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = actor(&signed, ip);
    let result = store::record_attendance(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        attendance,
    )
    .await;
    let (status, alert) = match result {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/sessions/{id}?done={}", attendance.key())).into_response(),
            );
        }
        Err(CoreError::Conflict(msg)) => (StatusCode::CONFLICT, msg),
        Err(CoreError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|(_, m)| format!("Attendance {m}."))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(e) => return Err(e.into()),
    };
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let kept = Kept {
        alert: Some(alert),
        ..Default::default()
    };
    page_with(&state, &signed, &found, kept, status).await
}

// ---------------------------------------------------------------------------------------------
// The note: drafts, autosave, signing, addenda.

/// Save (`action=save`), autosave in the background (`action=autosave`: 204 with the new
/// version in `X-Draft-Version`, no page) or save and sign (`action=sign`, with `password`).
pub async fn save_note(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let field = |k: &str| form.get(k).map(String::as_str);
    let action = field("action").unwrap_or("save");
    let format_key = field("format").unwrap_or_default().to_owned();
    let typed: HashMap<String, String> = NoteFormat::ALL
        .iter()
        .flat_map(|f| f.sections().iter())
        .filter_map(|(k, _)| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let version: Option<i32> = match field("version").map(str::trim) {
        None | Some("") => None,
        Some(v) => v.parse().ok().or(Some(-1)),
    };
    let kept =
        |note_errors: FieldErrors, note_alert: Option<String>, sign_error: Option<String>| Kept {
            note: Some((format_key.clone(), typed.clone())),
            note_errors,
            note_alert,
            sign_error,
            ..Default::default()
        };
    let content = match NoteContent::parse(&format_key, field) {
        Ok(c) => c,
        Err(CoreError::Invalid(errors)) => {
            if action == "autosave" {
                return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response());
            }
            let alert = Some(
                "The note was not saved: see the sections marked below. What you typed is kept."
                    .to_owned(),
            );
            let kept = kept(errors, alert, None);
            return page_with(
                &state,
                &signed,
                &found,
                kept,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    let saved = note_store::save_draft(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        &content,
        version,
    )
    .await;
    let saved = match saved {
        Ok(n) => n,
        Err(CoreError::Conflict(msg)) => {
            if action == "autosave" {
                return Ok(StatusCode::CONFLICT.into_response());
            }
            let kept = kept(FieldErrors::new(), Some(msg), None);
            return page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e.into()),
    };
    match action {
        "autosave" => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::from_str(&saved.version.to_string()) {
                response.headers_mut().insert("x-draft-version", v);
            }
            Ok(response)
        }
        "sign" => {
            // A code from the app when one is given (counselors with two-factor sign-in),
            // otherwise the password.
            let code = field("code").map(str::trim).filter(|c| !c.is_empty());
            let password = field("password").unwrap_or_default();
            let proof = match code {
                Some(code) => signature::Proof::Code(code),
                None => signature::Proof::Password(password),
            };
            let confirmation = signature::confirm(
                &state,
                signed.counselor.id,
                signed.counselor.email.as_str(),
                ip.0,
                proof,
            )
            .await?;
            let confirmed = match confirmation {
                Ok(c) => c,
                Err(CoreError::Invalid(errors)) => {
                    let (msg, what) = match errors.get("code") {
                        Some(m) => (m, "the code did not match"),
                        None => (
                            errors.get("password").unwrap_or("is not right"),
                            "your password did not match",
                        ),
                    };
                    let msg = msg.to_owned();
                    let alert = Some(format!(
                        "The draft is saved, but the note is not signed: {what}."
                    ));
                    let kept = kept(FieldErrors::new(), alert, Some(msg));
                    return page_with(
                        &state,
                        &signed,
                        &found,
                        kept,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            };
            match note_store::sign(
                &state.db,
                state.clock(),
                &actor,
                confirmed,
                id,
                Some(saved.version),
            )
            .await
            {
                Ok(_) => {
                    Ok(Redirect::to(&format!("/sessions/{id}?done=signed#note")).into_response())
                }
                Err(CoreError::Conflict(msg)) => {
                    let kept = kept(FieldErrors::new(), Some(msg), None);
                    page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await
                }
                Err(CoreError::Invalid(errors)) => {
                    let msg = errors
                        .iter()
                        .map(|(_, m)| m.to_owned())
                        .collect::<Vec<_>>()
                        .join("; ");
                    let alert = Some(format!("The note is not signed: {msg}."));
                    let kept = kept(FieldErrors::new(), alert, None);
                    page_with(
                        &state,
                        &signed,
                        &found,
                        kept,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            }
        }
        _ => Ok(Redirect::to(&format!("/sessions/{id}?done=saved#note")).into_response()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddendumForm {
    text: String,
}

pub async fn add_addendum(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<AddendumForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let refuse = |error: Option<String>, alert: Option<String>| Kept {
        addendum: Some((form.text.clone(), error)),
        alert,
        ..Default::default()
    };
    let text = match AddendumText::parse(&form.text) {
        Ok(t) => t,
        Err(CoreError::Invalid(errors)) => {
            let msg = errors.get("text").map(str::to_owned);
            let kept = refuse(msg, None);
            return page_with(
                &state,
                &signed,
                &found,
                kept,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    match note_store::add_addendum(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        &text,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=addendum#addenda")).into_response()),
        Err(CoreError::Conflict(msg)) => {
            let kept = refuse(None, Some(msg));
            page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Markers and homework from the session.

pub async fn rate_markers(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let refused = |error: CoreError| {
        let (status, alert) = match error {
            CoreError::Refused { message, .. } => (StatusCode::CONFLICT, message),
            CoreError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .iter()
                    .map(|(_, m)| format!("Ratings: {m}."))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => return Err(other),
        };
        Ok((
            status,
            Kept {
                alert: Some(alert),
                ..Default::default()
            },
        ))
    };
    let ratings = match super::stages::form_ratings(&form) {
        Ok(r) => r,
        Err(e) => {
            let (status, kept) = refused(e)?;
            return page_with(&state, &signed, &found, kept, status).await;
        }
    };
    if ratings.is_empty() {
        return Ok(Redirect::to(&format!("/sessions/{id}?done=unchanged#markers")).into_response());
    }
    let actor = actor(&signed, ip);
    let result = kintsugi_core::stages::store::act(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        found.couple.id,
        StageAction::Rate {
            ratings,
            session_id: Some(id),
        },
    )
    .await;
    match result {
        Ok(acted) if acted.recorded == 0 => {
            Ok(Redirect::to(&format!("/sessions/{id}?done=unchanged#markers")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=ratings#markers")).into_response()),
        Err(e) => {
            let (status, kept) = refused(e)?;
            page_with(&state, &signed, &found, kept, status).await
        }
    }
}

pub async fn assign_homework(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedForm { signed, form }: SignedForm<AssignFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let refuse = |errors: FieldErrors| {
        Kept {
        alert: Some(
            "The homework was not assigned: some details need your attention (see the Homework section). What you typed is kept.".into(),
        ),
        assign: Some((form.clone(), errors)),
        ..Default::default()
    }
    };
    let new = match parse_assignment(&form, &exercises, tz, now) {
        Ok(new) => new,
        Err(CoreError::Invalid(errors)) => {
            return page_with(
                &state,
                &signed,
                &found,
                refuse(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    match assignments::assign_in_session(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        found.couple.id,
        new,
        Some(id),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/sessions/{id}?done=assigned#homework")).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            page_with(
                &state,
                &signed,
                &found,
                refuse(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// PDFs.

pub async fn note_pdf(
    State(state): State<AppState>,
    signed: Signed,
    ip: ClientIp,
    Path(session_id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let actor = actor(&signed, ip);
    Ok(documents::note_pdf(&state, &signed.counselor, &actor, id)
        .await?
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportParams {
    from: String,
    to: String,
}

/// The progress report for a period (`from` and `to` as dates; by default from the intake date
/// to today). A bad period shows the couple page again with the reason.
pub async fn report_pdf(
    State(state): State<AppState>,
    signed: Signed,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let params: ReportParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let today = state
        .clock()
        .now()
        .with_timezone(&signed.counselor.timezone.tz())
        .date_naive();
    let period = ReportPeriod::parse(
        Some(&params.from),
        Some(&params.to),
        record.couple.intake_date,
        today,
    );
    let errors = match period {
        Ok(ReportPeriod { from, to }) => {
            let actor = actor(&signed, ip);
            return Ok(
                documents::report_pdf(&state, &signed.counselor, &actor, id, from, to)
                    .await?
                    .into_response(),
            );
        }
        Err(CoreError::Invalid(errors)) => errors,
        Err(e) => return Err(e.into()),
    };
    let problem: Vec<String> = errors
        .iter()
        .map(|(field, message)| {
            let which = if field == "from" { "start" } else { "end" };
            format!("The report's {which} date {message}.")
        })
        .collect();
    let feedback = Feedback {
        alert: Some(problem.join(" ")),
        ..Default::default()
    };
    let page = couple_page(&state, &signed, id, feedback).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
