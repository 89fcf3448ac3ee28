//! Confirming who signs a note: the password again, or a TOTP code when two-factor sign-in is
//! on. Both the session page and the API check it here, under the same throttles: codes in
//! their own buckets, and wrong passwords against the sign-in tries of the account and the
//! address (right ones do not count, so signing a day's notes is never slowed).

use std::net::IpAddr;

use kintsugi_core::CoreError;
use kintsugi_core::sessions::note_store::{self, Confirmed};
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

/// What the counselor gave to confirm the signature.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    Password(&'a str),
    Code(&'a str),
}

/// The signer checked. The outer error is a throttle's 429; the inner result is the check
/// itself, for the caller to show (`CoreError::Invalid` names the field that did not match).
pub async fn confirm(
    state: &AppState,
    counselor_id: Uuid,
    email: &str,
    ip: Option<IpAddr>,
    proof: Proof<'_>,
) -> Result<Result<Confirmed, CoreError>, AppError> {
    let too_many = |wait: std::time::Duration| AppError::TooManyRequests {
        retry_after_secs: wait.as_secs().max(1),
    };
    match proof {
        Proof::Code(code) => {
            state
                .throttle
                .attempt_code(counselor_id, ip)
                .await?
                .map_err(too_many)?;
            Ok(
                note_store::confirm_signer_with_code(&state.db, state.clock(), counselor_id, code)
                    .await,
            )
        }
        Proof::Password(password) => {
            state
                .throttle
                .password_blocked(email, ip)
                .await?
                .map_err(too_many)?;
            let checked = note_store::confirm_signer(&state.db, counselor_id, password).await;
            if matches!(checked, Err(CoreError::Invalid(_))) {
                state
                    .throttle
                    .password_missed(email, ip)
                    .await?
                    .map_err(too_many)?;
            }
            Ok(checked)
        }
    }
}
