//! Couple pages: add, view, edit, pause / close / reactivate.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store::{self, CoupleRecord};
use kintsugi_core::couples::{CoupleInput, CoupleStatus, PartnerInput, PartnerRole};
use kintsugi_core::stages::Stage;
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::forms::checked;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;
use crate::views::couples::{CoupleFormPage, CoupleFormValues, CouplePage, PartnerView};
use crate::views::sessions::{CoupleSessions, SessionRow};
use kintsugi_core::sessions;

use crate::views::homework_review::AssignFormValues;
use crate::views::stages::KeptReason;
use crate::views::{Chrome, Errors, format_date, time_zone_names};

impl CoupleFormValues {
    fn to_input(&self) -> CoupleInput {
        CoupleInput {
            label: self.label.clone(),
            open_agreement: checked(&self.open_agreement),
            intake_date: self.intake_date.clone(),
            disclosure_date: self.disclosure_date.clone(),
            involved: PartnerInput {
                name: self.involved_name.clone(),
                email: self.involved_email.clone(),
                timezone: self.involved_timezone.clone(),
            },
            hurt: PartnerInput {
                name: self.hurt_name.clone(),
                email: self.hurt_email.clone(),
                timezone: self.hurt_timezone.clone(),
            },
        }
    }

    fn from_record(r: &CoupleRecord) -> Self {
        CoupleFormValues {
            label: r.couple.label.clone(),
            open_agreement: r.couple.open_agreement.then(|| "on".to_owned()),
            intake_date: r.couple.intake_date.to_string(),
            disclosure_date: r
                .couple
                .disclosure_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            involved_name: r.involved.name.clone(),
            involved_email: r.involved.email.to_string(),
            involved_timezone: r.involved.timezone.to_string(),
            hurt_name: r.hurt.name.clone(),
            hurt_email: r.hurt.email.to_string(),
            hurt_timezone: r.hurt.timezone.to_string(),
            version: r.couple.version.to_string(),
        }
    }
}

enum FormMode {
    New,
    Edit { id: String },
}

fn form_page(
    signed: &SignedIn,
    mode: FormMode,
    values: CoupleFormValues,
    errors: FieldErrors,
    conflict: Option<String>,
) -> CoupleFormPage {
    let (heading, action, submit_label, cancel_url, section) = match mode {
        FormMode::New => (
            "Add a couple".to_owned(),
            "/couples".to_owned(),
            "Add couple",
            "/".to_owned(),
            "new-couple",
        ),
        FormMode::Edit { id } => (
            format!("Edit {}", values.label),
            format!("/couples/{id}"),
            "Save changes",
            format!("/couples/{id}"),
            "caseload",
        ),
    };
    CoupleFormPage {
        chrome: Chrome::new(signed, section),
        heading,
        action,
        submit_label,
        cancel_url,
        open_agreement: checked(&values.open_agreement),
        values,
        errors: Errors(errors),
        conflict,
        time_zones: time_zone_names(),
    }
}

/// A form that failed to save, shown again with what was typed.
fn refused(page: CoupleFormPage, status: StatusCode) -> Response {
    (status, page).into_response()
}

pub async fn new_form(State(state): State<AppState>, signed: SignedIn) -> CoupleFormPage {
    let tz = signed.counselor.timezone.to_string();
    let values = CoupleFormValues {
        intake_date: state.clock().now().date_naive().to_string(),
        involved_timezone: tz.clone(),
        hurt_timezone: tz,
        ..Default::default()
    };
    form_page(&signed, FormMode::New, values, FieldErrors::new(), None)
}

pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<CoupleFormValues>,
) -> Result<Response, AppError> {
    let new = match form.to_input().parse() {
        Ok(new) => new,
        Err(CoreError::Invalid(errors)) => {
            return Ok(refused(
                form_page(&signed, FormMode::New, form, errors, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let record = store::create(&state.db, state.clock(), &actor, signed.counselor.id, new).await?;
    Ok(Redirect::to(&format!("/couples/{}", record.couple.id)).into_response())
}

/// What the couple page says about the last action.
#[derive(Debug, Default)]
pub struct Feedback {
    pub notice: Option<String>,
    pub alert: Option<String>,
    pub kept_reason: KeptReason,
    pub focus: Option<Stage>,
    /// An assign form that was refused: what was typed, and what is wrong with it.
    pub assign: Option<(AssignFormValues, FieldErrors)>,
    /// Every past assignment, not only the latest (`?homework=all`).
    pub all_past_homework: bool,
}

/// Fixed notices after a redirect: the URL carries a key, never text.
fn notice_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "ratings" => "Marker ratings saved.",
        "unchanged" => "No ratings changed, so nothing new was recorded.",
        "completed" => "Stage confirmed complete.",
        "override" => "Gate overridden. The reason is kept in the couple's history.",
        "reopened" => "Stage reopened. The reason is kept in the couple's history.",
        "assigned" => "Homework assigned. Each partner sees it behind their homework link.",
        "link_sent" => "A new homework link is on its way by email. Earlier links still work.",
        "link_rotated" => {
            "Every earlier link of this partner stopped working; a new link is on its way by email."
        }
        "link_revoked" => {
            "Every homework link of this partner stopped working. Send a new link when they need one."
        }
        "pin_on" => {
            "A PIN is now required for this partner's link. They choose it on their next visit."
        }
        "pin_off" => {
            "A PIN is no longer required for this partner's link; the old PIN was forgotten."
        }
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowParams {
    done: String,
    stage: String,
    /// `all`: list every past assignment.
    homework: String,
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<CouplePage, AppError> {
    let id = parse_id(&couple_id)?;
    let params: ShowParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let feedback = Feedback {
        notice: notice_for(&params.done).map(str::to_owned),
        focus: Stage::from_key(&params.stage),
        all_past_homework: params.homework == "all",
        ..Default::default()
    };
    let page = couple_page(&state, &signed, id, feedback).await?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    state
        .views
        .record(
            state.clock(),
            &actor,
            Action::CoupleViewed,
            Some(Record::couple(id)),
        )
        .await?;
    // The check-in charts show what the partners answered.
    if !page.homework.charts.is_empty() {
        state
            .views
            .record(
                state.clock(),
                &actor,
                Action::ResponsesViewed,
                Some(Record::couple(id)),
            )
            .await?;
    }
    Ok(page)
}

/// The couple page for one of the counselor's couples (404 for anyone else's).
pub async fn couple_page(
    state: &AppState,
    signed: &SignedIn,
    id: uuid::Uuid,
    feedback: Feedback,
) -> Result<CouplePage, AppError> {
    let record = store::get(&state.db, signed.counselor.id, id).await?;
    let history = kintsugi_core::stages::store::history(&state.db, &record.couple).await?;
    let today = state.clock().now().date_naive();
    let tracker =
        crate::views::stages::tracker(&history, today, &feedback.kept_reason, feedback.focus);
    let homework = super::assignments::couple_homework(
        state,
        signed,
        &record,
        feedback.assign,
        feedback.all_past_homework,
    )
    .await?;
    let sessions = couple_sessions(state, signed, &record).await?;
    let c = &record.couple;
    let status_actions = match c.status {
        CoupleStatus::Active => vec![("paused", "Pause"), ("closed", "Close")],
        CoupleStatus::Paused => vec![("active", "Resume"), ("closed", "Close")],
        CoupleStatus::Closed => vec![("active", "Reopen as active")],
    };
    Ok(CouplePage {
        chrome: Chrome::new(signed, "caseload"),
        id: c.id.to_string(),
        label: c.label.clone(),
        status_key: c.status.key(),
        status_label: c.status.label(),
        open_agreement: c.open_agreement,
        intake: format_date(c.intake_date),
        disclosure: c.disclosure_date.map(format_date),
        partners: PartnerRole::BOTH
            .iter()
            .map(|role| {
                let p = record.partner(*role);
                PartnerView {
                    role_label: role.label(),
                    name: p.name.clone(),
                    email: p.email.to_string(),
                    timezone: p.timezone.to_string(),
                }
            })
            .collect(),
        tracker,
        status_actions,
        notice: feedback.notice,
        alert: feedback.alert,
        homework,
        sessions,
    })
}

/// The sessions panel: upcoming sessions first (soonest first), then the past (newest first).
async fn couple_sessions(
    state: &AppState,
    signed: &SignedIn,
    record: &CoupleRecord,
) -> Result<CoupleSessions, AppError> {
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let all = sessions::store::for_couple(&state.db, record.couple.id).await?;
    let notes =
        sessions::note_store::statuses(&state.db, all.iter().map(|s| s.id).collect()).await?;
    let rows: Vec<SessionRow> = all
        .iter()
        .map(|s| {
            let note = notes.get(&s.id).copied();
            SessionRow::new(s, &record.couple.label, note, tz, now)
        })
        .collect();
    let (mut upcoming, past): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.upcoming);
    upcoming.reverse();
    let today = now.with_timezone(&tz.tz()).date_naive();
    Ok(CoupleSessions {
        upcoming,
        past,
        report_from: record.couple.intake_date.min(today).to_string(),
        report_to: today.to_string(),
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(couple_id): Path<String>,
) -> Result<CoupleFormPage, AppError> {
    let id = parse_id(&couple_id)?;
    let record = store::get(&state.db, signed.counselor.id, id).await?;
    let values = CoupleFormValues::from_record(&record);
    Ok(form_page(
        &signed,
        FormMode::Edit { id: couple_id },
        values,
        FieldErrors::new(),
        None,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<CoupleFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    // Not this counselor's couple: 404 before anything else is said about the form.
    store::get(&state.db, signed.counselor.id, id).await?;
    let mode = || FormMode::Edit {
        id: couple_id.clone(),
    };
    let parsed = form.to_input().parse();
    let version: Result<i32, _> = form.version.trim().parse();
    let (new, version) = match (parsed, version) {
        (Ok(new), Ok(version)) => (new, version),
        (Err(CoreError::Invalid(errors)), _) => {
            return Ok(refused(
                form_page(&signed, mode(), form, errors, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        (Err(e), _) => return Err(e.into()),
        (Ok(_), Err(_)) => {
            let msg =
                "This form is missing its version. Reload the page and make your change again."
                    .to_owned();
            return Ok(refused(
                form_page(&signed, mode(), form, FieldErrors::new(), Some(msg)),
                StatusCode::CONFLICT,
            ));
        }
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    match store::update(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        version,
        new,
        None,
    )
    .await
    {
        Ok(_) => {}
        Err(CoreError::Conflict(msg)) => {
            return Ok(refused(
                form_page(&signed, mode(), form, FieldErrors::new(), Some(msg)),
                StatusCode::CONFLICT,
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/couples/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<StatusForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    store::get(&state.db, signed.counselor.id, id).await?;
    let status = CoupleStatus::from_key(&form.status)
        .ok_or_else(|| AppError::BadRequest("Choose active, paused or closed.".into()))?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    store::set_status(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        status,
    )
    .await?;
    Ok(Redirect::to(&format!("/couples/{id}")).into_response())
}
