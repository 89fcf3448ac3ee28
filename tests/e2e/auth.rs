//! Counselor sign-in: success, failure, throttling, CSRF, sign-out, sessions in the database,
//! changing the password and signing out everywhere (both end every session).

use kintsugi_core::practice::Role;
use reqwest::StatusCode;

use crate::db_tests;
use crate::support::fixture::practice_form_with;
use crate::support::http::{set_cookie, value_of};
use crate::support::{Backend, Browser, PASSWORD, TestApp};

db_tests!(
    sign_in_succeeds_and_reaches_the_dashboard,
    unknown_email_and_wrong_password_read_the_same,
    pages_need_a_session,
    session_survives_a_server_restart,
    sign_out_ends_the_session,
    forms_without_a_valid_csrf_token_are_refused,
    cross_site_posts_are_refused,
    deactivated_counselors_cannot_sign_in,
    cookies_are_http_only_and_same_site,
    a_cookie_from_before_sign_in_does_not_survive_it,
    changing_the_password_ends_every_session,
    signing_out_everywhere_ends_every_session,
);

mod timeouts {
    use super::*;
    use chrono::Duration;
    use kintsugi_core::clock::FixedClock;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        idle_and_absolute_timeouts_end_sessions_on_the_server(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
            idle_and_absolute_timeouts_end_sessions_on_the_server(Backend::Postgres).await;
        }
    }

    /// The server enforces both limits whatever the cookie says; the clock is moved, not
    /// waited for. The idle limit is the practice's setting (30 minutes until changed).
    async fn idle_and_absolute_timeouts_end_sessions_on_the_server(backend: Backend) {
        let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
        let app = TestApp::spawn_at(backend, clock.clone()).await;
        app.counselor("Maya", "maya@practice.example", Role::Admin)
            .await;
        let b = Browser::new(&app);
        b.sign_in("maya@practice.example", PASSWORD).await;

        // Idle: 29 minutes of quiet are fine, and activity resets the count.
        clock.advance(Duration::minutes(29));
        assert_eq!(b.get("/").await.status(), StatusCode::OK);
        clock.advance(Duration::minutes(29));
        assert_eq!(b.get("/").await.status(), StatusCode::OK);
        clock.advance(Duration::minutes(31));
        assert_eq!(
            b.get("/").await.status(),
            StatusCode::SEE_OTHER,
            "idle limit"
        );

        // A shorter idle limit chosen by the practice applies.
        b.sign_in("maya@practice.example", PASSWORD).await;
        let fields = practice_form_with(&app, "session_idle_minutes", "10").await;
        let r = b
            .submit("/admin/practice", "/admin/practice", &fields)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        clock.advance(Duration::minutes(11));
        assert_eq!(
            b.get("/").await.status(),
            StatusCode::SEE_OTHER,
            "the practice's limit"
        );

        // Absolute: busy all day, still out after 12 hours.
        b.sign_in("maya@practice.example", PASSWORD).await;
        for _ in 0..(12 * 60 / 8 - 1) {
            clock.advance(Duration::minutes(8));
            assert_eq!(b.get("/").await.status(), StatusCode::OK);
        }
        clock.advance(Duration::minutes(9));
        assert_eq!(
            b.get("/").await.status(),
            StatusCode::SEE_OTHER,
            "absolute limit"
        );
    }
}

async fn sign_in_succeeds_and_reaches_the_dashboard(app: TestApp) {
    app.counselor("Daniel Šimková", "daniel@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    let r = b.sign_in("DANIEL@practice.example", PASSWORD).await;
    assert_eq!(r.headers()["location"], "/");
    let (status, html) = b.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your caseload"));
    assert!(html.contains("Daniel Šimková"));
}

async fn unknown_email_and_wrong_password_read_the_same(app: TestApp) {
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    let wrong_password = b
        .try_sign_in("a@practice.example", "not the password")
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    let wrong_page = wrong_password.text().await.expect("body");
    let unknown = b
        .try_sign_in("nobody@practice.example", "not the password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_page = unknown.text().await.expect("body");
    let message = "That email and password do not match an active account.";
    assert!(wrong_page.contains(message) && unknown_page.contains(message));
    // The form keeps the email that was typed.
    assert!(unknown_page.contains("value=\"nobody@practice.example\""));
    // Still signed out.
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
}

async fn pages_need_a_session(app: TestApp) {
    let b = Browser::new(&app);
    for path in [
        "/",
        "/couples/new",
        "/settings",
        "/admin/counselors",
        "/couples/00000000-0000-0000-0000-000000000000",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
}

async fn session_survives_a_server_restart(app: TestApp) {
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.sign_in("a@practice.example", PASSWORD).await;
    let app = app.restart().await;
    // Same cookies, new server process state, new port: the session lives in the database.
    let b = Browser {
        client: b.client,
        base: app.base.clone(),
    };
    let (status, html) = b.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your caseload"));
}

async fn sign_out_ends_the_session(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let csrf = b.csrf("/").await;
    let r = b.post_with("/logout", &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
}

async fn forms_without_a_valid_csrf_token_are_refused(app: TestApp) {
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    // Sign-in form: no token, and a made-up token.
    let _ = b.get("/login").await;
    for token in ["", "made-up-token-made-up-token-made-up"] {
        let r = b
            .post_with(
                "/login",
                token,
                &[
                    ("email", "a@practice.example".into()),
                    ("password", PASSWORD.into()),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    b.sign_in("a@practice.example", PASSWORD).await;
    // Signed-in forms.
    for (path, fields) in [
        ("/couples", crate::support::couple_form("Forged")),
        ("/logout", vec![]),
        ("/settings/api-tokens", vec![]),
    ] {
        let r = b.post_with(path, "wrong", &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = b
            .client
            .post(b.url(path))
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{path} without any token"
        );
    }
    // Nothing was created, and the session still works.
    let (_, html) = b.get_html("/").await;
    assert!(!html.contains("Forged"));
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let csrf = b.csrf("/couples/new").await;
    let mut form = crate::support::couple_form("From elsewhere");
    form.push(("csrf", csrf.clone()));
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = b
            .client
            .post(b.url("/couples"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{header}");
    }
    let same = b
        .client
        .post(b.url("/couples"))
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
}

async fn deactivated_counselors_cannot_sign_in(app: TestApp) {
    let c = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.sign_in("a@practice.example", PASSWORD).await;
    kintsugi_core::practice::counselors::set_active(
        &app.db,
        app.clock.as_ref(),
        &kintsugi_core::audit::Actor::system(),
        c.id,
        false,
    )
    .await
    .expect("deactivate");
    // The live session ends at once, and signing in again is refused.
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.try_sign_in("a@practice.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn cookies_are_http_only_and_same_site(app: TestApp) {
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    let login = b.get("/login").await;
    let csrf_cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"),
        "{csrf_cookie}"
    );
    let r = b.sign_in("a@practice.example", PASSWORD).await;
    let session = set_cookie(&r, "kintsugi_session").expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/")
    );
    assert!(!session.contains("Secure"), "not secure unless configured");
    // 256 random bits, base64url.
    let value = session
        .trim_start_matches("kintsugi_session=")
        .split(';')
        .next()
        .expect("value");
    assert_eq!(value.len(), 43);
}

async fn a_cookie_from_before_sign_in_does_not_survive_it(app: TestApp) {
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.sign_in("a@practice.example", PASSWORD).await;
    let old = b.client.get(b.url("/")).send().await.expect("get");
    assert_eq!(old.status(), StatusCode::OK);
    // Sign in again in the same browser: the earlier session is ended, not reused.
    let before: u64 = count_sessions(&app).await;
    b.sign_in("a@practice.example", PASSWORD).await;
    assert_eq!(
        count_sessions(&app).await,
        before,
        "the old session row was replaced"
    );
}

async fn count_sessions(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    kintsugi_core::entities::browser_session::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_use_the_host_prefix() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.secure_cookies = true).await;
    let r = reqwest::get(app.url("/login")).await.expect("get");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("__Host-kintsugi_csrf="), "{cookie}");
    assert!(cookie.contains("Secure"));
    assert!(r.headers().contains_key("strict-transport-security"));
}

async fn throttled(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sign_in_attempts = 3).await;
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(
            b.try_sign_in("a@practice.example", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The fourth try is refused even with the right password, and the page says when to retry.
    let r = b.try_sign_in("a@practice.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=180).contains(&retry), "{retry}");
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Too many sign-in attempts. Please wait"),
        "{html}"
    );
    assert!(
        html.contains("value=\"a@practice.example\""),
        "keeps the email"
    );
    // The same address is throttled for another account too.
    app.counselor("B", "b@practice.example", Role::Counselor)
        .await;
    assert_eq!(
        b.try_sign_in("b@practice.example", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_per_account_and_address_sqlite() {
    throttled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_per_account_and_address_postgres() {
    if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok() {
        throttled(Backend::Postgres).await;
    }
}

async fn changing_the_password_ends_every_session(app: TestApp) {
    let c = app
        .counselor("Daniel Šimková", "daniel@practice.example", Role::Counselor)
        .await;
    let here = Browser::new(&app);
    here.sign_in("daniel@practice.example", PASSWORD).await;
    let elsewhere = Browser::new(&app);
    elsewhere.sign_in("daniel@practice.example", PASSWORD).await;
    let new = "seven quiet lanterns over the harbour";
    let change = |current: &str, new: &str, repeat: &str| {
        vec![
            ("current", current.to_owned()),
            ("new", new.to_owned()),
            ("repeat", repeat.to_owned()),
        ]
    };
    for (fields, field, why) in [
        (
            change("not my password", new, new),
            "current-error",
            "does not match your password",
        ),
        (
            change(PASSWORD, "password123", "password123"),
            "new-error",
            "too easy to guess",
        ),
        (
            change(PASSWORD, new, "seven quiet lanterns"),
            "repeat-error",
            "does not match the new password",
        ),
    ] {
        let r = here
            .submit("/settings", "/settings/password", &fields)
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("html");
        assert!(html.contains(field) && html.contains(why), "{why}: {html}");
        assert!(
            !html.contains(new) && !html.contains(PASSWORD),
            "passwords are never echoed"
        );
        assert_eq!(
            elsewhere.get("/").await.status(),
            StatusCode::OK,
            "nothing ended yet"
        );
    }
    let r = here
        .submit(
            "/settings",
            "/settings/password",
            &change(PASSWORD, new, new),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    for b in [&here, &elsewhere] {
        assert_eq!(
            b.get("/").await.status(),
            StatusCode::SEE_OTHER,
            "signed out"
        );
    }
    assert_ne!(
        Browser::new(&app)
            .try_sign_in("daniel@practice.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "the old password no longer works"
    );
    Browser::new(&app)
        .sign_in("daniel@practice.example", new)
        .await;
    let actions: Vec<String> = kintsugi_core::audit::recent(&app.db, 50)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.actor_id == Some(c.id))
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().any(|a| a == "password_changed"));
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "password_change_refused")
            .count(),
        3
    );
}

async fn signing_out_everywhere_ends_every_session(app: TestApp) {
    app.counselor("Daniel Šimková", "daniel@practice.example", Role::Counselor)
        .await;
    let browsers = [Browser::new(&app), Browser::new(&app), Browser::new(&app)];
    for b in &browsers {
        b.sign_in("daniel@practice.example", PASSWORD).await;
    }
    let other = Browser::new(&app);
    app.counselor("Other", "other@practice.example", Role::Counselor)
        .await;
    other.sign_in("other@practice.example", PASSWORD).await;
    let r = browsers[0]
        .submit("/settings", "/settings/sign-out-everywhere", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for b in &browsers {
        assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        other.get("/").await.status(),
        StatusCode::OK,
        "only this counselor's sessions end"
    );
}

// ---------------------------------------------------------------------------------------------
// The password that confirms a note signature shares the sign-in tries (wrong ones only).

mod signature_passwords {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn through_the_api_sqlite() {
        wrong_signature_passwords_through_the_api_count_against_sign_in(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn through_the_api_postgres() {
        if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
            wrong_signature_passwords_through_the_api_count_against_sign_in(Backend::Postgres)
                .await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_the_page_sqlite() {
        wrong_signature_passwords_on_the_page_count_against_sign_in(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_the_page_postgres() {
        if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
            wrong_signature_passwords_on_the_page_count_against_sign_in(Backend::Postgres).await;
        }
    }
}

/// A past session of `me` with a draft note; its id.
pub(crate) async fn session_with_a_draft(
    me: &crate::support::sessions::Me,
    days_ago: i64,
) -> String {
    use crate::support::sessions::{id_of, save_note, schedule};
    let session = id_of(&schedule(me, -days_ago).await);
    let body = serde_json::json!(
        {"format": "DAP", "data": "Calm.", "assessment": "Steady.", "plan": "Weekly."}
    );
    assert_eq!(
        save_note(&me.api, &session, &body).await.status(),
        StatusCode::OK
    );
    session
}

pub(crate) fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn wrong_signature_passwords_through_the_api_count_against_sign_in(backend: Backend) {
    use crate::support::sessions::{me, read, sign};
    let app = TestApp::spawn_with(backend, |c| c.sign_in_attempts = 4).await;
    let email = "fenna@practice.example";
    let me = me(&app, email, "Gus & Hal").await;

    // Right passwords do not count: more signatures than the limit, none refused.
    for days_ago in 1..=5 {
        let session = session_with_a_draft(&me, days_ago).await;
        assert_eq!(sign(&me.api, &session).await.status(), StatusCode::OK);
    }

    // Wrong ones do: four refused as wrong, then 429 with Retry-After...
    let session = session_with_a_draft(&me, 6).await;
    let path = format!("/api/v1/sessions/{session}/note/sign");
    let wrong = serde_json::json!({"password": "not my password at all"});
    for _ in 0..4 {
        let r = me.api.post_json(&path, &wrong).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = me.api.post_json(&path, &wrong).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=180).contains(&retry_after(&r)));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // ... the right one is not even checked while it lasts, and the note stays a draft...
    let r = sign(&me.api, &session).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(read(&me.api, &session).await["note"]["status"], "draft");
    // ... and these are the sign-in's tries: the sign-in page refuses the account too.
    let r = Browser::new(&app).try_sign_in(email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn wrong_signature_passwords_on_the_page_count_against_sign_in(backend: Backend) {
    use crate::support::sessions::{me, read, sign};
    let app = TestApp::spawn_with(backend, |c| c.sign_in_attempts = 4).await;
    let email = "gerrit@practice.example";
    let me = me(&app, email, "Ivo & Jan").await;
    let session = session_with_a_draft(&me, 1).await;
    let b = Browser::new(&app);
    b.sign_in(email, PASSWORD).await; // one try of four
    let page = format!("/sessions/{session}");
    let sign_on_page = |password: &'static str| {
        let (b, page) = (&b, page.clone());
        async move {
            let (_, html) = b.get_html(&page).await;
            let version = value_of(&html, "version").unwrap_or_default();
            let fields = vec![
                ("format", "DAP".to_owned()),
                ("version", version),
                ("data", "Calm.".to_owned()),
                ("assessment", "Steady.".to_owned()),
                ("plan", "Weekly.".to_owned()),
                ("action", "sign".to_owned()),
                ("password", password.to_owned()),
            ];
            b.submit(&page, &format!("{page}/note"), &fields).await
        }
    };
    for _ in 0..3 {
        let r = sign_on_page("not my password at all").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = sign_on_page("not my password at all").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=180).contains(&retry_after(&r)));
    let r = sign_on_page(PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "not checked");
    assert_eq!(read(&me.api, &session).await["note"]["status"], "draft");
    // The API's signature shares the same tries.
    assert_eq!(
        sign(&me.api, &session).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
