//! `GET /api/v1/outbox`: the counselor's outgoing messages and their states, never the body.

use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};
use kintsugi_core::FieldErrors;
use kintsugi_core::reminders::outbox;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessageJson {
    pub id: String,
    /// The kind of message: `homework_link`, `homework_assigned`, `homework_due_soon`,
    /// `homework_overdue`, `session_reminder` or `counselor_digest`.
    pub kind: String,
    pub recipient: String,
    /// `pending` (waiting for `scheduled_at`), `sending`, `sent` or `failed`.
    pub status: &'static str,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub scheduled_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxMessageJson>,
    /// The URL of the next page, or null on the last page.
    pub next: Option<String>,
}

const PER_PAGE: u64 = 50;

/// Your outgoing messages, newest first, 50 a page (`?page=2`).
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    tag = "email",
    params(("page" = Option<u64>, Query, minimum = 1, maximum = 100_000, description = "1-based page number")),
    responses(
        (status = 200, description = "One page of messages", body = OutboxList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    RawQuery(raw): RawQuery,
) -> Result<Json<OutboxList>, ApiError> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
            .map_err(|_| AppError::BadRequest("The query string could not be read.".into()))?;
    let mut errors = FieldErrors::new();
    let mut page = 1;
    for (k, v) in &params {
        match k.as_str() {
            "page" => match v.parse::<u64>() {
                Ok(n) if (1..=100_000).contains(&n) => page = n,
                _ => errors.add("page", "must be a whole number from 1 to 100000"),
            },
            other => errors.add(other, "is not a known parameter"),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let rows = outbox::for_counselor(&state.db, counselor.id, PER_PAGE + 1, (page - 1) * PER_PAGE)
        .await
        .map_err(AppError::from)?;
    let more = rows.len() as u64 > PER_PAGE;
    let items = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|m| OutboxMessageJson {
            id: m.id.to_string(),
            kind: m.kind,
            recipient: m.recipient,
            status: m.status.key(),
            attempts: m.attempts,
            last_error: m.last_error,
            scheduled_at: m.scheduled_at,
            sent_at: m.sent_at,
            message_id: m.message_id,
            created_at: m.created_at,
        })
        .collect();
    Ok(Json(OutboxList {
        items,
        next: more.then(|| format!("/api/v1/outbox?page={}", page + 1)),
    }))
}
