//! `GET /metrics` (issue #8, point 6): valid Prometheus text; requests counted and timed under
//! their route template, never the raw path (no ids, link secrets, names or addresses anywhere
//! in the page); the database pool; the outbox backlog and the age of its oldest due message,
//! which fall when the worker sends; the worker's sent and retried counters after a real SMTP
//! exchange; and who may read the page (this machine without a token, only the token holder
//! once one is set, nobody through a proxy without it).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use kintsugi_core::clock::{Clock, FixedClock};
use kintsugi_core::homework::links;
use kintsugi_core::reminders::outbox::{self, MessageKind, NewMessage};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use crate::db_tests;
use crate::support::free_port;
use crate::support::mail::{Couple, RENEE, ZOE, at, couple_in, mail_worker};
use crate::support::smtp::SmtpServer;
use crate::support::{Backend, Browser, PASSWORD, TestApp};

db_tests!(requests_are_counted_by_route_template_and_the_page_names_nobody);

// ---------------------------------------------------------------------------------------------
// Reading the page.

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// `key="value",…` (the text between the braces), with the format's escapes.
fn parse_labels(s: &str, line: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("a label without a value: {line}"));
        assert!(is_name(key), "label name {key:?}: {line}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?}: {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("an unclosed label value: {line}"),
            }
        };
        out.insert(key.to_owned(), value);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    out
}

/// Every line of the page: a comment (`# HELP`, `# TYPE` with a known type) or a sample
/// (`name{labels} value`). Anything else fails the test.
fn parse(body: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(help) = line.strip_prefix("# HELP ") {
            let name = help.split(' ').next().unwrap_or_default();
            assert!(is_name(name), "{line}");
            continue;
        }
        if let Some(kind) = line.strip_prefix("# TYPE ") {
            let (name, kind) = kind.split_once(' ').unwrap_or_else(|| panic!("{line}"));
            assert!(is_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "an unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value = parse_value(value).unwrap_or_else(|| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                (name, parse_labels(inner, line))
            }
            None => (series, BTreeMap::new()),
        };
        assert!(is_name(name), "metric name {name:?}: {line}");
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The value of the series `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

async fn scrape(app: &TestApp) -> (String, Vec<Sample>) {
    let r = reqwest::get(app.url("/metrics")).await.expect("scrape");
    assert_eq!(r.status(), StatusCode::OK);
    let kind = r.headers()["content-type"]
        .to_str()
        .expect("content type")
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let body = r.text().await.expect("body");
    let samples = parse(&body);
    (body, samples)
}

/// Every word of the body that reads as a UUID.
fn uuids_in(body: &str) -> Vec<String> {
    body.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|w| w.len() >= 32 && Uuid::parse_str(w).is_ok())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Requests by route template, and nothing personal.

const LABEL: &str = "Metrics Household";
const INVOLVED: &str = "Philippa Nightingale";
const HURT: &str = "Augustin Nightingale";
const EMAIL: &str = "philippa@nightingale.example";

async fn requests_are_counted_by_route_template_and_the_page_names_nobody(app: TestApp) {
    let me = app
        .counselor(
            "Counselor Metrics",
            "metrics@practice.example",
            kintsugi_core::practice::Role::Counselor,
        )
        .await;
    let token = app.api_token(me.id).await;
    let api = app.api(&token);
    let r = api
        .post_json(
            "/api/v1/couples",
            &json!({
                "label": LABEL,
                "open_agreement": false,
                "intake_date": "2026-03-02",
                "partners": [
                    {"role": "involved", "name": INVOLVED, "email": EMAIL, "timezone": "Europe/Berlin"},
                    {"role": "hurt", "name": HURT, "email": "augustin@nightingale.example", "timezone": "Europe/Berlin"}
                ]
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let couple: serde_json::Value = r.json().await.expect("couple");
    let couple_id = couple["id"].as_str().expect("id").to_owned();
    let partner =
        Uuid::parse_str(couple["partners"][0]["id"].as_str().expect("partner")).expect("uuid");

    // The couple's page twice, its API record once, a homework link, and a path that does
    // not exist and carries an id and a word of its own.
    let counselor = Browser::new(&app);
    counselor
        .sign_in("metrics@practice.example", PASSWORD)
        .await;
    for _ in 0..2 {
        let (status, html) = counselor.get_html(&format!("/couples/{couple_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(LABEL));
    }
    assert_eq!(
        api.get(&format!("/api/v1/couples/{couple_id}"))
            .await
            .status(),
        StatusCode::OK
    );
    let secret = links::mint(&app.db, app.clock.as_ref(), partner, Duration::days(30))
        .await
        .expect("link");
    let client = Browser::new(&app);
    let r = client.get(&format!("/h/{}", secret.expose())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the link opens");
    let stray = Uuid::new_v4();
    let r = client
        .get(&format!("/nowhere/{stray}/marmalade-probe"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (body, samples) = scrape(&app).await;
    // The batching audit writer: what waits, and nothing given up.
    assert!(value(&samples, "kintsugi_audit_views_queued", &[]).is_some_and(|n| n >= 0.0));
    assert_eq!(
        value(&samples, "kintsugi_audit_views_lost_total", &[]),
        Some(0.0)
    );
    let page = [
        ("method", "GET"),
        ("route", "/couples/{couple_id}"),
        ("status", "2xx"),
    ];
    let n = value(&samples, "kintsugi_http_requests_total", &page).expect("the page's counter");
    assert!(n >= 2.0, "{n}");
    assert!(
        value(
            &samples,
            "kintsugi_http_request_duration_seconds_count",
            &page
        )
        .expect("the page's histogram")
            >= 2.0
    );
    assert!(
        value(
            &samples,
            "kintsugi_http_request_duration_seconds_sum",
            &page
        )
        .expect("the histogram's sum")
            > 0.0
    );
    // Buckets from a millisecond to five seconds, and +Inf holding every request.
    for le in ["0.001", "0.1", "5", "+Inf"] {
        let mut labels = page.to_vec();
        labels.push(("le", le));
        assert!(
            value(
                &samples,
                "kintsugi_http_request_duration_seconds_bucket",
                &labels
            )
            .is_some(),
            "bucket {le}"
        );
    }
    let api_route = [
        ("method", "GET"),
        ("route", "/api/v1/couples/{couple_id}"),
        ("status", "2xx"),
    ];
    assert!(value(&samples, "kintsugi_http_requests_total", &api_route).is_some_and(|n| n >= 1.0));
    assert!(
        value(
            &samples,
            "kintsugi_http_requests_total",
            &[("route", "/h/{secret}"), ("status", "3xx")]
        )
        .is_some_and(|n| n >= 1.0)
    );
    assert!(
        value(
            &samples,
            "kintsugi_http_requests_total",
            &[("route", "unmatched"), ("status", "4xx")]
        )
        .is_some_and(|n| n >= 1.0)
    );
    // Every route label is a template or the fixed word.
    for s in samples.iter().filter(|s| s.labels.contains_key("route")) {
        let route = &s.labels["route"];
        assert!(
            route == "unmatched"
                || kintsugi_web::routes::table::table()
                    .iter()
                    .any(|r| r.path == *route),
            "{route} is not a route template"
        );
    }

    // Nobody and nothing of theirs, anywhere on the page.
    assert!(uuids_in(&body).is_empty(), "ids: {:?}", uuids_in(&body));
    for word in [
        couple_id.as_str(),
        &partner.to_string(),
        &me.id.to_string(),
        &stray.to_string(),
        secret.expose(),
        "marmalade-probe",
        LABEL,
        INVOLVED,
        HURT,
        "Nightingale",
        "Counselor Metrics",
        EMAIL,
        &token,
    ] {
        assert!(!body.contains(word), "the page shows {word:?}");
    }
    assert!(!body.contains('@'), "an email address on the page");

    // The pool, as it is now.
    let max = value(&samples, "kintsugi_db_pool_max_connections", &[]).expect("pool max");
    assert!(max >= 1.0, "{max}");
    let idle = value(
        &samples,
        "kintsugi_db_pool_connections",
        &[("state", "idle")],
    )
    .expect("idle connections");
    let busy = value(
        &samples,
        "kintsugi_db_pool_connections",
        &[("state", "in_use")],
    )
    .expect("connections in use");
    assert!(
        idle >= 0.0 && busy >= 0.0 && idle + busy <= max,
        "{idle} {busy} {max}"
    );
}

// ---------------------------------------------------------------------------------------------
// The outbox and the worker.

async fn queue_link_email(app: &TestApp, c: &Couple, due: chrono::DateTime<chrono::Utc>) {
    let queued = outbox::enqueue(
        &app.db,
        due,
        NewMessage {
            kind: MessageKind::HomeworkLink,
            recipient: ZOE.to_owned(),
            counselor_id: Some(c.counselor),
            partner_id: Some(c.involved),
            couple_id: Some(c.id),
            payload: json!({
                "name": "Partner",
                "link": format!("{}/h/{}", app.base, kintsugi_core::access::secrets::random_token(32)),
            }),
            scheduled_at: due,
            dedupe_key: format!("metrics-test:{}", Uuid::new_v4()),
        },
    )
    .await
    .expect("enqueue");
    assert!(queued);
}

fn mail(samples: &[Sample], outcome: &str) -> f64 {
    value(
        samples,
        "kintsugi_mail_messages_total",
        &[("outcome", outcome)],
    )
    .unwrap_or(0.0)
}

fn due_links(samples: &[Sample]) -> f64 {
    value(
        samples,
        "kintsugi_outbox_due_messages",
        &[("kind", "homework_link")],
    )
    .expect("the outbox gauge")
}

fn oldest(samples: &[Sample]) -> f64 {
    value(samples, "kintsugi_outbox_oldest_due_age_seconds", &[]).expect("the age gauge")
}

async fn the_outbox_backlog_and_the_worker_show(backend: Backend) {
    // 13:00 in Berlin on a Monday: within waking hours.
    let clock = Arc::new(FixedClock::new(at("2027-01-11T12:00:00Z")));
    let app = TestApp::spawn_at(backend, clock.clone()).await;
    let c = couple_in(
        &app,
        "outbox@practice.example",
        "Europe/Berlin",
        "Europe/Berlin",
    )
    .await;
    let smtp = SmtpServer::start().await;
    let mut worker = mail_worker(&app, &smtp.url(), clock.clone());
    worker.digests = false;

    let (_, before) = scrape(&app).await;
    assert_eq!(due_links(&before), 0.0);
    assert_eq!(oldest(&before), 0.0);
    let sent_before = mail(&before, "sent");

    // Due 90 seconds ago and not sent yet.
    queue_link_email(&app, &c, clock.now() - Duration::seconds(90)).await;
    let (_, queued) = scrape(&app).await;
    assert!(due_links(&queued) >= 1.0);
    let age = oldest(&queued);
    assert!(age >= 90.0, "{age}");

    // Sent through the real SMTP server: the backlog is gone, the counter moved.
    let tally = worker.run_once().await.expect("worker step");
    assert_eq!(tally.sent, 1, "{tally:?}");
    assert_eq!(
        smtp.wait_for(1, std::time::Duration::from_secs(10)).await,
        1
    );
    let (_, after) = scrape(&app).await;
    assert_eq!(due_links(&after), 0.0);
    assert_eq!(oldest(&after), 0.0);
    assert!(mail(&after, "sent") >= sent_before + 1.0);

    // An SMTP server that is not there: the message waits for another attempt.
    let retried_before = mail(&after, "retried");
    queue_link_email(&app, &c, clock.now()).await;
    let nowhere = format!("smtp://127.0.0.1:{}?tls=none", free_port());
    let mut down = mail_worker(&app, &nowhere, clock.clone());
    down.digests = false;
    let tally = down.run_once().await.expect("worker step");
    assert_eq!(tally.retried, 1, "{tally:?}");
    let (body, later) = scrape(&app).await;
    assert!(mail(&later, "retried") >= retried_before + 1.0);
    // Retried later, so not due now.
    assert_eq!(due_links(&later), 0.0);
    for word in [ZOE, RENEE, &c.id.to_string()] {
        assert!(!body.contains(word), "the page shows {word}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_backlog_and_the_worker_show_in_metrics_sqlite() {
    the_outbox_backlog_and_the_worker_show(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_backlog_and_the_worker_show_in_metrics_postgres() {
    if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        the_outbox_backlog_and_the_worker_show(Backend::Postgres).await;
    } else {
        eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
    }
}

// ---------------------------------------------------------------------------------------------
// Who may read it.

const METRICS_TOKEN: &str = "scrape-7f3a9c2e41d86b05";

async fn status_of(app: &TestApp, auth: Option<&str>, headers: &[(&str, &str)]) -> StatusCode {
    let mut req = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("request").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_this_machine_or_the_token_holder_reads_the_metrics() {
    // No token configured: this machine, straight, may; through a proxy it may not.
    let open = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(status_of(&open, None, &[]).await, StatusCode::OK);
    for header in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        assert_eq!(
            status_of(&open, None, &[header]).await,
            StatusCode::NOT_FOUND,
            "{header:?}"
        );
    }

    // A token configured: only a request that carries it, wherever it comes from.
    let guarded = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_token = Some(SecretString::from(METRICS_TOKEN.to_owned()));
    })
    .await;
    let unknown_page = reqwest::get(guarded.url("/no/such/page"))
        .await
        .expect("request");
    let not_found_type = unknown_page.headers()["content-type"].clone();
    for auth in [
        None,
        Some("Bearer wrong-token-of-some-length".to_owned()),
        Some(format!("Bearer {METRICS_TOKEN}x")),
        Some(format!("Basic {METRICS_TOKEN}")),
        Some(METRICS_TOKEN.to_owned()),
    ] {
        let mut req = reqwest::Client::new().get(guarded.url("/metrics"));
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.expect("request");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{auth:?}");
        // The same answer as for a page that does not exist.
        assert_eq!(r.headers()["content-type"], not_found_type, "{auth:?}");
        let body = r.text().await.expect("body");
        assert!(!body.contains("kintsugi_"), "{auth:?}");
    }
    let r = reqwest::Client::new()
        .get(guarded.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.expect("body");
    assert!(body.contains("kintsugi_http_requests_total"), "{body}");
    parse(&body);
}
