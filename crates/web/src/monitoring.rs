//! What `GET /metrics` reports, in Prometheus' text format: requests per route template,
//! database pool use, the outbox backlog and the mail worker's outcomes.
//!
//! Counters and histograms are recorded where things happen through the `metrics` facade; the
//! recorder behind it is process-wide, installed once ([`handle`]) however many applications a
//! process builds (the tests build many). Gauges that describe state (the pool, the outbox) are
//! read when the page is asked for, so they are never stale.
//!
//! Labels are bounded and never personal: a route's template (`/couples/{couple_id}`, never the
//! path with its ids or a link's secret), the method, the status class, a message kind.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use kintsugi_core::reminders::outbox::{Backlog, MessageKind};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::mail::worker::Tally;

pub const HTTP_REQUESTS: &str = "kintsugi_http_requests_total";
pub const HTTP_DURATION: &str = "kintsugi_http_request_duration_seconds";
pub const POOL_CONNECTIONS: &str = "kintsugi_db_pool_connections";
pub const POOL_MAX: &str = "kintsugi_db_pool_max_connections";
pub const OUTBOX_DUE: &str = "kintsugi_outbox_due_messages";
pub const OUTBOX_OLDEST_AGE: &str = "kintsugi_outbox_oldest_due_age_seconds";
pub const MAIL_MESSAGES: &str = "kintsugi_mail_messages_total";
pub const AUDIT_VIEWS_QUEUED: &str = "kintsugi_audit_views_queued";
pub const AUDIT_VIEWS_LOST: &str = "kintsugi_audit_views_lost_total";
pub const THROTTLE_FALLBACKS: &str = "kintsugi_throttle_fallbacks_total";

/// The label of requests that matched no route: a fixed word, so that probing random paths
/// cannot create new series (nor put what was typed into them).
pub const UNMATCHED: &str = "unmatched";

/// From a millisecond to five seconds: page and API answers, PDFs included.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Fixed, valid buckets: should the exporter ever refuse them, its default buckets
        // still give a histogram.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "latency buckets refused");
                PrometheusBuilder::new()
            });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status class."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method, route template and status class."
    );
    describe_gauge!(
        POOL_CONNECTIONS,
        "Database connections open in the pool, by state (idle, in_use)."
    );
    describe_gauge!(POOL_MAX, "Most database connections the pool may open.");
    describe_gauge!(
        OUTBOX_DUE,
        "Outbox messages whose time has come and that are not sent yet, by kind."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        metrics::Unit::Seconds,
        "How long the longest-waiting due outbox message has waited (0 when none is due)."
    );
    describe_gauge!(
        AUDIT_VIEWS_QUEUED,
        "View events waiting for the batching audit writer (written every 25 ms)."
    );
    describe_counter!(
        AUDIT_VIEWS_LOST,
        "View events the audit trail refused five times over about 3 s and that were given up."
    );
    describe_counter!(
        THROTTLE_FALLBACKS,
        "Tries the shared throttle could not count in the database, counted in this process instead, by limit (password, code, link)."
    );
    describe_counter!(
        MAIL_MESSAGES,
        "Messages the mail worker handled, by outcome (sent, retried, failed, held, dropped)."
    );
}

/// Histogram samples are kept until a scrape drains them; with nobody scraping, this keeps
/// them from piling up. Runs until aborted.
pub async fn upkeep() {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        handle().run_upkeep();
    }
}

/// Middleware: count and time every request under its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |p| p.as_str())
        .to_owned();
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = status_class(response.status().as_u16());
    let labels = [("method", method), ("route", route), ("status", status)];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Standard methods by name; any other word a client sends is one label.
fn method_label(method: &Method) -> String {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if KNOWN.contains(method) {
        method.as_str().to_owned()
    } else {
        "other".to_owned()
    }
}

fn status_class(status: u16) -> String {
    match status / 100 {
        c @ 1..=5 => format!("{c}xx"),
        _ => "other".to_owned(),
    }
}

/// One step of the mail worker.
pub fn record_mail(tally: &Tally) {
    for (outcome, n) in [
        ("sent", tally.sent),
        ("retried", tally.retried),
        ("failed", tally.failed),
        ("held", tally.held),
        ("dropped", tally.dropped),
    ] {
        // Touched even at zero, so that every outcome has a series from the first step on.
        counter!(MAIL_MESSAGES, "outcome" => outcome).increment(n as u64);
    }
}

/// The pool's connections now: open, idle, and the most it may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

pub fn pool_use(db: &DatabaseConnection) -> Option<PoolUse> {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUse {
        PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    // Asked by backend first: the pool getters panic on the other kind of connection.
    match db.get_database_backend() {
        DbBackend::Sqlite => Some(of(db.get_sqlite_connection_pool())),
        DbBackend::Postgres => Some(of(db.get_postgres_connection_pool())),
        _ => None,
    }
}

/// Set the gauges that describe state, just before a scrape renders them.
pub fn set_state(pool: Option<PoolUse>, backlog: Option<&Backlog>, now: DateTime<Utc>) {
    if let Some(p) = pool {
        gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(p.idle));
        gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(p.open.saturating_sub(p.idle)));
        gauge!(POOL_MAX).set(f64::from(p.max));
    }
    // Without the backlog (the database did not answer) the outbox gauges keep their last
    // values rather than claim an empty outbox.
    if let Some(b) = backlog {
        for kind in MessageKind::ALL {
            let n = b
                .due
                .iter()
                .find(|(k, _)| k == kind.key())
                .map_or(0, |(_, n)| *n);
            gauge!(OUTBOX_DUE, "kind" => kind.key()).set(n as f64);
        }
        let age = b
            .oldest_due
            .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        gauge!(OUTBOX_OLDEST_AGE).set(age);
    }
}

/// The batching audit writer's state, just before a scrape renders it.
pub fn set_audit_views(views: &kintsugi_core::audit::ViewLog) {
    gauge!(AUDIT_VIEWS_QUEUED).set(views.queued() as f64);
    counter!(AUDIT_VIEWS_LOST).absolute(views.lost());
}

/// The page: every metric of this process.
pub fn render() -> String {
    handle().render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "other");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(
            method_label(&Method::from_bytes(b"X-ANYTHING-AT-ALL").expect("method")),
            "other"
        );
    }
}
