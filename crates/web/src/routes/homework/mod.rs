//! The client pages behind a personal homework link. Phones first, no account: the link's
//! secret is exchanged on the first visit for a short-lived cookie (and the secret leaves the
//! address bar at once); then the partner sees their own homework and what the other partner
//! chose to share, and nothing else about the couple.

mod answer;
mod client;
mod csrf;
mod entry;
mod home;
mod pin;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

pub use client::Client;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/h", get(home::show))
        .route("/h/{secret}", get(entry::open))
        .route("/h/pin", get(pin::form).post(pin::submit))
        .route("/h/leave", post(home::leave))
        .route("/h/r/{response_id}", get(answer::show).post(answer::save))
        .route("/h/r/{response_id}/autosave", post(answer::autosave))
        // Nothing behind a link may leak through a Referer header or linger in a cache.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Long answers are refused with a message on the form, not by the body limit, so that
        // nothing the client wrote is lost: allow well over the longest answers here.
        .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
}
