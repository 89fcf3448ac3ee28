//! Forms posted behind a homework link carry the client session's CSRF token.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use kintsugi_core::access::secrets;
use kintsugi_core::homework::link_visits::LinkVisit;
use serde::de::DeserializeOwned;

use super::client::AnyClient;
use crate::error::AppError;
use crate::forms;
use crate::state::AppState;

/// A form from a partner's live session (PIN checked unless `T` is the PIN form itself: the
/// handler decides) with a valid token. The raw body is kept for repeated fields.
pub struct ClientForm<T> {
    pub session: LinkVisit,
    pub form: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ClientForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let AnyClient(session) = AnyClient::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let raw = crate::auth::csrf::read_body(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let presented = forms::field(&raw, "csrf").unwrap_or_default();
        if !secrets::same(&presented, &session.csrf_token) {
            return Err(AppError::Forbidden(
                "This page has expired. Go back, reload it and try again; what you saved is kept.",
            )
            .into_response());
        }
        let form = forms::parse(&raw).map_err(IntoResponse::into_response)?;
        Ok(ClientForm { session, form, raw })
    }
}
