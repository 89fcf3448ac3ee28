//! The caseload's homework counts (submissions to review, overdue homework) are read from the
//! `open_homework` table, which every change rewrites per couple. Here the table is compared,
//! row by row, with what the records say it should hold, after each kind of change: the demo
//! practice (assigning, drafts, submitting, reviewing, closing), a review, a cancellation, a due
//! time moved into the past, closing and reopening a couple, the large-practice generator, and
//! the migration that first fills the table (with the one that copies sessions' counselors).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::CoupleStatus;
use kintsugi_core::demo::scale::{self, CaseloadSpec};
use kintsugi_core::entities::{assignment, counseling_session, couple, open_homework, response};
use kintsugi_core::homework::ResponseStatus;
use kintsugi_core::homework::assignments::{self, is_overdue};
use kintsugi_core::homework::input::DueAt;
use kintsugi_core::homework::open_work::{self, HomeworkCounts};
use kintsugi_core::practice::Role;
use kintsugi_migrations::{Migrator, MigratorTrait};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::db_tests;
use crate::support::TestApp;

db_tests!(
    the_counts_follow_every_change,
    the_migrations_fill_what_they_copy,
);

/// (response, counselor, couple, due time, submitted)
type Row = (Uuid, Uuid, Uuid, DateTime<Utc>, bool);

struct Records {
    couples: HashMap<Uuid, couple::Model>,
    assignments: HashMap<Uuid, assignment::Model>,
    responses: Vec<response::Model>,
}

async fn records(app: &TestApp) -> Records {
    let couples = couple::Entity::find().all(&app.db).await.expect("couples");
    let assignments = assignment::Entity::find()
        .all(&app.db)
        .await
        .expect("assignments");
    Records {
        couples: couples.into_iter().map(|c| (c.id, c)).collect(),
        assignments: assignments.into_iter().map(|a| (a.id, a)).collect(),
        responses: response::Entity::find()
            .all(&app.db)
            .await
            .expect("responses"),
    }
}

/// The rows the records call for: every response of a live assignment that is submitted, or
/// not yet submitted while its couple is not closed.
fn expected_rows(r: &Records) -> BTreeSet<Row> {
    r.responses
        .iter()
        .filter_map(|resp| {
            let a = &r.assignments[&resp.assignment_id];
            let c = &r.couples[&a.couple_id];
            let submitted = resp.status == ResponseStatus::Submitted;
            let waiting = !resp.status.is_final() && c.status != CoupleStatus::Closed;
            (a.cancelled_at.is_none() && (submitted || waiting)).then_some((
                resp.id,
                c.counselor_id,
                c.id,
                a.due_at,
                submitted,
            ))
        })
        .collect()
}

/// The counts of one counselor as the records give them, by the rule the couple page uses.
fn expected_counts(r: &Records, counselor: Uuid, now: DateTime<Utc>) -> HomeworkCounts {
    let mut counts = HomeworkCounts::default();
    for resp in &r.responses {
        let a = &r.assignments[&resp.assignment_id];
        let c = &r.couples[&a.couple_id];
        if c.counselor_id != counselor || a.cancelled_at.is_some() {
            continue;
        }
        if resp.status == ResponseStatus::Submitted {
            counts.to_review += 1;
        }
        if c.status != CoupleStatus::Closed && is_overdue(resp.status, a.due_at, false, now) {
            counts.overdue += 1;
        }
    }
    counts
}

async fn stored_rows(app: &TestApp) -> BTreeSet<Row> {
    open_homework::Entity::find()
        .all(&app.db)
        .await
        .expect("open homework")
        .into_iter()
        .map(|o| {
            (
                o.response_id,
                o.counselor_id,
                o.couple_id,
                o.due_at,
                o.submitted,
            )
        })
        .collect()
}

/// The table matches the records, and so do every counselor's counts and per-couple badges.
async fn check(app: &TestApp, after: &str) -> Records {
    let r = records(app).await;
    let stored = stored_rows(app).await;
    let expected = expected_rows(&r);
    assert_eq!(
        stored.difference(&expected).count() + expected.difference(&stored).count(),
        0,
        "after {after}: rows not called for {:?}, rows missing {:?}",
        stored.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&stored).collect::<Vec<_>>()
    );
    let now = Utc::now();
    let counselors: BTreeSet<Uuid> = r.couples.values().map(|c| c.counselor_id).collect();
    for counselor in counselors {
        let counts = open_work::caseload_counts(&app.db, counselor, now)
            .await
            .expect("counts");
        assert_eq!(counts, expected_counts(&r, counselor, now), "after {after}");
        let ids: Vec<Uuid> = r
            .couples
            .values()
            .filter(|c| c.counselor_id == counselor)
            .map(|c| c.id)
            .collect();
        let badges = open_work::to_review_by_couple(&app.db, counselor, &ids)
            .await
            .expect("badges");
        for id in ids {
            let submitted = expected.iter().filter(|row| row.2 == id && row.4).count() as u64;
            assert_eq!(
                badges.get(&id).copied().unwrap_or(0),
                submitted,
                "after {after}"
            );
        }
    }
    r
}

/// A response in `status` of a live assignment of an open couple, with its assignment.
fn find(r: &Records, status: ResponseStatus) -> (response::Model, assignment::Model) {
    r.responses
        .iter()
        .find_map(|resp| {
            let a = &r.assignments[&resp.assignment_id];
            (resp.status == status
                && a.cancelled_at.is_none()
                && r.couples[&a.couple_id].status != CoupleStatus::Closed)
                .then(|| (resp.clone(), a.clone()))
        })
        .unwrap_or_else(|| panic!("the demo has a {status:?} response"))
}

async fn the_counts_follow_every_change(app: TestApp) {
    let clock = app.clock.as_ref();
    kintsugi_core::demo::load(&app.db, clock)
        .await
        .expect("demo");
    let r = check(&app, "the demo practice").await;
    assert!(
        r.responses
            .iter()
            .any(|x| x.status == ResponseStatus::Submitted),
        "the demo leaves submissions to review"
    );

    // A review takes a submission off the counselor's list.
    let (submitted, a) = find(&r, ResponseStatus::Submitted);
    let counselor = r.couples[&a.couple_id].counselor_id;
    let actor = Actor::counselor(counselor, None);
    assignments::review(&app.db, clock, &actor, counselor, submitted.id, "")
        .await
        .expect("review");
    let r = check(&app, "a review").await;

    // Cancelling takes an assignment's waiting responses off.
    let (waiting, a) = find(&r, ResponseStatus::Assigned);
    let counselor = r.couples[&a.couple_id].counselor_id;
    let actor = Actor::counselor(counselor, None);
    assignments::cancel(&app.db, clock, &actor, counselor, a.id)
        .await
        .expect("cancel");
    let r = check(&app, "a cancellation").await;
    assert!(
        !stored_rows(&app)
            .await
            .iter()
            .any(|row| row.0 == waiting.id)
    );

    // A due time moved into the past makes homework overdue; moved ahead, it is not.
    let (_, a) = find(&r, ResponseStatus::Assigned);
    let counselor = r.couples[&a.couple_id].counselor_id;
    let actor = Actor::counselor(counselor, None);
    let before = open_work::caseload_counts(&app.db, counselor, Utc::now())
        .await
        .expect("counts");
    // Due three days ago: as if moved then, when that was still ahead.
    let past = Utc::now() - Duration::days(3);
    let past = DueAt::parse(past, past - Duration::hours(1)).expect("ahead of then");
    assignments::change_due(&app.db, clock, &actor, counselor, a.id, past)
        .await
        .expect("move back");
    check(&app, "a due time moved into the past").await;
    let future = DueAt::parse(Utc::now() + Duration::days(3), Utc::now()).expect("ahead");
    assignments::change_due(&app.db, clock, &actor, counselor, a.id, future)
        .await
        .expect("move ahead");
    let r = check(&app, "a due time moved ahead").await;
    let after = open_work::caseload_counts(&app.db, counselor, Utc::now())
        .await
        .expect("counts");
    assert!(after.overdue <= before.overdue);

    // Closing a couple takes its unsubmitted homework off; reopening puts it back.
    let (_, a) = find(&r, ResponseStatus::Assigned);
    let counselor = r.couples[&a.couple_id].counselor_id;
    for (status, after) in [
        (CoupleStatus::Closed, "closing a couple"),
        (CoupleStatus::Active, "reopening a couple"),
    ] {
        let actor = kintsugi_core::audit::Actor::counselor(counselor, None);
        kintsugi_core::couples::store::set_status(
            &app.db,
            clock,
            &actor,
            counselor,
            a.couple_id,
            status,
        )
        .await
        .expect(after);
        check(&app, after).await;
    }

    // The generator writes a large caseload's rows with its records.
    let generated = app
        .counselor("Generated", "generated@practice.example", Role::Counselor)
        .await;
    scale::write_caseloads(
        &app.db,
        Utc::now(),
        &[CaseloadSpec {
            counselor_id: generated.id,
            counselor_number: 7,
            time_zone: generated.timezone,
            couples: 12,
            seed: 3,
        }],
        &|_| {},
    )
    .await
    .expect("generate");
    let r = check(&app, "the generator").await;
    assert!(
        r.couples
            .values()
            .filter(|c| c.counselor_id == generated.id)
            .count()
            == 12
    );
}

/// Migrations 060 and 070 fill, from the records already there, the open-homework table and
/// each session's copy of its couple's counselor.
async fn the_migrations_fill_what_they_copy(app: TestApp) {
    kintsugi_core::demo::load(&app.db, app.clock.as_ref())
        .await
        .expect("demo");
    let before = stored_rows(&app).await;
    assert!(!before.is_empty());
    Migrator::down(&app.db, Some(2)).await.expect("down");
    Migrator::up(&app.db, None).await.expect("up");
    let r = check(&app, "the migration").await;
    assert_eq!(stored_rows(&app).await, before);
    let sessions = counseling_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions");
    assert!(!sessions.is_empty());
    for s in sessions {
        assert_eq!(s.counselor_id, r.couples[&s.couple_id].counselor_id);
    }
}
