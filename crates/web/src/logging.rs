//! Structured logs. Every request line carries its request id; paths are logged as their route
//! template (`/couples/{couple_id}`), never the raw path, so no id, search term or homework
//! link secret reaches a log.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber: JSON lines when `KINTSUGI_LOG_FORMAT=json`, text otherwise.
pub fn init() {
    let filter = EnvFilter::try_from_env("KINTSUGI_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("KINTSUGI_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn request_span<B>(req: &Request<B>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    tracing::info_span!(
        "request",
        request_id = %crate::app::request_id(req),
        method = %req.method(),
        route = %route,
    )
}

pub fn on_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = latency.as_millis() as u64,
        "answered"
    );
}
