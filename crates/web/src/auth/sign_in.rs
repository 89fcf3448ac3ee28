//! The signed-in counselor of a page request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kintsugi_core::access::sign_ins;
use kintsugi_core::entities::counselor;
use kintsugi_core::practice::Role;

use super::cookies;
use crate::error::AppError;
use crate::state::AppState;

/// A counselor with a valid browser session. Pages that take this redirect to sign-in when
/// there is none.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub counselor: counselor::Model,
    pub session_id: String,
    pub csrf_token: String,
}

impl SignedIn {
    pub fn is_admin(&self) -> bool {
        self.counselor.role == Role::Admin
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(signed) = parts.extensions.get::<SignedIn>() {
            return Ok(signed.clone());
        }
        let name = cookies::names(state.config.secure_cookies).session;
        let secret = cookies::read(&parts.headers, name).ok_or(AppError::Unauthorized)?;
        let limits = state
            .session_limits
            .current(&state.db, state.clock())
            .await?;
        let active = sign_ins::resume(&state.db, state.clock(), limits, &secret)
            .await?
            .ok_or(AppError::Unauthorized)?;
        // A counselor whom the practice requires to use two-factor sign-in reaches only the
        // enrolment page and sign-out until it is set up (checked on every request, so a
        // requirement switched on applies to sessions already open).
        if !super::totp::allowed_before_enrolment(parts.uri.path())
            && state
                .session_limits
                .must_enrol(&state.db, state.clock(), &active.counselor)
                .await?
        {
            return Err(AppError::MustEnrolTotp);
        }
        let signed = SignedIn {
            counselor: active.counselor,
            session_id: active.id,
            csrf_token: active.csrf_token,
        };
        if let Some(slot) = parts.extensions.get::<super::refusals::ActorSlot>() {
            slot.set(signed.counselor.id);
        }
        parts.extensions.insert(signed.clone());
        Ok(signed)
    }
}

/// A signed-in practice admin. Anyone else gets 404, as if the page did not exist.
#[derive(Debug, Clone)]
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed = SignedIn::from_request_parts(parts, state).await?;
        if signed.is_admin() {
            Ok(Admin(signed))
        } else {
            Err(AppError::NotFound)
        }
    }
}
