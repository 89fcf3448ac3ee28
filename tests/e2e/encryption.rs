//! Clinical free text at rest: written through the app, the raw database holds none of it (every
//! text column of every table is read with plain SQL), the app reads it back intact; plain text
//! from before encryption is sealed at start-up; a missing, malformed or wrong key stops the real
//! binary with one line; `rotate-key` moves everything to a new key, also after an interruption.

use std::path::Path;
use std::process::Output;

use kintsugi_core::couples::PartnerRole;
use kintsugi_core::crypto::reseal::stored_values;
use kintsugi_core::crypto::{DataKey, Field, KeyId, Keyring, checked, sealed_with};
use kintsugi_core::entities::partner;
use kintsugi_core::homework::prompts::RawAnswer;
use kintsugi_core::homework::responses::{self, Saved};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_tests;
use crate::sessions_api::{Me, add_addendum, id_of, me, read, save_note, schedule, sign};
use crate::support::{Backend, TestApp, data_key};

db_tests!(
    the_raw_database_holds_no_clinical_text,
    rotate_key_moves_everything_to_the_new_key,
);

/// Words that appear nowhere but in the clinical text they were typed into.
pub(crate) const NOTE: &str = "Orchidvault subjective words";
pub(crate) const PLAN: &str = "Plan: Quillfeather homework";
pub(crate) const ADDENDUM: &str = "Lanternmoss addendum words";
pub(crate) const ANSWER: &str = "Harborglass answer words";
pub(crate) const COMMENT: &str = "Quartzwillow comment words";
pub(crate) const OVERRIDE: &str = "Meadowspark override reason";
pub(crate) const REOPEN: &str = "Cinderbloom reopen reason";
pub(crate) const ALL: [&str; 7] = [NOTE, PLAN, ADDENDUM, ANSWER, COMMENT, OVERRIDE, REOPEN];

/// What [`write_clinical_record`] made.
pub(crate) struct Written {
    pub me: Me,
    pub session: String,
    pub assignment: String,
}

/// A couple with every kind of clinical text, written through the API (and the core function
/// the client pages call for the partner's answers): a signed note, an addendum, an answer, the
/// counselor's comment on it, a gate override and a reopening with their reasons.
pub(crate) async fn write_clinical_record(app: &TestApp, email: &str) -> Written {
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
    let saved = responses::submit(
        &app.db,
        app.clock.as_ref(),
        &hurt,
        response,
        &[("words".to_owned(), RawAnswer::text(ANSWER))],
        false,
        None,
    )
    .await
    .expect("submit");
    assert_eq!(saved, Saved::Done);
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
    let progress: Value = me
        .api
        .get(&format!("/api/v1/couples/{}/progress", me.couple))
        .await
        .json()
        .await
        .expect("progress");
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
pub(crate) async fn every_stored_text(db: &impl ConnectionTrait) -> Vec<(String, String)> {
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
pub(crate) async fn clinical_words_in(db: &impl ConnectionTrait) -> Vec<String> {
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
pub(crate) async fn open_all(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
) -> Result<usize, String> {
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

async fn the_raw_database_holds_no_clinical_text(app: TestApp) {
    let w = write_clinical_record(&app, "enc@practice.example").await;

    let found = clinical_words_in(&app.db).await;
    assert!(found.is_empty(), "clinical text at rest: {found:?}");
    // Every kind was really written, sealed with the process's key.
    let ring = Keyring::new(data_key().clone());
    // TOTP secrets are sealed too, but this record has none: `totp` checks them.
    for field in Field::ALL
        .into_iter()
        .filter(|f| !matches!(f, Field::TotpSecret | Field::PendingTotpSecret))
    {
        let values = stored_values(&app.db, field).await.expect("values");
        assert!(
            values
                .iter()
                .any(|(_, v)| sealed_with(v) == Some(data_key().id())),
            "{field:?} holds sealed text: {values:?}"
        );
    }
    assert!(open_all(&app.db, &ring).await.expect("opens") >= 6);
    // A wrong key opens none of it.
    assert!(
        open_all(&app.db, &Keyring::new(DataKey::generate()))
            .await
            .is_err()
    );

    // The app reads every kind back intact: the session (note and addendum), the assignment
    // (answer and comment), the couple page (the reasons).
    let session = read(&w.me.api, &w.session).await.to_string();
    for word in [NOTE, PLAN, ADDENDUM] {
        assert!(session.contains(word), "{word} in {session}");
    }
    let assignment =
        w.me.api
            .get(&format!("/api/v1/assignments/{}", w.assignment))
            .await
            .text()
            .await
            .expect("assignment");
    for word in [ANSWER, COMMENT] {
        assert!(assignment.contains(word), "{word} in {assignment}");
    }
    let browser = crate::support::Browser::new(&app);
    browser
        .sign_in("enc@practice.example", crate::support::PASSWORD)
        .await;
    let (status, page) = browser.get_html(&format!("/couples/{}", w.me.couple)).await;
    assert_eq!(status, StatusCode::OK);
    for word in [OVERRIDE, REOPEN] {
        assert!(page.contains(word), "{word} on the couple page");
    }
}

/// The real binary, on `database_url`, in `dir`, with nothing from this process's environment.
pub(crate) fn kintsugi(dir: &Path, database_url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_kintsugi"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KINTSUGI_DATABASE_URL", database_url)
        .env("KINTSUGI_BIND", "127.0.0.1:0")
        .env("KINTSUGI_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) async fn run(cmd: &mut tokio::process::Command) -> (i32, String, String) {
    let out = cmd.output().await.expect("run kintsugi");
    let (stdout, stderr) = text(&out);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// One line on standard error naming `var`, exit code 2, and no key in it.
fn refused(result: (i32, String, String), var: &str, secrets: &[&str]) -> String {
    let (code, _stdout, stderr) = result;
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains(var), "{stderr}");
    for s in secrets {
        assert!(!stderr.contains(s), "a key was printed: {stderr}");
    }
    lines[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_malformed_or_wrong_key_refuses_start_up() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    write_clinical_record(&app, "keys@practice.example").await;
    let url = app.database_url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let key_file = kintsugi_web::Config::for_database(&url).data_key_file;
    let ours = data_key().to_base64();

    // The key file beside the database (written by the test harness, as a first run would).
    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "the right key: {stderr}");

    let other = DataKey::generate();
    let line = refused(
        run(kintsugi(dir.path(), &url)
            .env("KINTSUGI_DATA_KEY", other.to_base64())
            .arg("migrate"))
        .await,
        "KINTSUGI_DATA_KEY",
        &[&other.to_base64(), &ours],
    );
    assert!(
        line.contains(&other.id().to_string()) && line.contains(&data_key().id().to_string()),
        "names both key ids: {line}"
    );
    refused(
        run(kintsugi(dir.path(), &url)
            .env("KINTSUGI_DATA_KEY", "not a key at all")
            .arg("serve"))
        .await,
        "KINTSUGI_DATA_KEY",
        &["not a key at all"],
    );

    // The key file gone: the data is there, so no new key is made.
    let kept = std::fs::read_to_string(&key_file).expect("key file");
    std::fs::remove_file(&key_file).expect("remove");
    let line = refused(
        run(kintsugi(dir.path(), &url).arg("serve")).await,
        "KINTSUGI_DATA_KEY",
        &[&ours],
    );
    assert!(line.contains("encrypted"), "{line}");
    assert!(!key_file.exists(), "no key made where data exists");

    // A damaged key file.
    std::fs::write(&key_file, "garbage\n").expect("write");
    refused(
        run(kintsugi(dir.path(), &url).arg("migrate")).await,
        "KINTSUGI_DATA_KEY_FILE",
        &[&ours],
    );
    std::fs::write(&key_file, kept).expect("restore");
    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
}

/// Start-up reads one row, not every sealed column, when the last full check found everything
/// under the configured key; a record naming another key is not trusted but checked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_trusts_only_a_matching_record_of_the_last_check() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    write_clinical_record(&app, "checked@practice.example").await;
    let url = app.database_url.clone();
    let dir = tempfile::tempdir().expect("dir");
    assert_eq!(checked::recorded(&app.db).await.expect("read"), None);

    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        checked::recorded(&app.db).await.expect("read"),
        Some(data_key().id()),
        "the full check is recorded"
    );

    // A record of another key (a restored copy, a hand edit) is checked, then corrected.
    let stale = KeyId::parse("0badc0de").expect("id");
    checked::record(&app.db, stale, chrono::Utc::now())
        .await
        .expect("write");
    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        checked::recorded(&app.db).await.expect("read"),
        Some(data_key().id())
    );
    open_all(&app.db, &Keyring::new(data_key().clone()))
        .await
        .expect("everything still opens");

    // A wrong key is still refused by name, record or not.
    let other = DataKey::generate();
    let line = refused(
        run(kintsugi(dir.path(), &url)
            .env("KINTSUGI_DATA_KEY", other.to_base64())
            .arg("migrate"))
        .await,
        "KINTSUGI_DATA_KEY",
        &[&other.to_base64()],
    );
    assert!(line.contains(&data_key().id().to_string()), "{line}");
}

#[tokio::test]
async fn a_first_run_makes_a_private_key_file() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/data/k.db?mode=rwc", dir.path().display());
    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
    let key_file = dir.path().join("data/kintsugi.key");
    let key = std::fs::read_to_string(&key_file).expect("key file made beside the database");
    DataKey::from_base64(&key).expect("a valid key");
    assert!(!stderr.contains(key.trim()), "the key is not logged");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "owner only");
    }
    // The next start uses it; a configured file elsewhere is made there instead.
    let (code, _, _) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&key_file).expect("same"), key);
    let elsewhere = dir.path().join("keys/other.key");
    let other_url = format!("sqlite://{}/second.db?mode=rwc", dir.path().display());
    let (code, _, stderr) = run(kintsugi(dir.path(), &other_url)
        .env("KINTSUGI_DATA_KEY_FILE", &elsewhere)
        .arg("migrate"))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(elsewhere.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_from_before_encryption_is_sealed_at_start_up() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let w = write_clinical_record(&app, "legacy@practice.example").await;
    // Put every row back as an older version stored it: plain text.
    let ring = Keyring::new(data_key().clone());
    for field in Field::ALL {
        for (id, stored) in stored_values(&app.db, field).await.expect("values") {
            let plain = ring.open(field, id, &stored).expect("open");
            app.db
                .execute_raw(Statement::from_sql_and_values(
                    app.db.get_database_backend(),
                    format!(
                        "UPDATE {} SET {} = ? WHERE id = ?",
                        field.table(),
                        field.column()
                    ),
                    [plain.into(), id.into()],
                ))
                .await
                .expect("legacy row");
        }
    }
    assert_eq!(clinical_words_in(&app.db).await.len(), ALL.len());

    // Start-up (any command that opens the database for the app) seals them.
    let dir = tempfile::tempdir().expect("dir");
    let (code, _, stderr) = run(kintsugi(dir.path(), &app.database_url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        clinical_words_in(&app.db).await.is_empty(),
        "nothing plain is left"
    );
    open_all(&app.db, &Keyring::new(data_key().clone()))
        .await
        .expect("all sealed with the key");

    // And the app reads them as they were.
    let session = read(&w.me.api, &w.session).await.to_string();
    for word in [NOTE, PLAN, ADDENDUM] {
        assert!(session.contains(word), "{word} in {session}");
    }
    let assignment =
        w.me.api
            .get(&format!("/api/v1/assignments/{}", w.assignment))
            .await
            .text()
            .await
            .expect("assignment");
    for word in [ANSWER, COMMENT] {
        assert!(assignment.contains(word), "{word} in {assignment}");
    }
}

async fn rotate_key_moves_everything_to_the_new_key(mut app: TestApp) {
    write_clinical_record(&app, "rotate@practice.example").await;
    app.stop().await;
    let url = app.database_url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let old = data_key().clone();
    let new_file = dir.path().join("new.key");

    let (code, stdout, stderr) = run(kintsugi(dir.path(), &url)
        .env("KINTSUGI_DATA_KEY", old.to_base64())
        .arg("rotate-key")
        .arg("--new-key-file")
        .arg(&new_file))
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("note.body: "), "progress lines: {stderr}");
    assert!(stdout.contains("Set KINTSUGI_DATA_KEY"), "{stdout}");
    let new =
        DataKey::from_base64(&std::fs::read_to_string(&new_file).expect("new key")).expect("key");
    assert!(!stdout.contains(&new.to_base64()) && !stderr.contains(&new.to_base64()));

    let n = open_all(&app.db, &Keyring::new(new.clone()))
        .await
        .expect("everything opens with the new key");
    assert!(n >= 6);
    for field in Field::ALL {
        for (_, v) in stored_values(&app.db, field).await.expect("values") {
            assert_eq!(sealed_with(&v), Some(new.id()));
        }
    }
    assert!(open_all(&app.db, &Keyring::new(old.clone())).await.is_err());
    assert!(clinical_words_in(&app.db).await.is_empty());
    assert_eq!(
        checked::recorded(&app.db).await.expect("read"),
        Some(new.id()),
        "the rotation records the key it checked everything under"
    );

    // The old key no longer starts the app; the new one does.
    refused(
        run(kintsugi(dir.path(), &url)
            .env("KINTSUGI_DATA_KEY", old.to_base64())
            .arg("migrate"))
        .await,
        "KINTSUGI_DATA_KEY",
        &[&old.to_base64()],
    );
    let (code, _, stderr) = run(kintsugi(dir.path(), &url)
        .env("KINTSUGI_DATA_KEY", new.to_base64())
        .arg("migrate"))
    .await;
    assert_eq!(code, 0, "{stderr}");

    // Running it again with the same arguments changes nothing and says why.
    let (code, _, stderr) = run(kintsugi(dir.path(), &url)
        .env("KINTSUGI_DATA_KEY", new.to_base64())
        .arg("rotate-key")
        .arg("--new-key-file")
        .arg(&new_file))
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already holds data key"), "{stderr}");
}

/// A rotation stopped half-way (some values under the new key, the key file still old) keeps
/// the server from starting with a clear line, and running the command again finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_rotation_is_finished_by_running_it_again() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    write_clinical_record(&app, "resume@practice.example").await;
    app.stop().await;
    let url = app.database_url.clone();
    let config = kintsugi_web::Config::for_database(&url);
    let key_file = config.data_key_file.clone();
    let pending = kintsugi_web::cli::keys::pending_key_file(&config);
    let old = data_key().clone();
    let new = DataKey::generate();
    kintsugi_web::cli::keys::create_key_file(&pending, &new).expect("pending key");
    // What the first batches of a run would have done: the notes under the new key.
    let both = Keyring::new(new.clone()).with_older(old.clone());
    for (id, stored) in stored_values(&app.db, Field::NoteBody)
        .await
        .expect("notes")
    {
        let plain = both.open(Field::NoteBody, id, &stored).expect("open");
        let fresh = both.seal(Field::NoteBody, id, &plain).expect("seal");
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                "UPDATE note SET body = ? WHERE id = ?",
                [fresh.into(), id.into()],
            ))
            .await
            .expect("update");
    }
    let dir = tempfile::tempdir().expect("dir");
    let line = refused(
        run(kintsugi(dir.path(), &url).arg("serve")).await,
        "KINTSUGI_DATA_KEY_FILE",
        &[&old.to_base64(), &new.to_base64()],
    );
    assert!(line.contains("rotate-key"), "{line}");

    let (code, stdout, stderr) = run(kintsugi(dir.path(), &url).arg("rotate-key")).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!pending.exists(), "the pending key is now the key");
    let now =
        DataKey::from_base64(&std::fs::read_to_string(&key_file).expect("key file")).expect("key");
    assert_eq!(now.id(), new.id());
    open_all(&app.db, &Keyring::new(new))
        .await
        .expect("all under the new key");
    let (code, _, stderr) = run(kintsugi(dir.path(), &url).arg("migrate")).await;
    assert_eq!(code, 0, "{stderr}");
}
