//! Practice admins manage counselors: add, deactivate (sessions and tokens end), reactivate.

use kintsugi_core::practice::Role;
use reqwest::StatusCode;

use crate::db_tests;
use crate::support::{Browser, PASSWORD, TestApp};

db_tests!(
    admin_adds_a_counselor_who_can_sign_in,
    deactivation_ends_sessions_and_tokens
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
