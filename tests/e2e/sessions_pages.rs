//! Sessions through the counselor's pages: scheduling, rescheduling, attendance, the dashboard's
//! day plan, the note editor (drafts, autosave, stale versions), signing with the password and
//! the lock that follows on every edit path, addenda, marker ratings and homework given in a
//! session, the PDF downloads, bad input, and another counselor's 404s.

use chrono::{Duration, Utc};
use kintsugi_core::entities::{assignment, audit_event, marker_rating, note, note_addendum};
use kintsugi_core::sessions::notes::{NoteContent, NoteStatus};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db_tests;
use crate::support::{Browser, PASSWORD, TestApp};

db_tests!(
    scheduling_rescheduling_and_attendance,
    todays_sessions_on_the_dashboard_and_sessions_on_the_couple_page,
    a_full_day_lists_twenty_sessions_and_offers_the_rest,
    writing_and_signing_a_note_locks_it_on_every_path,
    a_raced_double_signature_signs_once,
    the_note_format_can_change_only_while_nothing_is_lost,
    markers_and_homework_from_the_session_page,
    pdf_downloads_from_the_pages,
    bad_input_on_every_session_form_never_fails_the_server,
    another_counselor_gets_404_on_every_session_route,
);

const BERLIN: &str = "Europe/Berlin";

struct Setup {
    b: Browser,
    couple: Uuid,
    label: String,
}

async fn setup(app: &TestApp, email: &str, label: &str) -> Setup {
    let (_, b) = app.signed_in_counselor("Counselor", email).await;
    let (_, couple) = b.add_couple(label).await;
    Setup {
        b,
        couple,
        label: label.to_owned(),
    }
}

/// The local date `days` from today in Berlin (the test counselors' zone).
fn berlin_date(days: i64) -> String {
    let tz: chrono_tz::Tz = BERLIN.parse().expect("tz");
    (Utc::now().with_timezone(&tz).date_naive() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn session_fields(date: &str, time: &str) -> Vec<(&'static str, String)> {
    vec![
        ("date", date.to_owned()),
        ("time", time.to_owned()),
        ("duration_minutes", "50".into()),
        ("location", "office".into()),
        ("location_detail", "Room 2".into()),
    ]
}

/// Schedule a session from the pages and return its id.
async fn schedule(s: &Setup, date: &str, time: &str) -> Uuid {
    let form = format!("/couples/{}/sessions/new", s.couple);
    let r =
        s.b.submit(
            &form,
            &format!("/couples/{}/sessions", s.couple),
            &session_fields(date, time),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "scheduling should redirect"
    );
    let loc = r.headers()["location"].to_str().expect("location");
    let id = loc
        .trim_start_matches("/sessions/")
        .split('?')
        .next()
        .expect("id");
    Uuid::parse_str(id).expect("session id")
}

/// A session that has already begun today (00:01 local), so attendance can be recorded.
async fn started_session(s: &Setup) -> Uuid {
    schedule(s, &berlin_date(0), "00:01").await
}

fn note_fields(version: &str, action: &str, data: &str) -> Vec<(&'static str, String)> {
    vec![
        ("format", "DAP".into()),
        ("version", version.to_owned()),
        ("data", data.to_owned()),
        (
            "assessment",
            "Both engaged; less blaming than last week.".into(),
        ),
        ("plan", "Letters exercise; next session in a week.".into()),
        ("action", action.to_owned()),
    ]
}

/// The stored note, its sealed body opened with the data key.
async fn stored_note(app: &TestApp, session: Uuid) -> Option<note::Model> {
    note::Entity::find()
        .filter(note::Column::SessionId.eq(session))
        .one(&app.db)
        .await
        .expect("note")
        .map(|n| kintsugi_core::crypto::records::note(n).expect("opens"))
}

async fn scheduling_rescheduling_and_attendance(app: TestApp) {
    let s = setup(&app, "sched@example.org", "Ada & Ben").await;
    let tomorrow = berlin_date(1);
    let id = schedule(&s, &tomorrow, "10:00").await;
    let page = format!("/sessions/{id}");
    let (status, html) = s.b.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Scheduled"), "{html}");
    assert!(html.contains("10:00–10:50"));
    assert!(html.contains("Office · Room 2"));
    // Only cancelling is offered before the start; attended is refused if posted anyway.
    assert!(html.contains("Cancel this session"));
    assert!(!html.contains("value=\"no_show\""));
    let r =
        s.b.submit(
            &page,
            &format!("{page}/attendance"),
            &[("attendance", "attended".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("once the session has started")
    );

    // Reschedule to a video call at 16:30.
    let r =
        s.b.submit(
            &format!("{page}/edit"),
            &page,
            &[
                ("date", tomorrow.clone()),
                ("time", "16:30".into()),
                ("duration_minutes", "80".into()),
                ("location", "video".into()),
                ("location_detail", "https://video.example/room-7".into()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("16:30–17:50"), "{html}");
    assert!(html.contains("Video call"));
    assert!(html.contains("href=\"https://video.example/room-7\""));

    // Cancel it: then it can neither move nor be marked attended.
    let r =
        s.b.submit(
            &page,
            &format!("{page}/attendance"),
            &[("attendance", "cancelled".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("Cancelled"));
    assert!(!html.contains("/edit\">Change the date"));
    let r =
        s.b.submit(&page, &page, &session_fields(&tomorrow, "11:00"))
            .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("already marked cancelled")
    );

    // A session that has begun: attended, then corrected to no-show.
    let started = started_session(&s).await;
    let page = format!("/sessions/{started}");
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("value=\"attended\"") && html.contains("value=\"no_show\""));
    for (key, label) in [("attended", "Attended"), ("no_show", "No-show")] {
        let r =
            s.b.submit(
                &page,
                &format!("{page}/attendance"),
                &[("attendance", key.into())],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = s.b.get_html(&page).await;
        assert!(
            html.contains(&format!("id=\"session-state\">{label}<")),
            "{html}"
        );
    }
    // Recorded sessions are not cancelled afterwards.
    let r =
        s.b.submit(
            &page,
            &format!("{page}/attendance"),
            &[("attendance", "cancelled".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    app.flush_audit().await;
    let events: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::RecordId.eq(id))
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "session_scheduled",
        "session_rescheduled",
        "session_attendance",
    ] {
        assert!(events.iter().any(|a| a == action), "{action} in {events:?}");
    }
}

async fn todays_sessions_on_the_dashboard_and_sessions_on_the_couple_page(app: TestApp) {
    let s = setup(&app, "today@example.org", "Cleo & Dev").await;
    let today = started_session(&s).await;
    let later = schedule(&s, &berlin_date(3), "09:15").await;
    let (_, html) = s.b.get_html("/").await;
    assert!(html.contains("Today's sessions"));
    assert!(
        html.contains(&format!("href=\"/sessions/{today}\">Cleo &#38; Dev</a>")),
        "{html}"
    );
    assert!(!html.contains(&format!("/sessions/{later}")));
    // The caseload shows the next booked session.
    assert!(html.contains("09:15"), "next session column: {html}");

    let (_, html) = s.b.get_html(&format!("/couples/{}", s.couple)).await;
    assert!(html.contains("Coming up"));
    assert!(html.contains(&format!("/sessions/{later}")));
    assert!(html.contains(&format!("/sessions/{today}")));
    assert!(html.contains("No note yet"));
    assert!(html.contains(&format!("action=\"/couples/{}/report.pdf\"", s.couple)));
}

/// The dashboard lists the first 20 of today's sessions (more than anyone holds in a day) and
/// links to the whole day, so a very large caseload does not make every view read it all.
async fn a_full_day_lists_twenty_sessions_and_offers_the_rest(app: TestApp) {
    let s = setup(&app, "busy@example.org", "Gus & Hal").await;
    let mut ids = Vec::new();
    for i in 0..21 {
        let time = format!("{:02}:{:02}", 1 + i / 2, (i % 2) * 30);
        ids.push(schedule(&s, &berlin_date(0), &time).await);
    }
    let (_, html) = s.b.get_html("/").await;
    for id in &ids[..20] {
        assert!(html.contains(&format!("/sessions/{id}\"")), "{id} listed");
    }
    assert!(!html.contains(&format!("/sessions/{}\"", ids[20])));
    assert!(html.contains("href=\"/?today=all#today\">Show all of today's sessions</a>"));

    let (status, html) = s.b.get_html("/?today=all").await;
    assert_eq!(status, StatusCode::OK);
    for id in &ids {
        assert!(html.contains(&format!("/sessions/{id}\"")), "{id} listed");
    }
    assert!(!html.contains("Show all of today's sessions"));

    // Any other value, however odd, is the short list; nothing of it is echoed.
    let long = "a".repeat(10_000);
    for value in [
        "ALL",
        "%00",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        long.as_str(),
    ] {
        let (status, html) = s.b.get_html(&format!("/?today={value}")).await;
        assert_eq!(status, StatusCode::OK, "today={value:.20}");
        assert!(
            !html.contains(&format!("/sessions/{}\"", ids[20])),
            "today={value:.20}"
        );
        assert!(!html.contains("<script>alert(1)"));
    }
    let (status, _) = s.b.get_html("/?today[]=all&today=all&today=x").await;
    assert_eq!(status, StatusCode::OK);
    // Another counselor's whole day holds none of these.
    let other = setup(&app, "other@example.org", "Ivo & Jan").await;
    let (_, html) = other.b.get_html("/?today=all").await;
    assert!(ids.iter().all(|id| !html.contains(&id.to_string())));
}

async fn writing_and_signing_a_note_locks_it_on_every_path(app: TestApp) {
    let s = setup(&app, "notes@example.org", "Eli & Fay").await;
    let id = started_session(&s).await;
    let page = format!("/sessions/{id}");
    let note_url = format!("{page}/note");
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("Not started"));
    assert!(
        html.contains("name=\"data\""),
        "DAP is the practice default"
    );
    let csrf = s.b.csrf(&page).await;

    // Save, then autosave twice: each answers with the new version.
    let r =
        s.b.post_with(
            &note_url,
            &csrf,
            &note_fields("0", "save", "They arrived together."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r =
        s.b.post_with(
            &note_url,
            &csrf,
            &note_fields("1", "autosave", "They arrived together, calm."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["x-draft-version"], "2");
    // A stale version is refused with the typed text kept, and nothing is overwritten.
    let r =
        s.b.post_with(
            &note_url,
            &csrf,
            &note_fields("1", "save", "An older tab's words"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.expect("body");
    assert!(body.contains("changed elsewhere"));
    assert!(
        body.contains("An older tab&#39;s words") || body.contains("An older tab&#x27;s words"),
        "{body}"
    );
    let stored = stored_note(&app, id).await.expect("draft");
    assert_eq!(stored.version, 2);
    assert!(stored.body.contains("calm"));

    // Signing needs the password: a wrong one saves the draft but does not sign.
    let mut fields = note_fields("2", "sign", "They arrived together, calm and on time.");
    fields.push(("password", "not my password".into()));
    let r = s.b.post_with(&note_url, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("does not match your password"), "{body}");
    let stored = stored_note(&app, id).await.expect("draft");
    assert_eq!(stored.status, NoteStatus::Draft);
    assert!(stored.body.contains("on time"));

    let mut fields = note_fields(
        &stored.version.to_string(),
        "sign",
        "They arrived together, calm and on time.",
    );
    fields.push(("password", PASSWORD.into()));
    let r = s.b.post_with(&note_url, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let signed = stored_note(&app, id).await.expect("note");
    assert_eq!(signed.status, NoteStatus::Signed);
    assert!(signed.signed_by.is_some() && signed.signed_at.is_some());
    let content = NoteContent::from_body(&signed.body).expect("content");
    let hash = signed.content_hash.clone().expect("hash");
    assert_eq!(
        hash,
        content.content_hash(id),
        "the stored hash is the content's"
    );
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("Signed and locked"));
    assert!(html.contains(&hash));
    assert!(!html.contains("name=\"data\""), "no editor after signing");

    // Every edit path is refused now, and the note does not change.
    for action in ["save", "autosave", "sign"] {
        let mut fields = note_fields(
            &signed.version.to_string(),
            action,
            "Rewritten after signing",
        );
        fields.push(("password", PASSWORD.into()));
        let r = s.b.post_with(&note_url, &csrf, &fields).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{action} after signing");
    }
    let after = stored_note(&app, id).await.expect("note");
    assert_eq!(after, signed, "a signed note never changes");

    // Addenda: refused when empty, appended when written, dated and hashed.
    let addenda_url = format!("{note_url}/addenda");
    let r =
        s.b.post_with(&addenda_url, &csrf, &[("text", "   ".into())])
            .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        s.b.post_with(
            &addenda_url,
            &csrf,
            &[("text", "Phoned on Tuesday: <b>both</b> well.".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.b.get_html(&page).await;
    assert!(
        html.contains("Phoned on Tuesday: &#60;b&#62;both&#60;/b&#62; well."),
        "{html}"
    );
    let addenda = note_addendum::Entity::find()
        .filter(note_addendum::Column::NoteId.eq(signed.id))
        .all(&app.db)
        .await
        .expect("addenda");
    assert_eq!(addenda.len(), 1);
    assert_eq!(addenda[0].content_hash.len(), 64);
    assert_eq!(
        stored_note(&app, id).await.expect("note"),
        signed,
        "addenda never merge into the note"
    );
}

async fn a_raced_double_signature_signs_once(app: TestApp) {
    let s = setup(&app, "race@example.org", "Gil & Hal").await;
    let id = started_session(&s).await;
    let page = format!("/sessions/{id}");
    let note_url = format!("{page}/note");
    let csrf = s.b.csrf(&page).await;
    let r =
        s.b.post_with(&note_url, &csrf, &note_fields("0", "save", "Both present."))
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut fields = note_fields("1", "sign", "Both present.");
    fields.push(("password", PASSWORD.into()));
    let (a, b) = tokio::join!(
        s.b.post_with(&note_url, &csrf, &fields),
        s.b.post_with(&note_url, &csrf, &fields)
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let signed = stored_note(&app, id).await.expect("note");
    assert_eq!(signed.status, NoteStatus::Signed);
    let signatures = audit_event::Entity::find()
        .filter(audit_event::Column::RecordId.eq(id))
        .filter(audit_event::Column::Action.eq("note_signed"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(signatures.len(), 1);
}

async fn the_note_format_can_change_only_while_nothing_is_lost(app: TestApp) {
    let s = setup(&app, "format@example.org", "Ivo & Jun").await;
    let id = started_session(&s).await;
    let page = format!("/sessions/{id}");
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("?format=SOAP"));
    let (_, html) = s.b.get_html(&format!("{page}?format=SOAP")).await;
    assert!(html.contains("name=\"subjective\"") && html.contains("name=\"objective\""));
    let csrf = s.b.csrf(&page).await;
    let r =
        s.b.post_with(
            &format!("{page}/note"),
            &csrf,
            &[
                ("format", "SOAP".into()),
                ("version", "0".into()),
                ("subjective", "Felt heard.".into()),
                ("data", "A DAP section in a SOAP note".into()),
                ("action", "save".into()),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "sections of the other format are refused"
    );
    let r =
        s.b.post_with(
            &format!("{page}/note"),
            &csrf,
            &[
                ("format", "SOAP".into()),
                ("version", "0".into()),
                ("subjective", "Felt heard.".into()),
                ("action", "save".into()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // With words in a SOAP-only section, switching to DAP would lose them: not offered.
    let (_, html) = s.b.get_html(&page).await;
    assert!(!html.contains("?format=DAP"));
    let (_, html) = s.b.get_html(&format!("{page}?format=DAP")).await;
    assert!(html.contains("name=\"subjective\""), "still SOAP");
    assert!(html.contains("Felt heard."));
}

async fn markers_and_homework_from_the_session_page(app: TestApp) {
    let s = setup(&app, "markers@example.org", "Kai & Lou").await;
    let id = started_session(&s).await;
    let page = format!("/sessions/{id}");
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("Markers of stage 1"), "{html}");
    let marker = html
        .split("name=\"marker.")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a marker field")
        .to_owned();
    let r =
        s.b.submit(
            &page,
            &format!("{page}/markers"),
            &[(&format!("marker.{marker}") as &str, "emerging".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rated = marker_rating::Entity::find()
        .filter(marker_rating::Column::SessionId.eq(id))
        .all(&app.db)
        .await
        .expect("ratings");
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0].marker.key(), marker);

    // Unknown marker: the page explains, nothing is recorded.
    let r =
        s.b.submit(
            &page,
            &format!("{page}/markers"),
            &[("marker.nonsense", "emerging".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Homework from the session remembers the session.
    let (_, html) = s.b.get_html(&page).await;
    let exercise = html
        .split("<option value=\"")
        .filter_map(|p| p.split('"').next())
        .find(|v| Uuid::parse_str(v).is_ok())
        .expect("an exercise")
        .to_owned();
    let due = berlin_date(5);
    let bad = [
        ("exercise_id", exercise.clone()),
        ("assignees", "both".into()),
        ("due_date", "tomorrow-ish".into()),
        ("due_time", "20:00".into()),
        ("visibility", "counselor_only".into()),
    ];
    let r = s.b.submit(&page, &format!("{page}/homework"), &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("value=\"tomorrow-ish\""),
        "typed value kept"
    );
    let good = [
        ("exercise_id", exercise.clone()),
        ("assignees", "both".into()),
        ("due_date", due),
        ("due_time", "20:00".into()),
        ("visibility", "counselor_only".into()),
    ];
    let r = s.b.submit(&page, &format!("{page}/homework"), &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let given = assignment::Entity::find()
        .filter(assignment::Column::SessionId.eq(id))
        .all(&app.db)
        .await
        .expect("assignments");
    assert_eq!(given.len(), 1);
    let (_, html) = s.b.get_html(&page).await;
    assert!(!html.contains("Nothing assigned in this session yet."));
}

async fn pdf_downloads_from_the_pages(app: TestApp) {
    let s = setup(&app, "pdf@example.org", "Mo & Nia").await;
    let id = started_session(&s).await;
    let r = s.b.get(&format!("/sessions/{id}/note.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("header")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"session-note-"),
        "{disposition}"
    );
    assert!(!disposition.contains("Mo") && !disposition.contains("Nia"));
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));

    let report = format!("/couples/{}/report.pdf", s.couple);
    let r = s.b.get(&report).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let r =
        s.b.get(&format!("{report}?from=2026-05-01&to=2026-04-01"))
            .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("end date is before the start")
    );
    let r = s.b.get(&format!("{report}?from=yesterday")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let downloads = audit_event::Entity::find()
        .filter(audit_event::Column::Action.is_in(["note_pdf_downloaded", "report_pdf_downloaded"]))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(downloads.len(), 2, "each download is audited once");
}

async fn bad_input_on_every_session_form_never_fails_the_server(app: TestApp) {
    let s = setup(&app, "badsess@example.org", "Oz & Pia").await;
    let new = format!("/couples/{}/sessions/new", s.couple);
    let create = format!("/couples/{}/sessions", s.couple);
    let hostile = "<script>alert(1)</script>";
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![
            ("date", "soon".into()),
            ("time", "3pm".into()),
            ("duration_minutes", "ninety".into()),
        ],
        vec![
            ("date", berlin_date(1)),
            ("time", "10:00".into()),
            ("duration_minutes", "5".into()),
            ("location", "moon".into()),
        ],
        vec![
            ("date", berlin_date(1)),
            ("time", "10:00".into()),
            ("duration_minutes", "50".into()),
            ("location", "video".into()),
            ("location_detail", "javascript:alert(1)".into()),
        ],
        vec![
            ("date", berlin_date(1)),
            ("time", "10:00".into()),
            ("duration_minutes", "50".into()),
            ("location", "office".into()),
            ("location_detail", format!("{hostile}{}", "x".repeat(400))),
        ],
        vec![
            ("date", "9999-99-99".into()),
            ("time", "25:61".into()),
            ("duration_minutes", "-1".into()),
        ],
    ];
    for fields in &cases {
        let r = s.b.submit(&new, &create, fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let body = r.text().await.expect("body");
        assert!(body.contains("your attention"), "{body}");
        assert!(!body.contains(hostile), "hostile text is escaped");
    }

    let id = started_session(&s).await;
    let page = format!("/sessions/{id}");
    let csrf = s.b.csrf(&page).await;
    let note_url = format!("{page}/note");
    let oversize = "a".repeat(kintsugi_core::sessions::notes::MAX_SECTION + 1);
    let notes: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("format", "BIRP".into()), ("data", "x".into())],
        vec![
            ("format", "DAP".into()),
            ("version", "abc".into()),
            ("data", "x".into()),
        ],
        vec![("format", "DAP".into()), ("data", oversize)],
        vec![("format", "DAP".into()), ("data", "bell\u{7}".into())],
    ];
    for fields in &notes {
        let r = s.b.post_with(&note_url, &csrf, fields).await;
        assert!(
            r.status() == StatusCode::UNPROCESSABLE_ENTITY || r.status() == StatusCode::CONFLICT,
            "{:?} -> {}",
            fields.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
            r.status()
        );
    }
    // Hostile text is kept as typed and shown inert.
    let r =
        s.b.post_with(
            &note_url,
            &csrf,
            &note_fields("0", "save", &format!("{hostile} \"quoted\" 🙂 مرحبا")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.b.get_html(&page).await;
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains("🙂 مرحبا"));
    assert!(!html.contains(hostile));
    // An addendum on a draft is refused with the text kept.
    let r =
        s.b.post_with(
            &format!("{note_url}/addenda"),
            &csrf,
            &[("text", "Early addendum".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("body").contains("Early addendum"));
    // Attendance that does not exist.
    let r =
        s.b.post_with(
            &format!("{page}/attendance"),
            &csrf,
            &[("attendance", "maybe".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Ids that are not ids.
    for path in [
        "/sessions/not-a-uuid",
        "/sessions/not-a-uuid/note.pdf",
        "/couples/nope/report.pdf",
    ] {
        assert_eq!(
            s.b.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn another_counselor_gets_404_on_every_session_route(app: TestApp) {
    let a = setup(&app, "owner@example.org", "Quinn & Rae").await;
    let id = started_session(&a).await;
    let csrf_a = a.b.csrf(&format!("/sessions/{id}")).await;
    let r =
        a.b.post_with(
            &format!("/sessions/{id}/note"),
            &csrf_a,
            &note_fields("0", "save", "Private words"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (_, b) = app.signed_in_counselor("Other", "other@example.org").await;
    let csrf = b.csrf("/").await;
    let gets = [
        format!("/sessions/{id}"),
        format!("/sessions/{id}/edit"),
        format!("/sessions/{id}/note.pdf"),
        format!("/couples/{}/sessions/new", a.couple),
        format!("/couples/{}/report.pdf", a.couple),
        format!("/sessions/{}", Uuid::new_v4()),
    ];
    for path in &gets {
        let r = b.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {path}");
        let body = r.text().await.expect("body");
        assert!(
            !body.contains(&a.label) && !body.contains("Private words"),
            "{path}"
        );
    }
    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/sessions/{id}"),
            session_fields(&berlin_date(2), "10:00"),
        ),
        (
            format!("/sessions/{id}/attendance"),
            vec![("attendance", "cancelled".into())],
        ),
        (
            format!("/sessions/{id}/note"),
            note_fields("1", "save", "Overwritten"),
        ),
        (
            format!("/sessions/{id}/note/addenda"),
            vec![("text", "Intruding".into())],
        ),
        (format!("/sessions/{id}/markers"), vec![]),
        (format!("/sessions/{id}/homework"), vec![]),
        (
            format!("/couples/{}/sessions", a.couple),
            session_fields(&berlin_date(2), "10:00"),
        ),
    ];
    for (path, fields) in &posts {
        let r = b.post_with(path, &csrf, fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
        let body = r.text().await.expect("body");
        assert!(!body.contains(&a.label), "{path}");
    }
    let n = stored_note(&app, id).await.expect("note");
    assert!(n.body.contains("Private words"));
    assert_eq!(n.version, 1);
}
