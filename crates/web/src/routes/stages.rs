//! Stage actions from the couple page: rate markers, confirm completion, override the gate,
//! reopen. A refused action shows the couple page again with the reason in words and with
//! anything typed kept.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::CoreError;
use kintsugi_core::audit::Actor;
use kintsugi_core::stages::store::{self, StageAction};
use kintsugi_core::stages::{Marker, Rating, Reason, Stage};
use serde::Deserialize;
use uuid::Uuid;

use super::couples::{Feedback, couple_page};
use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

/// After a successful action: back to the couple page, at the stage.
fn done(couple_id: Uuid, notice: &str, stage: Stage) -> Response {
    Redirect::to(&format!(
        "/couples/{couple_id}?done={notice}&stage={}#stage-{}",
        stage.key(),
        stage.key()
    ))
    .into_response()
}

/// A refused or invalid action: the couple page with the reason and the typed text.
async fn refused(
    state: &AppState,
    signed: &SignedIn,
    couple_id: Uuid,
    stage: Option<Stage>,
    kept_reason: Option<String>,
    error: CoreError,
) -> Result<Response, AppError> {
    let (status, message) = match error {
        CoreError::Refused { message, .. } => (StatusCode::CONFLICT, message),
        CoreError::Invalid(errors) => {
            let text: Vec<String> = errors
                .iter()
                .map(|(field, msg)| format!("{} {msg}.", field_name(field)))
                .collect();
            (StatusCode::UNPROCESSABLE_ENTITY, text.join(" "))
        }
        other => return Err(other.into()),
    };
    let feedback = Feedback {
        alert: Some(message),
        kept_reason: stage.zip(kept_reason),
        focus: stage,
        ..Default::default()
    };
    let page = couple_page(state, signed, couple_id, feedback).await?;
    Ok((status, page).into_response())
}

fn field_name(field: &str) -> String {
    match field {
        "reason" => "The reason".to_owned(),
        "ratings" => "Ratings".to_owned(),
        other => other.replace('_', " "),
    }
}

fn path_stage(raw: &str) -> Result<Stage, AppError> {
    Ok(Stage::from_path(raw)?)
}

async fn act(
    state: &AppState,
    signed: &SignedIn,
    ip: ClientIp,
    couple_id: Uuid,
    action: StageAction,
) -> Result<store::Acted, CoreError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    store::act(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        couple_id,
        action,
    )
    .await
}

/// The `marker.<key>` ratings of a form (the error is an unknown marker or rating, for the
/// form to explain). Core records only those that differ from the current ones.
pub fn form_ratings(form: &HashMap<String, String>) -> Result<Vec<(Marker, Rating)>, CoreError> {
    let mut ratings = Vec::new();
    for (field, value) in form {
        let Some(key) = field.strip_prefix("marker.") else {
            continue;
        };
        let (Some(marker), Some(rating)) = (Marker::from_key(key), Rating::from_key(value)) else {
            return Err(CoreError::invalid(
                "ratings",
                "name a marker or rating that does not exist; reload the page and try again",
            ));
        };
        ratings.push((marker, rating));
    }
    ratings.sort_by_key(|(m, _)| *m);
    Ok(ratings)
}

/// `marker.<key>` fields with a rating each; only ratings that differ from the current ones
/// are recorded, so the history shows changes.
pub async fn rate(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    kintsugi_core::couples::store::get(&state.db, signed.counselor.id, id).await?;
    let stage = form.get("stage").and_then(|s| Stage::from_key(s));
    let ratings = match form_ratings(&form) {
        Ok(ratings) => ratings,
        Err(error) => return refused(&state, &signed, id, stage, None, error).await,
    };

    let focus = stage
        .or_else(|| ratings.first().map(|(m, _)| m.stage()))
        .unwrap_or(Stage::Admission);
    if ratings.is_empty() {
        return Ok(done(id, "unchanged", focus));
    }
    match act(
        &state,
        &signed,
        ip,
        id,
        StageAction::Rate {
            ratings,
            session_id: None,
        },
    )
    .await
    {
        Ok(acted) if acted.recorded == 0 => Ok(done(id, "unchanged", focus)),
        Ok(_) => Ok(done(id, "ratings", focus)),
        Err(e) => refused(&state, &signed, id, Some(focus), None, e).await,
    }
}

pub async fn complete(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((couple_id, stage)): Path<(String, String)>,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let stage = path_stage(&stage)?;
    match act(&state, &signed, ip, id, StageAction::Complete(stage)).await {
        Ok(_) => Ok(done(id, "completed", stage)),
        Err(e) => refused(&state, &signed, id, Some(stage), None, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

pub async fn override_gate(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((couple_id, stage)): Path<(String, String)>,
    SignedInForm { signed, form }: SignedInForm<ReasonForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let stage = path_stage(&stage)?;
    let result = match Reason::parse(&form.reason) {
        Ok(reason) => {
            act(
                &state,
                &signed,
                ip,
                id,
                StageAction::OverrideGate { stage, reason },
            )
            .await
        }
        Err(e) => {
            kintsugi_core::couples::store::get(&state.db, signed.counselor.id, id).await?;
            Err(CoreError::invalid("reason", e.0))
        }
    };
    match result {
        Ok(_) => Ok(done(id, "override", stage)),
        Err(e) => refused(&state, &signed, id, Some(stage), Some(form.reason), e).await,
    }
}

pub async fn reopen(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((couple_id, stage)): Path<(String, String)>,
    SignedInForm { signed, form }: SignedInForm<ReasonForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let stage = path_stage(&stage)?;
    let result = match Reason::parse(&form.reason) {
        Ok(reason) => {
            act(
                &state,
                &signed,
                ip,
                id,
                StageAction::Reopen { stage, reason },
            )
            .await
        }
        Err(e) => {
            kintsugi_core::couples::store::get(&state.db, signed.counselor.id, id).await?;
            Err(CoreError::invalid("reason", e.0))
        }
    };
    match result {
        Ok(_) => Ok(done(id, "reopened", stage)),
        Err(e) => refused(&state, &signed, id, Some(stage), Some(form.reason), e).await,
    }
}
