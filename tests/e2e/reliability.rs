//! Reliability under stress, against real databases: the server killed with SIGKILL in the middle
//! of 200 concurrent homework submissions loses nothing it acknowledged and leaves no half-written
//! row; 50 concurrent writers on SQLite for 30 seconds never meet "database is locked".

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kintsugi_core::entities::response;
use kintsugi_core::homework::ResponseStatus;
use kintsugi_core::practice::Role;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use tokio::process::Child;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db_tests;
use crate::support::cli::{self, kintsugi};
use crate::support::fixture::{busy_practice, mint_link};
use crate::support::http::csrf_from;
use crate::support::{Backend, TestApp, couple_json};

db_tests!(killing_the_server_mid_submissions_loses_nothing_acknowledged);

/// `kintsugi serve --no-worker` on the test's database; returns it with its base URL.
async fn serve(database_url: &str, dir: &std::path::Path) -> (Child, String) {
    let (child, base, _) =
        cli::serve(kintsugi(dir, database_url).args(["serve", "--no-worker"])).await;
    (child, base)
}

fn client() -> Client {
    crate::support::http::client(true)
}

async fn killing_the_server_mid_submissions_loses_nothing_acknowledged(mut app: TestApp) {
    // 100 couples, an exercise for both partners: 200 responses waiting for a submit.
    let mut work = Vec::new();
    for (pid, rid) in busy_practice(&app, 100).await {
        work.push((mint_link(&app, pid).await, rid));
    }
    assert_eq!(work.len(), 200);
    // From here on the real binary serves, and is killed without warning.
    app.stop().await;
    let dir = tempfile::tempdir().expect("dir");
    let (mut server, base) = serve(&app.database_url, dir.path()).await;
    let mut partners = Vec::new();
    for (secret, rid) in &work {
        let c = client();
        let r = c
            .get(format!("{base}/h/{secret}"))
            .send()
            .await
            .expect("open link");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let home = c.get(format!("{base}/h")).send().await.expect("home");
        let csrf = csrf_from(&home.text().await.expect("html")).expect("csrf");
        partners.push((c, csrf, *rid));
    }

    let (acks, mut acked_rx) = mpsc::unbounded_channel::<Uuid>();
    let sent = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = partners
        .into_iter()
        .map(|(c, csrf, rid)| {
            let acks = acks.clone();
            let base = base.clone();
            let sent = sent.clone();
            tokio::spawn(async move {
                let fields = [
                    ("csrf", csrf),
                    ("action", "submit".to_owned()),
                    ("a.hurt", "3".to_owned()),
                    ("a.betrayal", "4".to_owned()),
                    ("a.sadness", "5".to_owned()),
                    ("a.anger", "6".to_owned()),
                ];
                sent.fetch_add(1, Ordering::SeqCst);
                let r = c
                    .post(format!("{base}/h/r/{rid}"))
                    .form(&fields)
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status() == StatusCode::SEE_OTHER) {
                    let _ = acks.send(rid);
                }
            })
        })
        .collect();
    drop(acks);
    // Kill somewhere in the middle: after a number of acknowledgements that varies per run.
    let kill_after = 40 + (Uuid::new_v4().as_u128() % 100) as usize;
    let mut acked = Vec::new();
    while let Some(rid) = acked_rx.recv().await {
        acked.push(rid);
        if acked.len() == kill_after {
            server.start_kill().expect("kill -9");
            break;
        }
    }
    server.wait().await.expect("killed");
    for t in tasks {
        let _ = t.await;
    }
    while let Ok(rid) = acked_rx.try_recv() {
        acked.push(rid);
    }
    assert!(
        acked.len() < 200,
        "the server was killed while submissions were still arriving ({} acknowledged)",
        acked.len()
    );

    // Restart: every acknowledged submission is stored, and no row is half-written.
    let (mut again, base) = serve(&app.database_url, dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while client()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map_or(true, |r| r.status() != StatusCode::OK)
    {
        assert!(Instant::now() < deadline, "ready again after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows: Vec<response::Model> = response::Entity::find()
        .all(&app.db)
        .await
        .expect("responses")
        .into_iter()
        .filter(|r| work.iter().any(|(_, rid)| *rid == r.id))
        .collect();
    assert_eq!(rows.len(), 200, "no response row lost");
    for r in &rows {
        let submitted = r.status == ResponseStatus::Submitted;
        assert_eq!(
            submitted,
            r.submitted_at.is_some(),
            "status and time agree: {r:?}"
        );
        if submitted {
            let answers = r
                .answers
                .clone()
                .expect("a submitted response has its answers");
            assert!(!answers.trim().is_empty(), "answers are stored whole");
        }
    }
    for rid in &acked {
        let r = rows.iter().find(|r| r.id == *rid).expect("row");
        assert_eq!(
            r.status,
            ResponseStatus::Submitted,
            "acknowledged means stored"
        );
    }
    if app.backend == Backend::Sqlite {
        let check = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .expect("integrity check")
            .expect("a row");
        let verdict: String = check.try_get_by_index(0).expect("text");
        assert_eq!(verdict, "ok");
    }
    again.start_kill().expect("stop");
    let _ = again.wait().await;
}

/// 50 writers through the HTTP app for 30 seconds on one SQLite file: every write answers, none
/// fails with a locked database (WAL, a busy timeout and `BEGIN IMMEDIATE` for read-then-write).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sqlite_writers_for_thirty_seconds_never_meet_a_locked_database() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let c = app
        .counselor("Busy", "busy@practice.example", Role::Counselor)
        .await;
    let token = app.api_token(c.id).await;
    let until = Instant::now() + Duration::from_secs(30);
    let writers: Vec<_> = (0..50)
        .map(|w| {
            let api = app.api(&token);
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u32, Vec::new());
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let created = api
                        .post_json("/api/v1/couples", &couple_json(&format!("Writer {w} couple {n}")))
                        .await;
                    if created.status() != StatusCode::CREATED {
                        failed.push(created.status());
                        continue;
                    }
                    let body: serde_json::Value = created.json().await.expect("json");
                    let id = body["id"].as_str().expect("id").to_owned();
                    // A read-then-write: the stage ratings of the couple just made.
                    let rated = api
                        .post_json(
                            &format!("/api/v1/couples/{id}/markers"),
                            &serde_json::json!([{"marker": "full_acknowledgement", "rating": "emerging"}]),
                        )
                        .await;
                    if rated.status().is_success() {
                        ok += 1;
                    } else {
                        failed.push(rated.status());
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut total = 0;
    for w in writers {
        let (ok, failed) = w.await.expect("writer");
        assert!(failed.is_empty(), "every write succeeds: {failed:?}");
        total += ok;
    }
    assert!(total > 0);
    let couples = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM couple",
        ))
        .await
        .expect("count")
        .expect("row");
    let count: i64 = couples.try_get_by_index(0).expect("n");
    assert_eq!(
        count,
        i64::from(total),
        "every acknowledged couple is stored"
    );
}
