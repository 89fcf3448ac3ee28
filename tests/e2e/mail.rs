//! Email through a real SMTP server on loopback: a homework link arrives with the right
//! recipient, a neutral subject, both parts and no clinical content; it is sent once; a server
//! that is down means a retry later, not a lost message.

use std::sync::Arc;

use kintsugi_core::clock::Clock;
use kintsugi_core::entities::outbox_message;
use kintsugi_core::practice::Role;
use kintsugi_core::reminders::outbox::OutboxStatus;
use kintsugi_web::mail::Worker;
use sea_orm::EntityTrait;

use crate::db_tests;
use crate::support::free_port;
use crate::support::mail::{daytime_clock, mail_worker};
use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, couple_json};

db_tests!(
    a_homework_link_arrives_once_with_nothing_clinical_in_it,
    a_server_that_is_down_means_a_retry_not_a_loss,
    failed_emails_show_on_the_dashboard_and_outbox_and_can_be_retried,
);

fn worker(app: &TestApp, url: &str, clock: Arc<dyn Clock>) -> Worker {
    let mut w = mail_worker(app, url, clock);
    // These tests are about one homework link; the digest has its own tests.
    w.digests = false;
    w
}

async fn queue_link(app: &TestApp) -> String {
    let c = app
        .counselor("C", "c@practice.example", Role::Counselor)
        .await;
    let api = app.api(&app.api_token(c.id).await);
    let created: serde_json::Value = api.add_couple(&couple_json("Secret Label & Co")).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/links/hurt"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    id
}

async fn a_homework_link_arrives_once_with_nothing_clinical_in_it(app: TestApp) {
    let smtp = SmtpServer::start().await;
    queue_link(&app).await;
    let w = worker(&app, &smtp.url(), daytime_clock());
    let tally = w.run_once().await.expect("step");
    assert_eq!(tally.sent, 1);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert!(m.contains("To: renee@mail.example"), "{m}");
    assert!(m.contains("Subject: You have a new exercise from your counselor"));
    assert!(
        m.contains("multipart/alternative") && m.contains("text/plain") && m.contains("text/html")
    );
    assert!(m.contains("Message-ID: <") && m.contains("@kintsugi.outbox>"));
    let unfolded = m.replace("=\r\n", "").replace("=\n", "");
    assert!(
        unfolded.contains(&format!("{}/h/", app.base)),
        "the link, built from the base URL"
    );
    assert!(
        !m.contains("Secret Label") && !m.contains("Zoë"),
        "no clinical content or the other partner"
    );
    // Sent once: the next step finds nothing, and the link is gone from the database.
    assert_eq!(w.run_once().await.expect("step").sent, 0);
    assert_eq!(smtp.messages().len(), 1);
    let rows = outbox_message::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows[0].status, OutboxStatus::Sent);
    assert_eq!(rows[0].payload, "{}", "the link does not outlive the email");
    assert!(
        rows[0]
            .message_id
            .as_deref()
            .is_some_and(|id| m.contains(id))
    );
    smtp.stop().await;
}

async fn a_server_that_is_down_means_a_retry_not_a_loss(app: TestApp) {
    queue_link(&app).await;
    let port = free_port();
    let clock = daytime_clock();
    let w = worker(
        &app,
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        clock.clone(),
    );
    let tally = w.run_once().await.expect("step");
    assert_eq!(tally.retried, 1, "nothing listens yet");
    let rows = outbox_message::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows[0].status, OutboxStatus::Pending);
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.is_some());
    assert!(
        !rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("/h/"),
        "no link in the error"
    );
    // Not due again until the backoff has passed.
    assert_eq!(
        w.run_once().await.expect("step"),
        kintsugi_web::mail::worker::Tally::default()
    );
    let smtp = SmtpServer::start_on(port).await;
    clock.advance(chrono::Duration::minutes(2));
    assert_eq!(w.run_once().await.expect("step").sent, 1);
    assert_eq!(smtp.messages().len(), 1, "it arrives, once");
    smtp.stop().await;
}

async fn failed_emails_show_on_the_dashboard_and_outbox_and_can_be_retried(app: TestApp) {
    use reqwest::StatusCode;
    queue_link(&app).await;
    let clock = daytime_clock();
    let w = worker(
        &app,
        &format!("smtp://127.0.0.1:{}?tls=none", free_port()),
        clock.clone(),
    );
    let mut failed = 0;
    for _ in 0..kintsugi_core::reminders::outbox::MAX_ATTEMPTS {
        failed += w.run_once().await.expect("step").failed;
        // An hour a step: past every backoff, and still daytime in New York.
        clock.advance(chrono::Duration::hours(1));
    }
    assert_eq!(failed, 1, "marked failed after the last attempt");
    let b = crate::support::Browser::new(&app);
    b.sign_in("c@practice.example", crate::support::PASSWORD)
        .await;
    let (_, dashboard) = b.get_html("/").await;
    assert!(
        dashboard.contains("1</span> <span class=\"stat-label\">email could not be sent"),
        "{dashboard}"
    );
    let (_, page) = b.get_html("/outbox").await;
    assert!(
        page.contains("Homework link")
            && page.contains("renee@mail.example")
            && page.contains("Failed")
    );
    assert!(!page.contains("/h/"), "never the body or the link");
    // The API lists it, without any body.
    let c = kintsugi_core::practice::counselors::find_by_email(&app.db, "c@practice.example")
        .await
        .expect("q")
        .expect("c");
    let api = app.api(&app.api_token(c.id).await);
    let list: serde_json::Value = api.get_json("/api/v1/outbox").await;
    assert_eq!(list["items"][0]["status"], "failed");
    assert_eq!(
        list["items"][0]["attempts"],
        kintsugi_core::reminders::outbox::MAX_ATTEMPTS
    );
    assert!(list["items"][0].get("payload").is_none() && !list.to_string().contains("/h/"));
    let id = list["items"][0]["id"].as_str().expect("id").to_owned();
    // Another counselor sees none of it and cannot retry it.
    let (_, other) = app.signed_in_counselor("B", "b@practice.example").await;
    let (_, theirs) = other.get_html("/outbox").await;
    assert!(!theirs.contains("renee@mail.example"));
    let r = other
        .submit("/outbox", &format!("/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The owner retries it: it waits to be sent again.
    let r = b
        .submit("/outbox", &format!("/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rows = outbox_message::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows[0].status, OutboxStatus::Pending);
    let r = api.get("/api/v1/outbox?page=zero").await;
    assert_eq!(r.status(), 422);
}
