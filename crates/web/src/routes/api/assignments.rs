//! Homework through the API: assign an exercise to one or both partners of a couple (once, or
//! daily or weekly until an end date), list a couple's homework with each assignee's status,
//! read one assignment with every assignee's response, move its due time, cancel it, and mark a
//! submitted response reviewed with a comment for the client.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store as couples;
use kintsugi_core::domain::{BoundedText, TimeZone};
use kintsugi_core::entities::counselor;
use kintsugi_core::homework::Recipient;
use kintsugi_core::homework::assignments::{self, AssignmentDetail, NewAssignment};
use kintsugi_core::homework::input::{AssigneesInput, AssignmentInput, DueInput};
use kintsugi_core::homework::responses::decode;
use kintsugi_core::{CoreError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::exercises::{ExerciseJson, exercise_json};
use super::json::ApiJson;
use super::paging::PageParams;
use super::query::ApiQuery;
use super::schema;
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update))
        .routes(routes!(cancel))
        .routes(routes!(review))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExerciseRefJson {
    pub id: String,
    pub title: String,
    pub stage: &'static str,
    /// `involved`, `hurt` or `both`.
    pub recipient: &'static str,
    pub builtin: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurrenceJson {
    /// `daily` or `weekly`.
    pub every: &'static str,
    /// The last day an occurrence may fall on.
    #[schema(format = Date)]
    pub until: String,
}

/// One assignee's response, without the answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeJson {
    /// `involved` or `hurt`.
    pub role: &'static str,
    /// The response's id (for `.../responses/{response_id}/review`).
    pub response_id: String,
    /// `assigned`, `draft`, `submitted` or `reviewed`.
    pub status: &'static str,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The client chose to let their partner read it (only on a `shareable` assignment).
    pub shared_with_partner: bool,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Your comment to the client, shown to them with their response.
    pub counselor_comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentJson {
    pub id: String,
    pub couple_id: String,
    pub exercise: ExerciseRefJson,
    pub due_at: DateTime<Utc>,
    /// `counselor_only` or `shareable`.
    pub visibility: &'static str,
    /// How the series this occurrence belongs to repeats; null for a one-off.
    pub recurrence: Option<RecurrenceJson>,
    /// Shared by every occurrence of one recurring assignment.
    #[schema(format = Uuid)]
    pub series_id: Option<String>,
    /// Set once cancelled: clients no longer see it; what they wrote is kept.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub assignees: Vec<AssigneeJson>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One assignee's response with the answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseJson {
    pub id: String,
    /// `involved` or `hurt`.
    pub role: &'static str,
    /// `assigned`, `draft`, `submitted` or `reviewed`.
    pub status: &'static str,
    /// Answers by prompt key: a number for a scale, text, or a list of choices. Null until the
    /// client submits: drafts stay the client's own.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub shared_with_partner: bool,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub counselor_comment: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentDetailJson {
    pub id: String,
    pub couple_id: String,
    /// The exercise with its prompts, so that answers can be read against them.
    pub exercise: ExerciseJson,
    pub due_at: DateTime<Utc>,
    /// `counselor_only` or `shareable`.
    pub visibility: &'static str,
    pub recurrence: Option<RecurrenceJson>,
    #[schema(format = Uuid)]
    pub series_id: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// One per assignee, the involved partner first.
    pub responses: Vec<ResponseJson>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentList {
    pub items: Vec<AssignmentJson>,
    /// The URL of the next page, or null on the last page.
    pub next: Option<String>,
    pub total: u64,
}

fn recurrence_json(d: &AssignmentDetail) -> Option<RecurrenceJson> {
    let a = &d.assignment;
    a.recurrence
        .zip(a.recurrence_until)
        .map(|(every, until)| RecurrenceJson {
            every: every.key(),
            until: until.to_string(),
        })
}

fn assignment_json(d: &AssignmentDetail) -> AssignmentJson {
    let a = &d.assignment;
    let e = &d.exercise;
    AssignmentJson {
        id: a.id.to_string(),
        couple_id: a.couple_id.to_string(),
        exercise: ExerciseRefJson {
            id: e.model.id.to_string(),
            title: e.model.title.clone(),
            stage: e.model.stage.key(),
            recipient: e.model.recipient.key(),
            builtin: e.is_builtin(),
        },
        due_at: a.due_at,
        visibility: a.visibility.key(),
        recurrence: recurrence_json(d),
        series_id: a.series_id.map(|s| s.to_string()),
        cancelled_at: a.cancelled_at,
        assignees: d
            .responses
            .iter()
            .map(|(role, r)| AssigneeJson {
                role: role.key(),
                response_id: r.id.to_string(),
                status: r.status.key(),
                submitted_at: r.submitted_at,
                shared_with_partner: r.shared_with_partner,
                reviewed_at: r.reviewed_at,
                counselor_comment: r.counselor_comment.clone(),
            })
            .collect(),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn detail_json(d: &AssignmentDetail) -> AssignmentDetailJson {
    let a = &d.assignment;
    AssignmentDetailJson {
        id: a.id.to_string(),
        couple_id: a.couple_id.to_string(),
        exercise: exercise_json(&d.exercise),
        due_at: a.due_at,
        visibility: a.visibility.key(),
        recurrence: recurrence_json(d),
        series_id: a.series_id.map(|s| s.to_string()),
        cancelled_at: a.cancelled_at,
        responses: d
            .responses
            .iter()
            .map(|(role, r)| ResponseJson {
                id: r.id.to_string(),
                role: role.key(),
                status: r.status.key(),
                answers: r.status.is_final().then(|| {
                    serde_json::to_value(decode(r.answers.as_deref())).unwrap_or_default()
                }),
                submitted_at: r.submitted_at,
                shared_with_partner: r.shared_with_partner,
                reviewed_at: r.reviewed_at,
                counselor_comment: r.counselor_comment.clone(),
                updated_at: r.updated_at,
            })
            .collect(),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    AppError::Invalid(errors)
}

/// A couple's homework, latest due first, with each assignee's status (no answers).
#[utoipa::path(
    get,
    path = "/api/v1/couples/{couple_id}/assignments",
    tag = "homework",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id"), PageParams),
    responses(
        (status = 200, description = "One page of the couple's assignments", body = AssignmentList),
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
) -> Result<Json<AssignmentList>, ApiError> {
    let id = parse_id(&couple_id)?;
    let couple = couples::get(&state.db, counselor.id, id).await?;
    let all = assignments::for_couple(&state.db, &couple).await?;
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(counselor.id, ip.to_audit()),
            Action::AssignmentsViewed,
            Some(Record::couple(id)),
        )
        .await?;
    let paging = params.paging();
    let (shown, more) = paging.cut(&all);
    Ok(Json(AssignmentList {
        items: shown.iter().map(assignment_json).collect(),
        next: paging.next(more, &format!("/api/v1/couples/{id}/assignments"), &[]),
        total: all.len() as u64,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceBody {
    /// `daily` or `weekly`.
    #[schema(schema_with = schema::recurrence)]
    pub every: String,
    /// The last day (`YYYY-MM-DD`, in `time_zone`) an occurrence may fall on, inclusive. At most
    /// 120 occurrences.
    #[schema(schema_with = schema::date)]
    pub until: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignmentBody {
    /// An exercise of your library (a built-in or your own).
    #[schema(schema_with = schema::uuid)]
    pub exercise_id: String,
    /// `involved`, `hurt`, or both: each assignee gets their own response.
    #[schema(schema_with = schema::assignees)]
    pub assignees: Vec<String>,
    /// When it is due: an RFC 3339 instant (`2026-05-01T19:00:00+02:00`), or a local date-time
    /// without offset (`2026-05-01T19:00`) read in `time_zone`. In the future, at most two
    /// years ahead.
    #[schema(schema_with = schema::due_at)]
    pub due_at: String,
    /// IANA time zone for a local `due_at` and for stepping recurrences (so that a weekly 19:00
    /// stays 19:00 across daylight-saving changes). Defaults to your own time zone.
    #[schema(schema_with = schema::or_null::time_zone)]
    pub time_zone: Option<String>,
    /// `counselor_only` (only you read the responses) or `shareable` (each client may choose
    /// to let their partner read theirs).
    #[schema(schema_with = schema::visibility)]
    pub visibility: String,
    /// Repeat daily or weekly until an end date; each occurrence is its own assignment.
    pub recurrence: Option<RecurrenceBody>,
}

/// The time zone of a body, or the counselor's own.
fn time_zone(
    raw: Option<&str>,
    counselor: &counselor::Model,
    errors: &mut FieldErrors,
) -> TimeZone {
    match raw {
        None => counselor.timezone,
        Some(raw) => errors
            .check("time_zone", TimeZone::parse(raw))
            .unwrap_or(counselor.timezone),
    }
}

/// A zone error and core's errors of the rest, in one answer.
fn with_zone_errors(zone_errors: FieldErrors, e: CoreError) -> AppError {
    match e {
        CoreError::Invalid(errors) => {
            let mut all = zone_errors;
            for (field, message) in errors.iter() {
                all.add(field, message);
            }
            rename_core_fields(CoreError::Invalid(all))
        }
        other => rename_core_fields(other),
    }
}

fn new_assignment(
    body: &NewAssignmentBody,
    counselor: &counselor::Model,
    now: DateTime<Utc>,
) -> Result<NewAssignment, AppError> {
    let mut zone_errors = FieldErrors::new();
    let zone = time_zone(body.time_zone.as_deref(), counselor, &mut zone_errors);
    let input = AssignmentInput {
        exercise_id: body.exercise_id.clone(),
        assignees: AssigneesInput::List(body.assignees.clone()),
        due: DueInput::Api {
            due_at: body.due_at.clone(),
            zone,
        },
        visibility: body.visibility.clone(),
        recurrence: body
            .recurrence
            .as_ref()
            .map(|r| (r.every.clone(), r.until.clone())),
    };
    // The API has no "as the exercise is written" choice; whether the exercise is in the
    // counselor's library is checked when assigning.
    let parsed = input.parse(now, |_| Some(Recipient::Both));
    match parsed {
        Ok(new) if zone_errors.is_empty() => Ok(new),
        Ok(_) => Err(AppError::Invalid(zone_errors)),
        Err(e) => Err(with_zone_errors(zone_errors, e)),
    }
}

/// Core names the recurrence end `recurrence_until`; the API nests it.
fn rename_core_fields(e: CoreError) -> AppError {
    match e {
        CoreError::Invalid(errors) => {
            let mut renamed = FieldErrors::new();
            for (field, message) in errors.iter() {
                let field = match field {
                    "recurrence_until" => "recurrence.until",
                    "recurrence" => "recurrence.every",
                    other => other,
                };
                renamed.add(field, message);
            }
            AppError::Invalid(renamed)
        }
        other => other.into(),
    }
}

/// Assign an exercise to one or both partners. Returns every assignment created: one per
/// occurrence of a recurrence.
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/assignments",
    tag = "homework",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    request_body = NewAssignmentBody,
    responses(
        (status = 201, description = "The assignments created, in due order", body = AssignmentList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiJson(body): ApiJson<NewAssignmentBody>,
) -> Result<(StatusCode, Json<AssignmentList>), ApiError> {
    let id = parse_id(&couple_id)?;
    let couple = couples::get(&state.db, counselor.id, id).await?;
    let new = new_assignment(&body, &counselor, state.clock().now())?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    let ids: HashSet<Uuid> =
        assignments::assign(&state.db, state.clock(), &actor, counselor.id, id, new)
            .await
            .map_err(rename_core_fields)?
            .into_iter()
            .collect();
    let mut created: Vec<AssignmentDetail> = assignments::for_couple(&state.db, &couple)
        .await?
        .into_iter()
        .filter(|d| ids.contains(&d.assignment.id))
        .collect();
    created.sort_by_key(|d| d.assignment.due_at);
    Ok((
        StatusCode::CREATED,
        Json(AssignmentList {
            total: created.len() as u64,
            items: created.iter().map(assignment_json).collect(),
            next: None,
        }),
    ))
}

/// One assignment with each assignee's response (answers once submitted).
#[utoipa::path(
    get,
    path = "/api/v1/assignments/{assignment_id}",
    tag = "homework",
    params(("assignment_id" = String, Path, format = Uuid, description = "The assignment's id")),
    responses(
        (status = 200, description = "The assignment with its responses", body = AssignmentDetailJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
) -> Result<Json<AssignmentDetailJson>, ApiError> {
    let id = parse_id(&assignment_id)?;
    let detail = assignments::get(&state.db, counselor.id, id).await?;
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(counselor.id, ip.to_audit()),
            Action::ResponsesViewed,
            Some(Record::couple(detail.assignment.couple_id)),
        )
        .await?;
    Ok(Json(detail_json(&detail)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentPatch {
    /// The new due time, as when assigning.
    #[schema(schema_with = schema::due_at)]
    pub due_at: String,
    /// IANA time zone for a local `due_at`; defaults to your own.
    #[schema(schema_with = schema::or_null::time_zone)]
    pub time_zone: Option<String>,
}

/// Move an assignment's due time.
#[utoipa::path(
    patch,
    path = "/api/v1/assignments/{assignment_id}",
    tag = "homework",
    params(("assignment_id" = String, Path, format = Uuid, description = "The assignment's id")),
    request_body = AssignmentPatch,
    responses(
        (status = 200, description = "The changed assignment", body = AssignmentJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The assignment was cancelled", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
    ApiJson(patch): ApiJson<AssignmentPatch>,
) -> Result<Json<AssignmentJson>, ApiError> {
    let id = parse_id(&assignment_id)?;
    // Not this counselor's assignment: 404 before anything is said about the body.
    assignments::get(&state.db, counselor.id, id).await?;
    let mut zone_errors = FieldErrors::new();
    let zone = time_zone(patch.time_zone.as_deref(), &counselor, &mut zone_errors);
    let due = DueInput::Api {
        due_at: patch.due_at.clone(),
        zone,
    }
    .parse(state.clock().now());
    let due = match due {
        Ok(due) if zone_errors.is_empty() => due,
        Ok(_) => return Err(AppError::Invalid(zone_errors).into()),
        Err(e) => return Err(with_zone_errors(zone_errors, e).into()),
    };
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    assignments::change_due(&state.db, state.clock(), &actor, counselor.id, id, due).await?;
    let changed = assignments::get(&state.db, counselor.id, id).await?;
    Ok(Json(assignment_json(&changed)))
}

/// Cancel an assignment: the clients no longer see it; anything already written is kept.
/// Cancelling twice changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/assignments/{assignment_id}/cancel",
    tag = "homework",
    params(("assignment_id" = String, Path, format = Uuid, description = "The assignment's id")),
    responses(
        (status = 200, description = "The cancelled assignment", body = AssignmentJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(assignment_id): Path<String>,
) -> Result<Json<AssignmentJson>, ApiError> {
    let id = parse_id(&assignment_id)?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    assignments::cancel(&state.db, state.clock(), &actor, counselor.id, id).await?;
    let cancelled = assignments::get(&state.db, counselor.id, id).await?;
    Ok(Json(assignment_json(&cancelled)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// A comment the client reads with their response (up to 4000 characters); empty or
    /// absent for none.
    #[schema(schema_with = schema::or_null::review_comment)]
    pub comment: Option<String>,
}

/// Mark a submitted response reviewed, optionally with a comment for the client. Reviewing
/// again replaces the comment.
#[utoipa::path(
    post,
    path = "/api/v1/assignments/{assignment_id}/responses/{response_id}/review",
    tag = "homework",
    params(
        ("assignment_id" = String, Path, format = Uuid, description = "The assignment's id"),
        ("response_id" = String, Path, format = Uuid, description = "The response's id"),
    ),
    request_body = ReviewBody,
    responses(
        (status = 200, description = "The assignment after the review", body = AssignmentJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment or response on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The response has not been submitted yet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The comment is too long", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn review(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path((assignment_id, response_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<AssignmentJson>, ApiError> {
    let id = parse_id(&assignment_id)?;
    let response_id = parse_id(&response_id)?;
    let detail = assignments::get(&state.db, counselor.id, id).await?;
    if !detail.responses.iter().any(|(_, r)| r.id == response_id) {
        return Err(AppError::NotFound.into());
    }
    let comment = body.comment.unwrap_or_default();
    if !comment.trim().is_empty() {
        BoundedText::<4000, true>::parse(&comment)
            .map_err(|e| invalid("comment", e.to_string()))?;
    }
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    assignments::review(
        &state.db,
        state.clock(),
        &actor,
        counselor.id,
        response_id,
        &comment,
    )
    .await?;
    let reviewed = assignments::get(&state.db, counselor.id, id).await?;
    Ok(Json(assignment_json(&reviewed)))
}
