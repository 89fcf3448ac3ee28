//! Every change carries its audit event in its own transaction: when the database refuses the
//! audit insert, the change itself is rolled back, on every page and API route that changes a
//! couple, an exercise, the practice settings, a counselor, an API token or how someone signs in.

use kintsugi_core::entities::{
    api_token, browser_session, counselor, couple, exercise, exercise_prompt, partner, practice,
    stage_event,
};
use kintsugi_core::practice::Role;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::db_tests;
use crate::support::{Backend, Browser, PASSWORD, TestApp, couple_json};

db_tests!(a_refused_audit_event_rolls_back_the_change);

/// What is changed, the page its form is on, where the form posts, and the fields.
type Change = (&'static str, String, String, Vec<(&'static str, String)>);

/// Make the database refuse every new audit event, as a full disk or a broken trigger would.
async fn refuse_audit_events(app: &TestApp) {
    let statements: &[&str] = match app.backend {
        Backend::Postgres => &[
            "CREATE FUNCTION kt_refuse_audit() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER kt_refuse_audit BEFORE INSERT ON audit_event \
             FOR EACH ROW EXECUTE FUNCTION kt_refuse_audit()",
        ],
        Backend::Sqlite => &[
            "CREATE TRIGGER kt_refuse_audit BEFORE INSERT ON audit_event \
             BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END",
        ],
    };
    for sql in statements {
        app.db.execute_unprepared(sql).await.expect("trigger");
    }
}

/// Everything a refused change could have touched, as text. Browser sessions by id only: a
/// request refreshes its own session's idle timer whatever else happens.
async fn records(app: &TestApp) -> String {
    let db = &app.db;
    let sessions: Vec<String> = browser_session::Entity::find()
        .order_by_asc(browser_session::Column::Id)
        .all(db)
        .await
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        couple::Entity::find()
            .order_by_asc(couple::Column::Id)
            .all(db)
            .await,
        partner::Entity::find()
            .order_by_asc(partner::Column::Id)
            .all(db)
            .await,
        stage_event::Entity::find()
            .order_by_asc(stage_event::Column::Id)
            .all(db)
            .await,
        exercise::Entity::find()
            .order_by_asc(exercise::Column::Id)
            .all(db)
            .await,
        exercise_prompt::Entity::find()
            .order_by_asc(exercise_prompt::Column::Id)
            .all(db)
            .await,
        practice::Entity::find().all(db).await,
        counselor::Entity::find()
            .order_by_asc(counselor::Column::Id)
            .all(db)
            .await,
        api_token::Entity::find()
            .order_by_asc(api_token::Column::Id)
            .all(db)
            .await,
        sessions,
    )
}

async fn a_refused_audit_event_rolls_back_the_change(app: TestApp) {
    let admin = app
        .counselor("Maya Okafor", "maya@practice.example", Role::Admin)
        .await;
    let colleague = app
        .counselor("Dan Ruiz", "dan@practice.example", Role::Counselor)
        .await;
    let b = Browser::new(&app);
    b.sign_in("maya@practice.example", PASSWORD).await;
    let api = app.api(&app.api_token(admin.id).await);
    let created: serde_json::Value = api
        .post_json("/api/v1/couples", &couple_json("Alex & Sam"))
        .await
        .json()
        .await
        .expect("couple");
    let couple_id = created["id"].as_str().expect("id").to_owned();
    let exercise = serde_json::json!({
        "title": "A walk together",
        "stage": "current_struggles",
        "recipient": "both",
        "instructions": "Take a walk and talk about one small thing.",
        "prompts": [{"key": "talk", "kind": "long_text", "label": "What did you talk about?"}],
    });
    let r = api.post_json("/api/v1/exercises", &exercise).await;
    assert_eq!(r.status(), 201, "exercise created before the trigger");
    let exercise_id = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    refuse_audit_events(&app).await;
    let before = records(&app).await;

    // The JSON API: create a couple, and change fields and status in one PATCH.
    let r = api
        .post_json("/api/v1/couples", &couple_json("Robin & Kim"))
        .await;
    assert!(r.status().is_server_error(), "API create: {}", r.status());
    let patch = serde_json::json!({"label": "Changed", "status": "paused"});
    let r = api
        .patch_json(&format!("/api/v1/couples/{couple_id}"), &patch)
        .await;
    assert!(r.status().is_server_error(), "API patch: {}", r.status());
    let r = api.post_json("/api/v1/exercises", &exercise).await;
    assert!(r.status().is_server_error(), "API exercise: {}", r.status());
    assert_eq!(records(&app).await, before, "the API changed nothing");

    // The pages: every change a counselor or an admin makes.
    let couple_page = format!("/couples/{couple_id}");
    let edit_page = format!("/couples/{couple_id}/edit");
    let exercise_edit = format!("/library/{exercise_id}/edit");
    let mut couple_fields = crate::support::couple_form("Changed on the page");
    couple_fields.push(("version", "1".into()));
    let exercise_fields: Vec<(&str, String)> = vec![
        ("title", "Renamed".into()),
        ("stage", "current_struggles".into()),
        ("recipient", "both".into()),
        ("instructions", "Other words.".into()),
        ("p0.kind", "long_text".into()),
        ("p0.label", "What did you notice?".into()),
        ("version", "1".into()),
    ];
    let changes: Vec<Change> = vec![
        (
            "new couple",
            "/couples/new".into(),
            "/couples".into(),
            crate::support::couple_form("Jo & Lee"),
        ),
        (
            "couple edit",
            edit_page.clone(),
            couple_page.clone(),
            couple_fields,
        ),
        (
            "pause",
            couple_page.clone(),
            format!("/couples/{couple_id}/status"),
            vec![("status", "paused".into())],
        ),
        (
            "close",
            couple_page.clone(),
            format!("/couples/{couple_id}/status"),
            vec![("status", "closed".into())],
        ),
        (
            "exercise copy",
            format!("/library/{exercise_id}"),
            format!("/library/{exercise_id}/copy"),
            vec![],
        ),
        (
            "exercise edit",
            exercise_edit.clone(),
            exercise_edit,
            exercise_fields,
        ),
        (
            "practice settings",
            "/admin/practice".into(),
            "/admin/practice".into(),
            vec![
                ("name", "Harbour Counselling".into()),
                ("timezone", "Europe/London".into()),
                ("note_format", "SOAP".into()),
                ("paper_size", "letter".into()),
                ("reminder_hours_before", "36".into()),
                ("quiet_hours_start", "9".into()),
                ("quiet_hours_end", "20".into()),
                ("link_expiry_days", "60".into()),
                ("session_idle_minutes", "15".into()),
            ],
        ),
        (
            "new counselor",
            "/admin/counselors".into(),
            "/admin/counselors".into(),
            vec![
                ("name", "Renée O’Brien".into()),
                ("email", "renee@practice.example".into()),
                ("timezone", "America/New_York".into()),
                ("password", "another calm passphrase".into()),
            ],
        ),
        (
            "deactivate counselor",
            "/admin/counselors".into(),
            format!("/admin/counselors/{}/active", colleague.id),
            vec![("active", "false".into())],
        ),
        (
            "API token",
            "/settings".into(),
            "/settings/api-tokens".into(),
            vec![],
        ),
        (
            "sign out everywhere",
            "/settings".into(),
            "/settings/sign-out-everywhere".into(),
            vec![],
        ),
        (
            "password change",
            "/settings".into(),
            "/settings/password".into(),
            vec![
                ("current", PASSWORD.into()),
                ("new", "a different calm passphrase".into()),
                ("repeat", "a different calm passphrase".into()),
            ],
        ),
    ];
    for (what, form_page, action, fields) in &changes {
        let r = b.submit(form_page, action, fields).await;
        assert!(
            r.status().is_server_error(),
            "{what}: answered {} instead of failing",
            r.status()
        );
        assert_eq!(records(&app).await, before, "{what} was not rolled back");
    }

    // The same requests go through once the trail takes events again: each failure above was
    // the audit insert, not a mistake in the request.
    let drop = match app.backend {
        Backend::Postgres => "DROP TRIGGER kt_refuse_audit ON audit_event",
        Backend::Sqlite => "DROP TRIGGER kt_refuse_audit",
    };
    app.db.execute_unprepared(drop).await.expect("drop trigger");
    for (what, form_page, action, fields) in &changes {
        if *what == "password change" {
            // Signed out everywhere just before.
            b.sign_in("maya@practice.example", PASSWORD).await;
        }
        let last = records(&app).await;
        let r = b.submit(form_page, action, fields).await;
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{what}: answered {}",
            r.status()
        );
        assert_ne!(records(&app).await, last, "{what} changed nothing");
    }
}
