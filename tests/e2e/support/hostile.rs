//! The hostile practice (issue #7, point 13): every free-text field a person can type holds
//! script tags, event-handler attributes, `javascript:` URLs, markup that closes a
//! `<textarea>` or the `<title>`, template-like braces and right-to-left overrides, typed
//! through the real forms. `security_hostile` checks the emails and PDFs made from it,
//! `security_hostile_pages` every page in real Chromium.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kintsugi_core::clock::FixedClock;
use kintsugi_core::entities::{assignment, exercise};
use kintsugi_core::practice::Role;
use kintsugi_core::stages::Stage;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::fixture::response_id;
pub use super::fixture::{mint_link as mint, partner_browser};
pub use super::http::location;
use super::http::{Browser, csrf_from, value_of};
pub use super::mail::at;
use super::{Backend, PASSWORD, TestApp};

// ---------------------------------------------------------------------------------------------
// The payloads. Each sets `window.__pwned` if any part of it ever runs.

pub const SCRIPT: &str = "<script>window.__pwned=1</script>";
pub const IMG: &str = "\"><img src=x onerror=\"window.__pwned=2\">";
pub const SVG: &str = "'><svg onload=window.__pwned=3>";
pub const JS_URL: &str = "javascript:window.__pwned=4";
pub const TEXTAREA: &str = "</textarea><script>window.__pwned=5</script>";
pub const TITLE_BREAK: &str = "</title><script>window.__pwned=9</script>";
pub const TEMPLATE: &str = "{{ 7*7 }}{% raw %}${7*7}";
pub const RTL: &str = "\u{202E}gnp.exe\u{202C} שלום مرحبا 😀";

/// The short fields (names, labels: at most 120 characters; scale ends: 60).
pub const PRACTICE: &str = "Practice '><svg onload=window.__pwned=3> {{ 7*7 }}";
pub const COUNSELOR: &str =
    "Dr <script>window.__pwned=1</script>\"><img src=x onerror=\"window.__pwned=2\">";
pub const LABEL: &str =
    "L</title><script>window.__pwned=9</script>\"><img src=x onerror=\"window.__pwned=2\">";
pub const INVOLVED: &str = "Zoë '><svg onload=window.__pwned=3> {{ 7*7 }}{% raw %}";
pub const HURT: &str =
    "Renée </textarea><script>window.__pwned=5</script> \u{202E}gnp.exe\u{202C} שלום";
/// Quotes, `=` and braces are allowed in the local part of an email address.
pub const HURT_EMAIL: &str = "x'onmouseover='window.__pwned=7'&{{7*7}}@mail.example";
pub const INVOLVED_EMAIL: &str = "zoe@mail.example";
pub const TITLE: &str =
    "Ex <script>window.__pwned=1</script>\"><img src=x onerror=\"window.__pwned=2\"> {{ 7*7 }}";
pub const TEXT_PROMPT: &str = "Write </textarea><script>window.__pwned=5</script> {{ 7*7 }}";
pub const CHOICE_PROMPT: &str = "Pick \"><img src=x onerror=\"window.__pwned=2\">";
pub const CHOICE_YES: &str = "Yes '><svg onload=window.__pwned=3>";
pub const CHOICE_NO: &str = "No <script>window.__pwned=1</script>";
pub const SCALE_PROMPT: &str = "Trust <script>window.__pwned=1</script>";
pub const SCALE_LOW: &str = "Low '><svg onload=window.__pwned=3>";
pub const SCALE_HIGH: &str = "High javascript:window.__pwned=4";
pub const OFFICE: &str =
    "Room javascript:window.__pwned=4 \"><img src=x onerror=\"window.__pwned=2\"> </textarea>";
/// A video link must be https, with no spaces; quotes and markup are still possible.
pub const VIDEO: &str = "https://video.example/room?a=\"><script>window.__pwned=10</script>";

/// Clinical free text: every payload, on several lines, after a word that names the field so
/// that emails can be searched for it.
pub fn clinical(marker: &str) -> String {
    format!(
        "{marker} {SCRIPT}\n{IMG} {SVG}\n{TEXTAREA} {JS_URL}\n\
         <iframe srcdoc=\"<script>parent.__pwned=6</script>\"></iframe> \
         <a href=\"javascript:window.__pwned=8\">link</a> <style>body{{display:none}}</style>\n\
         {TITLE_BREAK} {TEMPLATE} {RTL}"
    )
}

/// The words that start each clinical field: none may appear in an email.
pub const CLINICAL_MARKERS: &[&str] = &[
    "Instructions-kestrel",
    "Answer-involved-heron",
    "Answer-hurt-plover",
    "Draft-answer-wren",
    "Comment-osprey",
    "Override-reason-egret",
    "Reopen-reason-ibis",
    "Dap-data-puffin",
    "Dap-assessment-gannet",
    "Dap-plan-curlew",
    "Soap-subjective-avocet",
    "Soap-objective-dunlin",
    "Soap-assessment-godwit",
    "Soap-plan-shrike",
    "Addendum-merlin",
];

pub fn marked(marker: &str) -> String {
    assert!(CLINICAL_MARKERS.contains(&marker), "{marker}");
    clinical(marker)
}

/// Monday 11 January 2027, 15:00 in Berlin (the counselor's zone), 09:00 in New York.
pub fn start() -> DateTime<Utc> {
    at("2027-01-11T14:00:00Z")
}

/// A server on a clock the test moves, starting at [`start`].
pub async fn spawn(backend: Backend) -> Option<(TestApp, Arc<FixedClock>)> {
    if backend == Backend::Postgres
        && std::env::var("KINTSUGI_TEST_POSTGRES_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .is_none()
    {
        return None;
    }
    let clock = Arc::new(FixedClock::new(start()));
    Some((TestApp::spawn_at(backend, clock.clone()).await, clock))
}

// ---------------------------------------------------------------------------------------------
// The hostile practice, built through the forms a person would use.

pub struct World {
    /// The hostile-named counselor, also an admin, signed in.
    pub c: Browser,
    pub token: String,
    pub couple: Uuid,
    pub involved: Uuid,
    pub hurt: Uuid,
    pub exercise: Uuid,
    /// Answered by both partners, shared with each other, reviewed with a comment.
    pub shared: Uuid,
    pub involved_shared: Uuid,
    pub hurt_shared: Uuid,
    /// Of a second assignment, still open: the involved partner has a draft.
    pub involved_open: Uuid,
    pub hurt_open: Uuid,
    /// Earlier today, in the office: a signed DAP note and an addendum.
    pub past: Uuid,
    /// Next week, by video: a SOAP draft.
    pub video: Uuid,
}

pub fn id_in(location: &str, prefix: &str) -> Uuid {
    let rest = location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"));
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{location}: {e}"))
}

/// Post a form and expect a redirect; returns where to.
async fn post(b: &Browser, page: &str, path: &str, fields: &[(&str, String)]) -> String {
    let r = b.submit(page, path, fields).await;
    let status = r.status();
    if status != StatusCode::SEE_OTHER {
        let body = r.text().await.unwrap_or_default();
        panic!("POST {path}: {status}\n{body}");
    }
    location(&r)
}

/// A form's fields, as sent.
pub type Form = Vec<(&'static str, String)>;

fn owned(fields: &[(&'static str, &str)]) -> Form {
    fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

pub fn practice_form(name: &str) -> Form {
    owned(&[
        ("name", name),
        ("timezone", "Europe/Berlin"),
        ("note_format", "DAP"),
        ("paper_size", "a4"),
        ("reminder_hours_before", "24"),
        ("quiet_hours_start", "8"),
        ("quiet_hours_end", "21"),
        ("link_expiry_days", "90"),
        ("session_idle_minutes", "30"),
        ("totp_required", "none"),
    ])
}

pub fn counselor_form(name: &str, email: &str) -> Form {
    owned(&[
        ("name", name),
        ("email", email),
        ("timezone", "Europe/Berlin"),
        ("password", PASSWORD),
        ("admin", "on"),
    ])
}

pub fn couple_form(label: &str) -> Form {
    owned(&[
        ("label", label),
        ("intake_date", "2026-03-02"),
        ("disclosure_date", ""),
        ("involved.name", INVOLVED),
        ("involved.email", INVOLVED_EMAIL),
        ("involved.timezone", "Europe/Berlin"),
        ("hurt.name", HURT),
        ("hurt.email", HURT_EMAIL),
        ("hurt.timezone", "America/New_York"),
    ])
}

pub fn exercise_form(title: &str) -> Form {
    let mut form = owned(&[
        ("title", title),
        ("stage", "admission"),
        ("recipient", "both"),
        ("p0.kind", "long_text"),
        ("p0.key", "letter"),
        ("p0.label", TEXT_PROMPT),
        ("p1.kind", "single_choice"),
        ("p1.key", "choice"),
        ("p1.label", CHOICE_PROMPT),
        ("p2.kind", "scale"),
        ("p2.key", "trust"),
        ("p2.label", SCALE_PROMPT),
        ("p2.low", SCALE_LOW),
        ("p2.high", SCALE_HIGH),
    ]);
    form.push(("instructions", marked("Instructions-kestrel")));
    form.push(("p1.options", format!("{CHOICE_YES}\n{CHOICE_NO}")));
    form
}

pub fn session_form(date: &str, time: &str, kind: &str, detail: &str) -> Form {
    owned(&[
        ("date", date),
        ("time", time),
        ("duration_minutes", "50"),
        ("location", kind),
        ("location_detail", detail),
    ])
}

pub fn dap(version: &str, action: &str) -> Form {
    vec![
        ("format", "DAP".into()),
        ("version", version.into()),
        ("data", marked("Dap-data-puffin")),
        ("assessment", marked("Dap-assessment-gannet")),
        ("plan", marked("Dap-plan-curlew")),
        ("action", action.into()),
    ]
}

pub fn soap(version: &str, action: &str) -> Form {
    vec![
        ("format", "SOAP".into()),
        ("version", version.into()),
        ("subjective", marked("Soap-subjective-avocet")),
        ("objective", marked("Soap-objective-dunlin")),
        ("assessment", marked("Soap-assessment-godwit")),
        ("plan", marked("Soap-plan-shrike")),
        ("action", action.into()),
    ]
}

/// The value of a hidden field on a page.
pub fn hidden(html: &str, name: &str) -> String {
    value_of(html, name).unwrap_or_else(|| panic!("no {name} on the page"))
}

/// A partner answers, shares (where allowed) and submits, or only saves a draft.
async fn answer(b: &Browser, response: Uuid, letter: &str, submit: bool) {
    let page = format!("/h/r/{response}");
    let (status, html) = b.get_html(&page).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = csrf_from(&html).expect("csrf");
    let mut fields = vec![
        ("idempotency_key", hidden(&html, "idempotency_key")),
        ("a.letter", letter.to_owned()),
        ("a.choice", CHOICE_YES.to_owned()),
        ("a.trust", "7".to_owned()),
        ("action", if submit { "submit" } else { "save" }.to_owned()),
    ];
    if submit {
        fields.push(("share", "on".to_owned()));
    }
    let r = b.post_with(&page, &csrf, &fields).await;
    assert!(
        r.status().is_redirection(),
        "answer {page}: {} {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
}

async fn assignment_ids(app: &TestApp, couple: Uuid) -> HashSet<Uuid> {
    assignment::Entity::find()
        .filter(assignment::Column::CoupleId.eq(couple))
        .all(&app.db)
        .await
        .expect("assignments")
        .into_iter()
        .map(|a| a.id)
        .collect()
}

/// Assign the exercise to both partners, shareable, due Friday 19:00; returns its id.
async fn assign(app: &TestApp, c: &Browser, couple: Uuid, exercise: Uuid) -> Uuid {
    let before = assignment_ids(app, couple).await;
    let page = format!("/couples/{couple}");
    post(
        c,
        &page,
        &format!("/couples/{couple}/assignments"),
        &owned(&[
            ("exercise_id", &exercise.to_string()),
            ("assignees", "both"),
            ("due_date", "2027-01-15"),
            ("due_time", "19:00"),
            ("visibility", "shareable"),
            ("recurrence", ""),
            ("recurrence_until", ""),
        ]),
    )
    .await;
    let after = assignment_ids(app, couple).await;
    let new: Vec<&Uuid> = after.difference(&before).collect();
    assert_eq!(new.len(), 1, "one new assignment");
    *new[0]
}

pub async fn world(app: &TestApp) -> World {
    // The first admin is made on the command line; everything else through the pages.
    app.counselor("Ada Admin", "ada@practice.example", Role::Admin)
        .await;
    let admin = Browser::new(app);
    admin.sign_in("ada@practice.example", PASSWORD).await;
    post(
        &admin,
        "/admin/practice",
        "/admin/practice",
        &practice_form(PRACTICE),
    )
    .await;
    let r = admin
        .submit(
            "/admin/counselors",
            "/admin/counselors",
            &counselor_form(COUNSELOR, "c@practice.example"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the counselor is added");
    let c_id = kintsugi_core::practice::counselors::find_by_email(&app.db, "c@practice.example")
        .await
        .expect("query")
        .expect("counselor")
        .id;
    let c = Browser::new(app);
    c.sign_in("c@practice.example", PASSWORD).await;

    let to = post(&c, "/couples/new", "/couples", &couple_form(LABEL)).await;
    let couple = id_in(&to, "/couples/");
    let page = format!("/couples/{couple}");
    let partners = kintsugi_core::couples::store::get(&app.db, c_id, couple)
        .await
        .expect("couple");
    let (involved, hurt) = (partners.involved.id, partners.hurt.id);

    let to = post(&c, "/library/new", "/library", &exercise_form(TITLE)).await;
    let exercise = id_in(&to, "/library/");
    assert!(
        exercise::Entity::find_by_id(exercise)
            .one(&app.db)
            .await
            .expect("query")
            .is_some_and(|e| e.title == TITLE),
        "the title is stored as typed"
    );

    let shared = assign(app, &c, couple, exercise).await;
    let open = assign(app, &c, couple, exercise).await;
    // A fresh link for the involved partner, by email.
    post(
        &c,
        &page,
        &format!("/couples/{couple}/links/involved"),
        &owned(&[("action", "send")]),
    )
    .await;

    // Stage 1 rated and completed, the gate of stage 2 overridden, stage 1 reopened.
    let mut ratings = vec![("stage", Stage::Admission.key().to_owned())];
    for m in Stage::Admission.markers() {
        ratings.push((
            Box::leak(format!("marker.{}", m.key()).into_boxed_str()) as &'static str,
            "consistent".to_owned(),
        ));
    }
    post(&c, &page, &format!("/couples/{couple}/markers"), &ratings).await;
    post(
        &c,
        &page,
        &format!("/couples/{couple}/stages/admission/complete"),
        &[],
    )
    .await;
    post(
        &c,
        &page,
        &format!("/couples/{couple}/stages/before_the_affair/override"),
        &[("reason", marked("Override-reason-egret"))],
    )
    .await;
    post(
        &c,
        &page,
        &format!("/couples/{couple}/stages/admission/reopen"),
        &[("reason", marked("Reopen-reason-ibis"))],
    )
    .await;
    // Complete again, so that the page offers to reopen it (a form with a reason).
    post(&c, &page, &format!("/couples/{couple}/markers"), &ratings).await;
    post(
        &c,
        &page,
        &format!("/couples/{couple}/stages/admission/complete"),
        &[],
    )
    .await;

    // Sessions: earlier today in the office, next week by video.
    let new_session = format!("/couples/{couple}/sessions/new");
    let sessions = format!("/couples/{couple}/sessions");
    let to = post(
        &c,
        &new_session,
        &sessions,
        &session_form("2027-01-11", "14:00", "office", OFFICE),
    )
    .await;
    let past = id_in(&to, "/sessions/");
    let to = post(
        &c,
        &new_session,
        &sessions,
        &session_form("2027-01-20", "16:00", "video", VIDEO),
    )
    .await;
    let video = id_in(&to, "/sessions/");

    // The DAP note, signed, then an addendum; a SOAP draft for the video session.
    let past_page = format!("/sessions/{past}");
    post(
        &c,
        &past_page,
        &format!("{past_page}/note"),
        &dap("0", "save"),
    )
    .await;
    let mut sign = dap("1", "sign");
    sign.push(("password", PASSWORD.to_owned()));
    post(&c, &past_page, &format!("{past_page}/note"), &sign).await;
    post(
        &c,
        &past_page,
        &format!("{past_page}/note/addenda"),
        &[("text", marked("Addendum-merlin"))],
    )
    .await;
    let video_page = format!("/sessions/{video}");
    post(
        &c,
        &video_page,
        &format!("{video_page}/note"),
        &soap("0", "save"),
    )
    .await;

    // The partners answer through their links: both submit and share the first assignment,
    // the involved partner keeps a draft of the second.
    let involved_shared = response_id(app, shared, involved).await;
    let hurt_shared = response_id(app, shared, hurt).await;
    let involved_open = response_id(app, open, involved).await;
    let hurt_open = response_id(app, open, hurt).await;
    let zoe = partner_browser(app, involved).await;
    answer(
        &zoe,
        involved_shared,
        &marked("Answer-involved-heron"),
        true,
    )
    .await;
    answer(&zoe, involved_open, &marked("Draft-answer-wren"), false).await;
    let renee = partner_browser(app, hurt).await;
    answer(&renee, hurt_shared, &marked("Answer-hurt-plover"), true).await;

    // The counselor reviews the hurt partner's answer with a comment.
    let review = format!("/assignments/{shared}");
    post(
        &c,
        &review,
        &format!("/assignments/{shared}/responses/{hurt_shared}/review"),
        &[("comment", marked("Comment-osprey"))],
    )
    .await;

    let token = app.api_token(c_id).await;
    World {
        c,
        token,
        couple,
        involved,
        hurt,
        exercise,
        shared,
        involved_shared,
        hurt_shared,
        involved_open,
        hurt_open,
        past,
        video,
    }
}
