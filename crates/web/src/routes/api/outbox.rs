//! `GET /api/v1/outbox`: the counselor's outgoing messages and their states, never the body.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use kintsugi_core::reminders::outbox;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::paging::Paging;
use super::query::{ApiQuery, Bounded};
use crate::auth::ApiCounselor;
use crate::error::ApiError;
use crate::state::AppState;

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

/// The outbox comes 50 messages a page; only the page is chosen.
const PER_PAGE: u64 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// 1-based page number.
    #[param(inline)]
    page: Option<OutboxPage>,
}

/// `?page=`: 1 to 100,000 (5 million messages back).
type OutboxPage = Bounded<1, 100_000>;

/// Your outgoing messages, newest first, 50 a page (`?page=2`).
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    tag = "email",
    params(OutboxParams),
    responses(
        (status = 200, description = "One page of messages", body = OutboxList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ApiQuery(params): ApiQuery<OutboxParams>,
) -> Result<Json<OutboxList>, ApiError> {
    let paging = Paging {
        page: params.page.map_or(1, |p| p.0),
        per_page: PER_PAGE,
    };
    // One more than a page, to learn whether another follows.
    let rows =
        outbox::for_counselor(&state.db, counselor.id, PER_PAGE + 1, paging.offset()).await?;
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
        // `per_page` is not a parameter here, so the link names only the page.
        next: more.then(|| format!("/api/v1/outbox?page={}", paging.page + 1)),
    }))
}
