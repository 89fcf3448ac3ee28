//! Audit events: sign-in, failed sign-in, sign-out, and every read or change of a couple, with
//! actor, time and IP address, and no clinical text.

use kintsugi_core::entities::audit_event;
use kintsugi_core::practice::Role;
use sea_orm::{EntityTrait, QueryOrder};

use crate::db_tests;
use crate::support::{Browser, PASSWORD, TestApp, couple_form, couple_json};

db_tests!(sign_ins_and_couple_reads_and_changes_are_audited);

async fn events(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .expect("events")
}

async fn sign_ins_and_couple_reads_and_changes_are_audited(app: TestApp) {
    let c = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.try_sign_in("a@practice.example", "wrong password").await;
    b.sign_in("a@practice.example", PASSWORD).await;
    let r = b
        .submit("/couples/new", "/couples", &couple_form("Secret Label"))
        .await;
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    b.get(&location).await;
    let token = app.api_token(c.id).await;
    let api = app.api(&token);
    let created: serde_json::Value = api
        .post_json("/api/v1/couples", &couple_json("Another"))
        .await
        .json()
        .await
        .expect("json");
    api.get(&format!(
        "/api/v1/couples/{}",
        created["id"].as_str().expect("id")
    ))
    .await;
    let csrf = b.csrf("/").await;
    b.post_with("/logout", &csrf, &[]).await;

    let all = events(&app).await;
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "sign_in_failed",
        "sign_in",
        "couple_created",
        "couple_viewed",
        "couple_list_viewed",
        "sign_out",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let failed = all
        .iter()
        .find(|e| e.action == "sign_in_failed")
        .expect("failed");
    assert_eq!(
        failed.actor_id,
        Some(c.id),
        "a failed sign-in names the account it was against"
    );
    let viewed = all
        .iter()
        .find(|e| e.action == "couple_viewed")
        .expect("viewed");
    assert_eq!(viewed.actor_id, Some(c.id));
    assert_eq!(viewed.record_kind.as_deref(), Some("couple"));
    assert_eq!(viewed.ip.as_deref(), Some("127.0.0.1"));
    for e in &all {
        let text = format!("{e:?}");
        assert!(
            !text.contains("Secret Label") && !text.contains("Zoë"),
            "no clinical text in the audit log: {text}"
        );
    }
}
