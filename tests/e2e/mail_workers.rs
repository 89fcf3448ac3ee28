//! Delivery under trouble, against a real SMTP server and real `kintsugi worker` processes:
//! the SMTP server is down for a while, then back (every message arrives exactly once); a
//! worker is killed mid-batch and restarted (nothing lost; copies only of the messages it had
//! in flight, with the same Message-ID); three workers drain 1,000 messages from one database
//! (no copies, nothing lost); STARTTLS is required unless the server is on this machine and
//! the URL says `tls=none`; bad SMTP settings stop the worker with one line.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use kintsugi_core::clock::{Clock, FixedClock};
use kintsugi_core::entities::{outbox_message, practice};
use kintsugi_core::reminders::outbox::{self, MessageKind, NewMessage, OutboxStatus};
use kintsugi_core::sessions::Location;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::db_tests;
use crate::support::TestApp;
use crate::support::free_port;
use crate::support::mail::{
    Couple, RENEE, ZOE, assign, at, couple_in, mail_worker, rows, schedule_session,
};
use crate::support::smtp::SmtpServer;

db_tests!(
    the_smtp_server_down_then_back_means_every_message_exactly_once,
    a_worker_killed_mid_batch_loses_nothing_and_copies_carry_the_same_message_id,
    three_workers_drain_a_thousand_messages_with_no_copies_and_no_losses,
    starttls_is_required_unless_the_url_says_otherwise_for_this_machine,
);

const BIN: &str = env!("CARGO_BIN_EXE_kintsugi");

/// Waking hours all day, so that processes on the system clock send at any hour the tests run.
async fn always_awake(app: &TestApp) {
    let p = kintsugi_core::practice::settings::ensure(&app.db, app.clock.as_ref())
        .await
        .expect("practice");
    practice::Entity::update_many()
        .col_expr(practice::Column::QuietHoursStart, Expr::value(0))
        .col_expr(practice::Column::QuietHoursEnd, Expr::value(0))
        .filter(practice::Column::Id.eq(p.id))
        .exec(&app.db)
        .await
        .expect("waking hours");
}

/// Queue `n` homework-link emails to the couple's partners, due at `now`.
async fn queue(app: &TestApp, c: &Couple, n: usize, now: chrono::DateTime<chrono::Utc>) {
    for i in 0..n {
        let (partner, to) = if i % 2 == 0 {
            (c.involved, ZOE)
        } else {
            (c.hurt, RENEE)
        };
        let queued = outbox::enqueue(
            &app.db,
            now,
            NewMessage {
                kind: MessageKind::HomeworkLink,
                recipient: to.to_owned(),
                counselor_id: Some(c.counselor),
                partner_id: Some(partner),
                couple_id: Some(c.id),
                payload: json!({
                    "name": "Partner",
                    "link": format!("{}/h/{}", app.base, kintsugi_core::access::secrets::random_token(32)),
                }),
                scheduled_at: now,
                dedupe_key: format!("test:{}", Uuid::new_v4()),
            },
        )
        .await
        .expect("enqueue");
        assert!(queued);
    }
}

/// Message-IDs of the client emails received, with how often each arrived.
fn received(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in smtp.mails() {
        if m.to == ZOE || m.to == RENEE {
            *out.entry(format!("<{}>", m.message_id)).or_insert(0) += 1;
        }
    }
    out
}

fn expected_ids(rows: &[outbox_message::Model]) -> HashSet<String> {
    rows.iter()
        .filter(|r| r.recipient == ZOE || r.recipient == RENEE)
        .map(|r| format!("<{}@kintsugi.outbox>", r.id))
        .collect()
}

fn spawn_worker(app: &TestApp, smtp_url: &str, dir: &std::path::Path) -> Child {
    Command::new(BIN)
        .arg("worker")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KINTSUGI_DATABASE_URL", &app.database_url)
        .env("KINTSUGI_SMTP_URL", smtp_url)
        .env("KINTSUGI_BASE_URL", &app.base)
        .env("KINTSUGI_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start kintsugi worker")
}

/// Wait (up to `limit`) until no client email waits to be sent; true when none does.
async fn drained(app: &TestApp, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let open = rows(app)
            .await
            .iter()
            .filter(|r| r.recipient == ZOE || r.recipient == RENEE)
            .any(|r| r.status != OutboxStatus::Sent);
        if !open {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Counselor c@ and a couple in Warsaw and New York.
async fn warsaw_and_new_york(app: &TestApp) -> Couple {
    couple_in(
        app,
        "c@practice.example",
        "Europe/Warsaw",
        "America/New_York",
    )
    .await
}

// ---------------------------------------------------------------------------------------------

async fn the_smtp_server_down_then_back_means_every_message_exactly_once(app: TestApp) {
    let c = warsaw_and_new_york(&app).await;
    // 15:00 UTC: daytime for both partners.
    let clock = Arc::new(FixedClock::new(at("2027-05-03T15:00:00Z")));
    // Every kind: new homework, links, a session soon (its reminder goes at once), the digest.
    assign(&app, &clock, &c, "2027-05-10 19:00", "Europe/Berlin").await;
    queue(&app, &c, 30, clock.now()).await;
    schedule_session(
        &app,
        &clock,
        &c,
        "2027-05-03T18:00:00Z",
        Location::Office(None),
    )
    .await;
    let port = free_port();
    let w = mail_worker(
        &app,
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        clock.clone(),
    );

    // Nobody listens: every message fails its attempt and waits; none is lost or given up.
    let mut tries = 0;
    for _ in 0..2 {
        let t = w.run_once().await.expect("step");
        assert_eq!(t.sent, 0);
        tries += t.retried;
        clock.advance(chrono::Duration::minutes(3));
    }
    // Everything due was tried (the homework reminders are due next week).
    let tried: Vec<outbox_message::Model> = rows(&app)
        .await
        .into_iter()
        .filter(|r| r.attempts > 0)
        .collect();
    let n = tried.len();
    assert_eq!(
        n, 35,
        "two new-homework emails, 30 links, two session reminders, a digest"
    );
    assert_eq!(tries, 2 * n, "each tried twice");
    assert!(
        tried
            .iter()
            .all(|r| r.status == OutboxStatus::Pending && r.attempts == 2)
    );

    // The server comes back.
    let smtp = SmtpServer::start_on(port).await;
    for _ in 0..10 {
        clock.advance(chrono::Duration::minutes(10));
        w.run_once().await.expect("step");
    }
    let all: Vec<outbox_message::Model> = rows(&app)
        .await
        .into_iter()
        .filter(|r| tried.iter().any(|t| t.id == r.id))
        .collect();
    assert_eq!(all.len(), n);
    assert!(
        all.iter().all(|r| r.status == OutboxStatus::Sent),
        "everything went"
    );
    let mails = smtp.mails();
    assert_eq!(mails.len(), n, "each message exactly once");
    let ids: HashSet<String> = mails
        .iter()
        .map(|m| format!("<{}>", m.message_id))
        .collect();
    let want: HashSet<String> = all.iter().filter_map(|r| r.message_id.clone()).collect();
    assert_eq!(ids, want);
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn a_worker_killed_mid_batch_loses_nothing_and_copies_carry_the_same_message_id(
    app: TestApp,
) {
    always_awake(&app).await;
    let c = warsaw_and_new_york(&app).await;
    queue(&app, &c, 600, app.clock.now()).await;
    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().expect("dir");

    let mut first = spawn_worker(&app, &smtp.url(), dir.path());
    let arrived = smtp.wait_for(40, Duration::from_secs(60)).await;
    assert!(arrived >= 40, "the worker got going ({arrived})");
    first.start_kill().expect("kill -9");
    first.wait().await.expect("killed");

    // What the dead worker had claimed and not marked: the only messages that may arrive twice.
    let snapshot = rows(&app).await;
    let in_flight: HashSet<String> = snapshot
        .iter()
        .filter(|r| r.status == OutboxStatus::Sending)
        .map(|r| format!("<{}@kintsugi.outbox>", r.id))
        .collect();
    assert!(
        in_flight.len() <= 50,
        "at most one batch in flight ({})",
        in_flight.len()
    );
    assert!(
        snapshot.iter().any(|r| r.status != OutboxStatus::Sent),
        "killed mid-way, not after the end"
    );
    // Five minutes pass: the dead worker's lease runs out.
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(app.clock.now() - chrono::Duration::minutes(1)),
        )
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .exec(&app.db)
        .await
        .expect("lease runs out");

    let mut second = spawn_worker(&app, &smtp.url(), dir.path());
    assert!(drained(&app, Duration::from_secs(120)).await, "all sent");
    second.start_kill().expect("stop");
    second.wait().await.expect("stopped");

    let want = expected_ids(&rows(&app).await);
    assert_eq!(want.len(), 600);
    let got = received(&smtp);
    let got_ids: HashSet<String> = got.keys().cloned().collect();
    assert_eq!(got_ids, want, "nothing lost, nothing foreign");
    let copies: Vec<(&String, &usize)> = got.iter().filter(|(_, n)| **n > 1).collect();
    for (id, n) in &copies {
        assert_eq!(**n, 2, "{id} at most twice");
        assert!(
            in_flight.contains(*id),
            "{id} was not in flight when the worker died"
        );
    }
    assert!(copies.len() <= in_flight.len());
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn three_workers_drain_a_thousand_messages_with_no_copies_and_no_losses(app: TestApp) {
    always_awake(&app).await;
    let c = warsaw_and_new_york(&app).await;
    queue(&app, &c, 1000, app.clock.now()).await;
    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut workers: Vec<Child> = (0..3)
        .map(|_| spawn_worker(&app, &smtp.url(), dir.path()))
        .collect();
    let done = drained(&app, Duration::from_secs(240)).await;
    for w in &mut workers {
        w.start_kill().expect("stop");
        w.wait().await.expect("stopped");
    }
    assert!(done, "the three workers sent everything");
    let want = expected_ids(&rows(&app).await);
    assert_eq!(want.len(), 1000);
    let got = received(&smtp);
    assert_eq!(got.len(), 1000, "nothing lost");
    assert!(got.values().all(|n| *n == 1), "no message twice");
    assert_eq!(got.keys().cloned().collect::<HashSet<_>>(), want);
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn starttls_is_required_unless_the_url_says_otherwise_for_this_machine(app: TestApp) {
    let c = warsaw_and_new_york(&app).await;
    let clock = Arc::new(FixedClock::new(at("2027-05-03T15:00:00Z")));
    queue(&app, &c, 1, clock.now()).await;
    let smtp = SmtpServer::start().await;
    // smtp:// means STARTTLS, required: this server does not offer it, so nothing is sent.
    let mut w = mail_worker(
        &app,
        &format!("smtp://127.0.0.1:{}", smtp.port),
        clock.clone(),
    );
    w.digests = false;
    let t = w.run_once().await.expect("step");
    assert_eq!((t.sent, t.retried), (0, 1));
    assert_eq!(smtp.count(), 0, "not a byte of mail without TLS");
    let row = &rows(&app).await[0];
    assert!(row.last_error.is_some());
    // With tls=none for a server on this machine, it goes.
    clock.advance(chrono::Duration::minutes(5));
    let mut w = mail_worker(&app, &smtp.url(), clock.clone());
    w.digests = false;
    assert_eq!(w.run_once().await.expect("step").sent, 1);
    assert_eq!(smtp.count(), 1);
    smtp.stop().await;
}

#[tokio::test]
async fn bad_smtp_settings_stop_the_worker_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    for (vars, var) in [
        (
            vec![("KINTSUGI_SMTP_URL", "smtp://mail.example.org?tls=none")],
            "KINTSUGI_SMTP_URL",
        ),
        (
            vec![("KINTSUGI_SMTP_URL", "imap://mail.example.org")],
            "KINTSUGI_SMTP_URL",
        ),
        (
            vec![
                ("KINTSUGI_SMTP_URL", "smtps://mail.example.org"),
                ("KINTSUGI_SMTP_USERNAME", "care"),
            ],
            "KINTSUGI_SMTP_PASSWORD",
        ),
        (
            vec![
                ("KINTSUGI_SMTP_URL", "smtps://mail.example.org"),
                ("KINTSUGI_SMTP_TIMEOUT", "forever"),
            ],
            "KINTSUGI_SMTP_TIMEOUT",
        ),
    ] {
        let mut cmd = Command::new(BIN);
        cmd.arg("worker")
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "KINTSUGI_DATABASE_URL",
                format!("sqlite://{}/k.db?mode=rwc", dir.path().display()),
            );
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .expect("exits at once")
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{vars:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with(&format!("configuration error: {var} ")),
            "{stderr}"
        );
    }
}
