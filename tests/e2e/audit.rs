//! Audit events: sign-in, failed sign-in, sign-out, and every read or change of a couple, with
//! actor, time and IP address, and no clinical text; the trail is append-only in the database;
//! admins filter it on a page and export it as CSV.

use kintsugi_core::entities::audit_event;
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::db_tests;
use crate::support::{Browser, PASSWORD, TestApp, couple_form, couple_json};

db_tests!(
    sign_ins_and_couple_reads_and_changes_are_audited,
    the_trail_is_append_only_in_the_database,
    admins_filter_and_export_the_audit_log,
    refused_access_is_audited_with_the_route_not_the_path,
    a_burst_of_views_is_audited_in_full,
    views_reach_the_trail_at_shutdown,
);

async fn events(app: &TestApp) -> Vec<audit_event::Model> {
    app.flush_audit().await;
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
    let (page, _) = b.add_couple("Secret Label").await;
    b.get(&page).await;
    let token = app.api_token(c.id).await;
    let api = app.api(&token);
    let created: serde_json::Value = api.add_couple(&couple_json("Another")).await;
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

async fn the_trail_is_append_only_in_the_database(app: TestApp) {
    let b = Browser::new(&app);
    app.counselor("A", "a@practice.example", Role::Counselor)
        .await;
    b.sign_in("a@practice.example", PASSWORD).await;
    let before = events(&app).await;
    assert!(!before.is_empty());
    for sql in [
        "UPDATE audit_event SET action = 'nothing_happened'",
        "DELETE FROM audit_event",
    ] {
        let refused = app.db.execute_unprepared(sql).await;
        assert!(refused.is_err(), "{sql} must be refused");
        assert!(
            refused
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("append-only")
        );
    }
    assert_eq!(events(&app).await, before);
}

async fn admins_filter_and_export_the_audit_log(app: TestApp) {
    app.counselor("Maya Okafor", "maya@practice.example", Role::Admin)
        .await;
    let dan = app
        .counselor("=HYPERLINK(1)", "dan@practice.example", Role::Counselor)
        .await;
    let admin = Browser::new(&app);
    admin.sign_in("maya@practice.example", PASSWORD).await;
    let d = Browser::new(&app);
    d.try_sign_in("dan@practice.example", "not the password")
        .await;
    d.sign_in("dan@practice.example", PASSWORD).await;
    let r = d
        .submit("/couples/new", "/couples", &couple_form("Secret Label"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (status, html) = admin.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("couple_created") && html.contains("sign_in_failed"));
    assert!(
        !html.contains("Secret Label"),
        "no clinical or couple text in the trail"
    );

    // Filtered to one counselor and one action.
    let (status, html) = admin
        .get_html(&format!(
            "/admin/audit?counselor={}&action=couple_created",
            dan.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">1 event<"), "{html}");

    // Filters outside the fixed lists are refused with the typed values kept.
    let (status, html) = admin
        .get_html("/admin/audit?action=drop_tables&from=yesterday&record=nope")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"yesterday\"") && html.contains("value=\"nope\""));
    assert!(html.contains("choose an action from the list"));

    // CSV export of what matches, safe to open in a spreadsheet.
    let r = admin
        .get(&format!("/admin/audit.csv?counselor={}", dan.id))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("disposition")
            .starts_with("attachment; filename=\"audit-log-")
    );
    let csv = r.text().await.expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time,time_zone,actor,actor_kind,actor_id,action,record_kind,record_id,ip,detail")
    );
    let body: Vec<&str> = lines.collect();
    assert!(body.iter().any(|l| l.contains(",couple_created,couple,")));
    assert!(body.iter().all(|l| l.contains(&dan.id.to_string())));
    assert!(
        body.iter().all(|l| !l.contains(",=HYPERLINK")),
        "formulas are defused: {csv}"
    );
    assert!(body.iter().any(|l| l.contains("'=HYPERLINK(1)")));
    assert!(!csv.contains("Secret Label"));
    assert_eq!(
        admin.get("/admin/audit.csv?action=nope").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Counselors who are not admins find no such pages; viewing and exporting are audited.
    assert_eq!(d.get("/admin/audit").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        d.get("/admin/audit.csv").await.status(),
        StatusCode::NOT_FOUND
    );
    let actions: Vec<String> = events(&app).await.into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "audit_log_viewed"));
    assert!(actions.iter().any(|a| a == "audit_log_exported"));
}

async fn refused_access_is_audited_with_the_route_not_the_path(app: TestApp) {
    let owner = app
        .counselor("Owner", "owner@practice.example", Role::Counselor)
        .await;
    let created: serde_json::Value = app
        .api(&app.api_token(owner.id).await)
        .add_couple(&couple_json("Private Couple"))
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let prober = app
        .counselor("Prober", "prober@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.sign_in("prober@practice.example", PASSWORD).await;
    assert_eq!(
        b.get(&format!("/couples/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let api = app.api(&app.api_token(prober.id).await);
    assert_eq!(
        api.get(&format!("/api/v1/couples/{id}/progress"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // An unknown path is not a record: no refusal is recorded for it.
    assert_eq!(b.get("/no/such/page").await.status(), StatusCode::NOT_FOUND);
    let refusals: Vec<audit_event::Model> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "access_refused")
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    for e in &refusals {
        assert_eq!(e.actor_id, Some(prober.id));
        let route = e.detail.clone().unwrap_or_default();
        assert!(route.contains("{couple_id}"), "the route template: {route}");
        assert!(!route.contains(&id), "never the raw id");
    }
}

/// A couple created through the API by a new admin, whose browser is signed in.
async fn admin_with_couple(app: &TestApp) -> (uuid::Uuid, Browser, String) {
    let admin = app
        .counselor("Maya Okafor", "maya@practice.example", Role::Admin)
        .await;
    let created: serde_json::Value = app
        .api(&app.api_token(admin.id).await)
        .add_couple(&couple_json("Busy Couple"))
        .await;
    let b = Browser::new(app);
    b.sign_in("maya@practice.example", PASSWORD).await;
    (admin.id, b, created["id"].as_str().expect("id").to_owned())
}

/// Views are written in batches by one writer (kintsugi_core::audit::views): 300 views at
/// once, more than one batch holds, each become exactly one event, and the admin's audit page
/// shows them at once, without waiting for the writer.
async fn a_burst_of_views_is_audited_in_full(app: TestApp) {
    let (admin, b, id) = admin_with_couple(&app).await;
    let client = b.client.clone();
    let mut views = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let (client, url) = (client.clone(), b.url(&format!("/couples/{id}")));
        views.spawn(async move { client.get(url).send().await.expect("GET").status() });
    }
    while let Some(status) = views.join_next().await {
        assert_eq!(status.expect("view"), StatusCode::OK);
    }
    let (status, html) = b.get_html("/admin/audit?action=couple_viewed").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">300 events<"), "{html}");

    let viewed: Vec<audit_event::Model> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "couple_viewed")
        .collect();
    assert_eq!(viewed.len(), 300);
    for e in &viewed {
        assert_eq!(e.actor_id, Some(admin));
        assert_eq!(e.record_id.map(|r| r.to_string()), Some(id.clone()));
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    }
}

/// A server stopped the way a deployment stops it writes the views it had queued.
async fn views_reach_the_trail_at_shutdown(mut app: TestApp) {
    let (_, b, id) = admin_with_couple(&app).await;
    for _ in 0..5 {
        assert_eq!(
            b.get(&format!("/couples/{id}")).await.status(),
            StatusCode::OK
        );
    }
    app.stop().await;
    let viewed = audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.action == "couple_viewed")
        .count();
    assert_eq!(viewed, 5);
}
