//! Signing in and out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::access::{browser_sessions, secrets};
use kintsugi_core::audit::{self, Action, Actor};
use kintsugi_core::practice::counselors;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::cookies;
use crate::auth::csrf::{AnonForm, SignedForm};
use crate::error::{AppError, wait_in_words};
use crate::request::ClientIp;
use crate::views::login::LoginPage;

/// The same words whether the email is unknown or the password wrong.
const WRONG: &str =
    "That email and password do not match an active account. Check both and try again.";

fn page(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let name = cookies::names(state.config.secure_cookies).login_csrf;
    let existing = cookies::read(headers, name).filter(|t| t.len() >= 20 && t.len() <= 100);
    let csrf = existing
        .clone()
        .unwrap_or_else(|| secrets::random_token(32));
    let mut response = LoginPage {
        csrf: csrf.clone(),
        email,
        error,
        notice,
    }
    .into_response();
    if existing.is_none() {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(name, &csrf, state.config.secure_cookies),
        );
    }
    response
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, &headers, String::new(), None, None)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    AnonForm(form): AnonForm<LoginForm>,
) -> Result<Response, AppError> {
    let email: String = form.email.trim().chars().take(254).collect();
    if let Err(wait) = state.throttle.attempt(&email, ip.0) {
        audit::record_with_detail(
            &state.db,
            state.clock(),
            &Actor::anonymous(ip.to_audit()),
            Action::SignInThrottled,
            None,
            None,
        )
        .await?;
        let secs = wait.as_secs().max(1);
        let message = format!(
            "Too many sign-in attempts. Please wait {} and try again.",
            wait_in_words(secs)
        );
        let mut response = page(&state, &headers, email, Some(message), None);
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
        return Ok(response);
    }
    let Some(counselor) = counselors::authenticate(&state.db, &email, &form.password).await? else {
        let known = counselors::find_by_email(&state.db, &email).await?;
        let actor = Actor {
            id: known.map(|c| c.id),
            ..Actor::anonymous(ip.to_audit())
        };
        audit::record(&state.db, state.clock(), &actor, Action::SignInFailed, None).await?;
        let mut response = page(&state, &headers, email, Some(WRONG.into()), None);
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let names = cookies::names(state.config.secure_cookies);
    // A session cookie from before sign-in never carries over: the old session ends here.
    if let Some(old) = cookies::read(&headers, names.session) {
        browser_sessions::end(&state.db, &secrets::fingerprint(&old)).await?;
    }
    let started = browser_sessions::start(
        &state.db,
        state.clock(),
        state
            .session_limits
            .current(&state.db, state.clock())
            .await?,
        counselor.id,
    )
    .await?;
    audit::record(
        &state.db,
        state.clock(),
        &Actor::counselor(counselor.id, ip.to_audit()),
        Action::SignIn,
        None,
    )
    .await?;
    let mut response = Redirect::to("/").into_response();
    let secure = state.config.secure_cookies;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(names.session, &started.cookie_secret, secure),
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookies::clear(names.login_csrf, secure));
    Ok(response)
}

pub async fn sign_out(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedForm { signed, .. }: SignedForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    browser_sessions::end(&state.db, &signed.session_id).await?;
    audit::record(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        Action::SignOut,
        None,
    )
    .await?;
    let mut response = Redirect::to("/login").into_response();
    let names = cookies::names(state.config.secure_cookies);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(names.session, state.config.secure_cookies),
    );
    Ok(response)
}
