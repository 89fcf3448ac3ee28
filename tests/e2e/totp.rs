//! Two-factor sign-in (issue #7, points 2 and 4): enrolment with a QR code drawn as SVG and a
//! secret confirmed by a code, sign-in with a code, wrong and replayed codes, recovery codes
//! that work once, throttling with Retry-After, the practice's requirement, note signatures
//! confirmed with a code, and turning it off. Codes are computed here from the secret the page
//! shows and the server's clock, which the tests move: no sleeps.

use std::sync::Arc;

use chrono::{Duration, Utc};
use kintsugi_core::access::totp::{TotpSecret, open_secret};
use kintsugi_core::clock::FixedClock;
use kintsugi_core::crypto::{DataKey, Field, Keyring, sealed_with};
use kintsugi_core::entities::{counselor, counselor_totp, totp_recovery_code};
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::support::cli::{kintsugi, run};
use crate::support::fixture::practice_form_with;
use crate::support::http::{set_cookie, value_of};
use crate::support::sessions;
use crate::support::{Backend, Browser, PASSWORD, TestApp, data_key};

/// One test per database for each `async fn(Totp)`, on a clock the test moves.
macro_rules! totp_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Totp::spawn(crate::support::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
                    super::$name(super::Totp::spawn(crate::support::Backend::Postgres).await).await
                } else {
                    eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
                }
            }
        }
    )*};
}

totp_tests!(
    enrolment_shows_an_svg_qr_code_and_needs_a_right_code,
    sign_in_asks_for_the_code_after_the_password,
    wrong_replayed_and_late_codes_are_refused,
    a_recovery_code_works_once,
    wrong_codes_are_throttled_with_retry_after,
    the_practice_requirement_sends_counselors_to_enrol_first,
    notes_are_signed_with_a_code,
    turning_it_off_needs_the_password_and_a_code,
    secrets_are_sealed_with_the_data_key_and_rotate_with_it,
    secrets_of_the_old_scheme_are_read_or_explained,
    a_pending_secret_expires_after_fifteen_minutes,
    turning_it_on_or_off_ends_the_other_sessions,
    api_tokens_wait_for_enrolment_too,
    the_requirement_is_read_with_the_session_limits_not_per_request,
);

pub struct Totp {
    app: TestApp,
    clock: Arc<FixedClock>,
}

impl Totp {
    async fn spawn(backend: Backend) -> Self {
        // In the middle of a time step, so that moving by whole steps stays clear of edges.
        let now = Utc::now();
        let start = now - Duration::seconds(now.timestamp().rem_euclid(30)) + Duration::seconds(10);
        let clock = Arc::new(FixedClock::new(start));
        let app = TestApp::spawn_at(backend, clock.clone()).await;
        Self { app, clock }
    }

    /// Move to the next time step (a new code).
    fn next_step(&self) {
        self.clock.advance(Duration::seconds(30));
    }

    fn code(&self, secret: &TotpSecret) -> String {
        secret.code_at(self.clock.as_ref().now())
    }

    async fn stored(&self, email: &str) -> counselor::Model {
        counselor::Entity::find()
            .filter(counselor::Column::EmailNormalized.eq(email.to_lowercase()))
            .one(&self.app.db)
            .await
            .expect("query")
            .expect("counselor")
    }
}

use kintsugi_core::Clock as _;

/// The secret the enrolment page shows as text.
fn secret_on(html: &str) -> TotpSecret {
    let start =
        html.find("id=\"totp-secret\">").expect("secret shown") + "id=\"totp-secret\">".len();
    let end = html[start..].find('<').expect("end of secret");
    TotpSecret::from_base32(&html[start..start + end]).expect("a base32 secret")
}

/// The recovery codes a page shows.
fn recovery_codes_on(html: &str) -> Vec<String> {
    let Some(list) = html.split("class=\"recovery-codes\"").nth(1) else {
        return Vec::new();
    };
    let list = list.split("</ul>").next().unwrap_or_default();
    list.split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// Sign in with the password, set up two-factor sign-in, and return the browser (signed in),
/// the secret and the recovery codes.
async fn enrolled(t: &Totp, email: &str, role: Role) -> (Browser, TotpSecret, Vec<String>) {
    t.app.counselor("Ilse Kühn", email, role).await;
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    let (secret, codes) = enrol(t, &b).await;
    (b, secret, codes)
}

async fn enrol(t: &Totp, b: &Browser) -> (TotpSecret, Vec<String>) {
    let r = b
        .submit("/settings/totp", "/settings/totp/setup", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "set-up starts");
    let (status, html) = b.get_html("/settings/totp").await;
    assert_eq!(status, StatusCode::OK);
    let secret = secret_on(&html);
    let r = confirm(b, &[("code", t.code(&secret))]).await;
    assert_eq!(r.status(), StatusCode::OK, "a right code turns it on");
    let html = r.text().await.expect("body");
    let codes = recovery_codes_on(&html);
    assert_eq!(codes.len(), 10, "{html}");
    (secret, codes)
}

/// Send the set-up form's confirmation, as typed on the two-factor settings page.
async fn confirm(b: &Browser, fields: &[(&str, String)]) -> reqwest::Response {
    b.submit("/settings/totp", "/settings/totp/confirm", fields)
        .await
}

/// Password, then (expecting the second step) the code; returns the code step's answer.
async fn sign_in_with(t: &Totp, email: &str, code: &str) -> (Browser, reqwest::Response) {
    let b = Browser::new(&t.app);
    let r = b.sign_in(email, PASSWORD).await;
    assert_eq!(
        r.headers()["location"],
        "/login/totp",
        "the password leads to the code"
    );
    let r = b
        .submit("/login/totp", "/login/totp", &[("code", code.to_owned())])
        .await;
    (b, r)
}

// ---------------------------------------------------------------------------------------------

async fn enrolment_shows_an_svg_qr_code_and_needs_a_right_code(t: Totp) {
    let email = "ilse@practice.example";
    t.app.counselor("Ilse Kühn", email, Role::Counselor).await;
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    let (_, html) = b.get_html("/settings").await;
    assert!(
        html.contains("href=\"/settings/totp\""),
        "settings link to it"
    );
    let (status, html) = b.get_html("/settings/totp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<svg"),
        "no secret before the counselor asks for one"
    );

    let r = b
        .submit("/settings/totp", "/settings/totp/setup", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html("/settings/totp").await;
    let svg_start = html.find("<svg").expect("an inline SVG QR code");
    let svg = &html[svg_start..html[svg_start..].find("</svg>").expect("svg end") + svg_start];
    assert!(
        svg.contains("<path") || svg.contains("<rect"),
        "drawn in SVG"
    );
    assert!(!html.contains("<img"), "no image from elsewhere");
    let secret = secret_on(&html);
    // Reloading shows the same pending secret: it is kept on the server, not in the form.
    assert_eq!(secret_on(&b.get_html("/settings/totp").await.1), secret);
    assert!(t.stored(email).await.totp_secret.is_none(), "not on yet");

    // A wrong code leaves it off.
    let wrong = format!("{:06}", (secret.code_at_step(0) + 1) % 1_000_000);
    let r = confirm(&b, &[("code", wrong)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(t.stored(email).await.totp_secret.is_none());
    // A secret sent with the form is ignored: only the server's pending one counts.
    let other = TotpSecret::generate();
    let r = confirm(
        &b,
        &[("code", t.code(&other)), ("secret", other.to_base32())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = confirm(&b, &[("code", t.code(&secret))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    let codes = recovery_codes_on(&html);
    assert_eq!(codes.len(), 10);
    let stored = t.stored(email).await;
    assert!(stored.totp_secret.is_some(), "on");
    // Recovery codes are kept only as hashes, and shown only once.
    let rows = totp_recovery_code::Entity::find()
        .filter(totp_recovery_code::Column::CounselorId.eq(stored.id))
        .all(&t.app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 10);
    for row in &rows {
        for code in &codes {
            assert!(!row.code_hash.contains(&code.replace('-', "")));
        }
    }
    let (_, again) = b.get_html("/settings/totp").await;
    assert!(recovery_codes_on(&again).is_empty(), "shown once");
    assert!(again.contains("10 unused recovery codes"));
    assert!(
        !again.contains(&secret.to_grouped_base32()),
        "the secret is not shown again"
    );
}

async fn sign_in_asks_for_the_code_after_the_password(t: Totp) {
    let email = "jonas@practice.example";
    let (_, secret, _) = enrolled(&t, email, Role::Counselor).await;
    t.next_step();

    let b = Browser::new(&t.app);
    let r = b.sign_in(email, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/login/totp");
    let cookie = set_cookie(&r, "kintsugi_pending").expect("a pending-login cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    // No session yet: the password alone opens nothing.
    let r = b.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    let (status, html) = b.get_html("/login/totp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("autocomplete=\"one-time-code\""));

    let r = b
        .submit("/login/totp", "/login/totp", &[("code", t.code(&secret))])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(b.get("/").await.status(), StatusCode::OK);
    // The pending sign-in was used up with the code.
    let r = b.get("/login/totp").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Without a pending sign-in, the code page leads back to the password.
    let fresh = Browser::new(&t.app);
    let r = fresh.get("/login/totp").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
}

async fn wrong_replayed_and_late_codes_are_refused(t: Totp) {
    let email = "karin@practice.example";
    let (_, secret, _) = enrolled(&t, email, Role::Counselor).await;
    t.next_step();

    // A wrong code: refused, audited without the code.
    let wrong = format!(
        "{:06}",
        (t.code(&secret).parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let (b, r) = sign_in_with(&t, email, &wrong).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.expect("body").contains("did not match"));
    assert_eq!(
        b.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "no session"
    );
    let events = kintsugi_core::audit::recent(&t.app.db, 50)
        .await
        .expect("audit");
    let refused: Vec<_> = events
        .iter()
        .filter(|e| e.action == "totp_code_refused")
        .collect();
    assert!(!refused.is_empty());
    for e in &events {
        let detail = e.detail.clone().unwrap_or_default();
        assert!(!detail.contains(&wrong) && !detail.contains(&secret.to_base32()));
    }

    // The right code works once; the same code again (same time step) is refused, in the
    // second step of another sign-in as much as anywhere.
    let code = t.code(&secret);
    let (_, r) = sign_in_with(&t, email, &code).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (b2, r) = sign_in_with(&t, email, &code).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.expect("body").contains("used already"));
    assert_eq!(b2.get("/").await.status(), StatusCode::SEE_OTHER);
    // The previous step's code is refused too once a later one was used.
    let previous = format!(
        "{:06}",
        secret.code_at_step(kintsugi_core::access::totp::time_step(t.clock.as_ref().now()) - 1)
    );
    let r = b2
        .submit("/login/totp", "/login/totp", &[("code", previous)])
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The next step's code works on the same pending sign-in.
    t.next_step();
    let r = b2
        .submit("/login/totp", "/login/totp", &[("code", t.code(&secret))])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // A pending sign-in lasts five minutes.
    let late = Browser::new(&t.app);
    late.sign_in(email, PASSWORD).await;
    let csrf = late.csrf("/login/totp").await;
    t.clock.advance(Duration::minutes(6));
    let r = late
        .post_with("/login/totp", &csrf, &[("code", t.code(&secret))])
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.expect("body").contains("sign in again"));
    assert_eq!(late.get("/").await.status(), StatusCode::SEE_OTHER);
}

async fn a_recovery_code_works_once(t: Totp) {
    let email = "lena@practice.example";
    let (_, _, codes) = enrolled(&t, email, Role::Counselor).await;
    let (b, r) = sign_in_with(&t, email, &codes[3].to_uppercase()).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a recovery code signs in"
    );
    assert_eq!(b.get("/").await.status(), StatusCode::OK);
    let (_, html) = b.get_html("/settings/totp").await;
    assert!(html.contains("9 unused recovery codes"), "{html}");
    let (b, r) = sign_in_with(&t, email, &codes[3]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "but only once");
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    let events = kintsugi_core::audit::recent(&t.app.db, 50)
        .await
        .expect("audit");
    assert!(events.iter().any(|e| e.action == "recovery_code_used"));
}

async fn wrong_codes_are_throttled_with_retry_after(t: Totp) {
    let email = "mira@practice.example";
    let (_, secret, _) = enrolled(&t, email, Role::Counselor).await;
    t.next_step();
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    let csrf = b.csrf("/login/totp").await;
    let right = t.code(&secret);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 7) % 1_000_000
    );
    // The enrolment used one try of this account's ten.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = b
            .post_with("/login/totp", &csrf, &[("code", wrong.clone())])
            .await;
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .expect("header")
                .parse()
                .expect("seconds");
            assert!((1..=180).contains(&retry), "{retry}");
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses.len() >= 9, "{statuses:?}");
    // While throttled, even the right code is not checked.
    let r = b.post_with("/login/totp", &csrf, &[("code", right)]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    let events = kintsugi_core::audit::recent(&t.app.db, 100)
        .await
        .expect("audit");
    assert!(events.iter().any(|e| e.action == "totp_throttled"));
}

async fn the_practice_requirement_sends_counselors_to_enrol_first(t: Totp) {
    let admin = "nora@practice.example";
    t.app.counselor("Nora Admin", admin, Role::Admin).await;
    let counselor = "otto@practice.example";
    t.app
        .counselor("Otto Berg", counselor, Role::Counselor)
        .await;
    let a = Browser::new(&t.app);
    a.sign_in(admin, PASSWORD).await;
    let (_, html) = a.get_html("/admin/practice").await;
    assert!(html.contains("name=\"totp_required\""));

    // Admins only: the admin's own session is held at the enrolment page at once.
    require(&t, &a, "admins").await;
    for path in ["/", "/admin/practice", "/settings", "/couples/new"] {
        let r = a.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/settings/totp", "{path}");
    }
    let r = a
        .submit("/settings/totp", "/settings/api-tokens", &[])
        .await;
    assert_eq!(
        r.headers()["location"],
        "/settings/totp",
        "no other form either"
    );
    // A counselor is not concerned by "admins".
    let c = Browser::new(&t.app);
    let r = c.sign_in(counselor, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(c.get("/").await.status(), StatusCode::OK);

    // The admin enrols; then everything opens again.
    enrol(&t, &a).await;
    assert_eq!(a.get("/").await.status(), StatusCode::OK);

    // Everyone: a counselor without it goes from the password straight to enrolment.
    t.next_step();
    require(&t, &a, "everyone").await;
    let c = Browser::new(&t.app);
    let r = c.sign_in(counselor, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/settings/totp");
    let r = c.get("/").await;
    assert_eq!(r.headers()["location"], "/settings/totp");
    let (status, html) = c.get_html("/settings/totp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your practice asks you"), "{html}");
    // Signing out still works.
    let r = c.submit("/settings/totp", "/logout", &[]).await;
    assert_eq!(r.headers()["location"], "/login");
    let c = Browser::new(&t.app);
    c.sign_in(counselor, PASSWORD).await;
    enrol(&t, &c).await;
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
}

async fn notes_are_signed_with_a_code(t: Totp) {
    let email = "petra@practice.example";
    let me = sessions::me(&t.app, email, "Pia & Quinn").await;
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    let (secret, _) = enrol(&t, &b).await;

    // Through the API: a code instead of the password; each code signs once.
    let first = sessions::id_of(&sessions::schedule(&me, -1).await);
    let body =
        json!({"format": "DAP", "data": "Calm.", "assessment": "Steady.", "plan": "Weekly."});
    let r = sessions::save_note(&me.api, &first, &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sign_path = format!("/api/v1/sessions/{first}/note/sign");
    let used = t.code(&secret);
    let r = me.api.post_json(&sign_path, &json!({"code": used})).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the enrolment used this step"
    );
    let problem: serde_json::Value = r.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "code");
    t.next_step();
    let code = t.code(&secret);
    let r = me.api.post_json(&sign_path, &json!({"code": code})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let note: serde_json::Value = r.json().await.expect("json");
    assert_eq!(note["status"], "signed");

    // Neither, or both: refused.
    let second = sessions::id_of(&sessions::schedule(&me, -2).await);
    let r = sessions::save_note(&me.api, &second, &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sign_path = format!("/api/v1/sessions/{second}/note/sign");
    let r = me.api.post_json(&sign_path, &json!({})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The same code again does not sign another note.
    let r = me.api.post_json(&sign_path, &json!({"code": code})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The password still works.
    let r = sessions::sign(&me.api, &second).await;
    assert_eq!(r.status(), StatusCode::OK);

    // On the page: the sign box asks for the code.
    let third = sessions::id_of(&sessions::schedule(&me, -3).await);
    let page = format!("/sessions/{third}");
    let (status, html) = b.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"sign-code\" name=\"code\""), "{html}");
    assert!(!html.contains("id=\"sign-password\""));
    let fields = |code: String| {
        vec![
            ("format", "DAP".to_owned()),
            ("version", String::new()),
            ("data", "Both present.".to_owned()),
            ("assessment", "Open.".to_owned()),
            ("plan", "Letters.".to_owned()),
            ("action", "sign".to_owned()),
            ("code", code),
        ]
    };
    let r = b
        .submit(&page, &format!("{page}/note"), &fields("000000".into()))
        .await;
    let wrong_ok = secret
        .matching_step("000000", t.clock.as_ref().now(), None)
        .is_some();
    if !wrong_ok {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("The code does not match")
        );
    }
    t.next_step();
    let (_, html) = b.get_html(&page).await;
    let version = value_of(&html, "version").unwrap_or_default();
    let mut f = fields(t.code(&secret));
    f[1].1 = version;
    let r = b.submit(&page, &format!("{page}/note"), &f).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&page).await;
    assert!(html.contains("Signed and locked"));
}

async fn turning_it_off_needs_the_password_and_a_code(t: Totp) {
    let email = "quirin@practice.example";
    let (b, secret, codes) = enrolled(&t, email, Role::Counselor).await;
    t.next_step();
    let off =
        |password: &str, code: String| vec![("password", password.to_owned()), ("code", code)];
    let r = b
        .submit(
            "/settings/totp",
            "/settings/totp/disable",
            &off("wrong password", t.code(&secret)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .submit(
            "/settings/totp",
            "/settings/totp/disable",
            &off(PASSWORD, "123 456".into()),
        )
        .await;
    if secret
        .matching_step("123456", t.clock.as_ref().now(), None)
        .is_none()
    {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(t.stored(email).await.totp_secret.is_some(), "still on");
    }
    t.next_step();
    let r = b
        .submit(
            "/settings/totp",
            "/settings/totp/disable",
            &off(PASSWORD, t.code(&secret)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = t.stored(email).await;
    assert!(stored.totp_secret.is_none(), "off");
    let left = totp_recovery_code::Entity::find()
        .filter(totp_recovery_code::Column::CounselorId.eq(stored.id))
        .all(&t.app.db)
        .await
        .expect("rows");
    assert!(left.is_empty(), "the recovery codes went with it");
    // The password alone signs in again; old recovery codes are worthless.
    let again = Browser::new(&t.app);
    let r = again.sign_in(email, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/");
    assert!(!codes.is_empty());
    let events = kintsugi_core::audit::recent(&t.app.db, 100)
        .await
        .expect("audit");
    assert!(events.iter().any(|e| e.action == "totp_disabled"));
    assert!(events.iter().any(|e| e.action == "totp_enabled"));
}

// ---------------------------------------------------------------------------------------------
// Secrets at rest: one scheme with the clinical text.

/// The stored secrets (enabled and pending) of a counselor, as the database holds them.
async fn stored_secrets(t: &Totp, email: &str) -> (Option<String>, Option<String>) {
    let c = t.stored(email).await;
    let pending = counselor_totp::Entity::find_by_id(c.id)
        .one(&t.app.db)
        .await
        .expect("query")
        .and_then(|r| r.pending_secret);
    (c.totp_secret, pending)
}

/// `kintsugi serve` (the real binary) on the app's database; returns the child and its base URL.
async fn serve_binary(
    t: &Totp,
    dir: &std::path::Path,
    key: Option<&DataKey>,
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut cmd = kintsugi(dir, &t.app.database_url);
    cmd.arg("serve")
        .env("KINTSUGI_LOG", "warn")
        .stdout(std::process::Stdio::piped());
    if let Some(key) = key {
        cmd.env("KINTSUGI_DATA_KEY", key.to_base64());
    }
    let mut child = cmd.spawn().expect("serve");
    let mut out = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    loop {
        let line = out
            .next_line()
            .await
            .expect("read")
            .expect("serve printed its address");
        if let Some(rest) = line.split("listening on ").nth(1) {
            let base = format!("http://{}", rest.split(')').next().expect("addr"));
            return (child, base);
        }
    }
}

async fn secrets_are_sealed_with_the_data_key_and_rotate_with_it(mut t: Totp) {
    // The real binary below signs in on the real clock: keep the test's steps behind it, so
    // that the last step used here is older than any code the real clock makes.
    t.clock.advance(Duration::minutes(-5));
    let email = "rosa@practice.example";
    let (_, secret, _) = enrolled(&t, email, Role::Counselor).await;
    // A second counselor halfway through setting it up: a pending secret.
    let halfway = "sven@practice.example";
    t.app.counselor("Sven Halb", halfway, Role::Counselor).await;
    let h = Browser::new(&t.app);
    h.sign_in(halfway, PASSWORD).await;
    h.submit("/settings/totp", "/settings/totp/setup", &[])
        .await;
    let pending = secret_on(&h.get_html("/settings/totp").await.1);

    // Sealed with the installation's data key, in the clinical text's format.
    let key = data_key();
    let (enabled, _) = stored_secrets(&t, email).await;
    let enabled = enabled.expect("on");
    assert_eq!(sealed_with(&enabled), Some(key.id()), "{enabled}");
    assert!(!enabled.contains(&secret.to_base32()));
    let (_, waiting) = stored_secrets(&t, halfway).await;
    let waiting = waiting.expect("pending");
    assert_eq!(sealed_with(&waiting), Some(key.id()), "{waiting}");
    assert!(!waiting.contains(&pending.to_base32()));
    // And a code signs in.
    t.next_step();
    let (b, r) = sign_in_with(&t, email, &t.code(&secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status(), StatusCode::OK);

    // `kintsugi rotate-key` re-seals them with everything else: from the key file beside a
    // SQLite database (a new key made for it), from the environment for PostgreSQL.
    t.app.stop().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = t.app.database_url.clone();
    let new = match t.app.backend {
        Backend::Sqlite => {
            let (code, stdout, stderr) = run(kintsugi(dir.path(), &url).arg("rotate-key")).await;
            assert_eq!(code, 0, "{stdout}{stderr}");
            let file = kintsugi_web::Config::for_database(&url).data_key_file;
            DataKey::from_base64(&std::fs::read_to_string(file).expect("key file")).expect("key")
        }
        Backend::Postgres => {
            let file = dir.path().join("new.key");
            let (code, stdout, stderr) = run(kintsugi(dir.path(), &url)
                .env("KINTSUGI_DATA_KEY", key.to_base64())
                .arg("rotate-key")
                .arg("--new-key-file")
                .arg(&file))
            .await;
            assert_eq!(code, 0, "{stdout}{stderr}");
            DataKey::from_base64(&std::fs::read_to_string(file).expect("new key")).expect("key")
        }
    };
    assert_ne!(new.id(), key.id());
    let ring = Keyring::new(new.clone());
    let owner = t.stored(email).await.id;
    let (enabled, _) = stored_secrets(&t, email).await;
    let enabled = enabled.expect("still on");
    assert_eq!(sealed_with(&enabled), Some(new.id()), "{enabled}");
    assert_eq!(
        open_secret(&ring, Field::TotpSecret, owner, &enabled),
        Ok(secret.clone())
    );
    let (_, waiting) = stored_secrets(&t, halfway).await;
    let waiting = waiting.expect("still pending");
    assert_eq!(sealed_with(&waiting), Some(new.id()), "{waiting}");
    assert_eq!(
        open_secret(
            &ring,
            Field::PendingTotpSecret,
            t.stored(halfway).await.id,
            &waiting
        ),
        Ok(pending)
    );

    // The server on the new key takes the app's code as before (on the real clock).
    let env_key = (t.app.backend == Backend::Postgres).then_some(&new);
    let (mut child, base) = serve_binary(&t, dir.path(), env_key).await;
    let mut b = Browser::new(&t.app);
    b.base = base;
    let r = b.sign_in(email, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/login/totp");
    let r = b
        .submit(
            "/login/totp",
            "/login/totp",
            &[("code", secret.code_at(Utc::now()))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the code still works");
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(b.get("/").await.status(), StatusCode::OK);
    child.kill().await.expect("stop serve");
}

async fn secrets_of_the_old_scheme_are_read_or_explained(t: Totp) {
    let email = "theo@practice.example";
    let (_, secret, codes) = enrolled(&t, email, Role::Counselor).await;
    let id = t.stored(email).await.id;
    let db = t.app.db.clone();
    let set = |value: String| {
        let db = db.clone();
        async move {
            counselor::Entity::update_many()
                .col_expr(
                    counselor::Column::TotpSecret,
                    sea_orm::sea_query::Expr::value(Some(value)),
                )
                .filter(counselor::Column::Id.eq(id))
                .exec(&db)
                .await
                .expect("update");
        }
    };
    // Stored plain by an older version: read, and sealed once a code is accepted.
    set(format!("plain1:{}", secret.to_base32())).await;
    t.next_step();
    let (_, r) = sign_in_with(&t, email, &t.code(&secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = t.stored(email).await.totp_secret.expect("on");
    assert_eq!(sealed_with(&stored), Some(data_key().id()), "{stored}");

    // Sealed by the old scheme of its own: no code can be checked, and the page says what to do.
    set("gcm1:c2VhbGVkIGJ5IHRoZSBvbGQgc2NoZW1lIG9mIGl0cyBvd24".into()).await;
    t.next_step();
    let (b, r) = sign_in_with(&t, email, &t.code(&secret)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("recovery codes") && html.contains("set up two-factor sign-in again"),
        "{html}"
    );
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    // A recovery code still signs in.
    let r = b
        .submit("/login/totp", "/login/totp", &[("code", codes[0].clone())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn a_pending_secret_expires_after_fifteen_minutes(t: Totp) {
    let email = "ulla@practice.example";
    t.app.counselor("Ulla Frei", email, Role::Counselor).await;
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    b.submit("/settings/totp", "/settings/totp/setup", &[])
        .await;
    let first = secret_on(&b.get_html("/settings/totp").await.1);

    // Still waiting after 14 minutes.
    t.clock.advance(Duration::minutes(14));
    assert_eq!(secret_on(&b.get_html("/settings/totp").await.1), first);

    // After 15, the key is gone: not shown, and its right code turns nothing on.
    t.clock.advance(Duration::minutes(2));
    let (_, html) = b.get_html("/settings/totp").await;
    assert!(
        !html.contains("id=\"totp-secret\"") && !html.contains("<svg"),
        "{html}"
    );
    let r = confirm(&b, &[("code", t.code(&first))]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("came too late"), "{html}");
    assert!(t.stored(email).await.totp_secret.is_none(), "still off");
    assert_eq!(
        stored_secrets(&t, email).await.1,
        None,
        "the expired key is dropped"
    );

    // Starting again gives a new key, which works.
    b.submit("/settings/totp", "/settings/totp/setup", &[])
        .await;
    let second = secret_on(&b.get_html("/settings/totp").await.1);
    assert_ne!(second, first);
    t.next_step();
    let r = confirm(&b, &[("code", t.code(&second))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(t.stored(email).await.totp_secret.is_some(), "on");
}

async fn turning_it_on_or_off_ends_the_other_sessions(t: Totp) {
    let email = "vera@practice.example";
    t.app.counselor("Vera Lind", email, Role::Counselor).await;
    let here = Browser::new(&t.app);
    here.sign_in(email, PASSWORD).await;
    let elsewhere = Browser::new(&t.app);
    elsewhere.sign_in(email, PASSWORD).await;
    let token = t.app.api_token(t.stored(email).await.id).await;

    // On: the browser signed in with the password alone is signed out; this one stays.
    let (secret, _) = enrol(&t, &here).await;
    let r = elsewhere.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(here.get("/").await.status(), StatusCode::OK, "still in");

    // Signed in again elsewhere, with a code; then off: elsewhere is signed out again.
    t.next_step();
    let (elsewhere, r) = sign_in_with(&t, email, &t.code(&secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(elsewhere.get("/").await.status(), StatusCode::OK);
    t.next_step();
    let r = here
        .submit(
            "/settings/totp",
            "/settings/totp/disable",
            &[("password", PASSWORD.to_owned()), ("code", t.code(&secret))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = elsewhere.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(here.get("/").await.status(), StatusCode::OK, "still in");
    // API tokens are not sessions: they stay (revoked by deactivation).
    let r = t.app.api(&token).get("/api/v1/couples").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Save the practice's two-factor requirement (`none`, `admins`, `everyone`) as `admin`.
async fn require(t: &Totp, admin: &Browser, who: &str) {
    let fields = practice_form_with(&t.app, "totp_required", who).await;
    let r = admin
        .submit("/admin/practice", "/admin/practice", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "practice saved");
}

async fn api_tokens_wait_for_enrolment_too(t: Totp) {
    let admin = "wanda@practice.example";
    let (a, _, _) = enrolled(&t, admin, Role::Admin).await;
    let email = "xaver@practice.example";
    let me = sessions::me(&t.app, email, "Yara & Zeno").await;
    let couples = format!("/api/v1/couples/{}", me.couple);
    assert_eq!(me.api.get(&couples).await.status(), StatusCode::OK);

    // Everyone must use two-factor sign-in: the counselor's token stops at a 403 that says
    // what to do, for reads and writes alike, and changes nothing.
    require(&t, &a, "everyone").await;
    let r = me.api.get(&couples).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.expect("json");
    assert_eq!(problem["status"], 403);
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("set up two-factor sign-in"), "{detail}");
    let r = me
        .api
        .post_json("/api/v1/couples", &crate::support::couple_json("Sneaky"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let labels: Vec<String> = kintsugi_core::entities::couple::Entity::find()
        .all(&t.app.db)
        .await
        .expect("couples")
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(!labels.iter().any(|l| l == "Sneaky"), "{labels:?}");
    // An admin who enrolled keeps using the API.
    let admin_token = t.app.api_token(t.stored(admin).await.id).await;
    let r = t.app.api(&admin_token).get("/api/v1/couples").await;
    assert_eq!(r.status(), StatusCode::OK);

    // Once the counselor has enrolled (on the pages), the same token works again.
    let b = Browser::new(&t.app);
    let r = b.sign_in(email, PASSWORD).await;
    assert_eq!(r.headers()["location"], "/settings/totp");
    t.next_step();
    enrol(&t, &b).await;
    assert_eq!(me.api.get(&couples).await.status(), StatusCode::OK);
}

async fn the_requirement_is_read_with_the_session_limits_not_per_request(t: Totp) {
    let email = "yvonne@practice.example";
    let me = sessions::me(&t.app, email, "Ada & Bo").await;
    let b = Browser::new(&t.app);
    b.sign_in(email, PASSWORD).await;
    assert_eq!(b.get("/").await.status(), StatusCode::OK);
    assert_eq!(me.api.get("/api/v1/couples").await.status(), StatusCode::OK);

    // Another instance's admin requires it of everyone: the setting changes in the database
    // only. Requests here go on without reading it (it is read with the idle limit, at most
    // every 30 seconds)...
    kintsugi_core::entities::practice::Entity::update_many()
        .col_expr(
            kintsugi_core::entities::practice::Column::TotpRequired,
            sea_orm::sea_query::Expr::value(kintsugi_core::access::totp::TotpRequirement::Everyone),
        )
        .exec(&t.app.db)
        .await
        .expect("update");
    t.clock.advance(Duration::seconds(29));
    assert_eq!(b.get("/").await.status(), StatusCode::OK);
    assert_eq!(me.api.get("/api/v1/couples").await.status(), StatusCode::OK);

    // ... and apply it once those 30 seconds are over, to pages and tokens alike.
    t.clock.advance(Duration::seconds(2));
    let r = b.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings/totp");
    assert_eq!(
        me.api.get("/api/v1/couples").await.status(),
        StatusCode::FORBIDDEN
    );
}
