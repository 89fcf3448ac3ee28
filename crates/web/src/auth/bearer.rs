//! The counselor behind an API request's `Authorization: Bearer` token.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use kintsugi_core::access::api_tokens;
use kintsugi_core::entities::counselor;

use crate::error::{ApiError, AppError};
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct ApiCounselor(pub counselor::Model);

impl FromRequestParts<AppState> for ApiCounselor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        let counselor = api_tokens::authenticate(&state.db, token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        if let Some(slot) = parts.extensions.get::<super::refusals::ActorSlot>() {
            slot.set(counselor.id);
        }
        // A token is no way around the practice's two-factor requirement: until the counselor
        // has set it up (on the pages, which lead there), the API refuses with 403.
        if state
            .session_limits
            .must_enrol(&state.db, state.clock(), &counselor)
            .await?
        {
            return Err(AppError::MustEnrolTotp.into());
        }
        Ok(ApiCounselor(counselor))
    }
}
