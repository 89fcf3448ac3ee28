//! Homework from the counselor's side: assign from the library on the couple page, change a
//! due date, cancel, read each assignee's responses and mark them reviewed with a comment;
//! send, rotate and revoke each partner's homework link and require a PIN for it. Everything
//! answers 404 for records that are not the counselor's own.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store::{self as couples, CoupleRecord};
use kintsugi_core::domain::TimeZone;
use kintsugi_core::homework::assignments::{self, AssignmentDetail, NewAssignment};
use kintsugi_core::homework::input::{AssigneesInput, AssignmentInput, DueInput};
use kintsugi_core::homework::library::{self, Exercise, LibraryFilter};
use kintsugi_core::homework::links::{self, SendLink};
use kintsugi_core::homework::{Recurrence, Visibility, checkins, link_visits};
use kintsugi_core::short_list::ShortList;
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;
use uuid::Uuid;

use super::couples::{Feedback, couple_page};
use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;
use crate::views::homework_review::{
    AssignFormValues, CoupleHomework, HomeworkSection, ReviewKept, ReviewPage, assign_form,
    chart_views, homework_lists, link_panel, local_inputs, response_views, when,
};
use crate::views::{Chrome, Errors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/couples/{couple_id}/assignments", post(assign))
        .route("/couples/{couple_id}/links/{role}", post(link_action))
        .route("/couples/{couple_id}/pin/{role}", post(set_pin))
        .route("/assignments/{assignment_id}", get(show))
        .route("/assignments/{assignment_id}/due", post(change_due))
        .route("/assignments/{assignment_id}/cancel", post(cancel))
        .route(
            "/assignments/{assignment_id}/responses/{response_id}/review",
            post(review),
        )
}

// ---------------------------------------------------------------------------------------------
// The homework part of the couple page.

/// The defaults of the assign form: due in a week at 20:00, as the exercise is written, read
/// by the counselor only, once.
pub(crate) fn default_assign(now: DateTime<Utc>, tz: TimeZone) -> AssignFormValues {
    let in_a_week = (now + chrono::Duration::days(7)).with_timezone(&tz.tz());
    AssignFormValues {
        assignees: "exercise".into(),
        due_date: in_a_week.format("%Y-%m-%d").to_string(),
        due_time: "20:00".into(),
        visibility: "counselor_only".into(),
        ..Default::default()
    }
}

/// Past assignments the couple page lists, newest first, before linking to the rest: a year of
/// weekly check-ins would otherwise put fifty forms on every view of the page.
const PAST_SHOWN: usize = 10;

/// Homework, links and charts for the couple page. `kept` is an assign form that was refused,
/// shown again with its errors.
pub async fn couple_homework(
    state: &AppState,
    signed: &SignedIn,
    record: &CoupleRecord,
    kept: Option<(AssignFormValues, FieldErrors)>,
    all_past: bool,
) -> Result<CoupleHomework, AppError> {
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let details = assignments::for_couple(&state.db, record).await?;
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let (values, errors) = kept.unwrap_or_else(|| (default_assign(now, tz), FieldErrors::new()));
    let (upcoming, past, cancelled) = homework_lists(&details, record, tz, now);
    let (past, past_hidden) = ShortList::new(PAST_SHOWN, all_past).cut(past);
    let mut links = Vec::new();
    for role in PartnerRole::BOTH {
        let p = record.partner(role);
        let live = links::live_count(&state.db, now, p.id).await?;
        links.push(link_panel(
            role,
            p,
            live,
            link_visits::paused_until(p, now),
            tz,
        ));
    }
    let series = checkins::scale_series(&state.db, record).await?;
    Ok(CoupleHomework {
        section: HomeworkSection {
            assign: assign_form(
                values,
                Errors(errors),
                &exercises,
                record.couple.current_stage,
                tz,
            ),
            upcoming,
            past,
            past_hidden,
            cancelled,
        },
        links,
        charts: chart_views(&series, record, tz),
    })
}

/// Back to the couple page at a section, with a fixed notice.
fn back_to_couple(couple_id: Uuid, notice: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/couples/{couple_id}?done={notice}#{anchor}")).into_response()
}

// ---------------------------------------------------------------------------------------------
// Assigning.

impl AssignFormValues {
    /// The form as core reads it: the due date and time in the counselor's zone.
    fn to_input(&self, zone: TimeZone) -> AssignmentInput {
        AssignmentInput {
            exercise_id: self.exercise_id.clone(),
            assignees: AssigneesInput::Choice(self.assignees.clone()),
            due: DueInput::Local {
                date: self.due_date.clone(),
                time: self.due_time.clone(),
                zone,
            },
            visibility: self.visibility.clone(),
            recurrence: (!self.recurrence.trim().is_empty())
                .then(|| (self.recurrence.clone(), self.recurrence_until.clone())),
        }
    }
}

/// The assign form read by core's rules, the exercise looked up in the counselor's library.
pub(crate) fn parse_assignment(
    form: &AssignFormValues,
    exercises: &[Exercise],
    tz: TimeZone,
    now: DateTime<Utc>,
) -> Result<NewAssignment, CoreError> {
    form.to_input(tz).parse(now, |id| {
        exercises
            .iter()
            .find(|e| e.model.id == id)
            .map(|e| e.model.recipient)
    })
}

/// The couple page again, with the assign form as typed and its errors.
async fn assign_refused(
    state: &AppState,
    signed: &SignedIn,
    couple_id: Uuid,
    form: AssignFormValues,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let feedback = Feedback {
        alert: Some(
            "The homework was not assigned: some details need your attention (see the Homework section). What you typed is kept."
                .into(),
        ),
        assign: Some((form, errors)),
        ..Default::default()
    };
    let page = couple_page(state, signed, couple_id, feedback).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn assign(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<AssignFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    // Not this counselor's couple: 404 before anything is said about the form.
    couples::get(&state.db, signed.counselor.id, id).await?;
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let new = match parse_assignment(&form, &exercises, tz, now) {
        Ok(new) => new,
        Err(CoreError::Invalid(errors)) => {
            return assign_refused(&state, &signed, id, form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    match assignments::assign(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        new,
    )
    .await
    {
        Ok(_) => Ok(back_to_couple(id, "assigned", "homework")),
        Err(CoreError::Invalid(errors)) => assign_refused(&state, &signed, id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// One assignment: read, review, change the due date, cancel.

fn review_notice(key: &str) -> Option<String> {
    Some(
        match key {
            "reviewed" => "Marked reviewed. Your comment, if any, is shown to the client.",
            "due" => "Due date changed.",
            "cancelled" => {
                "Assignment cancelled. The clients no longer see it; anything they wrote is kept."
            }
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneParams {
    done: String,
}

async fn review_page(
    state: &AppState,
    signed: &SignedIn,
    detail: &AssignmentDetail,
    kept: ReviewKept,
    notice: Option<String>,
) -> Result<ReviewPage, AppError> {
    let record = couples::get(&state.db, signed.counselor.id, detail.assignment.couple_id).await?;
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let a = &detail.assignment;
    let (due_date, due_time) = local_inputs(a.due_at, tz);
    Ok(ReviewPage {
        chrome: Chrome::new(signed, "caseload"),
        couple_id: record.couple.id.to_string(),
        couple_label: record.couple.label.clone(),
        id: a.id.to_string(),
        title: detail.exercise.model.title.clone(),
        exercise_id: detail.exercise.model.id.to_string(),
        due: when(a.due_at, tz),
        due_date: kept.due_date.clone().unwrap_or(due_date),
        due_time: kept.due_time.clone().unwrap_or(due_time),
        due_errors: kept.due_errors.clone(),
        time_zone: tz.name(),
        visibility_label: match a.visibility {
            Visibility::CounselorOnly => "Only you read the answers.",
            Visibility::Shareable => {
                "Each partner may choose to share their answers with the other."
            }
        },
        shareable: a.visibility == Visibility::Shareable,
        recurrence: a.recurrence.map(|r| {
            let every = match r {
                Recurrence::Daily => "Repeats daily",
                Recurrence::Weekly => "Repeats weekly",
            };
            match a.recurrence_until {
                Some(u) => format!("{every} until {}", crate::views::format_date(u)),
                None => every.to_owned(),
            }
        }),
        cancelled: a.cancelled_at.map(|t| when(t, tz)),
        responses: response_views(detail, &record, tz, now, &kept),
        notice,
        alert: kept.alert,
    })
}

async fn detail_of(
    state: &AppState,
    signed: &SignedIn,
    raw_id: &str,
) -> Result<AssignmentDetail, AppError> {
    let id = parse_id(raw_id)?;
    Ok(assignments::get(&state.db, signed.counselor.id, id).await?)
}

/// The assignment with each assignee's responses. Reading them is audited.
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<ReviewPage, AppError> {
    let detail = detail_of(&state, &signed, &assignment_id).await?;
    let params: DoneParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let page = review_page(
        &state,
        &signed,
        &detail,
        ReviewKept::default(),
        review_notice(&params.done),
    )
    .await?;
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(signed.counselor.id, ip.to_audit()),
            Action::ResponsesViewed,
            Some(Record::couple(detail.assignment.couple_id)),
        )
        .await?;
    Ok(page)
}

fn back_to_assignment(id: Uuid, notice: &str) -> Response {
    Redirect::to(&format!("/assignments/{id}?done={notice}")).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DueForm {
    due_date: String,
    due_time: String,
}

pub async fn change_due(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<DueForm>,
) -> Result<Response, AppError> {
    let detail = detail_of(&state, &signed, &assignment_id).await?;
    let id = detail.assignment.id;
    let due = DueInput::Local {
        date: form.due_date.clone(),
        time: form.due_time.clone(),
        zone: signed.counselor.timezone,
    }
    .parse(state.clock().now());
    let refused = |errors: FieldErrors, alert: Option<String>| ReviewKept {
        due_date: Some(form.due_date.clone()),
        due_time: Some(form.due_time.clone()),
        due_errors: Errors(errors),
        alert,
        ..Default::default()
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let moved = match due {
        Ok(due) => {
            assignments::change_due(
                &state.db,
                state.clock(),
                &actor,
                signed.counselor.id,
                id,
                due,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let (status, kept) = match moved {
        Ok(()) => return Ok(back_to_assignment(id, "due")),
        Err(CoreError::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, refused(errors, None))
        }
        Err(CoreError::Conflict(message)) => (
            StatusCode::CONFLICT,
            refused(FieldErrors::new(), Some(message)),
        ),
        Err(e) => return Err(e.into()),
    };
    let page = review_page(&state, &signed, &detail, kept, None).await?;
    Ok((status, page).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let detail = detail_of(&state, &signed, &assignment_id).await?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    assignments::cancel(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        detail.assignment.id,
    )
    .await?;
    Ok(back_to_assignment(detail.assignment.id, "cancelled"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    comment: String,
}

pub async fn review(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((assignment_id, response_id)): Path<(String, String)>,
    SignedInForm { signed, form }: SignedInForm<ReviewForm>,
) -> Result<Response, AppError> {
    let detail = detail_of(&state, &signed, &assignment_id).await?;
    let response_id = parse_id(&response_id)?;
    // A response of another assignment (even of the same couple) is not found here.
    if !detail.responses.iter().any(|(_, r)| r.id == response_id) {
        return Err(AppError::NotFound);
    }
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let result = assignments::review(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        response_id,
        &form.comment,
    )
    .await;
    let (status, kept) = match result {
        Ok(()) => return Ok(back_to_assignment(detail.assignment.id, "reviewed")),
        Err(CoreError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ReviewKept {
                response_id: Some(response_id),
                comment: form.comment,
                comment_error: errors.get("comment").map(|m| format!("The comment {m}.")),
                ..Default::default()
            },
        ),
        Err(CoreError::Conflict(message)) => (
            StatusCode::CONFLICT,
            ReviewKept {
                response_id: Some(response_id),
                comment: form.comment,
                alert: Some(message),
                ..Default::default()
            },
        ),
        Err(e) => return Err(e.into()),
    };
    let page = review_page(&state, &signed, &detail, kept, None).await?;
    Ok((status, page).into_response())
}

// ---------------------------------------------------------------------------------------------
// Homework links and PINs.

fn path_role(raw: &str) -> Result<PartnerRole, AppError> {
    PartnerRole::from_key(raw).ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    action: String,
}

/// Send a fresh link, rotate (every live link dies, one new link is sent) or revoke (every
/// live link dies). The link is built from the configured base URL and travels only by email.
pub async fn link_action(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((couple_id, role)): Path<(String, String)>,
    SignedInForm { signed, form }: SignedInForm<LinkForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, signed.counselor.id, id).await?;
    let role = path_role(&role)?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let action = form.action.trim();
    match action {
        "send" | "rotate" => {
            let expiry =
                links::expiry_for_practice(&state.db, signed.counselor.practice_id).await?;
            links::send(
                &state.db,
                state.clock(),
                &actor,
                SendLink {
                    counselor_id: signed.counselor.id,
                    couple_id: id,
                    role,
                    base_url: &state.config.base_url,
                    expiry,
                    rotate: action == "rotate",
                },
            )
            .await?;
        }
        "revoke" => {
            links::revoke(
                &state.db,
                state.clock(),
                &actor,
                signed.counselor.id,
                id,
                role,
            )
            .await?;
        }
        _ => {
            let feedback = Feedback {
                alert: Some(
                    "That link action is not one Kintsugi knows. Use the Send, Rotate or Revoke buttons."
                        .into(),
                ),
                ..Default::default()
            };
            let page = couple_page(&state, &signed, id, feedback).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    }
    let notice = match action {
        "send" => "link_sent",
        "rotate" => "link_rotated",
        _ => "link_revoked",
    };
    Ok(back_to_couple(id, notice, "links"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PinForm {
    required: String,
}

pub async fn set_pin(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((couple_id, role)): Path<(String, String)>,
    SignedInForm { signed, form }: SignedInForm<PinForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, signed.counselor.id, id).await?;
    let role = path_role(&role)?;
    let required = match form.required.trim() {
        "on" => true,
        "off" => false,
        _ => {
            let feedback = Feedback {
                alert: Some("Choose whether a PIN is required: use the PIN button.".into()),
                ..Default::default()
            };
            let page = couple_page(&state, &signed, id, feedback).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    link_visits::set_pin_required(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        role,
        required,
    )
    .await?;
    Ok(back_to_couple(
        id,
        if required { "pin_on" } else { "pin_off" },
        "links",
    ))
}
