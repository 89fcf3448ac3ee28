//! The counselor's outbox: every email sent on their behalf, its state, attempts and last
//! error (never the body), and a retry button for failed ones.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kintsugi_core::reminders::outbox::{self, OutboxStatus};

use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::request::parse_id;
use crate::state::AppState;
use crate::views::Chrome;
use crate::views::outbox::{OutboxPage, OutboxRow};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(show))
        .route("/outbox/{message_id}/retry", post(retry))
}

use crate::time_format::compact as when;

pub async fn show(State(state): State<AppState>, signed: SignedIn) -> Result<OutboxPage, AppError> {
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let rows = outbox::for_counselor(&state.db, signed.counselor.id, 200, 0)
        .await?
        .into_iter()
        .map(|m| OutboxRow {
            id: m.id.to_string(),
            kind: outbox::kind_label(&m.kind),
            recipient: m.recipient,
            created: when(m.created_at, tz),
            status: m.status,
            sent: m.sent_at.map(|t| when(t, tz)),
            next_try: (m.status == OutboxStatus::Pending && m.attempts > 0)
                .then(|| when(m.scheduled_at, tz)),
            // Reminders and emails held for the recipient's waking hours.
            goes_out: (m.status == OutboxStatus::Pending
                && m.attempts == 0
                && m.scheduled_at > now)
                .then(|| when(m.scheduled_at, tz)),
            attempts: m.attempts,
            last_error: m.last_error.map(|e| e.chars().take(200).collect()),
            failed: m.status == OutboxStatus::Failed,
        })
        .collect();
    Ok(OutboxPage {
        chrome: Chrome::new(&signed, "outbox"),
        rows,
    })
}

pub async fn retry(
    State(state): State<AppState>,
    Path(message_id): Path<String>,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let id = parse_id(&message_id)?;
    outbox::retry(&state.db, signed.counselor.id, id, state.clock().now()).await?;
    Ok(Redirect::to("/outbox").into_response())
}
