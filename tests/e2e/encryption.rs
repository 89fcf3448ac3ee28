//! Clinical free text at rest: written through the app, the raw database holds none of it (every
//! text column of every table is read with plain SQL), the app reads it back intact; plain text
//! from before encryption is sealed at start-up; a missing, malformed or wrong key stops the real
//! binary with one line; `rotate-key` moves everything to a new key, also after an interruption.

use kintsugi_core::crypto::reseal::stored_values;
use kintsugi_core::crypto::{DataKey, Field, KeyId, Keyring, checked, sealed_with};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::db_tests;
use crate::support::cli::{kintsugi, run};
use crate::support::records::{
    ADDENDUM, ALL, ANSWER, COMMENT, NOTE, OVERRIDE, PLAN, REOPEN, Written, clinical_words_in,
    open_all, write_clinical_record,
};
use crate::support::sessions::read;
use crate::support::{Backend, TestApp, data_key};

db_tests!(
    the_raw_database_holds_no_clinical_text,
    rotate_key_moves_everything_to_the_new_key,
);

/// The API reads every kind of clinical text back intact: the session (note and addendum), the
/// assignment (answer and comment).
async fn assert_reads_back(w: &Written) {
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
    assert_reads_back(&w).await;
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
    assert_reads_back(&w).await;
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
