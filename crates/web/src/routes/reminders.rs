//! Reminder opt-out pages reached from client emails: `/reminders/opt-out/{token}`.
//!
//! - GET shows what the link does and changes nothing: mail scanners and link previews open
//!   links, and must not turn anyone's reminders off.
//! - POST turns reminders off: the button on that page, and RFC 8058 one-click unsubscribe
//!   (the mail program posts `List-Unsubscribe=One-Click`). The same page offers to turn them
//!   back on (`action=resume`).
//!
//! The token is signed (see `kintsugi_core::reminders::opt_out`); a forged or truncated one
//! gets a kind page. Like the pages behind a homework link, these send
//! `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, and logs name the route,
//! never the token.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kintsugi_core::reminders::opt_out;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::request::ClientIp;
use crate::state::AppState;

pub const OPT_OUT_PATH: &str = "/reminders/opt-out/{token}";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(OPT_OUT_PATH, get(show).post(change))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutState {
    /// Reminders are on: offer to turn them off.
    Ask,
    /// Reminders are off (just now, or already): offer to turn them back on.
    Off,
    /// Turned back on just now.
    Resumed,
    /// The link is not genuine.
    Invalid,
}

#[derive(Template, WebTemplate)]
#[template(path = "reminders/opt_out.html")]
pub struct OptOutPage {
    pub heading: &'static str,
    pub state: OptOutState,
    pub action: String,
}

fn page(state: OptOutState, token: &str) -> Response {
    let heading = match state {
        OptOutState::Ask => "Stop reminder emails?",
        OptOutState::Off => "Reminder emails are off",
        OptOutState::Resumed => "Reminder emails are on",
        OptOutState::Invalid => "This link does not work",
    };
    let status = if state == OptOutState::Invalid {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let action = format!("/reminders/opt-out/{token}");
    (
        status,
        OptOutPage {
            heading,
            state,
            action,
        },
    )
        .into_response()
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(partner) = opt_out::partner_for(&state.db, state.clock(), &token).await? else {
        return Ok(page(OptOutState::Invalid, ""));
    };
    Ok(page(
        if partner.reminders_opt_out {
            OptOutState::Off
        } else {
            OptOutState::Ask
        },
        &token,
    ))
}

pub async fn change(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(partner) = opt_out::partner_for(&state.db, state.clock(), &token).await? else {
        return Ok(page(OptOutState::Invalid, ""));
    };
    // Only our own page's button turns reminders back on; any other POST (one-click from a
    // mail program, whatever its body) turns them off.
    let resume = crate::forms::field(&body, "action").as_deref() == Some("resume");
    if resume {
        opt_out::opt_in(&state.db, state.clock(), partner.id, ip.to_audit()).await?;
        return Ok(page(OptOutState::Resumed, &token));
    }
    opt_out::opt_out(&state.db, state.clock(), partner.id, ip.to_audit()).await?;
    Ok(page(OptOutState::Off, &token))
}
