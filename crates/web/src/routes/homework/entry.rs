//! `/h/{secret}`: the link from the email. A valid secret becomes a session cookie and the
//! browser is sent on to `/h`, so the secret is in the address bar for one request only.
//! A HEAD request (mail scanners) or a refused link changes nothing.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::homework::link_visits;
use kintsugi_core::homework::links::{self, LinkSecret};

use super::client::cookie_name;
use crate::auth::cookies;
use crate::error::AppError;
use crate::request::ClientIp;
use crate::state::AppState;
use crate::views::homework::ClosedPage;

pub async fn open(
    State(state): State<AppState>,
    method: Method,
    ip: ClientIp,
    Path(secret): Path<String>,
) -> Result<Response, AppError> {
    // An address that keeps opening links that do not exist is guessing: it waits.
    if let Err(wait) = state.throttle.link_open(ip.0).await? {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let closed = || async {
        state.throttle.link_missed(ip.0).await?;
        Ok(ClosedPage::link_closed().into_response())
    };
    let Some(secret) = LinkSecret::parse(&secret) else {
        return closed().await;
    };
    let (link, partner) = match links::verify(&state.db, state.clock(), &secret).await? {
        Ok(found) => found,
        // Unknown, revoked and expired links all get the same kind words.
        Err(_) => return closed().await,
    };
    if let Some(until) = link_visits::paused_until(&partner, state.clock().now()) {
        return Ok(ClosedPage::paused(until, partner.timezone).into_response());
    }
    if method == Method::HEAD {
        return Ok(StatusCode::OK.into_response());
    }
    let started = link_visits::start(&state.db, state.clock(), partner.id, link.id).await?;
    let practice = kintsugi_core::practice::settings::ensure(&state.db, state.clock()).await?;
    let expiry = links::expiry_of(Some(&practice));
    links::touch(&state.db, state.clock(), link.id, expiry).await?;
    let mut response = Redirect::to("/h").into_response();
    let name = cookie_name(state.config.secure_cookies);
    let cookie = cookies::set(name, &started.cookie_secret, state.config.secure_cookies);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
