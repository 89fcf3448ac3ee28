//! Signing in and out. A counselor with two-factor sign-in gives the password here and then a
//! code on `/login/totp`: between the two, only a five-minute, single-use pending sign-in
//! (its own HttpOnly cookie, bound to the counselor on the server) exists, never a session.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kintsugi_core::access::totp_store::{self, Accepted, Check};
use kintsugi_core::access::{secrets, sign_ins, totp_pending};
use kintsugi_core::audit::{self, Action, Actor};
use kintsugi_core::practice::counselors;
use serde::Deserialize;

use crate::auth::csrf::{AnonForm, SignedInForm};
use crate::auth::{cookies, totp};
use crate::error::{AppError, wait_in_words};
use crate::request::ClientIp;
use crate::state::AppState;
use crate::views::login::{LoginPage, TotpLoginPage};

pub fn routes() -> Router<AppState> {
    Router::new().route("/login/totp", get(code_form).post(code_submit))
}

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
    if let Err(wait) = state.throttle.attempt(&email, ip.0).await? {
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
    if totp_store::is_enabled(&counselor) {
        // The password was right; the session waits for the code. The sign-in form's CSRF
        // cookie stays for the second form.
        let pending = totp_pending::start(&state.db, state.clock(), counselor.id).await?;
        let mut response = Redirect::to("/login/totp").into_response();
        response.headers_mut().append(
            header::SET_COOKIE,
            totp::set_pending(&pending, state.config.secure_cookies),
        );
        return Ok(response);
    }
    let then = if state
        .session_limits
        .must_enrol(&state.db, state.clock(), &counselor)
        .await?
    {
        totp::ENROL_PATH
    } else {
        "/"
    };
    start_session(&state, &headers, &ip, counselor.id, None, then).await
}

/// Start the counselor's browser session (ending any from before sign-in) and go to `then`.
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    ip: &ClientIp,
    counselor_id: uuid::Uuid,
    detail: Option<&str>,
    then: &str,
) -> Result<Response, AppError> {
    let names = cookies::names(state.config.secure_cookies);
    // A session cookie from before sign-in never carries over: the old session ends here.
    if let Some(old) = cookies::read(headers, names.session) {
        sign_ins::end(&state.db, &secrets::fingerprint(&old)).await?;
    }
    let started = sign_ins::start(
        &state.db,
        state.clock(),
        state
            .session_limits
            .current(&state.db, state.clock())
            .await?,
        counselor_id,
    )
    .await?;
    audit::record_with_detail(
        &state.db,
        state.clock(),
        &Actor::counselor(counselor_id, ip.to_audit()),
        Action::SignIn,
        None,
        detail,
    )
    .await?;
    let mut response = Redirect::to(then).into_response();
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

/// The second step's page, with the sign-in form's CSRF token (a new one if it went missing).
fn code_page(state: &AppState, headers: &HeaderMap, error: Option<String>) -> Response {
    let name = cookies::names(state.config.secure_cookies).login_csrf;
    let existing = cookies::read(headers, name).filter(|t| t.len() >= 20 && t.len() <= 100);
    let csrf = existing
        .clone()
        .unwrap_or_else(|| secrets::random_token(32));
    let mut response = TotpLoginPage {
        csrf: csrf.clone(),
        error,
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

/// No pending sign-in (none, expired or used): back to the password, with a word why.
fn start_again(state: &AppState, headers: &HeaderMap) -> Response {
    let mut response = page(
        state,
        headers,
        String::new(),
        None,
        Some("That sign-in was not finished within five minutes. Please sign in again.".into()),
    );
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().append(
        header::SET_COOKIE,
        totp::clear_pending(state.config.secure_cookies),
    );
    response
}

pub async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let secure = state.config.secure_cookies;
    let pending = cookies::read(&headers, totp::pending_cookie(secure));
    let found = match &pending {
        Some(secret) => totp_pending::find(&state.db, state.clock(), secret).await?,
        None => None,
    };
    if found.is_none() {
        let mut response = Redirect::to("/login").into_response();
        if pending.is_some() {
            response
                .headers_mut()
                .append(header::SET_COOKIE, totp::clear_pending(secure));
        }
        return Ok(response);
    }
    Ok(code_page(&state, &headers, None))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

pub async fn code_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    AnonForm(form): AnonForm<CodeForm>,
) -> Result<Response, AppError> {
    let secure = state.config.secure_cookies;
    let Some(secret) = cookies::read(&headers, totp::pending_cookie(secure)) else {
        return Ok(start_again(&state, &headers));
    };
    let Some(counselor) = totp_pending::find(&state.db, state.clock(), &secret).await? else {
        return Ok(start_again(&state, &headers));
    };
    let actor = Actor {
        id: Some(counselor.id),
        ..Actor::anonymous(ip.to_audit())
    };
    if let Err(wait) = state.throttle.attempt_code(counselor.id, ip.0).await? {
        audit::record(
            &state.db,
            state.clock(),
            &actor,
            Action::TotpThrottled,
            None,
        )
        .await?;
        let secs = wait.as_secs().max(1);
        let message = format!(
            "Too many codes were tried. Please wait {} and try again.",
            wait_in_words(secs)
        );
        let mut response = code_page(&state, &headers, Some(message));
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
        return Ok(response);
    }
    let code: String = form.code.chars().take(40).collect();
    let check = totp_store::check(&state.db, state.clock(), counselor.id, &code, true).await?;
    let (refusal, message) = match check {
        Check::Accepted(how) => {
            // Single use: of two requests with the same pending sign-in, one goes on.
            if !totp_pending::take(&state.db, state.clock(), &secret, counselor.id).await? {
                return Ok(start_again(&state, &headers));
            }
            let detail = match how {
                Accepted::Code { .. } => "with an app code",
                Accepted::RecoveryCode { .. } => "with a recovery code",
            };
            if let Accepted::RecoveryCode { .. } = how {
                audit::record(
                    &state.db,
                    state.clock(),
                    &Actor::counselor(counselor.id, ip.to_audit()),
                    Action::RecoveryCodeUsed,
                    None,
                )
                .await?;
            }
            // After a recovery code, the settings page shows how many are left.
            let then = match how {
                Accepted::RecoveryCode { .. } => totp::ENROL_PATH,
                Accepted::Code { .. } => "/",
            };
            let mut response =
                start_session(&state, &headers, &ip, counselor.id, Some(detail), then).await?;
            response
                .headers_mut()
                .append(header::SET_COOKIE, totp::clear_pending(secure));
            return Ok(response);
        }
        Check::Reused => (
            "code already used",
            "That code was used already. Wait for your app to show the next one, then type it.",
        ),
        Check::Wrong => (
            "wrong code",
            "That code did not match. Check that your phone's clock is right and type the code your app shows now.",
        ),
        Check::Unreadable => (
            "secret unreadable",
            "Kintsugi can no longer read the secret of your authenticator app: it was saved by an earlier version. Sign in with one of your recovery codes, then set up two-factor sign-in again under Settings.",
        ),
    };
    audit::record_with_detail(
        &state.db,
        state.clock(),
        &actor,
        Action::TotpCodeRefused,
        None,
        Some(refusal),
    )
    .await?;
    let mut response = code_page(&state, &headers, Some(message.into()));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(response)
}

pub async fn sign_out(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    sign_ins::end(&state.db, &signed.session_id).await?;
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
