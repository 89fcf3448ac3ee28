//! Reminders and the other emails of the outbox, end to end through a real SMTP server: every
//! kind arrives with the right recipient, link, headers, parts and calendar file and nothing
//! clinical; reminders due at night wait for 08:00 in the recipient's zone across
//! daylight-saving changes; moving, cancelling and submitting update pending reminders; the
//! opt-out link works and is honoured; the counselor's digest goes once at 07:00 their time.
//!
//! Time is a fixed clock moved by the tests: the worker sends what is due at that clock.

use std::collections::HashSet;
use std::sync::Arc;

use kintsugi_core::audit::Actor;
use kintsugi_core::clock::{Clock, FixedClock};
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::{audit_event, outbox_message, partner, response};
use kintsugi_core::homework::assignments;
use kintsugi_core::homework::library;
use kintsugi_core::homework::prompts::{PromptKind, RawAnswer};
use kintsugi_core::homework::responses;
use kintsugi_core::practice::Role;
use kintsugi_core::reminders::outbox::OutboxStatus;
use kintsugi_core::sessions::{Attendance, Location, NewSession, store as sessions};
use kintsugi_core::stages::Stage;
use kintsugi_web::mail::Worker;
use kintsugi_web::mail::worker::Tally;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::db_tests;
use crate::support::mail::{
    Couple, LABEL, RENEE, ZOE, assign, at, couple_in, exercise_id, mail_worker, rows,
    schedule_session,
};
use crate::support::smtp::{Mail, SmtpServer};
use crate::support::{Browser, TestApp};

db_tests!(
    every_kind_arrives_with_its_recipient_link_headers_and_nothing_clinical,
    reminders_due_at_night_wait_for_eight_across_daylight_saving_changes,
    moving_cancelling_and_submitting_update_pending_reminders,
    the_opt_out_link_confirms_on_a_page_and_is_honoured,
    the_daily_digest_goes_once_at_seven_in_the_counselors_zone,
);

async fn exercise_title(app: &TestApp, counselor: Uuid) -> String {
    library::get(&app.db, counselor, exercise_id(app, counselor).await)
        .await
        .expect("exercise")
        .model
        .title
}

async fn submit(app: &TestApp, clock: &FixedClock, assignment: Uuid, partner_id: Uuid) {
    let p = partner::Entity::find_by_id(partner_id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("partner");
    let r = response::Entity::find()
        .filter(response::Column::AssignmentId.eq(assignment))
        .filter(response::Column::PartnerId.eq(partner_id))
        .one(&app.db)
        .await
        .expect("q")
        .expect("response");
    let h = responses::get_for_partner(&app.db, &p, r.id, true)
        .await
        .expect("own");
    let raw: Vec<(String, RawAnswer)> = h
        .exercise
        .prompts
        .iter()
        .map(|q| {
            let answer = match &q.kind {
                PromptKind::LongText | PromptKind::ShortText => {
                    "my private answer words".to_owned()
                }
                PromptKind::Scale { .. } => "5".to_owned(),
                PromptKind::SingleChoice { options } | PromptKind::Checklist { options } => {
                    options[0].clone()
                }
            };
            (q.key.clone(), RawAnswer::text(answer))
        })
        .collect();
    let saved = responses::submit(&app.db, clock, &p, r.id, &raw, false, None)
        .await
        .expect("submit");
    assert_eq!(saved, responses::Saved::Done);
}

async fn pending(app: &TestApp, kind: &str) -> Vec<outbox_message::Model> {
    rows(app)
        .await
        .into_iter()
        .filter(|m| m.kind == kind && m.status == OutboxStatus::Pending)
        .collect()
}

async fn step(w: &Worker, clock: &FixedClock, now: &str) -> Tally {
    clock.set(at(now));
    w.run_once().await.expect("worker step")
}

fn of_kind<'a>(mails: &'a [Mail], subject: &str) -> Vec<&'a Mail> {
    mails.iter().filter(|m| m.subject == subject).collect()
}

fn recipients(mails: &[&Mail]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    to.sort();
    to
}

/// What every client email has: the recipient, a neutral subject, text and HTML parts, a
/// Message-ID from its outbox row, the opt-out link in the body and the RFC 8058 headers, and
/// none of `forbidden`.
async fn assert_client_mail(app: &TestApp, m: &Mail, forbidden: &[String]) {
    assert!(m.to == ZOE || m.to == RENEE, "{}", m.to);
    assert!(
        !m.text.trim().is_empty() && !m.html.trim().is_empty(),
        "{}",
        m.raw
    );
    assert!(m.raw.contains("multipart/alternative"), "{}", m.raw);
    assert!(
        ["multipart/alternative", "multipart/mixed"].contains(&m.content_type.as_str()),
        "{}",
        m.content_type
    );
    let row = rows(app)
        .await
        .into_iter()
        .find(|r| r.message_id.as_deref() == Some(&format!("<{}>", m.message_id)))
        .expect("the Message-ID names its outbox row");
    assert_eq!(row.status, OutboxStatus::Sent);
    assert_eq!(row.recipient, m.to);
    assert_eq!(row.payload, "{}", "the payload is forgotten once sent");
    let unsubscribe = m.header("List-Unsubscribe").expect("List-Unsubscribe");
    let opt_out = unsubscribe.trim_start_matches('<').trim_end_matches('>');
    assert!(
        opt_out.starts_with(&format!("{}/reminders/opt-out/", app.base)),
        "{unsubscribe}"
    );
    assert_eq!(
        m.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));
    assert_eq!(
        m.link(&format!("{}/reminders/opt-out/", app.base))
            .as_deref(),
        Some(opt_out),
        "the opt-out link is in the text"
    );
    assert!(
        m.html.contains(&format!("href=\"{opt_out}\"")),
        "{}",
        m.html
    );
    let everything = m.all_text();
    for f in forbidden {
        assert!(!everything.contains(f.as_str()), "{f:?} in {everything}");
    }
}

/// Nothing a client email may say: the exercise, the stages, the couple, the other partner.
async fn clinical_words(app: &TestApp, c: &Couple) -> Vec<String> {
    let mut words: Vec<String> = Stage::ALL.iter().map(|s| s.name().to_owned()).collect();
    words.push(exercise_title(app, c.counselor).await);
    words.push("caring".into());
    words.push(LABEL.into());
    words.push("my private answer words".into());
    words
}

/// A homework link from an email opens the partner's pages.
async fn assert_link_opens(app: &TestApp, m: &Mail) {
    let link = m
        .link(&format!("{}/h/", app.base))
        .unwrap_or_else(|| panic!("no homework link in {}", m.text));
    assert!(m.html.contains(&link));
    let r = Browser::new(app)
        .client
        .get(&link)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a live link");
    assert_eq!(r.headers()["location"], "/h");
}

// ---------------------------------------------------------------------------------------------

async fn every_kind_arrives_with_its_recipient_link_headers_and_nothing_clinical(app: TestApp) {
    let smtp = SmtpServer::start().await;
    let c = couple_in(
        &app,
        "c@practice.example",
        "Europe/Berlin",
        "America/New_York",
    )
    .await;
    let clock = Arc::new(FixedClock::new(at("2027-01-11T14:00:00Z")));
    let w = mail_worker(&app, &smtp.url(), clock.clone());
    let mut seen = HashSet::new();
    let forbidden = clinical_words(&app, &c).await;

    // Monday 15:00 in Berlin, 09:00 in New York: homework due Friday 19:00 Berlin time, and a
    // video session the Wednesday after.
    assign(&app, &clock, &c, "2027-01-15 19:00", "Europe/Berlin").await;
    schedule_session(
        &app,
        &clock,
        &c,
        "2027-01-20T15:00:00Z",
        Location::Video("https://video.example/room/7".into()),
    )
    .await;

    // New homework: one email to each partner, with a fresh link.
    let t = w.run_once().await.expect("step");
    assert_eq!(t.failed + t.retried, 0);
    let mails = smtp.new_mails(&mut seen);
    let assigned = of_kind(&mails, "You have a new exercise from your counselor");
    assert_eq!(recipients(&assigned), [RENEE, ZOE]);
    for m in &assigned {
        assert_client_mail(&app, m, &forbidden).await;
        assert_link_opens(&app, m).await;
        assert!(
            !m.all_text().contains("Zoë") || m.to == ZOE,
            "never the other partner"
        );
        assert!(!m.all_text().contains("Renée") || m.to == RENEE);
    }
    // The counselor's digest went too (15:00 in Berlin is after 07:00), to the counselor only.
    let digests: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Your Kintsugi summary for"))
        .collect();
    assert_eq!(recipients(&digests), ["c@practice.example"]);
    assert!(digests[0].header("List-Unsubscribe").is_none());
    assert!(digests[0].raw.contains("multipart/alternative"));
    assert!(digests[0].text.contains("Submissions to review: 0"));
    assert!(!digests[0].all_text().contains("my private answer words"));
    assert_eq!(mails.len(), 3, "nothing else");

    // A day before the due time: the due-soon reminder, with the due time in each partner's zone.
    step(&w, &clock, "2027-01-14T17:59:00Z").await;
    assert!(of_kind(&smtp.new_mails(&mut seen), "A reminder from your counselor").is_empty());
    step(&w, &clock, "2027-01-14T18:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let soon = of_kind(&mails, "A reminder from your counselor");
    assert_eq!(recipients(&soon), [RENEE, ZOE]);
    for m in &soon {
        assert_client_mail(&app, m, &forbidden).await;
        assert_link_opens(&app, m).await;
        assert!(m.text.contains("is due on"), "{}", m.text);
        let local = if m.to == ZOE {
            "Friday 15 January 2027 at 19:00 (Europe/Berlin)"
        } else {
            "Friday 15 January 2027 at 13:00 (America/New_York)"
        };
        assert!(m.text.contains(local), "{}", m.text);
    }

    // An hour after the due time, nothing submitted: the overdue reminder, once.
    step(&w, &clock, "2027-01-15T19:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let overdue = of_kind(&mails, "A reminder from your counselor");
    assert_eq!(recipients(&overdue), [RENEE, ZOE]);
    for m in &overdue {
        assert_client_mail(&app, m, &forbidden).await;
        assert_link_opens(&app, m).await;
        assert!(m.text.contains("is still open"), "{}", m.text);
    }
    step(&w, &clock, "2027-01-16T19:00:00Z").await;
    assert!(of_kind(&smtp.new_mails(&mut seen), "A reminder from your counselor").is_empty());

    // A day before the session: a reminder with an invitation in each partner's zone.
    step(&w, &clock, "2027-01-19T15:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let session = of_kind(&mails, "A reminder of your upcoming appointment");
    assert_eq!(recipients(&session), [RENEE, ZOE]);
    for m in &session {
        assert_client_mail(&app, m, &forbidden).await;
        assert_eq!(m.content_type, "multipart/mixed", "{}", m.raw);
        assert!(m.text.contains("You have a session with your counselor"));
        assert!(m.text.contains("https://video.example/room/7"));
        let (zone, local) = if m.to == ZOE {
            ("Europe/Berlin", "20270120T160000")
        } else {
            ("America/New_York", "20270120T100000")
        };
        assert!(m.text.contains(zone), "{}", m.text);
        assert_eq!(m.attachments.len(), 1);
        let (ctype, name, ics) = &m.attachments[0];
        assert_eq!(ctype, "text/calendar");
        assert_eq!(name, "invitation.ics");
        assert!(
            ics.contains(&format!("DTSTART;TZID={zone}:{local}")),
            "{ics}"
        );
        assert!(ics.contains("BEGIN:VTIMEZONE") && ics.contains(&format!("TZID:{zone}")));
        assert!(ics.contains("LOCATION:https://video.example/room/7"));
        assert!(ics.contains("SUMMARY:Session with your counselor"));
    }

    // The counselor's outbox page and API name every kind, and never show a body or a link.
    let b = Browser::new(&app);
    b.sign_in("c@practice.example", crate::support::PASSWORD)
        .await;
    let (_, page) = b.get_html("/outbox").await;
    for label in [
        "New homework",
        "Reminder: homework due soon",
        "Reminder: homework overdue",
        "Reminder: session",
        "Your daily summary",
    ] {
        assert!(page.contains(label), "{label} on the outbox page");
    }
    assert!(!page.contains("/h/") && !page.contains("/reminders/opt-out/"));
    let api = app.api(&app.api_token(c.counselor).await);
    let list: serde_json::Value = api.get_json("/api/v1/outbox").await;
    let kinds: HashSet<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    for kind in [
        "homework_assigned",
        "homework_due_soon",
        "homework_overdue",
        "session_reminder",
        "counselor_digest",
    ] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    let text = list.to_string();
    assert!(!text.contains("/h/") && !text.contains("payload") && !text.contains("You have"));
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

/// One case: partners living in `zone`, homework due at a local time near a clock change;
/// the worker runs a minute before and at the moment waking hours open.
async fn held_until_eight(
    app: &TestApp,
    smtp: &SmtpServer,
    seen: &mut HashSet<String>,
    email: &str,
    zone: &str,
    due_local: &str,
    checks: &[(&str, &str, usize)],
) {
    let c = couple_in(app, email, zone, zone).await;
    let clock = Arc::new(FixedClock::new(at("2027-01-01T15:00:00Z")));
    let mut w = mail_worker(app, &smtp.url(), clock.clone());
    w.digests = false;
    assign(app, &clock, &c, due_local, zone).await;
    // The "new homework" emails go first.
    w.run_once().await.expect("step");
    smtp.new_mails(seen);
    for (now, subject_part, expected) in checks {
        step(&w, &clock, now).await;
        let mails = smtp.new_mails(seen);
        let reminders: Vec<&Mail> = mails
            .iter()
            .filter(|m| m.text.contains(subject_part))
            .collect();
        assert_eq!(
            reminders.len(),
            *expected,
            "{zone}, due {due_local}, at {now}: {subject_part:?}"
        );
    }
    // Whatever was held went out once, and nothing is left.
    assert!(
        rows(app)
            .await
            .iter()
            .filter(|m| m.couple_id == Some(c.id))
            .all(|m| m.status == OutboxStatus::Sent),
        "{zone}: every reminder of this couple was sent"
    );
}

async fn reminders_due_at_night_wait_for_eight_across_daylight_saving_changes(app: TestApp) {
    let smtp = SmtpServer::start().await;
    let mut seen = HashSet::new();
    // practice default waking hours: 08:00 to 21:00 in the recipient's own zone.
    const SOON: &str = "is due on";
    const LATE: &str = "is still open";

    // New York, spring forward (Sunday 14 March 2027, 02:00 EST -> 03:00 EDT). Due 01:00 on
    // the night of the change: due soon at 01:00 EST the night before, held until 08:00 EST
    // (13:00 UTC); overdue at 02:00, which does not exist that night, held until 08:00 EDT
    // (12:00 UTC, not 13:00).
    held_until_eight(
        &app,
        &smtp,
        &mut seen,
        "ny-spring@practice.example",
        "America/New_York",
        "2027-03-14 01:00",
        &[
            ("2027-03-13T06:00:00Z", SOON, 0),
            ("2027-03-13T12:59:00Z", SOON, 0),
            ("2027-03-13T13:00:00Z", SOON, 2),
            ("2027-03-14T07:00:00Z", LATE, 0),
            ("2027-03-14T11:59:00Z", LATE, 0),
            ("2027-03-14T12:00:00Z", LATE, 2),
        ],
    )
    .await;

    // New York, fall back (Sunday 7 November 2027, 02:00 EDT -> 01:00 EST). Due 01:30 (the
    // first one, EDT): overdue at 02:30 EST, held until 08:00 EST (13:00 UTC, not 12:00).
    held_until_eight(
        &app,
        &smtp,
        &mut seen,
        "ny-autumn@practice.example",
        "America/New_York",
        "2027-11-07 01:30",
        &[
            ("2027-11-07T07:30:00Z", LATE, 0),
            ("2027-11-07T12:00:00Z", LATE, 0),
            ("2027-11-07T12:59:00Z", LATE, 0),
            ("2027-11-07T13:00:00Z", LATE, 2),
        ],
    )
    .await;

    // Berlin, spring forward (Sunday 28 March 2027, 02:00 CET -> 03:00 CEST). Due 02:30, a
    // time that does not exist: it becomes 03:30 CEST; overdue at 04:30 CEST, held until 08:00
    // CEST (06:00 UTC, not 07:00).
    held_until_eight(
        &app,
        &smtp,
        &mut seen,
        "berlin-spring@practice.example",
        "Europe/Berlin",
        "2027-03-28 02:30",
        &[
            ("2027-03-28T02:30:00Z", LATE, 0),
            ("2027-03-28T05:59:00Z", LATE, 0),
            ("2027-03-28T06:00:00Z", LATE, 2),
        ],
    )
    .await;

    // Berlin, fall back (Sunday 31 October 2027, 03:00 CEST -> 02:00 CET). Due 23:00 CEST on
    // the Saturday: overdue at midnight, held until 08:00 CET (07:00 UTC, not 06:00).
    held_until_eight(
        &app,
        &smtp,
        &mut seen,
        "berlin-autumn@practice.example",
        "Europe/Berlin",
        "2027-10-30 23:00",
        &[
            ("2027-10-30T22:00:00Z", LATE, 0),
            ("2027-10-31T06:00:00Z", LATE, 0),
            ("2027-10-31T06:59:00Z", LATE, 0),
            ("2027-10-31T07:00:00Z", LATE, 2),
        ],
    )
    .await;

    // A link the counselor sends at night (02:30 CEST, the hour that happens twice) is held by
    // the worker itself until 08:00 CET, then sent once.
    let c = couple_in(
        &app,
        "berlin-link@practice.example",
        "Europe/Berlin",
        "Europe/Berlin",
    )
    .await;
    let api = app.api(&app.api_token(c.counselor).await);
    let r = api
        .post_json(&format!("/api/v1/couples/{}/links/hurt", c.id), &json!({}))
        .await;
    assert_eq!(r.status(), 202);
    let clock = Arc::new(FixedClock::new(at("2027-10-31T00:30:00Z")));
    let mut w = mail_worker(&app, &smtp.url(), clock.clone());
    w.digests = false;
    let t = w.run_once().await.expect("step");
    assert_eq!((t.held, t.sent), (1, 0), "held, not sent, at night");
    assert_eq!(step(&w, &clock, "2027-10-31T06:59:00Z").await.sent, 0);
    assert_eq!(step(&w, &clock, "2027-10-31T07:00:00Z").await.sent, 1);
    assert_eq!(step(&w, &clock, "2027-10-31T08:00:00Z").await.sent, 0);
    let link_mails: Vec<Mail> = smtp
        .new_mails(&mut seen)
        .into_iter()
        .filter(|m| m.to == RENEE)
        .collect();
    assert_eq!(link_mails.len(), 1);
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn moving_cancelling_and_submitting_update_pending_reminders(app: TestApp) {
    let smtp = SmtpServer::start().await;
    let mut seen = HashSet::new();
    let c = couple_in(&app, "c@practice.example", "Europe/Berlin", "Europe/Berlin").await;
    let clock = Arc::new(FixedClock::new(at("2027-02-01T10:00:00Z")));
    let mut w = mail_worker(&app, &smtp.url(), clock.clone());
    w.digests = false;
    let actor = Actor::system();

    // Due Friday 5 February 19:00 Berlin (18:00 UTC): two reminders per partner wait.
    let a = assign(&app, &clock, &c, "2027-02-05 19:00", "Europe/Berlin").await;
    assert_eq!(pending(&app, "homework_due_soon").await.len(), 2);
    assert_eq!(pending(&app, "homework_overdue").await.len(), 2);
    // A second insertion of the same reminders is a no-op.
    {
        use sea_orm::TransactionTrait;
        let tx = app.db.begin().await.expect("tx");
        for _ in 0..2 {
            kintsugi_core::reminders::homework_reminders::sync_assignments(
                &tx,
                clock.as_ref().now(),
                &[a],
            )
            .await
            .expect("sync");
        }
        tx.commit().await.expect("commit");
    }
    assert_eq!(pending(&app, "homework_due_soon").await.len(), 2);
    assert_eq!(pending(&app, "homework_overdue").await.len(), 2);
    w.run_once().await.expect("new homework emails");
    smtp.new_mails(&mut seen);

    // The counselor moves the due time two days later: the reminders move with it.
    assignments::change_due(
        &app.db,
        clock.as_ref(),
        &actor,
        c.counselor,
        a,
        kintsugi_core::homework::input::DueAt::parse(at("2027-02-07T18:00:00Z"), clock.now())
            .expect("ahead"),
    )
    .await
    .expect("change due");
    let soon = pending(&app, "homework_due_soon").await;
    assert_eq!(soon.len(), 2);
    assert!(
        soon.iter()
            .all(|m| m.scheduled_at == at("2027-02-06T18:00:00Z"))
    );
    step(&w, &clock, "2027-02-04T18:00:00Z").await;
    assert!(
        smtp.new_mails(&mut seen).is_empty(),
        "nothing at the old time"
    );
    step(&w, &clock, "2027-02-06T18:00:00Z").await;
    assert_eq!(
        smtp.new_mails(&mut seen).len(),
        2,
        "due soon at the new time"
    );

    // Renée submits: her overdue reminder is withdrawn in the same transaction; Zoë's stays.
    submit(&app, &clock, a, c.hurt).await;
    let late = pending(&app, "homework_overdue").await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].partner_id, Some(c.involved));
    step(&w, &clock, "2027-02-07T19:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    assert_eq!(recipients(&mails.iter().collect::<Vec<_>>()), [ZOE]);

    // A cancelled assignment takes its reminders with it.
    let b = assign(&app, &clock, &c, "2027-02-20 19:00", "Europe/Berlin").await;
    assert_eq!(pending(&app, "homework_overdue").await.len(), 2);
    assignments::cancel(&app.db, clock.as_ref(), &actor, c.counselor, b)
        .await
        .expect("cancel");
    assert!(pending(&app, "homework_due_soon").await.is_empty());
    assert!(pending(&app, "homework_overdue").await.is_empty());

    // A reminder whose homework was submitted behind its back (say, between claim and send)
    // is dropped by the worker, not sent.
    let d = assign(&app, &clock, &c, "2027-02-25 19:00", "Europe/Berlin").await;
    {
        use sea_orm::sea_query::Expr;
        response::Entity::update_many()
            .col_expr(
                response::Column::Status,
                Expr::value(kintsugi_core::homework::ResponseStatus::Submitted),
            )
            .filter(response::Column::AssignmentId.eq(d))
            .exec(&app.db)
            .await
            .expect("update");
    }
    let t = step(&w, &clock, "2027-02-24T18:00:00Z").await;
    assert_eq!(t.dropped, 2, "{t:?}");
    assert!(
        smtp.new_mails(&mut seen)
            .iter()
            .all(|m| m.subject == "You have a new exercise from your counselor"),
        "no due-soon reminder went"
    );

    // Sessions: booked, moved, cancelled.
    let s = schedule_session(
        &app,
        &clock,
        &c,
        "2027-03-10T09:00:00Z",
        Location::Office(Some("Room 2".into())),
    )
    .await;
    let waiting = pending(&app, "session_reminder").await;
    assert_eq!(waiting.len(), 2);
    assert!(
        waiting
            .iter()
            .all(|m| m.scheduled_at == at("2027-03-09T09:00:00Z"))
    );
    sessions::reschedule(
        &app.db,
        clock.as_ref(),
        &actor,
        c.counselor,
        s.id,
        NewSession {
            starts_at: at("2027-03-12T13:00:00Z"),
            duration_minutes: 50,
            location: Location::Video("https://video.example/moved".into()),
        },
    )
    .await
    .expect("reschedule");
    let waiting = pending(&app, "session_reminder").await;
    assert_eq!(waiting.len(), 2, "moved, not added");
    assert!(
        waiting
            .iter()
            .all(|m| m.scheduled_at == at("2027-03-11T13:00:00Z"))
    );
    step(&w, &clock, "2027-03-09T09:00:00Z").await;
    assert!(
        smtp.new_mails(&mut seen).is_empty(),
        "nothing at the old time"
    );
    step(&w, &clock, "2027-03-11T13:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    assert_eq!(mails.len(), 2);
    for m in &mails {
        let (_, _, ics) = &m.attachments[0];
        assert!(
            ics.contains("DTSTART;TZID=Europe/Berlin:20270312T140000"),
            "{ics}"
        );
        assert!(m.text.contains("https://video.example/moved"));
        assert!(!m.all_text().contains("Room 2"));
    }
    let s2 = schedule_session(
        &app,
        &clock,
        &c,
        "2027-03-20T09:00:00Z",
        Location::Office(None),
    )
    .await;
    assert_eq!(pending(&app, "session_reminder").await.len(), 2);
    sessions::record_attendance(
        &app.db,
        clock.as_ref(),
        &actor,
        c.counselor,
        s2.id,
        Attendance::Cancelled,
    )
    .await
    .expect("cancel session");
    assert!(pending(&app, "session_reminder").await.is_empty());
    step(&w, &clock, "2027-03-19T09:00:00Z").await;
    assert!(smtp.new_mails(&mut seen).is_empty());
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn the_opt_out_link_confirms_on_a_page_and_is_honoured(app: TestApp) {
    let smtp = SmtpServer::start().await;
    let mut seen = HashSet::new();
    let c = couple_in(
        &app,
        "c@practice.example",
        "Europe/Berlin",
        "America/New_York",
    )
    .await;
    let clock = Arc::new(FixedClock::new(at("2027-04-05T14:00:00Z")));
    let mut w = mail_worker(&app, &smtp.url(), clock.clone());
    w.digests = false;
    assign(&app, &clock, &c, "2027-04-09 19:00", "Europe/Berlin").await;
    w.run_once().await.expect("step");
    let mails = smtp.new_mails(&mut seen);
    let renee = mails.iter().find(|m| m.to == RENEE).expect("Renée's email");
    let header = renee.header("List-Unsubscribe").expect("header");
    let url = header
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    let partner_of = |id: Uuid| {
        let db = app.db.clone();
        async move {
            partner::Entity::find_by_id(id)
                .one(&db)
                .await
                .expect("q")
                .expect("partner")
        }
    };

    // Opening the link (as a mail scanner would) changes nothing.
    let client = Browser::new(&app).client;
    for _ in 0..2 {
        let r = client.get(&url).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let html = r.text().await.expect("body");
        assert!(html.contains("Stop reminder emails?"), "{html}");
        assert!(html.contains("<form method=\"post\""));
    }
    assert!(!partner_of(c.hurt).await.reminders_opt_out);
    assert_eq!(pending(&app, "homework_due_soon").await.len(), 2);

    // A forged or cut token opens nothing and changes nothing.
    let token = url.rsplit('/').next().expect("token").to_owned();
    let mut forged = token.clone().into_bytes();
    forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    for bad in [forged.as_str(), &token[..20], "x"] {
        let bad_url = format!("{}/reminders/opt-out/{bad}", app.base);
        let r = client.get(&bad_url).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = client
            .post(&bad_url)
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("This link does not work")
        );
    }
    assert!(!partner_of(c.hurt).await.reminders_opt_out);

    // One click from the mail program (RFC 8058): a POST with List-Unsubscribe=One-Click.
    let r = client
        .post(&url)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Reminder emails are off")
    );
    assert!(partner_of(c.hurt).await.reminders_opt_out);
    assert!(!partner_of(c.involved).await.reminders_opt_out);
    // Her pending reminders are gone; Zoë's stay.
    for kind in ["homework_due_soon", "homework_overdue"] {
        let left = pending(&app, kind).await;
        assert_eq!(left.len(), 1, "{kind}");
        assert_eq!(left[0].partner_id, Some(c.involved));
    }
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("reminders_opted_out"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor_id, Some(c.hurt));
    assert_eq!(audited[0].record_id, Some(c.id));

    // The counselor sees it on the couple page.
    let b = Browser::new(&app);
    b.sign_in("c@practice.example", crate::support::PASSWORD)
        .await;
    let (status, html) = b.get_html(&format!("/couples/{}", c.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-reminders=\"off\""),
        "Renée's panel says off"
    );
    assert!(
        html.contains("data-reminders=\"on\""),
        "Zoë's panel says on"
    );

    // No more reminders for her, homework or session; new homework still reaches her.
    schedule_session(
        &app,
        &clock,
        &c,
        "2027-04-15T15:00:00Z",
        Location::Office(None),
    )
    .await;
    assert_eq!(pending(&app, "session_reminder").await.len(), 1);
    step(&w, &clock, "2027-04-08T18:00:00Z").await;
    step(&w, &clock, "2027-04-09T19:00:00Z").await;
    step(&w, &clock, "2027-04-14T15:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    assert_eq!(mails.len(), 3, "due soon, overdue and the session, to Zoë");
    assert!(mails.iter().all(|m| m.to == ZOE));
    assign(&app, &clock, &c, "2027-04-30 19:00", "Europe/Berlin").await;
    step(&w, &clock, "2027-04-14T16:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    assert_eq!(
        recipients(&mails.iter().collect::<Vec<_>>()),
        [RENEE, ZOE],
        "new homework is not a reminder"
    );

    // Opening the link again shows reminders are off and offers to turn them back on.
    let html = client
        .get(&url)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(html.contains("Turn reminders back on"));
    let r = client
        .post(&url)
        .form(&[("action", "resume")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!partner_of(c.hurt).await.reminders_opt_out);
    // (The page runs on today's clock, before this test's 2027: both of her assignments are
    // still ahead there, so each gets its due-soon reminder again.)
    assert_eq!(
        pending(&app, "homework_due_soon")
            .await
            .iter()
            .filter(|m| m.partner_id == Some(c.hurt))
            .count(),
        2,
        "her open homework has reminders again"
    );
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------

async fn the_daily_digest_goes_once_at_seven_in_the_counselors_zone(app: TestApp) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let smtp = SmtpServer::start().await;
    let mut seen = HashSet::new();
    // Counselor in Berlin with a couple; a second counselor in New York.
    let c = couple_in(
        &app,
        "berlin@practice.example",
        "Europe/Berlin",
        "Europe/Berlin",
    )
    .await;
    let clock = Arc::new(FixedClock::new(at("2027-01-04T10:00:00Z")));
    let a = assign(&app, &clock, &c, "2027-01-08 19:00", "Europe/Berlin").await;
    submit(&app, &clock, a, c.hurt).await;
    schedule_session(
        &app,
        &clock,
        &c,
        "2027-01-12T08:30:00Z",
        Location::Office(None),
    )
    .await;
    {
        let api_counselor = app
            .counselor("Dr York", "york@practice.example", Role::Counselor)
            .await;
        let mut m = kintsugi_core::entities::counselor::Entity::find_by_id(api_counselor.id)
            .one(&app.db)
            .await
            .expect("q")
            .expect("counselor")
            .into_active_model();
        m.timezone = Set(TimeZone::parse("America/New_York").expect("tz"));
        m.update(&app.db).await.expect("tz");
        let api = app.api(&app.api_token(api_counselor.id).await);
        let r = api
            .post_json(
                "/api/v1/couples",
                &crate::support::couple_json("York Couple"),
            )
            .await;
        assert!(r.status().is_success());
    }
    let digests = |mails: Vec<Mail>| -> Vec<Mail> {
        mails
            .into_iter()
            .filter(|m| m.subject.starts_with("Your Kintsugi summary for"))
            .collect()
    };
    let w1 = mail_worker(&app, &smtp.url(), clock.clone());
    let w2 = mail_worker(&app, &smtp.url(), clock.clone());

    // Tuesday 12 January, 06:59 in Berlin: nothing yet.
    step(&w1, &clock, "2027-01-12T05:59:00Z").await;
    assert!(digests(smtp.new_mails(&mut seen)).is_empty());
    // 07:00 in Berlin, two workers at once: one digest.
    clock.set(at("2027-01-12T06:00:00Z"));
    let (t1, t2) = tokio::join!(w1.run_once(), w2.run_once());
    t1.expect("w1");
    t2.expect("w2");
    w1.run_once().await.expect("again");
    let got = digests(smtp.new_mails(&mut seen));
    assert_eq!(got.len(), 1, "one digest for the Berlin counselor");
    let d = &got[0];
    assert_eq!(d.to, "berlin@practice.example");
    assert_eq!(
        d.subject,
        "Your Kintsugi summary for Tuesday 12 January 2027"
    );
    assert!(d.text.contains("Submissions to review: 1"), "{}", d.text);
    assert!(
        d.text.contains("Overdue homework: 1"),
        "Zoë has not submitted"
    );
    assert!(d.text.contains("Emails that could not be sent: 0"));
    assert!(d.text.contains(&format!("09:30  {LABEL}")), "{}", d.text);
    assert!(
        d.html.contains("Secret Label &#38; Co") || d.html.contains("Secret Label &amp; Co"),
        "escaped in HTML: {}",
        d.html
    );
    assert!(d.text.contains(&format!("{}/", app.base)));
    assert!(
        !d.all_text().contains("my private answer words"),
        "never answers"
    );
    assert!(!d.all_text().contains("What caring would look like"));
    assert!(d.header("List-Unsubscribe").is_none());
    // Later that day: no second digest; New York's counselor gets theirs at 07:00 EST.
    step(&w1, &clock, "2027-01-12T11:59:00Z").await;
    assert!(digests(smtp.new_mails(&mut seen)).is_empty());
    step(&w2, &clock, "2027-01-12T12:00:00Z").await;
    let got = digests(smtp.new_mails(&mut seen));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, "york@practice.example");
    assert!(got[0].text.contains("No sessions today."));
    // The next morning, one each again.
    step(&w1, &clock, "2027-01-13T12:30:00Z").await;
    let got = digests(smtp.new_mails(&mut seen));
    assert_eq!(
        recipients(&got.iter().collect::<Vec<_>>()),
        ["berlin@practice.example", "york@practice.example"]
    );
    smtp.stop().await;
}
