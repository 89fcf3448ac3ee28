//! A couple's whole clinical record, written through the API, and what the raw database holds
//! of it: the tests of encryption at rest, backups and the export start from it.

use kintsugi_core::couples::PartnerRole;
use kintsugi_core::crypto::reseal::stored_values;
use kintsugi_core::crypto::{Field, Keyring};
use kintsugi_core::entities::partner;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;
use super::fixture::{progress, submit_in_core, text_answers};
use super::sessions::{Me, add_addendum, id_of, me, save_note, schedule, sign};

/// Words that appear nowhere but in the clinical text they were typed into.
pub const NOTE: &str = "Orchidvault subjective words";
pub const PLAN: &str = "Plan: Quillfeather homework";
pub const ADDENDUM: &str = "Lanternmoss addendum words";
pub const ANSWER: &str = "Harborglass answer words";
pub const COMMENT: &str = "Quartzwillow comment words";
pub const OVERRIDE: &str = "Meadowspark override reason";
pub const REOPEN: &str = "Cinderbloom reopen reason";
pub const ALL: [&str; 7] = [NOTE, PLAN, ADDENDUM, ANSWER, COMMENT, OVERRIDE, REOPEN];

/// What [`write_clinical_record`] made.
pub struct Written {
    pub me: Me,
    pub session: String,
    pub assignment: String,
}

/// A couple with every kind of clinical text, written through the API (and the core function
/// the client pages call for the partner's answers): a signed note, an addendum, an answer, the
/// counselor's comment on it, a gate override and a reopening with their reasons.
pub async fn write_clinical_record(app: &TestApp, email: &str) -> Written {
    let me = me(app, email, "Alex & Sam").await;
    let session = id_of(&schedule(&me, -1).await);
    let r = save_note(
        &me.api,
        &session,
        &json!({"format": "DAP", "data": NOTE, "assessment": "Steady", "plan": PLAN}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "note saved");
    assert_eq!(sign(&me.api, &session).await.status(), StatusCode::OK);
    assert_eq!(
        add_addendum(&me.api, &session, ADDENDUM).await.status(),
        StatusCode::CREATED
    );

    let exercise: Value = me
        .api
        .post_json(
            "/api/v1/exercises",
            &json!({
                "title": "Evening words", "stage": "validation", "recipient": "both",
                "instructions": "Ten quiet minutes.",
                "prompts": [{"key": "words", "label": "What happened today?", "kind": "long_text",
                             "required": true}]
            }),
        )
        .await
        .json()
        .await
        .expect("exercise");
    let r = me
        .api
        .post_json(
            &format!("/api/v1/couples/{}/assignments", me.couple),
            &json!({"exercise_id": exercise["id"], "assignees": ["hurt"],
                    "due_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
                    "visibility": "counselor_only"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "assigned");
    let created: Value = r.json().await.expect("json");
    let assignment = &created["items"][0];
    let response = Uuid::parse_str(
        assignment["assignees"][0]["response_id"]
            .as_str()
            .expect("response id"),
    )
    .expect("uuid");
    let hurt = partner::Entity::find()
        .filter(partner::Column::CoupleId.eq(Uuid::parse_str(&me.couple).expect("uuid")))
        .filter(partner::Column::Role.eq(PartnerRole::Hurt))
        .one(&app.db)
        .await
        .expect("query")
        .expect("partner");
    submit_in_core(
        app,
        &hurt,
        response,
        &text_answers(&[("words", ANSWER)]),
        false,
    )
    .await;
    let assignment = id_of(assignment);
    let r = me
        .api
        .post_json(
            &format!("/api/v1/assignments/{assignment}/responses/{response}/review"),
            &json!({ "comment": COMMENT }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "reviewed");

    // A gate override, then the stage worked through, completed and reopened: two reasons.
    let stage = |action: &str| {
        format!(
            "/api/v1/couples/{}/stages/before_the_affair/{action}",
            me.couple
        )
    };
    let r = me
        .api
        .post_json(&stage("override"), &json!({ "reason": OVERRIDE }))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "override");
    let progress = progress(&me.api, &me.couple).await;
    let ratings: Vec<Value> = progress["stages"][3]["markers"]
        .as_array()
        .expect("markers")
        .iter()
        .filter(|m| m["applies"] == true)
        .map(|m| json!({"marker": m["key"], "rating": "consistent"}))
        .collect();
    let r = me
        .api
        .post_json(
            &format!("/api/v1/couples/{}/markers", me.couple),
            &Value::Array(ratings),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "rated");
    let r = me.api.post_json(&stage("complete"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK, "completed");
    let r = me
        .api
        .post_json(&stage("reopen"), &json!({ "reason": REOPEN }))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "reopened");
    Written {
        me,
        session,
        assignment,
    }
}

/// Every text-like value of every table, read with plain SQL.
pub async fn every_stored_text(db: &impl ConnectionTrait) -> Vec<(String, String)> {
    let backend = db.get_database_backend();
    let columns: Vec<(String, String)> = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT name FROM sqlite_master WHERE type = 'table'",
                ))
                .await
                .expect("tables");
            let mut out = Vec::new();
            for t in tables {
                let table: String = t.try_get("", "name").expect("name");
                let cols = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await
                    .expect("columns");
                for c in cols {
                    out.push((table.clone(), c.try_get("", "name").expect("column")));
                }
            }
            out
        }
        _ => db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = 'public'",
            ))
            .await
            .expect("columns")
            .into_iter()
            .map(|r| (r.try_get("", "t").expect("t"), r.try_get("", "c").expect("c")))
            .collect(),
    };
    assert!(columns.len() > 50, "found the schema: {columns:?}");
    let mut values = Vec::new();
    for (table, column) in columns {
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(r#"SELECT CAST("{column}" AS TEXT) AS v FROM "{table}""#),
            ))
            .await
            .expect("values");
        for r in rows {
            if let Ok(Some(v)) = r.try_get::<Option<String>>("", "v") {
                values.push((format!("{table}.{column}"), v));
            }
        }
    }
    values
}

/// The clinical words found in the raw database, with where they were found.
pub async fn clinical_words_in(db: &impl ConnectionTrait) -> Vec<String> {
    every_stored_text(db)
        .await
        .into_iter()
        .flat_map(|(at, v)| {
            ALL.iter()
                .filter(|w| v.contains(**w))
                .map(|w| format!("{w:?} in {at}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every sealed value opens with `keyring`; returns how many there are.
pub async fn open_all(db: &impl ConnectionTrait, keyring: &Keyring) -> Result<usize, String> {
    let mut n = 0;
    for field in Field::ALL {
        for (id, stored) in stored_values(db, field).await.expect("values") {
            keyring
                .open(field, id, &stored)
                .map_err(|e| format!("{}.{} {id}: {e}", field.table(), field.column()))?;
            n += 1;
        }
    }
    Ok(n)
}
