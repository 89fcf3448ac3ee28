//! Hostile text in every text field (issue #7, point 13): script tags, event-handler
//! attributes, `javascript:` URLs, markup that closes a `<textarea>` or the `<title>`,
//! template-like braces and right-to-left overrides are stored as typed and come out inert.
//! This module builds the hostile practice through the real forms and checks the emails (real
//! SMTP) and PDFs (`pdftotext`); `security_hostile_pages` loads every page in real Chromium.
//! A 1 MB string in any field is refused with a clear answer, never a 500, and stores nothing.
//!
//! Every free-text field a person can type, and where it is typed here:
//!
//! | record | field | typed through |
//! |---|---|---|
//! | practice | name | `/admin/practice` |
//! | counselor | name (email is checked for shape) | `/admin/counselors` |
//! | couple | label | `/couples` (and the API) |
//! | partner | name, email (the odd characters an email may hold) | `/couples` |
//! | exercise | title, instructions | `/library` (and the API) |
//! | exercise prompt | label, choices, both ends of a scale | `/library` |
//! | response | answers (long text, choice, scale) | `/h/r/{id}` (the partner's link) |
//! | response | counselor comment | `/assignments/{id}/responses/{id}/review` |
//! | stage event | gate override reason, reopening reason | `/couples/{id}/stages/...` |
//! | session | location detail, video link (https only) | `/couples/{id}/sessions` |
//! | note | DAP and SOAP sections | `/sessions/{id}/note` (and the API) |
//! | note addendum | text | `/sessions/{id}/note/addenda` (and the API) |
//! | audit event | none typed: actor names come from the counselor records above | - |
//! | search and filters | dashboard `q`, audit log record id | query strings |
//!
//! Outbox rows, tokens, hashes and enumerations hold no typed text.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;

use kintsugi_core::clock::FixedClock;
use kintsugi_core::entities::response;
use kintsugi_core::stages::Stage;
use reqwest::{Method, Response, StatusCode};
use sea_orm::EntityTrait;
use serde_json::json;

use crate::support::hostile::{
    CHOICE_NO, CLINICAL_MARKERS, COUNSELOR, Form, HURT, HURT_EMAIL, INVOLVED, INVOLVED_EMAIL,
    LABEL, OFFICE, PRACTICE, RTL, TEXT_PROMPT, TITLE, VIDEO, at, counselor_form, couple_form,
    exercise_form, hidden, marked, partner_browser, practice_form, session_form, soap, spawn,
    world,
};
use crate::support::http::{Browser, csrf_from, escaped, problem};
use crate::support::smtp::{Mail, SmtpServer};
use crate::support::snapshot::{assert_same, snapshot, without_read_traces};
use crate::support::{PASSWORD, TestApp};

/// One test per database, on a clock at [`start`].
macro_rules! clocked_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (app, clock) = super::spawn(crate::support::Backend::Sqlite)
                    .await
                    .expect("sqlite");
                super::$name(app, clock).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match super::spawn(crate::support::Backend::Postgres).await {
                    Some((app, clock)) => super::$name(app, clock).await,
                    None => eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set"),
                }
            }
        }
    )*};
}

clocked_tests!(
    emails_carry_hostile_names_escaped_and_nothing_clinical,
    pdfs_print_hostile_text_literally,
    a_megabyte_in_any_text_field_is_refused_and_nothing_is_stored,
);

// ---------------------------------------------------------------------------------------------
// Emails.

/// The tags the email templates write; anything else in an HTML part was injected.
const EMAIL_TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "body", "div", "p", "a", "table", "tr", "td",
    "strong", "ul", "li", "br",
];

/// Every tag of an HTML part is one the templates wrote, without event handlers or script URLs.
pub fn assert_only_template_markup(html: &str, what: &str) {
    let mut rest = html;
    let mut tags = 0;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after
            .find('>')
            .unwrap_or_else(|| panic!("{what}: an unclosed tag"));
        let tag = &after[..close];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect::<String>()
            .to_lowercase();
        assert!(
            EMAIL_TAGS.contains(&name.as_str()),
            "{what}: a <{name}> tag that no template writes: <{tag}>"
        );
        let lower = tag.to_lowercase();
        for attribute in lower.split_whitespace().skip(1) {
            assert!(
                !attribute.starts_with("on"),
                "{what}: an event handler in <{tag}>"
            );
        }
        assert!(
            !lower.contains("javascript:"),
            "{what}: a script URL in <{tag}>"
        );
        tags += 1;
        rest = &after[close + 1..];
    }
    assert!(tags > 10, "{what}: an HTML part ({tags} tags)");
}

fn worker(app: &TestApp, smtp: &SmtpServer, clock: Arc<FixedClock>) -> kintsugi_web::mail::Worker {
    crate::support::mail::mail_worker(app, &smtp.url(), clock)
}

async fn step(w: &kintsugi_web::mail::Worker, clock: &FixedClock, to: &str) {
    clock.set(at(to));
    let t = w.run_once().await.expect("worker step");
    assert_eq!(t.failed + t.retried, 0, "every email went out at {to}");
}

/// A client email: the partner's own name escaped in HTML, nobody else's, nothing clinical.
fn assert_client_mail(m: &Mail, what: &str) {
    let (own, other) = match m.to.as_str() {
        INVOLVED_EMAIL => (INVOLVED, HURT),
        HURT_EMAIL => (HURT, INVOLVED),
        to => panic!("{what}: an email to {to}"),
    };
    assert_only_template_markup(&m.html, what);
    assert!(
        m.html.contains(&escaped(own)),
        "{what}: the name, escaped, in the HTML part:\n{}",
        m.html
    );
    assert!(
        m.text.contains(own),
        "{what}: the name as typed in the text part"
    );
    let all = m.all_text();
    for word in [other, LABEL, TITLE, COUNSELOR, PRACTICE, OFFICE] {
        assert!(!all.contains(word), "{what}: {word:?} in a client email");
    }
    assert_nothing_clinical(m, what);
}

fn assert_nothing_clinical(m: &Mail, what: &str) {
    let all = m.all_text();
    for marker in CLINICAL_MARKERS {
        assert!(!all.contains(marker), "{what}: {marker} in an email");
    }
    for stage in Stage::ALL {
        assert!(!all.contains(stage.name()), "{what}: a stage in an email");
    }
}

fn of_subject<'a>(mails: &'a [Mail], subject: &str) -> Vec<&'a Mail> {
    mails.iter().filter(|m| m.subject == subject).collect()
}

async fn emails_carry_hostile_names_escaped_and_nothing_clinical(
    app: TestApp,
    clock: Arc<FixedClock>,
) {
    world(&app).await;
    let smtp = SmtpServer::start().await;
    let mail = worker(&app, &smtp, clock.clone());
    let mut seen = HashSet::new();

    // Now: one email to each partner about the new homework (the second assignment and the
    // link sent by hand ride on the email already waiting), and each counselor's digest.
    step(&mail, &clock, "2027-01-11T14:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let assigned = of_subject(&mails, "You have a new exercise from your counselor");
    for m in &assigned {
        assert_client_mail(m, "homework email");
    }
    for to in [INVOLVED_EMAIL, HURT_EMAIL] {
        // The address with quotes and braces is written to as well.
        assert!(
            assigned.iter().any(|m| m.to == to),
            "homework email to {to}"
        );
    }
    let digests: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Your Kintsugi summary for"))
        .collect();
    let digest = digests
        .iter()
        .find(|m| m.to == "c@practice.example")
        .expect("the counselor's digest");
    assert_only_template_markup(&digest.html, "digest");
    for (typed, what) in [
        (COUNSELOR, "the counselor's name"),
        (LABEL, "today's couple"),
    ] {
        assert!(
            digest.html.contains(&escaped(typed)),
            "{what}, escaped:\n{}",
            digest.html
        );
        assert!(digest.text.contains(typed), "{what} in the text part");
    }
    assert_nothing_clinical(digest, "digest");
    for m in &digests {
        assert_only_template_markup(&m.html, "digest");
        assert_nothing_clinical(m, "digest");
    }

    // A day before the due time: the open assignment's reminders (the shared one is done).
    step(&mail, &clock, "2027-01-14T18:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let soon = of_subject(&mails, "A reminder from your counselor");
    assert_eq!(
        soon.len(),
        2,
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    for m in &soon {
        assert_client_mail(m, "due-soon reminder");
    }
    // After the due time: overdue.
    step(&mail, &clock, "2027-01-15T19:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let overdue = of_subject(&mails, "A reminder from your counselor");
    assert_eq!(overdue.len(), 2);
    for m in &overdue {
        assert_client_mail(m, "overdue reminder");
    }

    // A day before the video session: the link is in an href, escaped, and in the invitation.
    step(&mail, &clock, "2027-01-19T15:00:00Z").await;
    let mails = smtp.new_mails(&mut seen);
    let session = of_subject(&mails, "A reminder of your upcoming appointment");
    assert_eq!(session.len(), 2);
    for m in &session {
        assert_client_mail(m, "session reminder");
        assert!(
            m.html.contains(&format!("href=\"{}\"", escaped(VIDEO))),
            "the video link, escaped, in its href:\n{}",
            m.html
        );
        assert!(m.text.contains(VIDEO), "the link as typed in the text part");
        let (_, _, ics) = m.attachments.first().expect("an invitation");
        let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
        assert!(unfolded.contains("LOCATION:"), "{ics}");
        for line in unfolded.lines() {
            assert!(
                !line.contains("window.__pwned")
                    || line.starts_with("LOCATION:")
                    || line.starts_with("URL"),
                "the link stays inside its own properties: {line}"
            );
        }
    }
    smtp.stop().await;
}

// ---------------------------------------------------------------------------------------------
// PDFs.

/// The text of a PDF, by poppler's `pdftotext`, with runs of white space folded.
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext is needed (poppler-utils; scripts/test installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let bytes = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("pdftotext");
    writer.join().expect("writer").expect("write");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    flat(&String::from_utf8(out.stdout).expect("utf-8"))
}

pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn pdf(b: &Browser, path: &str) -> Vec<u8> {
    let r = b.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.expect("bytes").to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

fn assert_prints(text: &str, typed: &str, what: &str) {
    assert!(
        text.contains(&flat(typed)),
        "{what}: {typed:?} is printed as typed in:\n{text}"
    );
}

/// A clinical text is printed as typed. Spaces are ignored: a narrow column breaks a long
/// word, and a page may break between lines. The right-to-left words are left out: PDF text
/// comes back in visual order.
fn assert_prints_clinical(text: &str, marker: &str, what: &str) {
    let solid = |s: &str| s.split_whitespace().collect::<String>();
    let printed = solid(text);
    let typed = marked(marker).replace(RTL, "");
    for line in typed.lines() {
        assert!(
            printed.contains(&solid(line)),
            "{what}: {line:?} is printed as typed in:\n{text}"
        );
    }
}

async fn pdfs_print_hostile_text_literally(app: TestApp, _clock: Arc<FixedClock>) {
    let w = world(&app).await;

    let note = pdf_text(&pdf(&w.c, &format!("/sessions/{}/note.pdf", w.past)).await);
    for typed in [PRACTICE, COUNSELOR, LABEL, OFFICE] {
        assert_prints(&note, typed, "signed note");
    }
    for marker in [
        "Dap-data-puffin",
        "Dap-assessment-gannet",
        "Dap-plan-curlew",
        "Addendum-merlin",
    ] {
        assert_prints_clinical(&note, marker, "signed note");
    }

    let draft = pdf_text(&pdf(&w.c, &format!("/sessions/{}/note.pdf", w.video)).await);
    for marker in [
        "Soap-subjective-avocet",
        "Soap-objective-dunlin",
        "Soap-assessment-godwit",
        "Soap-plan-shrike",
    ] {
        assert_prints_clinical(&draft, marker, "SOAP draft");
    }
    // A video session's note names the kind of place, not its link.
    assert!(draft.contains("Location Video call") && !draft.contains(VIDEO));

    let report = pdf_text(
        &pdf(
            &w.c,
            &format!(
                "/couples/{}/report.pdf?from=2026-03-02&to=2027-01-11",
                w.couple
            ),
        )
        .await,
    );
    for typed in [PRACTICE, COUNSELOR, LABEL] {
        assert_prints(&report, typed, "progress report");
    }
    for marker in ["Override-reason-egret", "Reopen-reason-ibis"] {
        assert_prints_clinical(&report, marker, "progress report");
    }
    // The check-in chart is titled with the exercise, cut short to fit.
    assert_prints(&report, &TITLE[..48], "progress report");
}

// ---------------------------------------------------------------------------------------------
// A megabyte.

pub fn megabyte() -> String {
    // Markup, so that an escaping or truncating path would show; 1 MB exactly.
    let unit = "<b>x</b>&";
    unit.repeat(1024 * 1024 / unit.len() + 1)[..1024 * 1024].to_owned()
}

/// Post a form on a connection of its own: a server that answers before reading a body closes
/// the connection, which must not take the client's next request down with it.
async fn post_alone(b: &Browser, page: &str, path: &str, fields: &[(&str, String)]) -> Response {
    let mut body: Vec<(&str, String)> = vec![("csrf", b.csrf(page).await)];
    body.extend(fields.iter().cloned());
    b.client
        .post(b.url(path))
        .header("connection", "close")
        .form(&body)
        .send()
        .await
        .expect("POST")
}

/// A page refusing a body that is too large: the calm 413 page, never a 500.
async fn assert_refused_page(r: Response, what: &str) {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{what}: {body}");
    assert!(
        body.contains("Too much at once") && body.contains("larger than this server accepts"),
        "{what}: says why:\n{body}"
    );
}

async fn a_megabyte_in_any_text_field_is_refused_and_nothing_is_stored(
    app: TestApp,
    _clock: Arc<FixedClock>,
) {
    let w = world(&app).await;
    let mb = megabyte();
    let with = |mut form: Form, field: &str| {
        let f = form
            .iter_mut()
            .find(|(k, _)| *k == field)
            .unwrap_or_else(|| panic!("{field}"));
        f.1 = mb.clone();
        form
    };
    let before = without_read_traces(snapshot(&app).await);

    // Every counselor form, with the megabyte in one of its text fields.
    let couple = format!("/couples/{}", w.couple);
    let past = format!("/sessions/{}", w.past);
    let video = format!("/sessions/{}", w.video);
    let mut edit = couple_form(LABEL);
    edit.push(("version", "1".to_owned()));
    // (the page that carries the form, where it is sent, the fields)
    let forms: Vec<(&str, String, Form)> = vec![
        (
            "/couples/new",
            "/couples".into(),
            with(couple_form(LABEL), "label"),
        ),
        (
            "/couples/new",
            "/couples".into(),
            with(couple_form(LABEL), "hurt.name"),
        ),
        (&couple, couple.clone(), with(edit, "label")),
        (
            &couple,
            format!("{couple}/stages/before_the_affair/override"),
            vec![("reason", mb.clone())],
        ),
        (
            &couple,
            format!("{couple}/sessions"),
            with(
                session_form("2027-01-12", "10:00", "office", ""),
                "location_detail",
            ),
        ),
        (
            &video,
            video.clone(),
            with(
                session_form("2027-01-20", "16:00", "video", VIDEO),
                "location_detail",
            ),
        ),
        (
            &video,
            format!("{video}/note"),
            with(soap("1", "save"), "subjective"),
        ),
        (
            &past,
            format!("{past}/note/addenda"),
            vec![("text", mb.clone())],
        ),
        (
            &couple,
            format!(
                "/assignments/{}/responses/{}/review",
                w.shared, w.involved_shared
            ),
            vec![("comment", mb.clone())],
        ),
        (
            "/library/new",
            "/library".into(),
            with(exercise_form(TITLE), "title"),
        ),
        (
            "/library/new",
            "/library".into(),
            with(exercise_form(TITLE), "instructions"),
        ),
        (
            "/library/new",
            format!("/library/{}/edit", w.exercise),
            with(
                {
                    let mut f = exercise_form(TITLE);
                    f.push(("version", "1".into()));
                    f
                },
                "p1.options",
            ),
        ),
        (
            "/admin/counselors",
            "/admin/counselors".into(),
            with(counselor_form(COUNSELOR, "d@practice.example"), "name"),
        ),
        (
            "/admin/practice",
            "/admin/practice".into(),
            with(practice_form(PRACTICE), "name"),
        ),
    ];
    for (page, path, fields) in &forms {
        let r = post_alone(&w.c, page, path, fields).await;
        assert_refused_page(r, &format!("POST {path}")).await;
    }
    // The sign-in form, before anyone is signed in.
    let anon = Browser::new(&app);
    let login = [("email", mb.clone()), ("password", PASSWORD.to_owned())];
    let r = post_alone(&anon, "/login", "/login", &login).await;
    assert_refused_page(r, "POST /login").await;

    // Every API body with text, with the megabyte in one text field.
    let api = app.api(&w.token);
    let partners = json!([
        {"role": "involved", "name": INVOLVED, "email": INVOLVED_EMAIL, "timezone": "Europe/Berlin"},
        {"role": "hurt", "name": mb, "email": "r@mail.example", "timezone": "Europe/Berlin"}
    ]);
    let bodies: Vec<(Method, String, serde_json::Value)> = vec![
        (
            Method::POST,
            "/api/v1/couples".into(),
            json!({"label": LABEL, "open_agreement": false, "intake_date": "2026-03-02", "partners": partners}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/couples/{}", w.couple),
            json!({"label": mb}),
        ),
        (
            Method::POST,
            format!(
                "/api/v1/couples/{}/stages/before_the_affair/override",
                w.couple
            ),
            json!({"reason": mb}),
        ),
        (
            Method::POST,
            "/api/v1/exercises".into(),
            json!({"title": TITLE, "stage": "admission", "recipient": "both", "instructions": mb,
                   "prompts": [{"key": "letter", "label": TEXT_PROMPT, "kind": "long_text", "required": false}]}),
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{}/sessions", w.couple),
            json!({"starts_at": "2027-01-12T10:00:00Z", "duration_minutes": 50, "location": "office", "location_detail": mb}),
        ),
        (
            Method::PUT,
            format!("/api/v1/sessions/{}/note", w.video),
            json!({"format": "SOAP", "version": 1, "subjective": mb, "objective": "", "assessment": "", "plan": ""}),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{}/note/addenda", w.past),
            json!({"text": mb}),
        ),
    ];
    for (method, path, body) in bodies {
        let r = api
            .client
            .request(method.clone(), api.url(&path))
            .bearer_auth(&api.token)
            .header("connection", "close")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}");
        let p = problem(r).await;
        assert_eq!(p["status"], 413, "{method} {path}: {p}");
    }

    // A search as long as an address can be (HTTP clients stop at 64 kB): the first 120
    // characters are searched for, never a 500.
    let (status, html) = w.c.get_html(&format!("/?q={}", "q".repeat(65_000))).await;
    assert_eq!(status, StatusCode::OK, "a long search");
    assert!(
        html.contains(&format!("value=\"{}\"", "q".repeat(120))),
        "kept, cut to 120"
    );
    assert!(!html.contains(&"q".repeat(121)));

    let after = without_read_traces(snapshot(&app).await);
    assert_same(&before, &after, "a megabyte in a field");

    // The partner's answer form reads long answers itself, so that nothing typed is lost: the
    // page comes back with the reason beside the answer and the other answers kept, and the
    // megabyte is not stored, whole or in part.
    let zoe = partner_browser(&app, w.involved).await;
    let page = format!("/h/r/{}", w.involved_open);
    let (_, html) = zoe.get_html(&page).await;
    let csrf = csrf_from(&html).expect("csrf");
    let r = zoe
        .post_with(
            &page,
            &csrf,
            &[
                ("idempotency_key", hidden(&html, "idempotency_key")),
                ("a.letter", mb.clone()),
                ("a.choice", CHOICE_NO.to_owned()),
                ("a.trust", "3".to_owned()),
                ("action", "save".to_owned()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("the most this answer can hold is 20000"),
        "says why"
    );
    assert!(
        html.contains(&escaped(&mb)),
        "the megabyte is kept on the page"
    );
    assert!(!html.contains(&mb[..64]), "and escaped");
    assert!(
        html.contains("value=\"3\" checked"),
        "the other answers are kept"
    );
    let stored = response::Entity::find_by_id(w.involved_open)
        .one(&app.db)
        .await
        .expect("query")
        .map(|r| kintsugi_core::crypto::records::response(r).expect("opens"))
        .expect("response");
    let answers = stored.answers.unwrap_or_default();
    assert!(
        !answers.contains("<b>x</b>&<b>x</b>"),
        "nothing of the megabyte is stored"
    );
    assert!(
        answers.contains("\"trust\":3"),
        "the valid answers are saved: {answers}"
    );
}
