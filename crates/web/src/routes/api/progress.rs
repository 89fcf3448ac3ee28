//! A couple's recovery progress through the API: read it, rate markers, confirm completion,
//! override the gate, reopen a stage. Refusals are 409 problems whose `blocking` lists the
//! marker or stage keys in the way; unknown marker or rating keys are 422, and a stage
//! key in the address that names no stage is 404, as on the pages.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use kintsugi_core::FieldErrors;
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store as couples;
use kintsugi_core::stages::store::{self, StageAction, StageHistory};
use kintsugi_core::stages::{Marker, Rating, Reason, Stage, StageStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::json::ApiJson;
use super::query::StageKey;
use super::schema;
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkerJson {
    pub key: &'static str,
    /// `not_yet`, `emerging`, `consistent` or `not_applicable`.
    pub rating: &'static str,
    /// When the latest rating was recorded; null if never rated.
    pub rated_at: Option<DateTime<Utc>>,
    pub applies: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageJson {
    pub key: &'static str,
    pub number: u8,
    pub name: &'static str,
    /// `not_started`, `in_progress` or `complete`.
    pub status: &'static str,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub markers: Vec<MarkerJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GateJson {
    /// Stages 4 to 6 may be worked on.
    pub open: bool,
    /// The gate was opened by an override with a written reason.
    pub overridden: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressJson {
    /// Key of the first stage not complete; null once all six are complete.
    pub current_stage: Option<&'static str>,
    pub gate: GateJson,
    pub stages: Vec<StageJson>,
}

fn progress_json(h: &StageHistory) -> ProgressJson {
    let p = &h.progress;
    ProgressJson {
        current_stage: p.current_stage().map(|s| s.key()),
        gate: GateJson {
            open: p.gate_open(),
            overridden: p.gate_overridden(),
        },
        stages: Stage::ALL
            .iter()
            .map(|&stage| {
                let row = h.row(stage);
                StageJson {
                    key: stage.key(),
                    number: stage.number(),
                    name: stage.name(),
                    status: match p.status(stage) {
                        StageStatus::NotStarted => "not_started",
                        StageStatus::InProgress => "in_progress",
                        StageStatus::Complete => "complete",
                    },
                    started_at: row.and_then(|r| r.started_at),
                    completed_at: row.and_then(|r| r.completed_at),
                    markers: stage
                        .markers()
                        .map(|m| MarkerJson {
                            key: m.key(),
                            rating: p.rating(m).key(),
                            rated_at: h.latest.get(&m).map(|r| r.rated_at),
                            applies: m.applies(p.open_agreement),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

async fn current(
    state: &AppState,
    counselor_id: Uuid,
    couple_id: Uuid,
) -> Result<ProgressJson, AppError> {
    let record = couples::get(&state.db, counselor_id, couple_id).await?;
    let history = store::history(&state.db, &record.couple).await?;
    Ok(progress_json(&history))
}

/// Stages in order with status, dates and each marker's latest rating.
#[utoipa::path(
    get,
    path = "/api/v1/couples/{couple_id}/progress",
    tag = "stages",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    responses(
        (status = 200, description = "The couple's progress", body = ProgressJson),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
) -> Result<Json<ProgressJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    let json = current(&state, counselor.id, id).await?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    state
        .views
        .record(
            state.clock(),
            &actor,
            Action::ProgressViewed,
            Some(Record::couple(id)),
        )
        .await?;
    Ok(Json(json))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// A marker key, e.g. `full_acknowledgement`.
    #[schema(schema_with = schema::marker)]
    pub marker: String,
    /// `not_yet`, `emerging`, `consistent` or `not_applicable`.
    #[schema(schema_with = schema::rating)]
    pub rating: String,
    /// The session the rating comes from (optional; one session for all ratings of a request).
    #[schema(schema_with = schema::or_null::uuid)]
    pub session_id: Option<String>,
}

/// The body of a rating request: 1 to 100 ratings (`Vec<RatingBody>` on the wire).
pub struct RatingList;

impl utoipa::PartialSchema for RatingList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(<RatingBody as utoipa::PartialSchema>::schema())
            .min_items(Some(1))
            .max_items(Some(100))
            .into()
    }
}

impl ToSchema for RatingList {}

async fn perform(
    state: &AppState,
    counselor_id: Uuid,
    ip: ClientIp,
    couple_id: Uuid,
    action: StageAction,
) -> Result<Json<ProgressJson>, ApiError> {
    let actor = Actor::counselor(counselor_id, ip.to_audit());
    store::act(
        &state.db,
        state.clock(),
        &actor,
        counselor_id,
        couple_id,
        action,
    )
    .await?;
    Ok(Json(current(state, counselor_id, couple_id).await?))
}

/// Rate one or more markers. Each rating that changes a marker is kept with its time, session
/// and rater; a rating equal to the current one records nothing (as on the pages).
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/markers",
    tag = "stages",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    request_body = RatingList,
    responses(
        (status = 200, description = "The progress after rating", body = ProgressJson),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A rule forbids it (gate closed, stage complete)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown marker or rating", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rate(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiJson(body): ApiJson<Vec<RatingBody>>,
) -> Result<Json<ProgressJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let mut errors = FieldErrors::new();
    let mut ratings = Vec::new();
    let mut sessions = Vec::new();
    if body.is_empty() {
        errors.add("body", "must list at least one rating");
    }
    if body.len() > 100 {
        errors.add("body", "must list at most 100 ratings");
    }
    for (i, r) in body.iter().enumerate() {
        let marker = errors.check(
            &format!("[{i}].marker"),
            Marker::from_key(&r.marker).ok_or("is not a marker key"),
        );
        let rating = errors.check(
            &format!("[{i}].rating"),
            Rating::from_key(&r.rating).ok_or("must be not_yet, emerging or consistent"),
        );
        let session = r
            .session_id
            .as_deref()
            .map(|s| Uuid::parse_str(s).map_err(|_| "must be a UUID"));
        if let Some(session) = session.and_then(|s| errors.check(&format!("[{i}].session_id"), s)) {
            sessions.push(session);
        }
        if let (Some(m), Some(r)) = (marker, rating) {
            ratings.push((m, r));
        }
    }
    sessions.dedup();
    if sessions.len() > 1 {
        errors.add(
            "session_id",
            "all ratings of one request must come from the same session",
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let action = StageAction::Rate {
        ratings,
        session_id: sessions.first().copied(),
    };
    perform(&state, counselor.id, ip, id, action).await
}

fn api_stage(raw: &str) -> Result<Stage, AppError> {
    Ok(Stage::from_path(raw)?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why: kept in the couple's history, the audit log and the progress report (up to 2000
    /// characters).
    #[schema(schema_with = schema::reason)]
    pub reason: String,
}

/// A couple's stage in the path. The stage is checked by the handler (422, not 404).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct StagePath {
    /// The couple's id
    #[param(format = Uuid)]
    couple_id: String,
    /// Stage key.
    #[param(value_type = StageKey, inline)]
    stage: String,
}

fn reason(body: &ReasonBody) -> Result<Reason, AppError> {
    Reason::parse(&body.reason).map_err(|e| {
        let mut errors = FieldErrors::new();
        errors.add("reason", e.0);
        AppError::Invalid(errors)
    })
}

/// Confirm a stage complete (every applicable marker must be consistent).
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/stages/{stage}/complete",
    tag = "stages",
    params(StagePath),
    responses(
        (status = 200, description = "The progress after completion", body = ProgressJson),
        (status = 409, description = "Markers not consistent, earlier stages open, or the gate closed; `blocking` names them", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload, or no such stage", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(StagePath { couple_id, stage }): Path<StagePath>,
) -> Result<Json<ProgressJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let stage = api_stage(&stage)?;
    perform(&state, counselor.id, ip, id, StageAction::Complete(stage)).await
}

/// Override the gate to stages 4 to 6 with a written reason.
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/stages/{stage}/override",
    tag = "stages",
    params(StagePath),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The progress after the override", body = ProgressJson),
        (status = 404, description = "No such couple on your caseload, or no such stage", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a gated stage, or the gate is already open", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn override_gate(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(StagePath { couple_id, stage }): Path<StagePath>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<ProgressJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let stage = api_stage(&stage)?;
    let reason = reason(&body)?;
    perform(
        &state,
        counselor.id,
        ip,
        id,
        StageAction::OverrideGate { stage, reason },
    )
    .await
}

/// Reopen a completed stage with a written reason; history is kept.
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/stages/{stage}/reopen",
    tag = "stages",
    params(StagePath),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The progress after reopening", body = ProgressJson),
        (status = 404, description = "No such couple on your caseload, or no such stage", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The stage is not complete", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reopen(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(StagePath { couple_id, stage }): Path<StagePath>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<ProgressJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    couples::get(&state.db, counselor.id, id).await?;
    let stage = api_stage(&stage)?;
    let reason = reason(&body)?;
    perform(
        &state,
        counselor.id,
        ip,
        id,
        StageAction::Reopen { stage, reason },
    )
    .await
}
