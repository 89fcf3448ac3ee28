//! The counselor's own settings: profile, password (changing it ends every session), signing
//! out everywhere, and API tokens.

use axum::extract::State;
use kintsugi_core::access::api_tokens;
use kintsugi_core::audit::{self, Action, Actor};
use kintsugi_core::practice::Role;

use crate::app::AppState;
use crate::auth::Signed;
use crate::auth::csrf::SignedForm;
use crate::error::AppError;
use crate::request::ClientIp;
use crate::views::{Chrome, Errors};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use kintsugi_core::FieldErrors;
use kintsugi_core::access::browser_sessions;
use kintsugi_core::domain::Password;
use kintsugi_core::practice::counselors;
use serde::Deserialize;

use crate::auth::cookies;
use crate::views::settings::SettingsPage;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/password", post(change_password))
        .route("/settings/sign-out-everywhere", post(sign_out_everywhere))
}

fn page(signed: &Signed, new_token: Option<String>) -> SettingsPage {
    SettingsPage {
        chrome: Chrome::new(signed, "settings"),
        email: signed.counselor.email.to_string(),
        role: match signed.counselor.role {
            Role::Admin => "Practice admin",
            Role::Counselor => "Counselor",
        },
        timezone: signed.counselor.timezone.to_string(),
        new_token,
        password_errors: Errors::default(),
        notice: None,
    }
}

pub async fn show(signed: Signed) -> SettingsPage {
    page(&signed, None)
}

pub async fn create_api_token(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedForm { signed, .. }: SignedForm<serde::de::IgnoredAny>,
) -> Result<SettingsPage, AppError> {
    let token = api_tokens::create(
        &state.db,
        state.clock(),
        signed.counselor.id,
        "settings page",
    )
    .await?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    audit::record(
        &state.db,
        state.clock(),
        &actor,
        Action::ApiTokenCreated,
        None,
    )
    .await?;
    Ok(page(&signed, Some(token)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

/// Every session of this counselor ended: back to the sign-in page, this cookie cleared.
fn to_sign_in(state: &AppState) -> Response {
    let mut response = Redirect::to("/login").into_response();
    let secure = state.config.secure_cookies;
    let names = cookies::names(secure);
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookies::clear(names.session, secure));
    response
}

/// Change the password: the current one again (throttled like sign-in), then the new one twice.
/// Success ends every session of the counselor, this one included.
pub async fn change_password(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedForm { signed, form }: SignedForm<PasswordForm>,
) -> Result<Response, AppError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    if let Err(wait) = state
        .throttle
        .attempt(signed.counselor.email.as_str(), ip.0)
    {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let mut errors = FieldErrors::new();
    if !counselors::password_matches(&state.db, signed.counselor.id, &form.current).await? {
        errors.add("current", "does not match your password");
    }
    let new = errors.check("new", Password::parse(&form.new));
    if new.is_some() && form.new != form.repeat {
        errors.add("repeat", "does not match the new password");
    }
    match new {
        Some(new) if errors.is_empty() => {
            counselors::set_password(&state.db, state.clock(), signed.counselor.id, &new).await?;
            audit::record(
                &state.db,
                state.clock(),
                &actor,
                Action::PasswordChanged,
                None,
            )
            .await?;
            Ok(to_sign_in(&state))
        }
        _ => {
            audit::record(
                &state.db,
                state.clock(),
                &actor,
                Action::PasswordChangeRefused,
                None,
            )
            .await?;
            let mut refused = page(&signed, None);
            refused.password_errors = Errors(errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, refused).into_response())
        }
    }
}

/// End every browser session of this counselor, on every device (API tokens are untouched:
/// revoke those by deactivating or, later, one by one).
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedForm { signed, .. }: SignedForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    browser_sessions::end_all_for(&state.db, signed.counselor.id).await?;
    audit::record(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        Action::SignedOutEverywhere,
        None,
    )
    .await?;
    Ok(to_sign_in(&state))
}
