//! The large-practice generator (`kintsugi demo --scale N`): what it writes opens and verifies
//! like records the services wrote (sealed text, note hashes, the stage state), a counselor
//! signs in to it, and a second run changes nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use kintsugi_core::crypto;
use kintsugi_core::demo::scale::{
    self, CHECKINS, EXERCISES, PracticePlan, SCALE_PASSWORD, SESSIONS,
};
use kintsugi_core::entities::{counseling_session, couple, note, response};
use kintsugi_core::sessions::note_store;
use kintsugi_core::sessions::notes::AddendumText;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::db_tests;
use crate::support::cli;
use crate::support::{Browser, TestApp};

db_tests!(generated_records_open_and_verify);

async fn generated_records_open_and_verify(app: TestApp) {
    let plan = PracticePlan {
        counselors: 2,
        couples_per_counselor: 4,
        seed: 3,
    };
    let heard = AtomicU64::new(0);
    let summary = scale::generate(&app.db, app.clock.as_ref(), &plan, &|n| {
        heard.fetch_add(n, Ordering::Relaxed);
    })
    .await
    .expect("generate");
    assert!(!summary.already_loaded);
    assert_eq!(
        heard.load(Ordering::Relaxed),
        8,
        "progress hears every couple"
    );
    let rows = summary.rows;
    assert_eq!((rows.counselors, rows.couples), (2, 8));
    assert_eq!(rows.notes, 8 * SESSIONS as u64);
    assert_eq!(rows.assignments, 8 * (EXERCISES + CHECKINS) as u64);
    assert_eq!(rows.stage_rows, 8 * 6);
    assert!(
        rows.responses > rows.assignments,
        "check-ins go to both partners"
    );
    assert_eq!(
        note::Entity::find().count(&app.db).await.expect("count"),
        rows.notes,
        "the database holds what the summary says"
    );

    // Every signed note opens and its hash is the hash of what it says; addenda likewise.
    let mut signed = 0;
    for session in counseling_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions")
    {
        let Some(record) = note_store::get(&app.db, session.id).await.expect("note") else {
            assert!(
                session.attendance.is_none(),
                "every held session has its note"
            );
            continue;
        };
        assert!(record.is_signed());
        assert_eq!(
            record.note.content_hash.as_deref(),
            Some(record.content.content_hash(session.id).as_str())
        );
        for addendum in &record.addenda {
            let text = AddendumText::parse(&addendum.body).expect("addendum text");
            assert_eq!(
                addendum.content_hash,
                text.content_hash(addendum.note_id, addendum.signed_at)
            );
        }
        signed += 1;
    }
    assert_eq!(signed, rows.notes);
    // Stored sealed, never as plain text.
    let raw = note::Entity::find()
        .one(&app.db)
        .await
        .expect("note")
        .expect("a note");
    assert_eq!(
        crypto::sealed_with(&raw.body),
        Some(crypto::installed().expect("key").primary_id())
    );
    for r in response::Entity::find()
        .all(&app.db)
        .await
        .expect("responses")
    {
        crypto::records::response(r).expect("every response opens");
    }

    // The stage state agrees with the history the rules made.
    let couples = couple::Entity::find().all(&app.db).await.expect("couples");
    for c in &couples {
        let history = kintsugi_core::stages::store::history(&app.db, c)
            .await
            .expect("history");
        assert_eq!(
            history.progress.current_stage(),
            c.current_stage,
            "{}",
            c.label
        );
    }

    // The admin signs in with the generated password and sees a caseload and a couple.
    let browser = Browser::new(&app);
    browser
        .sign_in(&scale::counselor_email(1), SCALE_PASSWORD)
        .await;
    let (status, dashboard) = browser.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard.contains("4 couples"), "{dashboard}");
    let theirs = couples
        .iter()
        .find(|c| dashboard.contains(&format!("/couples/{}", c.id)))
        .expect("a couple of the caseload is listed");
    let (status, page) = browser.get_html(&format!("/couples/{}", theirs.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Note signed"),
        "the sessions list their signed notes"
    );

    // A second run finds the practice and writes nothing.
    let again = scale::generate(&app.db, app.clock.as_ref(), &plan, &|_| {})
        .await
        .expect("again");
    assert!(again.already_loaded);
    assert_eq!(
        couple::Entity::find().count(&app.db).await.expect("count"),
        8
    );
}

#[tokio::test]
async fn demo_scale_prints_its_figures_and_how_to_sign_in() {
    let dir = tempfile::tempdir().expect("dir");
    let kintsugi = || cli::kintsugi(dir.path(), &cli::sqlite_in(dir.path()));
    let out = kintsugi()
        .args(["demo", "--scale", "2", "--couples", "3"])
        .output()
        .await
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Wrote "), "{stdout}");
    assert!(stdout.contains(&scale::counselor_email(2)), "{stdout}");
    assert!(stdout.contains(SCALE_PASSWORD), "{stdout}");
    assert!(
        stderr.contains("couples: 6/6 (100%), done in"),
        "progress on standard error: {stderr}"
    );

    let out = kintsugi()
        .args(["demo", "--scale", "2"])
        .output()
        .await
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("already in this database"), "{stdout}");

    // --couples means nothing without --scale.
    let out = kintsugi()
        .args(["demo", "--couples", "5"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
