//! Homework from the counselor's side, through the pages: assigning from the couple page
//! (one partner, both, weekly), statuses per assignee, changing a due date, cancelling,
//! reading and reviewing responses, visibility, homework links (send, rotate, revoke) and
//! PINs, check-in charts with the trust-divergence flag, and the dashboard counts. Another
//! counselor gets 404 everywhere; bad input never fails the server.

use chrono::{DateTime, Duration, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store::{self as couples, CoupleRecord};
use kintsugi_core::entities::{assignment, audit_event, outbox_message, partner, response};
use kintsugi_core::homework::assignments;
use kintsugi_core::homework::builtins::{CONNECTION_CHECKIN, FEELINGS_CHECKIN};
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::homework::links::{self, LinkRefusal, LinkSecret};
use kintsugi_core::homework::responses;
use kintsugi_core::homework::{ResponseStatus, Visibility};
use kintsugi_core::practice::counselors::Counselor;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::db_tests;
use crate::support::fixture::{
    assign_in_core, builtin_exercise, homework, submit_in_core, text_answers,
};
use crate::support::{Backend, Browser, TestApp};

db_tests!(
    assigning_from_the_couple_page_once_to_both_and_weekly,
    statuses_due_date_changes_and_cancelling,
    reviewing_responses_with_a_comment,
    counselor_only_and_shareable_homework,
    pins_can_be_required_and_a_paused_link_is_shown,
    check_in_charts_and_the_trust_divergence_flag,
    the_dashboard_counts_submissions_to_review_and_overdue_homework,
    bad_input_on_every_homework_form_never_fails_the_server,
    another_counselor_gets_404_on_every_homework_route,
    the_couple_page_lists_the_latest_past_homework_and_links_to_the_rest,
);

const BERLIN: &str = "Europe/Berlin";

struct Setup {
    c: Counselor,
    b: Browser,
    id: Uuid,
    page: String,
}

async fn setup(app: &TestApp, email: &str, label: &str) -> Setup {
    let (c, b) = app.signed_in_counselor("Counselor", email).await;
    let (page, id) = b.add_couple(label).await;
    Setup { c, b, id, page }
}

impl Setup {
    /// Assign through core, counselor-only, with any due time (also in the past, to make
    /// homework overdue).
    async fn assign(
        &self,
        app: &TestApp,
        exercise: Uuid,
        roles: &[PartnerRole],
        due: DateTime<Utc>,
    ) -> Uuid {
        assign_at(
            app,
            &self.c,
            self.id,
            exercise,
            roles,
            due,
            Visibility::CounselorOnly,
        )
        .await
    }

    /// `partner` submits answers to assignment `a` without sharing them; returns the response
    /// as it was before.
    async fn answer(
        &self,
        app: &TestApp,
        partner: &partner::Model,
        a: Uuid,
        answers: &[(&str, &str)],
    ) -> response::Model {
        let r = response_of(app, &self.c, a, partner.role).await;
        submit(app, partner, r.id, answers, false).await;
        r
    }
}

/// A connection check-in each week for the last three weeks, answered by both partners: trust
/// `(involved, hurt)` as given, the other ratings the same every week.
async fn weekly_checkins(
    app: &TestApp,
    s: &Setup,
    couple: &CoupleRecord,
    checkin: Uuid,
    trust: &[(u8, u8)],
) {
    for (week, (mine, theirs)) in trust.iter().enumerate() {
        let due = Utc::now() - Duration::days(21 - 7 * week as i64);
        let a = s.assign(app, checkin, &PartnerRole::BOTH, due).await;
        for (p, value) in [(&couple.involved, mine), (&couple.hurt, theirs)] {
            let v = value.to_string();
            let answers = [
                ("trust", v.as_str()),
                ("closeness", "5"),
                ("communication", "4"),
                ("cared_for", "6"),
            ];
            s.answer(app, p, a, &answers).await;
        }
    }
}

async fn record(app: &TestApp, s: &Setup) -> CoupleRecord {
    couples::get(&app.db, s.c.id, s.id).await.expect("couple")
}

async fn exercise_id(app: &TestApp, c: &Counselor, key: &str) -> Uuid {
    builtin_exercise(app, c.id, key).await.id
}

/// A date and time `days` from now, in Berlin, as the form's inputs hold them.
fn berlin_inputs(days: i64, time: &str) -> (String, String) {
    let tz: chrono_tz::Tz = BERLIN.parse().expect("tz");
    let date = (Utc::now() + Duration::days(days))
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string();
    (date, time.to_owned())
}

fn berlin_local(at: DateTime<Utc>) -> String {
    let tz: chrono_tz::Tz = BERLIN.parse().expect("tz");
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn assign_form(
    exercise: Uuid,
    assignees: &str,
    days: i64,
    visibility: &str,
) -> Vec<(&'static str, String)> {
    let (date, time) = berlin_inputs(days, "19:00");
    vec![
        ("exercise_id", exercise.to_string()),
        ("assignees", assignees.to_owned()),
        ("due_date", date),
        ("due_time", time),
        ("visibility", visibility.to_owned()),
        ("recurrence", String::new()),
        ("recurrence_until", String::new()),
    ]
}

/// Assign through core, with any due time (also in the past, to make homework overdue).
async fn assign_at(
    app: &TestApp,
    c: &Counselor,
    couple: Uuid,
    exercise: Uuid,
    roles: &[PartnerRole],
    due: DateTime<Utc>,
    visibility: Visibility,
) -> Uuid {
    let new = homework(exercise, roles, due.naive_utc(), "UTC", visibility);
    assign_in_core(app, c.id, couple, new).await
}

async fn response_of(app: &TestApp, c: &Counselor, a: Uuid, role: PartnerRole) -> response::Model {
    assignments::get(&app.db, c.id, a)
        .await
        .expect("assignment")
        .responses
        .into_iter()
        .find(|(r, _)| *r == role)
        .map(|(_, m)| m)
        .expect("response")
}

async fn submit(
    app: &TestApp,
    p: &partner::Model,
    response_id: Uuid,
    answers: &[(&str, &str)],
    share: bool,
) {
    submit_in_core(app, p, response_id, &text_answers(answers), share).await;
}

/// The part of a couple page about one assignment.
fn block(html: &str, assignment: Uuid) -> &str {
    let marker = format!("data-assignment=\"{assignment}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("assignment {assignment} not on the page"));
    let rest = &html[start..];
    let end = rest[marker.len()..]
        .find("data-assignment=")
        .map_or(rest.len(), |i| i + marker.len());
    &rest[..end]
}

async fn assignments_of(app: &TestApp, couple: Uuid) -> Vec<assignment::Model> {
    assignment::Entity::find()
        .filter(assignment::Column::CoupleId.eq(couple))
        .all(&app.db)
        .await
        .expect("assignments")
}

async fn actions(app: &TestApp) -> Vec<String> {
    app.flush_audit().await;
    audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn assigning_from_the_couple_page_once_to_both_and_weekly(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<h2 id=\"homework-heading\">Homework</h2>"));
    assert!(html.contains("No homework yet."));
    // The couple's current stage comes first in the exercise list.
    let first_group = html.find("<optgroup label=\"").expect("groups");
    assert!(
        html[first_group..]
            .starts_with("<optgroup label=\"Stage 1 · Admission and remorse (current stage)\""),
        "{}",
        &html[first_group..first_group + 80]
    );
    for label in [
        "assign-exercise",
        "assign-due-date",
        "assign-due-time",
        "assign-until",
    ] {
        assert!(html.contains(&format!("<label for=\"{label}\"")), "{label}");
    }

    // Once, as the exercise is written (the accountability letter: the involved partner).
    let letter = exercise_id(&app, &s.c, "accountability_letter").await;
    let r =
        s.b.submit(
            &s.page,
            &format!("/couples/{}/assignments", s.id),
            &assign_form(letter, "exercise", 10, "counselor_only"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/couples/{}?done=assigned#homework", s.id).as_str()
    );
    // To both partners.
    let trigger = exercise_id(&app, &s.c, "trigger_log").await;
    let r =
        s.b.submit(
            &s.page,
            &format!("/couples/{}/assignments", s.id),
            &assign_form(trigger, "both", 12, "shareable"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Weekly for four weeks, at 19:00 Berlin time each week (across any clock change).
    let checkin = exercise_id(&app, &s.c, CONNECTION_CHECKIN).await;
    let mut form = assign_form(checkin, "both", 3, "counselor_only");
    let first = form[2].1.clone();
    let until = (chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d").expect("date")
        + Duration::days(21))
    .to_string();
    form[5].1 = "weekly".into();
    form[6].1 = until;
    let r =
        s.b.submit(&s.page, &format!("/couples/{}/assignments", s.id), &form)
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let all = assignments_of(&app, s.id).await;
    assert_eq!(all.len(), 6);
    let weekly: Vec<&assignment::Model> = all.iter().filter(|a| a.exercise_id == checkin).collect();
    assert_eq!(weekly.len(), 4);
    let series = weekly[0].series_id.expect("a series");
    let mut locals: Vec<String> = weekly
        .iter()
        .map(|a| {
            assert_eq!(a.series_id, Some(series));
            berlin_local(a.due_at)
        })
        .collect();
    locals.sort();
    for (i, local) in locals.iter().enumerate() {
        let day = chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d").expect("date")
            + Duration::days(7 * i as i64);
        assert_eq!(local, &format!("{day} 19:00"));
    }
    let letter_assignment = all
        .iter()
        .find(|a| a.exercise_id == letter)
        .expect("letter");
    assert_eq!(
        berlin_local(letter_assignment.due_at),
        format!("{} 19:00", berlin_inputs(10, "").0)
    );
    let count_responses = |a: Uuid| {
        let db = app.db.clone();
        async move {
            response::Entity::find()
                .filter(response::Column::AssignmentId.eq(a))
                .all(&db)
                .await
                .expect("responses")
        }
    };
    let letter_responses = count_responses(letter_assignment.id).await;
    let couple = record(&app, &s).await;
    assert_eq!(letter_responses.len(), 1);
    assert_eq!(letter_responses[0].partner_id, couple.involved.id);
    let trigger_assignment = all
        .iter()
        .find(|a| a.exercise_id == trigger)
        .expect("trigger");
    assert_eq!(count_responses(trigger_assignment.id).await.len(), 2);
    assert_eq!(trigger_assignment.visibility, Visibility::Shareable);
    for a in &weekly {
        assert_eq!(count_responses(a.id).await.len(), 2);
    }

    // The page lists them; the weekly series shows its next occurrence and how many follow.
    let (_, html) =
        s.b.get_html(&format!("/couples/{}?done=assigned", s.id))
            .await;
    assert!(html.contains("Homework assigned."));
    let next = weekly.iter().min_by_key(|a| a.due_at).expect("first");
    let row = block(&html, next.id);
    assert!(row.contains("Connection check-in"));
    assert!(row.contains("Weekly until"));
    assert!(row.contains("3 more occurrences after this"));
    assert!(row.contains("19:00"));
    assert_eq!(row.matches("hw-assigned").count(), 2);
    let row = block(&html, letter_assignment.id);
    assert!(row.contains("Zoë Ñúñez-Łukasiewicz"));
    assert!(
        !row.contains("Renée"),
        "assigned to the involved partner only"
    );
    assert!(
        actions(&app)
            .await
            .contains(&"homework_assigned".to_owned())
    );
}

async fn statuses_due_date_changes_and_cancelling(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let feelings = exercise_id(&app, &s.c, FEELINGS_CHECKIN).await;
    let trigger = exercise_id(&app, &s.c, "trigger_log").await;
    let overdue = s
        .assign(
            &app,
            feelings,
            &[PartnerRole::Hurt],
            Utc::now() - Duration::days(2),
        )
        .await;
    let both = assign_at(
        &app,
        &s.c,
        s.id,
        trigger,
        &PartnerRole::BOTH,
        Utc::now() + Duration::days(3),
        Visibility::Shareable,
    )
    .await;
    // The involved partner saves a draft; the hurt partner submits.
    let draft = response_of(&app, &s.c, both, PartnerRole::Involved).await;
    responses::save_draft(
        &app.db,
        app.clock.as_ref(),
        &couple.involved,
        draft.id,
        &text_answers(&[("what_happened", "Half written")]),
    )
    .await
    .expect("draft");
    s.answer(
        &app,
        &couple.hurt,
        both,
        &[("trigger", "A song on the radio"), ("intensity", "6")],
    )
    .await;
    let (_, html) = s.b.get_html(&s.page).await;
    let row = block(&html, overdue);
    assert!(row.contains("hw-overdue\">Overdue</span> Renée"), "{row}");
    let row = block(&html, both);
    assert!(row.contains("hw-draft\">Draft saved</span> Zoë"), "{row}");
    assert!(
        row.contains("hw-submitted\">Submitted</span> Renée"),
        "{row}"
    );
    assert!(row.contains("1 to review"));
    assert!(html.contains("<h3>Due date passed</h3>") && html.contains("<h3>Upcoming</h3>"));

    // Move the overdue one into the future: 08:30 Berlin time in five days.
    let (date, time) = berlin_inputs(5, "08:30");
    let r =
        s.b.submit(
            &s.page,
            &format!("/assignments/{overdue}/due"),
            &[("due_date", date.clone()), ("due_time", time)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/assignments/{overdue}?done=due").as_str()
    );
    let moved = assignment::Entity::find_by_id(overdue)
        .one(&app.db)
        .await
        .expect("query")
        .expect("assignment");
    assert_eq!(berlin_local(moved.due_at), format!("{date} 08:30"));
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(block(&html, overdue).contains("hw-assigned\">Assigned</span> Renée"));

    // Cancel it: listed under cancelled, never overdue, its due date fixed.
    let r =
        s.b.submit(&s.page, &format!("/assignments/{overdue}/cancel"), &[])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cancelled = assignment::Entity::find_by_id(overdue)
        .one(&app.db)
        .await
        .expect("query")
        .expect("assignment");
    assert!(cancelled.cancelled_at.is_some());
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<summary>Cancelled (1)</summary>"));
    assert!(block(&html, overdue).contains("Cancelled "));
    let (_, html) =
        s.b.get_html(&format!("/assignments/{overdue}?done=cancelled"))
            .await;
    assert!(html.contains("Assignment cancelled."));
    assert!(
        !html.contains("Change due date"),
        "no changes to a cancelled assignment"
    );
    let (date, time) = berlin_inputs(6, "09:00");
    let r =
        s.b.submit(
            &s.page,
            &format!("/assignments/{overdue}/due"),
            &[("due_date", date), ("due_time", time)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("This assignment was cancelled, so its due time can no longer change")
    );
    // Cancelling twice is harmless.
    let r =
        s.b.submit(&s.page, &format!("/assignments/{overdue}/cancel"), &[])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let acts = actions(&app).await;
    for a in ["homework_changed", "homework_cancelled"] {
        assert!(acts.contains(&a.to_owned()), "{a}");
    }
}

async fn reviewing_responses_with_a_comment(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let feelings = exercise_id(&app, &s.c, FEELINGS_CHECKIN).await;
    let a = s
        .assign(
            &app,
            feelings,
            &PartnerRole::BOTH,
            Utc::now() + Duration::days(1),
        )
        .await;
    let hostile = "<script>alert('x')</script> and <b>bold</b>\nsecond line";
    let hurt = s
        .answer(
            &app,
            &couple.hurt,
            a,
            &[
                ("hurt", "7"),
                ("betrayal", "10"),
                ("sadness", "0"),
                ("anger", "3"),
                ("notes", hostile),
            ],
        )
        .await;
    let involved = response_of(&app, &s.c, a, PartnerRole::Involved).await;
    let page = format!("/assignments/{a}");
    let before = actions(&app)
        .await
        .iter()
        .filter(|x| *x == "responses_viewed")
        .count();
    let (status, html) = s.b.get_html(&page).await;
    assert_eq!(status, 200);
    assert_eq!(
        actions(&app)
            .await
            .iter()
            .filter(|x| *x == "responses_viewed")
            .count(),
        before + 1,
        "reading responses is audited"
    );
    assert!(html.contains("<h1>Feelings check-in</h1>"));
    assert!(html.contains("How much hurt are you carrying?"));
    for n in ["7", "10", "0", "3"] {
        assert!(
            html.contains(&format!(
                "<span class=\"rating-value\">{n}</span> <span class=\"muted\">of 10</span>"
            )),
            "{n}"
        );
    }
    assert!(!html.contains("<script>alert"), "hostile text escaped");
    assert!(html.contains(
        "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; and &#60;b&#62;bold&#60;/b&#62;"
    ));
    assert!(html.contains(&format!(
        "action=\"/assignments/{a}/responses/{}/review\"",
        hurt.id
    )));
    assert!(
        !html.contains(&format!("/responses/{}/review", involved.id)),
        "nothing to review yet"
    );
    assert!(html.contains("Not submitted yet"));

    // Mark reviewed with a comment.
    let comment = "Thank you <b>for</b> writing this.";
    let r =
        s.b.submit(
            &page,
            &format!("/assignments/{a}/responses/{}/review", hurt.id),
            &[("comment", comment.into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = response::Entity::find_by_id(hurt.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("response");
    let stored = kintsugi_core::crypto::records::response(stored).expect("opens");
    assert_eq!(stored.status, ResponseStatus::Reviewed);
    assert_eq!(stored.counselor_comment.as_deref(), Some(comment));
    assert!(stored.reviewed_at.is_some());
    let (_, html) = s.b.get_html(&format!("{page}?done=reviewed")).await;
    assert!(html.contains("Marked reviewed."));
    assert!(html.contains("hw-reviewed\">Reviewed</span>"));
    assert!(html.contains("Thank you &#60;b&#62;for&#60;/b&#62; writing this.</textarea>"));
    assert!(html.contains("Save comment"));
    let (_, couple_html) = s.b.get_html(&s.page).await;
    assert!(block(&couple_html, a).contains("hw-reviewed\">Reviewed</span> Renée"));

    // The involved partner's response is not submitted: nothing to review (409, explained).
    let r =
        s.b.submit(
            &page,
            &format!("/assignments/{a}/responses/{}/review", involved.id),
            &[("comment", "Too early".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("html");
    assert!(html.contains("has not been submitted yet"));
    // A comment far too long is refused beside the field, with what was typed kept.
    let long = format!("{}<i>", "w".repeat(100_000));
    let r =
        s.b.submit(
            &page,
            &format!("/assignments/{a}/responses/{}/review", hurt.id),
            &[("comment", long.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(html.contains(&format!(
        "id=\"comment-{}-error\">The comment must be at most 4000 characters.",
        hurt.id
    )));
    assert!(html.contains("wwww&#60;i&#62;</textarea>"));
    // A response of another assignment, through this assignment's URL: not found.
    let other = s
        .assign(
            &app,
            feelings,
            &[PartnerRole::Hurt],
            Utc::now() + Duration::days(2),
        )
        .await;
    let other_response = response_of(&app, &s.c, other, PartnerRole::Hurt).await;
    let r =
        s.b.submit(
            &page,
            &format!("/assignments/{a}/responses/{}/review", other_response.id),
            &[("comment", "x".into())],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(
        actions(&app)
            .await
            .contains(&"response_reviewed".to_owned())
    );
}

async fn counselor_only_and_shareable_homework(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let trigger = exercise_id(&app, &s.c, "before_inventory").await;
    for visibility in ["counselor_only", "shareable"] {
        let r =
            s.b.submit(
                &s.page,
                &format!("/couples/{}/assignments", s.id),
                &assign_form(trigger, "both", 4, visibility),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{visibility}");
    }
    let all = assignments_of(&app, s.id).await;
    let private = all
        .iter()
        .find(|a| a.visibility == Visibility::CounselorOnly)
        .expect("counselor only")
        .id;
    let shareable = all
        .iter()
        .find(|a| a.visibility == Visibility::Shareable)
        .expect("shareable")
        .id;
    let exercise = library::get(&app.db, s.c.id, trigger)
        .await
        .expect("exercise");
    let answers: Vec<(String, String)> = exercise
        .prompts
        .iter()
        .map(|p| {
            let value = match &p.kind {
                kintsugi_core::homework::prompts::PromptKind::Scale { .. } => "5".to_owned(),
                kintsugi_core::homework::prompts::PromptKind::SingleChoice { options }
                | kintsugi_core::homework::prompts::PromptKind::Checklist { options } => {
                    options[0].clone()
                }
                _ => format!("My answer to {}", p.key),
            };
            (p.key.clone(), value)
        })
        .collect();
    let answers: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Both partners ask to share both responses; only the shareable one is shared.
    for a in [private, shareable] {
        let hurt = response_of(&app, &s.c, a, PartnerRole::Hurt).await;
        submit(&app, &couple.hurt, hurt.id, &answers, true).await;
    }
    let (_, html) = s.b.get_html(&format!("/assignments/{shareable}")).await;
    assert!(html.contains("Each partner may choose to share their answers with the other."));
    assert!(html.contains("shared with their partner"));
    let (_, html) = s.b.get_html(&format!("/assignments/{private}")).await;
    assert!(html.contains("Only you read the answers."));
    assert!(!html.contains("shared with their partner"));
    // What the involved partner may read of the hurt partner's work.
    let seen = responses::for_partner(
        &app.db,
        &couple.involved,
        kintsugi_core::short_list::ShortList::everything(),
    )
    .await
    .expect("homework");
    let shared: Vec<Uuid> = seen
        .shared_with_me
        .iter()
        .map(|h| h.assignment.id)
        .collect();
    assert_eq!(shared, vec![shareable]);
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(block(&html, private).contains("Only you read the answers"));
    assert!(block(&html, shareable).contains("Each partner may choose to share"));
}

/// A server whose configured base URL differs from the address it listens on.
async fn spawn_with_base_url(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.base_url = "https://care.example.org".into();
    })
    .await
}

mod links_send_rotate_and_revoke {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        links_send_rotate_and_revoke(spawn_with_base_url(Backend::Sqlite).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if std::env::var("KINTSUGI_TEST_POSTGRES_URL").map_or(true, |v| v.is_empty()) {
            eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
            return;
        }
        links_send_rotate_and_revoke(spawn_with_base_url(Backend::Postgres).await).await
    }
}

async fn link_messages(app: &TestApp, partner_id: Uuid) -> Vec<outbox_message::Model> {
    let mut rows = outbox_message::Entity::find()
        .filter(outbox_message::Column::PartnerId.eq(partner_id))
        .filter(outbox_message::Column::Kind.eq("homework_link"))
        .all(&app.db)
        .await
        .expect("outbox");
    rows.sort_by_key(|m| m.created_at);
    rows
}

fn secret_of(message: &outbox_message::Model) -> LinkSecret {
    let payload: serde_json::Value = serde_json::from_str(&message.payload).expect("payload");
    let link = payload["link"].as_str().expect("link");
    assert!(
        link.starts_with("https://care.example.org/h/"),
        "built from the configured base URL: {link}"
    );
    assert!(!link.contains("evil.test") && !link.contains("127.0.0.1"));
    LinkSecret::parse(link.rsplit('/').next().expect("secret")).expect("a well-formed secret")
}

async fn verify(app: &TestApp, secret: &LinkSecret) -> Result<(), LinkRefusal> {
    links::verify(&app.db, app.clock.as_ref(), secret)
        .await
        .expect("verify")
        .map(|_| ())
}

async fn links_send_rotate_and_revoke(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let csrf = s.b.csrf(&s.page).await;
    let act = |role: &'static str, action: &'static str| {
        let b = &s.b;
        let csrf = csrf.clone();
        let url = b.url(&format!("/couples/{}/links/{role}", s.id));
        async move {
            b.client
                .post(url)
                .header("host", "evil.test")
                .form(&[("csrf", csrf), ("action", action.to_owned())])
                .send()
                .await
                .expect("POST")
        }
    };
    // Send: one message, with a link built from the configured base URL (not the Host header).
    let r = act("involved", "send").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/couples/{}?done=link_sent#links", s.id).as_str()
    );
    let sent = link_messages(&app, couple.involved.id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, "zoe@mail.example");
    let first = secret_of(&sent[0]);
    assert_eq!(verify(&app, &first).await, Ok(()));
    // Send again: a second live link, the first still works.
    act("involved", "send").await;
    let sent = link_messages(&app, couple.involved.id).await;
    assert_eq!(sent.len(), 2);
    let second = secret_of(&sent[1]);
    assert_eq!(verify(&app, &first).await, Ok(()));
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<dd data-live=\"2\">2</dd>"));
    assert!(html.contains("A new homework link is on its way") || html.contains("Homework links"));
    // Rotate: every earlier link dies at once, one new link is sent.
    let r = act("involved", "rotate").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sent = link_messages(&app, couple.involved.id).await;
    assert_eq!(sent.len(), 3);
    let third = secret_of(&sent[2]);
    assert_eq!(verify(&app, &first).await, Err(LinkRefusal::Revoked));
    assert_eq!(verify(&app, &second).await, Err(LinkRefusal::Revoked));
    assert_eq!(verify(&app, &third).await, Ok(()));
    let (_, html) =
        s.b.get_html(&format!("/couples/{}?done=link_rotated", s.id))
            .await;
    assert!(html.contains("Every earlier link of this partner stopped working"));
    assert!(html.contains("<dd data-live=\"1\">1</dd>"));
    // Revoke: every link dies, nothing is sent.
    let r = act("involved", "revoke").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(link_messages(&app, couple.involved.id).await.len(), 3);
    assert_eq!(verify(&app, &third).await, Err(LinkRefusal::Revoked));
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<dd data-live=\"0\">None</dd>"));
    // The other partner was never touched; the page never shows a link.
    assert!(link_messages(&app, couple.hurt.id).await.is_empty());
    assert!(!html.contains("/h/"));
    // The email carries no clinical content.
    for m in link_messages(&app, couple.involved.id).await {
        assert!(!m.payload.contains("Alex & Sam") && !m.payload.contains("stage"));
    }
    let acts = actions(&app).await;
    assert_eq!(acts.iter().filter(|a| *a == "link_sent").count(), 3);
    assert_eq!(acts.iter().filter(|a| *a == "link_revoked").count(), 1);
}

async fn pins_can_be_required_and_a_paused_link_is_shown(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<dt>PIN</dt><dd>Not required</dd>"));
    assert!(html.contains("<dt>Reminders</dt><dd data-reminders=\"on\">On"));
    let r =
        s.b.submit(
            &s.page,
            &format!("/couples/{}/pin/hurt", s.id),
            &[("required", "on".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let couple = record(&app, &s).await;
    assert!(couple.hurt.pin_required && !couple.involved.pin_required);
    let (_, html) =
        s.b.get_html(&format!("/couples/{}?done=pin_on", s.id))
            .await;
    assert!(html.contains("A PIN is now required"));
    assert!(html.contains("Required (chosen on the next visit)"));
    // The partner set a PIN, then typed it wrong too often; and opted out of reminders.
    let paused = Utc::now() + Duration::minutes(15);
    let mut p = couple.hurt.clone().into_active_model();
    p.pin_hash = Set(Some("$argon2id$stand-in".into()));
    p.pin_paused_until = Set(Some(paused));
    p.reminders_opt_out = Set(true);
    p.update(&app.db).await.expect("update partner");
    let (_, html) = s.b.get_html(&s.page).await;
    let hhmm = paused
        .with_timezone(&BERLIN.parse::<chrono_tz::Tz>().expect("tz"))
        .format("%H:%M")
        .to_string();
    assert!(
        html.contains(&format!("Link paused after wrong PINs until {hhmm}.")),
        "{hhmm}"
    );
    assert!(html.contains("Required (set)"));
    assert!(html.contains("<strong>Opted out</strong>"));
    // Turning it off forgets the PIN and the pause.
    let r =
        s.b.submit(
            &s.page,
            &format!("/couples/{}/pin/hurt", s.id),
            &[("required", "off".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let couple = record(&app, &s).await;
    assert!(!couple.hurt.pin_required);
    assert!(couple.hurt.pin_hash.is_none() && couple.hurt.pin_paused_until.is_none());
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(!html.contains("Link paused"));
    assert!(actions(&app).await.contains(&"couple_updated".to_owned()));
}

async fn check_in_charts_and_the_trust_divergence_flag(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let checkin = exercise_id(&app, &s.c, CONNECTION_CHECKIN).await;
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(
        !html.contains("checkins-heading"),
        "no charts before any check-in"
    );
    // Three weekly check-ins; trust 6/5, then 8/3 and 9/2: apart by 4 or more twice in a row.
    let trust = [(6, 5), (8, 3), (9, 2)];
    weekly_checkins(&app, &s, &couple, checkin, &trust).await;
    // A draft is not charted.
    let a = s
        .assign(
            &app,
            checkin,
            &PartnerRole::BOTH,
            Utc::now() + Duration::days(1),
        )
        .await;
    let r = response_of(&app, &s.c, a, PartnerRole::Hurt).await;
    responses::save_draft(
        &app.db,
        app.clock.as_ref(),
        &couple.hurt,
        r.id,
        &text_answers(&[("trust", "0")]),
    )
    .await
    .expect("draft");

    let before = actions(&app)
        .await
        .iter()
        .filter(|x| *x == "responses_viewed")
        .count();
    let (_, html) = s.b.get_html(&s.page).await;
    assert!(html.contains("<h2 id=\"checkins-heading\">Check-in ratings</h2>"));
    assert!(html.contains("class=\"flag trust-flag\""));
    assert!(html.contains("Trust ratings diverge by 4 or more points over the last two check-ins"));
    // One chart per 0-10 prompt, both partners on each, drawn as SVG with a text alternative.
    assert_eq!(html.matches("<figure class=\"chart-figure").count(), 4);
    assert_eq!(
        html.matches("<figure class=\"chart-figure is-flagged\"")
            .count(),
        1
    );
    for title in [
        "Connection check-in: trust",
        "Connection check-in: closeness",
        "Connection check-in: communication",
        "Connection check-in: cared for",
    ] {
        assert!(html.contains(&format!("{title}</title>")), "{title}");
    }
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("Zoë Ñúñez-Łukasiewicz (involved partner): 3 check-ins"));
    assert!(html.contains("Renée O’Brien (hurt partner): 3 check-ins"));
    assert!(html.contains("How much do you trust your partner right now?</figcaption>"));
    assert!(!html.contains("Lowest 0"), "the draft's 0 is not charted");
    assert_eq!(
        actions(&app)
            .await
            .iter()
            .filter(|x| *x == "responses_viewed")
            .count(),
        before + 1,
        "the charts show answers: audited"
    );

    // Another couple whose ratings stay close: charts, no flag. One wide gap alone: no flag.
    let t = setup(&app, "b@practice.example", "Kwame & Inès").await;
    let other = record(&app, &t).await;
    let checkin_t = exercise_id(&app, &t.c, CONNECTION_CHECKIN).await;
    weekly_checkins(&app, &t, &other, checkin_t, &[(7, 6), (8, 7), (9, 2)]).await;
    let (_, html) = t.b.get_html(&t.page).await;
    assert!(html.contains("Connection check-in: trust</title>"));
    assert!(!html.contains("class=\"flag trust-flag\""));
    assert!(!html.contains("diverge by 4"));
    // A feelings check-in of the hurt partner alone: its own charts, one line each.
    let feelings = exercise_id(&app, &t.c, FEELINGS_CHECKIN).await;
    let a = t
        .assign(
            &app,
            feelings,
            &[PartnerRole::Hurt],
            Utc::now() - Duration::days(1),
        )
        .await;
    t.answer(
        &app,
        &other.hurt,
        a,
        &[
            ("hurt", "6"),
            ("betrayal", "7"),
            ("sadness", "5"),
            ("anger", "8"),
        ],
    )
    .await;
    let (_, html) = t.b.get_html(&t.page).await;
    assert!(html.contains("Feelings check-in: anger</title>"));
    assert_eq!(html.matches("<figure class=\"chart-figure").count(), 8);
}

async fn the_dashboard_counts_submissions_to_review_and_overdue_homework(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let couple = record(&app, &s).await;
    let (_, html) = s.b.get_html("/").await;
    assert!(html.contains("id=\"stat-to-review\"><span class=\"stat-number\">0</span>"));
    assert!(html.contains("id=\"stat-overdue\"><span class=\"stat-number\">0</span>"));
    let trigger = exercise_id(&app, &s.c, "trigger_log").await;
    // Overdue for both partners; the hurt partner then submits late: one overdue, one to review.
    let late = s
        .assign(
            &app,
            trigger,
            &PartnerRole::BOTH,
            Utc::now() - Duration::days(1),
        )
        .await;
    s.answer(
        &app,
        &couple.hurt,
        late,
        &[("trigger", "x"), ("intensity", "4")],
    )
    .await;
    // Submitted and already reviewed: neither.
    let reviewed = s
        .assign(
            &app,
            trigger,
            &[PartnerRole::Involved],
            Utc::now() + Duration::days(1),
        )
        .await;
    let r = s
        .answer(
            &app,
            &couple.involved,
            reviewed,
            &[("trigger", "y"), ("intensity", "2")],
        )
        .await;
    assignments::review(
        &app.db,
        app.clock.as_ref(),
        &Actor::system(),
        s.c.id,
        r.id,
        "",
    )
    .await
    .expect("review");
    // Cancelled homework counts for nothing.
    let cancelled = s
        .assign(
            &app,
            trigger,
            &PartnerRole::BOTH,
            Utc::now() - Duration::days(3),
        )
        .await;
    assignments::cancel(
        &app.db,
        app.clock.as_ref(),
        &Actor::system(),
        s.c.id,
        cancelled,
    )
    .await
    .expect("cancel");
    let (_, html) = s.b.get_html("/").await;
    assert!(html.contains("id=\"stat-to-review\"><span class=\"stat-number\">1</span> <span class=\"stat-label\">submission to review"));
    assert!(html.contains("id=\"stat-overdue\"><span class=\"stat-number\">1</span>"));
    assert!(html.contains(&format!(
        "<a class=\"badge badge-review\" href=\"/couples/{}#homework\">1 to review</a>",
        s.id
    )));
    // Another counselor's caseload shows none of it.
    let (_, other) = app.signed_in_counselor("B", "b@practice.example").await;
    let (_, html) = other.get_html("/").await;
    assert!(html.contains("id=\"stat-to-review\"><span class=\"stat-number\">0</span>"));
    assert!(html.contains("id=\"stat-overdue\"><span class=\"stat-number\">0</span>"));
    // A closed couple's unfinished homework is no longer overdue work.
    let r =
        s.b.submit(
            &s.page,
            &format!("/couples/{}/status", s.id),
            &[("status", "closed".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.b.get_html("/").await;
    assert!(html.contains("id=\"stat-overdue\"><span class=\"stat-number\">0</span>"));
    assert!(html.contains("id=\"stat-to-review\"><span class=\"stat-number\">1</span>"));
}

async fn bad_input_on_every_homework_form_never_fails_the_server(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Alex & Sam").await;
    let csrf = s.b.csrf(&s.page).await;
    let letter = exercise_id(&app, &s.c, "accountability_letter").await;
    let big = "9".repeat(100_000);
    let hostile = "\"><script>alert(1)</script>";
    // Another counselor's own exercise is not in this counselor's library.
    let (other, ob) = app.signed_in_counselor("B", "b@practice.example").await;
    let mut form = vec![
        ("title", "Theirs".to_owned()),
        ("stage", "admission".into()),
        ("recipient", "both".into()),
        ("instructions", "x".into()),
        ("p0.kind", "long_text".into()),
        ("p0.label", "Q".into()),
    ];
    form.push(("csrf", ob.csrf("/library/new").await));
    let r = ob
        .client
        .post(ob.url("/library"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let theirs = library::list(&app.db, other.id, LibraryFilter::default())
        .await
        .expect("library")
        .into_iter()
        .find(|e| e.model.counselor_id == Some(other.id))
        .expect("theirs")
        .model
        .id;
    let assign = format!("/couples/{}/assignments", s.id);
    let with = |field: &str, value: &str| {
        let mut f = assign_form(letter, "exercise", 5, "shareable");
        for (k, v) in f.iter_mut() {
            if *k == field {
                *v = value.to_owned();
            }
        }
        f
    };
    type Case<'a> = (&'a str, Vec<(&'static str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        ("empty form", vec![], "assign-exercise-error"),
        (
            "not an id",
            with("exercise_id", "banana"),
            "assign-exercise-error",
        ),
        (
            "someone else's exercise",
            with("exercise_id", &theirs.to_string()),
            "assign-exercise-error",
        ),
        (
            "unknown exercise",
            with("exercise_id", &Uuid::new_v4().to_string()),
            "assign-exercise-error",
        ),
        (
            "nobody",
            with("assignees", "everyone"),
            "assign-assignees-error",
        ),
        (
            "a date in words",
            with("due_date", "next Tuesday"),
            "assign-due-date-error",
        ),
        (
            "an impossible time",
            with("due_time", "25:99"),
            "assign-due-time-error",
        ),
        (
            "in the past",
            with("due_date", "2001-01-01"),
            "assign-due-date-error",
        ),
        (
            "too far ahead",
            with("due_date", "2999-01-01"),
            "assign-due-date-error",
        ),
        (
            "100 kB date",
            with("due_date", &big),
            "assign-due-date-error",
        ),
        (
            "100 kB time",
            with("due_time", &big),
            "assign-due-time-error",
        ),
        (
            "hostile date",
            with("due_date", hostile),
            "assign-due-date-error",
        ),
        (
            "unknown visibility",
            with("visibility", "everyone"),
            "assign-visibility-error",
        ),
        (
            "hourly",
            with("recurrence", "hourly"),
            "assign-recurrence-error",
        ),
        (
            "weekly without an end",
            with("recurrence", "weekly"),
            "assign-until-error",
        ),
        (
            "an end before the start",
            {
                let mut f = with("recurrence", "daily");
                f[6].1 = "2001-01-01".into();
                f
            },
            "assign-until-error",
        ),
        (
            "too many occurrences",
            {
                let mut f = with("recurrence", "daily");
                f[6].1 = berlin_inputs(400, "").0;
                f
            },
            "assign-until-error",
        ),
    ];
    for (what, fields, error_id) in &cases {
        let r = s.b.post_with(&assign, &csrf, fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains(&format!("id=\"{error_id}\"")),
            "{what}: {error_id}"
        );
        assert!(html.contains("The homework was not assigned"), "{what}");
        assert!(!html.contains("<script>alert(1)"), "{what}: escaped");
    }
    // The hostile date is shown again as typed, escaped.
    let r =
        s.b.post_with(&assign, &csrf, &with("due_date", hostile))
            .await;
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;\""));
    // A repeated field cannot be read: refused, not failed.
    let mut twice = with("visibility", "shareable");
    twice.push(("visibility", "counselor_only".into()));
    let r = s.b.post_with(&assign, &csrf, &twice).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        assignments_of(&app, s.id).await.is_empty(),
        "nothing was assigned"
    );

    // The due-date form.
    let a = s
        .assign(
            &app,
            letter,
            &[PartnerRole::Involved],
            Utc::now() + Duration::days(2),
        )
        .await;
    let before = assignment::Entity::find_by_id(a)
        .one(&app.db)
        .await
        .expect("q")
        .expect("a");
    for (what, fields) in [
        ("missing", vec![]),
        (
            "words",
            vec![
                ("due_date", "soon".to_owned()),
                ("due_time", "later".to_owned()),
            ],
        ),
        (
            "past",
            vec![
                ("due_date", "2001-01-01".to_owned()),
                ("due_time", "10:00".to_owned()),
            ],
        ),
        (
            "100 kB",
            vec![("due_date", big.clone()), ("due_time", big.clone())],
        ),
        (
            "hostile",
            vec![
                ("due_date", hostile.to_owned()),
                ("due_time", "10:00".to_owned()),
            ],
        ),
    ] {
        let r =
            s.b.post_with(&format!("/assignments/{a}/due"), &csrf, &fields)
                .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains("id=\"due-date-error\"") || html.contains("id=\"due-time-error\""),
            "{what}"
        );
        assert!(!html.contains("<script>alert(1)"), "{what}");
    }
    let after = assignment::Entity::find_by_id(a)
        .one(&app.db)
        .await
        .expect("q")
        .expect("a");
    assert_eq!(before.due_at, after.due_at);
    // Review, link and PIN forms with nonsense.
    let rid = response_of(&app, &s.c, a, PartnerRole::Involved).await.id;
    for (path, fields, expected) in [
        (
            format!("/assignments/{a}/responses/{rid}/review"),
            vec![("comment", big.clone())],
            StatusCode::CONFLICT,
        ),
        (
            format!("/assignments/{a}/responses/not-an-id/review"),
            vec![],
            StatusCode::NOT_FOUND,
        ),
        (
            "/assignments/not-an-id/due".to_owned(),
            vec![],
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/assignments/{}/cancel", Uuid::new_v4()),
            vec![],
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/couples/{}/links/involved", s.id),
            vec![("action", "explode".to_owned())],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/couples/{}/links/involved", s.id),
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/couples/{}/links/lover", s.id),
            vec![("action", "send".to_owned())],
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/couples/{}/pin/hurt", s.id),
            vec![("required", "maybe".to_owned())],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/couples/{}/pin/both", s.id),
            vec![("required", "on".to_owned())],
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/couples/{}/assignments", Uuid::new_v4()),
            vec![],
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = s.b.post_with(&path, &csrf, &fields).await;
        assert_eq!(r.status(), expected, "{path}");
    }
    // Without the CSRF token nothing happens.
    let r =
        s.b.post_with(
            &assign,
            "forged",
            &assign_form(letter, "both", 5, "shareable"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(assignments_of(&app, s.id).await.len(), 1);
    let couple = record(&app, &s).await;
    assert!(!couple.hurt.pin_required);
    assert!(
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Kind.eq("homework_link"))
            .all(&app.db)
            .await
            .expect("outbox")
            .is_empty()
    );
}

async fn another_counselor_gets_404_on_every_homework_route(app: TestApp) {
    let s = setup(&app, "a@practice.example", "Private Couple").await;
    let couple = record(&app, &s).await;
    let feelings = exercise_id(&app, &s.c, FEELINGS_CHECKIN).await;
    let a = s
        .assign(
            &app,
            feelings,
            &[PartnerRole::Hurt],
            Utc::now() + Duration::days(2),
        )
        .await;
    let rid = response_of(&app, &s.c, a, PartnerRole::Hurt).await.id;
    submit(
        &app,
        &couple.hurt,
        rid,
        &[
            ("hurt", "7"),
            ("betrayal", "7"),
            ("sadness", "7"),
            ("anger", "7"),
            ("notes", "Very private words"),
        ],
        false,
    )
    .await;
    let (other, b) = app.signed_in_counselor("B", "b@practice.example").await;
    let secrets = [
        "Private Couple",
        "Very private words",
        "Renée",
        "Zoë",
        "Feelings check-in",
    ];
    let check = |what: String, status: StatusCode, body: String| {
        assert_eq!(status, 404, "{what}");
        for secret in secrets {
            assert!(!body.contains(secret), "{what} shows {secret}");
        }
    };
    for path in [format!("/assignments/{a}"), format!("/couples/{}", s.id)] {
        let (status, body) = b.get_html(&path).await;
        check(format!("GET {path}"), status, body);
    }
    let csrf = b.csrf("/").await;
    let letter = exercise_id(&app, &other, "accountability_letter").await;
    let (date, time) = berlin_inputs(6, "10:00");
    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/couples/{}/assignments", s.id),
            assign_form(letter, "both", 5, "shareable"),
        ),
        (
            format!("/couples/{}/assignments", s.id),
            vec![("exercise_id", "junk".into())],
        ),
        (
            format!("/couples/{}/links/involved", s.id),
            vec![("action", "send".into())],
        ),
        (
            format!("/couples/{}/links/hurt", s.id),
            vec![("action", "rotate".into())],
        ),
        (
            format!("/couples/{}/links/hurt", s.id),
            vec![("action", "revoke".into())],
        ),
        (
            format!("/couples/{}/links/hurt", s.id),
            vec![("action", "nonsense".into())],
        ),
        (
            format!("/couples/{}/pin/hurt", s.id),
            vec![("required", "on".into())],
        ),
        (
            format!("/couples/{}/pin/hurt", s.id),
            vec![("required", "maybe".into())],
        ),
        (
            format!("/assignments/{a}/due"),
            vec![("due_date", date), ("due_time", time)],
        ),
        (
            format!("/assignments/{a}/due"),
            vec![("due_date", "junk".into())],
        ),
        (format!("/assignments/{a}/cancel"), vec![]),
        (
            format!("/assignments/{a}/responses/{rid}/review"),
            vec![("comment", "Mine now".into())],
        ),
    ];
    for (path, fields) in &posts {
        let r = b.post_with(path, &csrf, fields).await;
        let status = r.status();
        check(
            format!("POST {path}"),
            status,
            r.text().await.expect("body"),
        );
    }
    // Nothing changed.
    let after = assignment::Entity::find_by_id(a)
        .one(&app.db)
        .await
        .expect("q")
        .expect("a");
    assert!(after.cancelled_at.is_none());
    assert_eq!(assignments_of(&app, s.id).await.len(), 1);
    let r = response::Entity::find_by_id(rid)
        .one(&app.db)
        .await
        .expect("q")
        .expect("r");
    assert_eq!(r.status, ResponseStatus::Submitted);
    assert!(
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Kind.eq("homework_link"))
            .all(&app.db)
            .await
            .expect("outbox")
            .is_empty()
    );
    assert!(!record(&app, &s).await.hurt.pin_required);
    // And nothing of it reaches the other counselor's dashboard.
    let (_, html) = b.get_html("/").await;
    assert!(!html.contains("Private Couple"));
}

/// A long history does not put every past assignment on each view of the couple page: the
/// latest ten are listed, newest first, with a link to all of them.
async fn the_couple_page_lists_the_latest_past_homework_and_links_to_the_rest(app: TestApp) {
    let s = setup(&app, "history@example.org", "Long History").await;
    let exercise = exercise_id(&app, &s.c, "connection_checkin").await;
    let mut past = Vec::new();
    for weeks in 1..=12 {
        past.push(
            s.assign(
                &app,
                exercise,
                &[PartnerRole::Hurt],
                Utc::now() - Duration::weeks(weeks),
            )
            .await,
        );
    }
    let (_, html) = s.b.get_html(&s.page).await;
    for id in &past[..10] {
        assert!(
            html.contains(&format!("data-assignment=\"{id}\"")),
            "recent {id} listed"
        );
    }
    for id in &past[10..] {
        assert!(
            !html.contains(&format!("data-assignment=\"{id}\"")),
            "older {id} left off"
        );
    }
    assert!(html.contains(&format!(
        "href=\"{}?homework=all#past-homework\">Show 2 earlier assignments</a>",
        s.page
    )));

    let (status, html) = s.b.get_html(&format!("{}?homework=all", s.page)).await;
    assert_eq!(status, StatusCode::OK);
    for id in &past {
        assert!(
            html.contains(&format!("data-assignment=\"{id}\"")),
            "{id} listed"
        );
    }
    assert!(!html.contains("earlier assignment"));

    // Any other value is the short list; another counselor finds no such page at all.
    for value in ["ALL", "%00", "%3Cscript%3E", &"a".repeat(10_000)] {
        let (status, html) = s.b.get_html(&format!("{}?homework={value}", s.page)).await;
        assert_eq!(status, StatusCode::OK, "homework={value:.20}");
        assert!(
            html.contains("Show 2 earlier assignments"),
            "homework={value:.20}"
        );
        assert!(!html.contains("<script>"));
    }
    let (_, other) = app.signed_in_counselor("B", "b@practice.example").await;
    let r = other.get(&format!("{}?homework=all", s.page)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
