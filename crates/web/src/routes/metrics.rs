//! `GET /metrics`: the Prometheus page (see [`crate::monitoring`]).
//!
//! It holds no clinical data, but it tells how busy the practice is and which pages are used,
//! so it is not public. With `KINTSUGI_METRICS_TOKEN` set, it answers a request that carries
//! `Authorization: Bearer <token>`, from anywhere. Without it, it answers requests from this
//! machine that came straight to Kintsugi: a request that passed through a reverse proxy on
//! the same machine (it carries a forwarding header) comes from loopback too, but is not
//! trusted for that. Everyone else gets the same 404 as for a page that does not exist.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;
use crate::monitoring;
use crate::state::AppState;

/// Headers a reverse proxy adds; their presence means the peer address is the proxy's.
const FORWARDING: [&str; 4] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
];

pub async fn show(State(state): State<AppState>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let token = state
        .config
        .metrics_token
        .as_ref()
        .map(|t| t.expose_secret());
    if !allowed(token, peer, req.headers()) {
        return AppError::NotFound.into_response();
    }
    let now = state.clock.now();
    let backlog = match kintsugi_core::reminders::outbox::backlog(&state.db, now).await {
        Ok(b) => Some(b),
        Err(e) => {
            // The rest of the page (the pool above all) is most useful exactly then.
            tracing::warn!(error = %e, "the outbox backlog could not be read for /metrics");
            None
        }
    };
    monitoring::set_state(monitoring::pool_use(&state.db), backlog.as_ref(), now);
    monitoring::set_audit_views(&state.views);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        monitoring::render(),
    )
        .into_response()
}

fn allowed(token: Option<&str>, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    match token {
        Some(expected) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| same_secret(given.trim(), expected)),
        None => {
            peer.is_some_and(|p| p.ip().is_loopback())
                && !FORWARDING.iter().any(|h| headers.contains_key(*h))
        }
    }
}

/// Compared as SHA-256 digests in constant time: neither the content nor the length of the
/// token shows in the time the answer takes.
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("ip"), 40000))
    }

    #[test]
    fn without_a_token_only_direct_local_requests_are_answered() {
        let none = HeaderMap::new();
        assert!(allowed(None, peer("127.0.0.1"), &none));
        assert!(allowed(None, peer("::1"), &none));
        assert!(!allowed(None, peer("192.0.2.7"), &none));
        assert!(!allowed(None, None, &none));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.4"));
        assert!(!allowed(None, peer("127.0.0.1"), &proxied));
    }

    #[test]
    fn with_a_token_only_the_token_counts() {
        let token = Some("0123456789abcdef0123");
        let mut right = HeaderMap::new();
        right.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef0123"),
        );
        let mut wrong = HeaderMap::new();
        wrong.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef0124"),
        );
        assert!(allowed(token, peer("192.0.2.7"), &right));
        assert!(!allowed(token, peer("192.0.2.7"), &wrong));
        assert!(!allowed(token, peer("127.0.0.1"), &HeaderMap::new()));
    }
}
