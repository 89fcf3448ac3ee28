//! Homework links (issue #7, points 8 and 9): opening a link with GET or HEAD (as mail scanners
//! do) consumes, rotates and records nothing; the first visit trades the secret for a
//! short-lived HttpOnly cookie and a 303 to an address without it; the secret reaches no log
//! line, error page or audit entry; links in emails are built from `KINTSUGI_BASE_URL`, never
//! from the request's Host header.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::db_tests;
use crate::support::fixture::{mint_link as mint, uuid_at};
use crate::support::http;
use crate::support::logs::{captured_logs, logs_text};
use crate::support::mail::{daytime_clock, mail_worker};
use crate::support::smtp::SmtpServer;
use crate::support::snapshot::{assert_same, snapshot};
use crate::support::{Browser, TestApp, couple_json};

db_tests!(
    opening_a_link_changes_nothing_and_the_secret_leaves_the_address_bar,
    link_secrets_reach_no_log_error_or_audit_entry,
    links_in_emails_come_from_the_base_url_not_the_host_header,
);

struct Linked {
    counselor: Uuid,
    token: String,
    couple: Uuid,
    hurt: Uuid,
}

async fn linked(app: &TestApp) -> Linked {
    let c = app.counselor_with_token("C", "c@practice.example").await;
    let created = c.api.add_couple(&couple_json("Linked Pair")).await;
    Linked {
        counselor: c.id,
        token: c.token,
        couple: uuid_at(&created, "/id"),
        hurt: uuid_at(&created, "/partners/1/id"),
    }
}

/// The whole database as text, searched for the secret.
async fn assert_database_lacks(app: &TestApp, secret: &str) {
    let all = snapshot(app).await;
    for (table, rows) in &all {
        for row in rows {
            assert!(
                !row.contains(secret) && !row.contains(&secret[..16]),
                "table {table} holds the link secret: {row}"
            );
        }
    }
}

async fn opening_a_link_changes_nothing_and_the_secret_leaves_the_address_bar(app: TestApp) {
    let l = linked(&app).await;
    let secret = mint(&app, l.hurt).await;
    let client = http::client(false);
    let url = app.url(&format!("/h/{secret}"));

    // HEAD, twice, as a mail scanner would: nothing at all changes, audit log included.
    let before = snapshot(&app).await;
    for _ in 0..2 {
        let r = client.head(&url).send().await.expect("head");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers().get("set-cookie").is_none(),
            "HEAD starts no session"
        );
    }
    assert_same(&before, &snapshot(&app).await, "HEAD of a link");

    // GET: a session cookie and a 303 to an address without the secret.
    let r = client.get(&url).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(location, "/h");
    assert!(!location.contains(&secret));
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite"), "{cookie}");
    assert!(
        !cookie.contains(&secret),
        "the cookie is not the link secret"
    );
    // Short-lived: a browser-session cookie (no Max-Age or Expires), or at most a day.
    if let Some(age) = cookie
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Max-Age="))
    {
        assert!(age.parse::<i64>().expect("max-age") <= 86_400, "{cookie}");
    } else {
        assert!(!cookie.contains("Expires="), "{cookie}");
    }
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // Only the new client session and the link's last use changed: nothing consumed, rotated
    // or revoked, no other record touched.
    let after = snapshot(&app).await;
    let mut b = before.clone();
    let mut a = after.clone();
    for t in [
        "client_session",
        "homework_link",
        "audit_event",
        "signing_key",
    ] {
        b.remove(t);
        a.remove(t);
    }
    assert_same(&b, &a, "GET of a link");
    assert_eq!(
        before["homework_link"].len(),
        after["homework_link"].len(),
        "no link minted or removed"
    );
    assert_eq!(
        after["client_session"].len(),
        before["client_session"].len() + 1
    );
    // The link still works (opening is not consuming).
    let again = client.get(&url).send().await.expect("get");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_database_lacks(&app, &secret).await;
    let _ = (l.counselor, l.couple, &l.token);
}

async fn link_secrets_reach_no_log_error_or_audit_entry(app: TestApp) {
    let logs = captured_logs();
    let l = linked(&app).await;
    let live = mint(&app, l.hurt).await;
    let revoked = mint(&app, l.hurt).await;
    let r = app
        .api(&l.token)
        .post_json(
            &format!("/api/v1/couples/{}/links/hurt?action=revoke", l.couple),
            &json!({}),
        )
        .await;
    assert!(r.status().is_success(), "revoked: {}", r.status());
    let live = {
        // Revoking killed both; a fresh one for the live cases.
        let _ = live;
        mint(&app, l.hurt).await
    };
    let client = http::client(false);
    let mut request_ids = Vec::new();
    let cases: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::GET, format!("/h/{live}")),
        (reqwest::Method::HEAD, format!("/h/{live}")),
        (reqwest::Method::GET, format!("/h/{revoked}")),
        (reqwest::Method::HEAD, format!("/h/{revoked}")),
        (reqwest::Method::GET, format!("/h/{live}x")),
        (reqwest::Method::GET, format!("/h/{live}/extra?s={live}")),
        (reqwest::Method::POST, format!("/h/{live}")),
        (reqwest::Method::DELETE, format!("/h/{revoked}")),
        (reqwest::Method::GET, format!("/nothing/{live}")),
        (reqwest::Method::GET, format!("/api/v1/h/{live}")),
    ];
    for (method, path) in &cases {
        let r = client
            .request(method.clone(), app.url(path))
            .header("referer", app.url(path))
            .send()
            .await
            .expect("request");
        assert!(
            r.status() != StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {path}"
        );
        request_ids.push(r.headers()["x-request-id"].to_str().expect("id").to_owned());
        let body = r.text().await.expect("body");
        for s in [&live, &revoked] {
            assert!(
                !body.contains(s.as_str()),
                "{method} {path}: the page shows the secret"
            );
        }
    }
    // Signing in as the partner and using the pages leaves nothing either.
    let b = Browser::new(&app);
    let live2 = mint(&app, l.hurt).await;
    assert_eq!(
        b.get(&format!("/h/{live2}")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(b.get("/h").await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let text = logs_text(&logs);
    assert!(
        text.contains("/h/{secret}"),
        "requests were logged by their route template:\n{text}"
    );
    for id in &request_ids {
        assert!(text.contains(id.as_str()), "request {id} was logged");
    }
    for s in [&live, &revoked, &live2] {
        assert!(!text.contains(s.as_str()), "a secret reached the logs");
        assert!(
            !text.contains(&s[..16]),
            "part of a secret reached the logs"
        );
        assert!(
            !text.contains(&format!("/h/{}", &s[..8])),
            "a link path reached the logs"
        );
        assert_database_lacks(&app, s).await;
    }
}

async fn links_in_emails_come_from_the_base_url_not_the_host_header(app: TestApp) {
    let logs = captured_logs();
    let l = linked(&app).await;
    let client = http::client(false);
    // Through the API, with a forged Host header.
    let r = client
        .post(app.url(&format!("/api/v1/couples/{}/links/hurt", l.couple)))
        .bearer_auth(&l.token)
        .header("host", "evil.test")
        .header("x-forwarded-host", "evil.test")
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // Through the couple page's button, with the same Host.
    let b = Browser::new(&app);
    b.sign_in("c@practice.example", crate::support::PASSWORD)
        .await;
    let csrf = b.csrf("/settings").await;
    let r = b
        .client
        .post(b.url(&format!("/couples/{}/links/involved", l.couple)))
        .header("host", "evil.test")
        .header("x-forwarded-host", "evil.test")
        .form(&[("csrf", csrf.as_str()), ("action", "send")])
        .send()
        .await
        .expect("send");
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );

    let smtp = SmtpServer::start().await;
    let mut w = mail_worker(&app, &smtp.url(), daytime_clock());
    w.digests = false;
    let tally = w.run_once().await.expect("step");
    assert_eq!(tally.sent, 2, "both links went out");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let mut secrets = Vec::new();
    for m in &mails {
        let unfolded = m.replace("=\r\n", "").replace("=\n", "");
        assert!(
            !unfolded.contains("evil.test"),
            "the Host header leaked into a mail:\n{m}"
        );
        let start = unfolded
            .find(&format!("{}/h/", app.base))
            .unwrap_or_else(|| panic!("a link built from the base URL:\n{m}"));
        let secret: String = unfolded[start + app.base.len() + 3..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(secret.len() >= 40, "{secret}");
        secrets.push(secret);
    }
    smtp.stop().await;
    // Nor did sending them put the secrets in a log line or leave them in the database.
    let text = logs_text(&logs);
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a mailed secret reached the logs"
        );
        assert_database_lacks(&app, s).await;
    }
    let _ = l.counselor;
}
