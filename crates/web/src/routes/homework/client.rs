//! The partner behind a homework-link session cookie.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::homework::link_visits::{self, LinkVisit};

use crate::auth::cookies;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::homework::ClosedPage;

/// The cookie that carries a partner's session, valid only under `/h`.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Secure-kintsugi_h"
    } else {
        "kintsugi_h"
    }
}

/// A partner with a live session who has passed the PIN check where one is required.
#[derive(Debug, Clone)]
pub struct Client(pub LinkVisit);

/// A live session, PIN or not (for the PIN page itself).
#[derive(Debug, Clone)]
pub struct AnyClient(pub LinkVisit);

pub enum ClientRejection {
    Closed,
    NeedsPin,
    Error(AppError),
}

impl IntoResponse for ClientRejection {
    fn into_response(self) -> Response {
        match self {
            ClientRejection::Closed => ClosedPage::session_ended().into_response(),
            ClientRejection::NeedsPin => Redirect::to("/h/pin").into_response(),
            ClientRejection::Error(e) => e.into_response(),
        }
    }
}

async fn session(parts: &Parts, state: &AppState) -> Result<LinkVisit, ClientRejection> {
    let secret = cookies::read(&parts.headers, cookie_name(state.config.secure_cookies))
        .ok_or(ClientRejection::Closed)?;
    link_visits::resume(&state.db, state.clock(), &secret)
        .await
        .map_err(|e| ClientRejection::Error(e.into()))?
        .ok_or(ClientRejection::Closed)
}

impl FromRequestParts<AppState> for AnyClient {
    type Rejection = ClientRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        session(parts, state).await.map(AnyClient)
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = ClientRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let s = session(parts, state).await?;
        if s.needs_pin() {
            return Err(ClientRejection::NeedsPin);
        }
        Ok(Client(s))
    }
}
