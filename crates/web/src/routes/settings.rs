//! The counselor's own settings: profile, password (changing it ends every session), signing
//! out everywhere, API tokens, and two-factor sign-in (TOTP): set up with a QR code, confirm
//! with a code, recovery codes shown once, turn off with the password and a code. Turning it
//! on or off ends the counselor's other sessions.

use axum::extract::State;
use kintsugi_core::access::api_tokens;
use kintsugi_core::audit::{self, Action, Actor};
use kintsugi_core::practice::Role;

use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::request::ClientIp;
use crate::state::AppState;
use crate::views::{Chrome, Errors};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use kintsugi_core::{CoreError, FieldErrors};

use kintsugi_core::access::sign_ins;
use kintsugi_core::domain::Password;
use kintsugi_core::practice::counselors;
use serde::Deserialize;

use crate::auth::{cookies, totp};
use crate::views::settings::SettingsPage;
use crate::views::settings::{PendingTotp, TotpPage};
use axum::extract::RawQuery;
use kintsugi_core::access::totp_store::{self, Check};
use kintsugi_core::practice::settings as practice_settings;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/password", post(change_password))
        .route("/settings/sign-out-everywhere", post(sign_out_everywhere))
        .route(totp::ENROL_PATH, axum::routing::get(totp_page))
        .route("/settings/totp/setup", post(totp_setup))
        .route("/settings/totp/confirm", post(totp_confirm))
        .route("/settings/totp/disable", post(totp_disable))
        .route("/settings/totp/recovery-codes", post(totp_recovery_codes))
}

fn page(signed: &SignedIn, new_token: Option<String>) -> SettingsPage {
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
        totp_enabled: totp_store::is_enabled(&signed.counselor),
    }
}

pub async fn show(signed: SignedIn) -> SettingsPage {
    page(&signed, None)
}

pub async fn create_api_token(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<SettingsPage, AppError> {
    let token = api_tokens::create(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        signed.counselor.id,
        "settings page",
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
    SignedInForm { signed, form }: SignedInForm<PasswordForm>,
) -> Result<Response, AppError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    if let Err(wait) = state
        .throttle
        .attempt(signed.counselor.email.as_str(), ip.0)
        .await?
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
            counselors::set_password(&state.db, state.clock(), &actor, signed.counselor.id, &new)
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
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    sign_ins::sign_out_everywhere(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        signed.counselor.id,
    )
    .await?;
    Ok(to_sign_in(&state))
}

// ---------------------------------------------------------------------------------------------
// Two-factor sign-in.

/// The enrolment and status page as it stands, without anything shown once.
async fn totp_view(state: &AppState, signed: &SignedIn) -> Result<TotpPage, AppError> {
    let status = totp_store::status(&state.db, state.clock(), &signed.counselor).await?;
    let practice = practice_settings::ensure(&state.db, state.clock()).await?;
    let required = practice.totp_required.applies_to(signed.counselor.role);
    let pending = match status.pending {
        Some(secret) => {
            let uri = secret.otpauth_uri(
                &format!("Kintsugi {}", practice.name),
                signed.counselor.email.as_str(),
            );
            Some(PendingTotp {
                qr_svg: totp::qr_svg(&uri)
                    .ok_or_else(|| AppError::Internal("the QR code could not be drawn".into()))?,
                secret: secret.to_grouped_base32(),
            })
        }
        None => None,
    };
    Ok(TotpPage {
        chrome: Chrome::new(signed, "settings"),
        enabled: status.enabled,
        required,
        pending,
        recovery_codes: Vec::new(),
        recovery_left: status.recovery_codes_left,
        errors: Errors::default(),
        notice: None,
    })
}

/// Fixed notices after a redirect: the URL carries a key, never text.
fn totp_notice(raw: Option<&str>) -> Option<String> {
    let key = raw
        .unwrap_or_default()
        .split('&')
        .find_map(|p| p.strip_prefix("done="))?;
    Some(
        match key {
            "off" => "Two-factor sign-in is off. You sign in with your password alone.",
            _ => return None,
        }
        .to_owned(),
    )
}

pub async fn totp_page(
    State(state): State<AppState>,
    signed: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<TotpPage, AppError> {
    let mut page = totp_view(&state, &signed).await?;
    page.notice = totp_notice(raw.as_deref());
    Ok(page)
}

/// Start (or start over) setting up: a new secret is kept on the server, then the page shows
/// it as a QR code.
pub async fn totp_setup(
    State(state): State<AppState>,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    totp_store::begin_enrolment(&state.db, state.clock(), signed.counselor.id).await?;
    Ok(Redirect::to(&format!("{}#confirm", totp::ENROL_PATH)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

fn throttled(wait: std::time::Duration) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: wait.as_secs().max(1),
    }
}

async fn refused(state: &AppState, actor: &Actor, why: &'static str) -> Result<(), AppError> {
    audit::record_with_detail(
        &state.db,
        state.clock(),
        actor,
        Action::TotpCodeRefused,
        None,
        Some(why),
    )
    .await?;
    Ok(())
}

/// Confirm the pending secret with a code from the app: two-factor sign-in goes on, and the
/// recovery codes are shown this once.
pub async fn totp_confirm(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<CodeForm>,
) -> Result<Response, AppError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    state
        .throttle
        .attempt_code(signed.counselor.id, ip.0)
        .await?
        .map_err(throttled)?;
    // Browsers signed in with the password alone sign in again, now with a code.
    let result = totp_store::confirm_enrolment(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        &form.code.chars().take(40).collect::<String>(),
        &signed.session_id,
    )
    .await;
    match result {
        Ok(codes) => {
            // Read again: the counselor now has a secret, so the page shows it as on.
            let mut now_on = signed.clone();
            now_on.counselor = counselors::get(&state.db, signed.counselor.id).await?;
            let mut page = totp_view(&state, &now_on).await?;
            page.recovery_codes = codes;
            page.notice = Some("Two-factor sign-in is on. From now on Kintsugi asks for a code after your password.".into());
            Ok(page.into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            refused(&state, &actor, "enrolment code").await?;
            let mut page = totp_view(&state, &signed).await?;
            // Without a set-up there is no code field to show the message beside.
            if page.pending.is_none() {
                page.notice = errors.get("code").map(|m| format!("The code {m}."));
            }
            page.errors = Errors(errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DisableForm {
    password: String,
    code: String,
}

/// Turn two-factor sign-in off: the password and a code (from the app, or a recovery code
/// when the phone is lost).
pub async fn totp_disable(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<DisableForm>,
) -> Result<Response, AppError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    state
        .throttle
        .attempt_code(signed.counselor.id, ip.0)
        .await?
        .map_err(throttled)?;
    let mut errors = FieldErrors::new();
    if !counselors::password_matches(&state.db, signed.counselor.id, &form.password).await? {
        errors.add("password", "does not match your password");
    } else {
        let code: String = form.code.chars().take(40).collect();
        match totp_store::check(
            &state.db,
            state.clock(),
            signed.counselor.id,
            &code,
            true,
        )
        .await?
        {
            Check::Accepted(_) => {}
            Check::Reused => errors.add("disable_code", "was used already: wait for the next one"),
            Check::Wrong => errors.add("disable_code", "does not match"),
            Check::Unreadable => errors.add(
                "disable_code",
                "cannot be checked: the secret of your app was saved by an earlier version; use a recovery code",
            ),
        }
    }
    if !errors.is_empty() {
        refused(&state, &actor, "turning off").await?;
        let mut page = totp_view(&state, &signed).await?;
        page.errors = Errors(errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    totp_store::disable(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        &signed.session_id,
    )
    .await?;
    Ok(Redirect::to(&format!("{}?done=off", totp::ENROL_PATH)).into_response())
}

/// New recovery codes (the old ones stop working), after a code from the app.
pub async fn totp_recovery_codes(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<CodeForm>,
) -> Result<Response, AppError> {
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    state
        .throttle
        .attempt_code(signed.counselor.id, ip.0)
        .await?
        .map_err(throttled)?;
    let code: String = form.code.chars().take(40).collect();
    let check =
        totp_store::check(&state.db, state.clock(), signed.counselor.id, &code, false).await?;
    let message = match check {
        Check::Accepted(_) => None,
        Check::Reused => Some("was used already: wait for the next one"),
        Check::Wrong => Some("does not match"),
        Check::Unreadable => Some(
            "cannot be checked: the secret of your app was saved by an earlier version; turn two-factor sign-in off with a recovery code and set it up again",
        ),
    };
    if let Some(message) = message {
        refused(&state, &actor, "new recovery codes").await?;
        let mut page = totp_view(&state, &signed).await?;
        let mut errors = FieldErrors::new();
        errors.add("recovery_code", message);
        page.errors = Errors(errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let codes = totp_store::regenerate_recovery_codes(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
    )
    .await?;
    let mut page = totp_view(&state, &signed).await?;
    page.recovery_codes = codes;
    page.notice = Some("New recovery codes are ready; the old ones no longer work.".into());
    Ok(page.into_response())
}
