//! Practice admins manage counselors (add, deactivate: sessions and tokens end, reactivate)
//! and the practice settings (name, zone, note format, paper, reminders, waking hours, links).

use kintsugi_core::practice::Role;
use kintsugi_core::practice::settings::PaperSize;
use kintsugi_core::sessions::notes::NoteFormat;
use reqwest::StatusCode;

use crate::db_tests;
use crate::support::{Browser, PASSWORD, TestApp};

db_tests!(
    admin_adds_a_counselor_who_can_sign_in,
    deactivation_ends_sessions_and_tokens,
    admin_changes_the_practice_settings,
);

async fn admin(app: &TestApp) -> Browser {
    app.counselor("Maya Okafor", "maya@practice.example", Role::Admin)
        .await;
    let b = Browser::new(app);
    b.sign_in("maya@practice.example", PASSWORD).await;
    b
}

async fn admin_adds_a_counselor_who_can_sign_in(app: TestApp) {
    let b = admin(&app).await;
    let fields = [
        ("name", "Renée O’Brien".to_owned()),
        ("email", "renee@practice.example".to_owned()),
        ("timezone", "America/New_York".to_owned()),
        ("password", "another calm passphrase".to_owned()),
    ];
    let r = b
        .submit("/admin/counselors", "/admin/counselors", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("Renée O’Brien can now sign in"));
    // The same email again is refused with a field error, keeping what was typed.
    let r = b
        .submit("/admin/counselors", "/admin/counselors", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(html.contains("already used"));
    assert!(html.contains("value=\"renee@practice.example\""));
    assert!(
        !html.contains("another calm passphrase"),
        "passwords are never echoed"
    );
    let renee = Browser::new(&app);
    renee
        .sign_in("renee@practice.example", "another calm passphrase")
        .await;
    assert_eq!(renee.get("/").await.status(), StatusCode::OK);

    // The stored hash is argon2id at OWASP's minimum or above (19 MiB, 2 passes).
    let stored =
        kintsugi_core::practice::counselors::find_by_email(&app.db, "renee@practice.example")
            .await
            .expect("query")
            .expect("counselor");
    assert!(
        stored
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        stored.password_hash
    );
    assert!(!stored.password_hash.contains("another calm passphrase"));

    // Weak or common passwords are refused with a reason; a long one is kept whole.
    for weak in ["password123", "qwertyuiop", "11111111"] {
        let fields = [
            ("name", "Weak Example".to_owned()),
            ("email", format!("weak{}@practice.example", weak.len())),
            ("timezone", "Europe/Berlin".to_owned()),
            ("password", weak.to_owned()),
        ];
        let r = b
            .submit("/admin/counselors", "/admin/counselors", &fields)
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(r.text().await.expect("html").contains("too easy to guess"));
    }
    let long = "seven quiet lanterns drift over the harbour at dusk while gulls sleep";
    assert!(long.chars().count() > 64);
    let fields = [
        ("name", "Long Passphrase".to_owned()),
        ("email", "long@practice.example".to_owned()),
        ("timezone", "Europe/Berlin".to_owned()),
        ("password", long.to_owned()),
    ];
    let r = b
        .submit("/admin/counselors", "/admin/counselors", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let with_long = Browser::new(&app);
    with_long.sign_in("long@practice.example", long).await;
    // No truncation: the first 64 characters alone are not the password.
    let r = Browser::new(&app)
        .try_sign_in("long@practice.example", &long[..64])
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
}

async fn deactivation_ends_sessions_and_tokens(app: TestApp) {
    let b = admin(&app).await;
    let (c, their_browser) = app
        .signed_in_counselor("Daniel", "daniel@practice.example")
        .await;
    let token = app.api_token(c.id).await;
    assert_eq!(app.api(&token).get("/api/v1/couples").await.status(), 200);
    let r = b
        .submit(
            "/admin/counselors",
            &format!("/admin/counselors/{}/active", c.id),
            &[("active", "false".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        their_browser.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "signed out at once"
    );
    assert_eq!(
        app.api(&token).get("/api/v1/couples").await.status(),
        401,
        "token stops working"
    );
    assert_eq!(
        Browser::new(&app)
            .try_sign_in("daniel@practice.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Reactivated: can sign in again, but old tokens stay revoked.
    let r = b
        .submit(
            "/admin/counselors",
            &format!("/admin/counselors/{}/active", c.id),
            &[("active", "true".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    Browser::new(&app)
        .sign_in("daniel@practice.example", PASSWORD)
        .await;
    assert_eq!(app.api(&token).get("/api/v1/couples").await.status(), 401);
}

fn practice_fields(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("name", "Harbour Counselling".into()),
        ("timezone", "Europe/London".into()),
        ("note_format", "SOAP".into()),
        ("paper_size", "letter".into()),
        ("reminder_hours_before", "36".into()),
        ("quiet_hours_start", "9".into()),
        ("quiet_hours_end", "20".into()),
        ("link_expiry_days", "60".into()),
        ("session_idle_minutes", "15".into()),
    ];
    for (k, v) in pairs {
        if let Some(f) = fields.iter_mut().find(|(name, _)| name == k) {
            f.1 = (*v).to_owned();
        }
    }
    fields
}

async fn admin_changes_the_practice_settings(app: TestApp) {
    let b = admin(&app).await;
    let (status, html) = b.get_html("/admin/practice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"DAP\" selected"), "DAP by default");

    // Bad values come back with their errors and as typed; nothing is saved.
    let bad = practice_fields(&[
        ("timezone", "Mars/Olympus"),
        ("paper_size", "A3"),
        ("quiet_hours_start", "22"),
        ("quiet_hours_end", "6"),
        ("link_expiry_days", "<script>alert(1)</script>"),
    ]);
    let r = b.submit("/admin/practice", "/admin/practice", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(html.contains("value=\"Mars/Olympus\""));
    assert!(html.contains("must be later than the start"));
    assert!(!html.contains("<script>alert(1)</script>"));

    let r = b
        .submit("/admin/practice", "/admin/practice", &practice_fields(&[]))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = kintsugi_core::practice::settings::ensure(&app.db, app.clock.as_ref())
        .await
        .expect("practice");
    assert_eq!(saved.name, "Harbour Counselling");
    assert_eq!(saved.paper_size, PaperSize::Letter);
    assert_eq!(saved.note_format, NoteFormat::Soap);
    assert_eq!(
        (
            saved.reminder_hours_before,
            saved.quiet_hours_start,
            saved.quiet_hours_end,
            saved.link_expiry_days
        ),
        (36, 9, 20, 60)
    );

    // A counselor who is not an admin finds no such page.
    let (_, other) = app.signed_in_counselor("Dan", "dan@practice.example").await;
    assert_eq!(
        other.get("/admin/practice").await.status(),
        StatusCode::NOT_FOUND
    );
    let csrf = other.csrf("/").await;
    let r = other
        .post_with(
            "/admin/practice",
            &csrf,
            &practice_fields(&[("name", "Taken over")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let still = kintsugi_core::practice::settings::ensure(&app.db, app.clock.as_ref())
        .await
        .expect("practice");
    assert_eq!(still.name, "Harbour Counselling");
}
