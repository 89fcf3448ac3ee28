//! `kintsugi backup` while the app goes on writing, then `kintsugi restore` into an empty
//! database: the copy is consistent (integrity and foreign keys), holds every row acknowledged
//! before the backup began, holds no clinical plain text, and opens with the data key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kintsugi_core::crypto::{Field, Keyring};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::db_tests;
use crate::support::cli::kintsugi;
use crate::support::records::{NOTE, clinical_words_in, open_all, write_clinical_record};
use crate::support::sessions::add_addendum;
use crate::support::{Backend, TestApp, couple_json, data_key, fresh_database};

db_tests!(a_backup_taken_during_writes_restores_consistent_and_encrypted);

/// Exit code, and standard output followed by standard error.
async fn run(cmd: &mut tokio::process::Command) -> (i32, String) {
    let (code, stdout, stderr) = crate::support::cli::run(cmd).await;
    (code, format!("{stdout}{stderr}"))
}

/// Rows the writer saw acknowledged: couples (by id) and addenda (by text).
#[derive(Default)]
struct Acked {
    couples: Vec<Uuid>,
    addenda: Vec<String>,
}

async fn a_backup_taken_during_writes_restores_consistent_and_encrypted(app: TestApp) {
    let w = write_clinical_record(&app, "backup@practice.example").await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kintsugi.backup");

    // A writer that goes on creating couples and adding addenda through the API.
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let api = crate::support::http::Api::new(&app, &app.api_token(w.me.id).await);
        let session = w.session.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let r = api
                    .post_json("/api/v1/couples", &couple_json(&format!("Writer {i}")))
                    .await;
                assert_eq!(r.status(), StatusCode::CREATED);
                let v: serde_json::Value = r.json().await.expect("json");
                let id = Uuid::parse_str(v["id"].as_str().expect("id")).expect("uuid");
                acked.lock().await.couples.push(id);
                let text = format!("Writer addendum {i}");
                let r = add_addendum(&api, &session, &text).await;
                assert_eq!(r.status(), StatusCode::CREATED);
                acked.lock().await.addenda.push(text);
            }
            i
        })
    };
    while acked.lock().await.addenda.len() < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (before_couples, before_addenda) = {
        let a = acked.lock().await;
        (a.couples.clone(), a.addenda.clone())
    };
    let (code, out) = run(kintsugi(dir.path(), &app.database_url)
        .arg("backup")
        .arg(&file))
    .await;
    assert_eq!(code, 0, "{out}");
    let during = acked.lock().await.addenda.len() - before_addenda.len();
    stop.store(true, Ordering::Relaxed);
    let total = writer.await.expect("writer");
    assert!(total > before_addenda.len(), "writes went on");
    eprintln!("{during} writes acknowledged while the backup ran");

    // A backup never replaces a file.
    let (code, out) = run(kintsugi(dir.path(), &app.database_url)
        .arg("backup")
        .arg(&file))
    .await;
    assert_ne!(code, 0);
    assert!(out.contains("exists already"), "{out}");

    // Restore into a new, empty database.
    let (target, _target_dir) = fresh_database(app.backend).await;
    let (code, out) = run(kintsugi(dir.path(), &target).arg("restore").arg(&file)).await;
    assert_eq!(code, 0, "{out}");
    // Not over records without --force.
    let (code, out) = run(kintsugi(dir.path(), &target).arg("restore").arg(&file)).await;
    assert_ne!(code, 0);
    assert!(out.contains("--force"), "{out}");
    let (code, out) = run(kintsugi(dir.path(), &target)
        .arg("restore")
        .arg("--force")
        .arg(&file))
    .await;
    assert_eq!(code, 0, "{out}");

    let restored = kintsugi_core::db::connect(&target).await.expect("connect");
    let backend = restored.get_database_backend();
    let one_column = |sql: &str| Statement::from_string(backend, sql.to_owned());
    if app.backend == Backend::Sqlite {
        let check = restored
            .query_all_raw(one_column("PRAGMA integrity_check"))
            .await
            .expect("integrity");
        let lines: Vec<String> = check
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("line"))
            .collect();
        assert_eq!(lines, ["ok"]);
        let broken = restored
            .query_all_raw(one_column("PRAGMA foreign_key_check"))
            .await
            .expect("foreign keys");
        assert!(broken.is_empty(), "{} broken references", broken.len());
    } else {
        // PostgreSQL checked every foreign key while pg_restore put the constraints back; the
        // count of constraints shows they are there.
        let n = restored
            .query_one_raw(one_column(
                "SELECT COUNT(*) AS n FROM information_schema.table_constraints \
                 WHERE constraint_type = 'FOREIGN KEY' AND table_schema = 'public'",
            ))
            .await
            .expect("constraints")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n");
        assert!(n > 10, "foreign keys restored: {n}");
    }

    // Every row acknowledged before the backup began is in the copy.
    let couples: Vec<Uuid> = restored
        .query_all_raw(one_column("SELECT id FROM couple"))
        .await
        .expect("couples")
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id").expect("id"))
        .collect();
    for id in &before_couples {
        assert!(
            couples.contains(id),
            "couple {id} acknowledged before the backup"
        );
    }
    // Encrypted: no clinical words, and every sealed value opens with the key.
    assert!(clinical_words_in(&restored).await.is_empty());
    let ring = Keyring::new(data_key().clone());
    open_all(&restored, &ring)
        .await
        .expect("opens with the key");
    let addenda: Vec<String> =
        kintsugi_core::crypto::reseal::stored_values(&restored, Field::AddendumBody)
            .await
            .expect("addenda")
            .into_iter()
            .map(|(id, v)| ring.open(Field::AddendumBody, id, &v).expect("open"))
            .collect();
    for text in &before_addenda {
        assert!(
            addenda.contains(text),
            "{text} acknowledged before the backup"
        );
    }
    let notes = kintsugi_core::crypto::reseal::stored_values(&restored, Field::NoteBody)
        .await
        .expect("notes");
    assert!(notes.iter().any(|(id, v)| {
        ring.open(Field::NoteBody, *id, v)
            .expect("open")
            .contains(NOTE)
    }));
    restored.close().await.ok();
}

#[tokio::test]
async fn postgres_backups_need_pg_dump_and_say_so() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, out) = run(kintsugi(dir.path(), "postgres://nobody@127.0.0.1:1/none")
        .env("PATH", "/nonexistent")
        .arg("backup")
        .arg(dir.path().join("b.dump")))
    .await;
    assert_ne!(code, 0);
    assert!(out.contains("pg_dump was not found"), "{out}");
    assert_eq!(out.trim().lines().count(), 1, "{out}");
}
