//! CSRF protection for forms. Signed-in forms carry the session's own token; the sign-in form
//! carries a token that must match a cookie set when the form was shown. Both are checked in
//! constant time, and on top of that [`super::origin`] refuses cross-site requests outright.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use kintsugi_core::access::secrets;
use serde::de::DeserializeOwned;

use super::{SignedIn, cookies};
use crate::error::AppError;
use crate::forms;
use crate::state::AppState;

const REFUSED: &str =
    "This form has expired or did not come from Kintsugi. Go back, reload the page and try again.";

/// A form posted by a signed-in counselor with a valid CSRF token.
#[derive(Debug)]
pub struct SignedInForm<T> {
    pub signed: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for SignedInForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = read_body(Request::from_parts(parts, body), state).await?;
        let presented = forms::field(&bytes, "csrf").unwrap_or_default();
        if !secrets::same(&presented, &signed.csrf_token) {
            return Err(AppError::Forbidden(REFUSED));
        }
        Ok(SignedInForm {
            signed,
            form: forms::parse(&bytes)?,
        })
    }
}

/// A form posted before sign-in (the sign-in form itself), checked against the CSRF cookie.
#[derive(Debug)]
pub struct AnonForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for AnonForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let name = cookies::names(state.config.secure_cookies).login_csrf;
        let expected = cookies::read(req.headers(), name).ok_or(AppError::Forbidden(REFUSED))?;
        let bytes = read_body(req, state).await?;
        let presented = forms::field(&bytes, "csrf").unwrap_or_default();
        if expected.len() < 20 || !secrets::same(&presented, &expected) {
            return Err(AppError::Forbidden(REFUSED));
        }
        Ok(AnonForm(forms::parse(&bytes)?))
    }
}

/// The raw body of a form, with an oversize body answered as 413 like every other refusal.
pub(crate) async fn read_body(req: Request, state: &AppState) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("The form could not be read.".into())
        }
    })
}
