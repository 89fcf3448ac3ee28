//! Journeys in real Chromium: what a counselor sees and does, with the real stylesheet, the
//! real Content-Security-Policy and real form submissions. Screenshots land in
//! `target/screenshots/` for people to look at.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::Locator;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::homework::Visibility;
use kintsugi_core::practice::Role;
use serde_json::json;

use crate::support::browser::{
    Chrome, DESKTOP, PHONE, assert_fits_width, assert_stylesheet_applies, click_button, count,
    field, fill, heading, path, set_date, sign_in, text, texts, value, wait_for,
};
use crate::support::fixture::{
    Counselor, assign_in_core, builtin_exercise, homework, id_of, local, mint_link, submit_in_core,
    uuid_at,
};
use crate::support::{Backend, PASSWORD, TestApp, couple_json};

const LABEL: &str = "Zoë & Renée";
const INVOLVED_NAME: &str = "Zoë Ñúñez-Łukasiewicz";
const HURT_NAME: &str = "Renée O’Brien";
const FIRST_STAGE: &str = "1 · Admission and remorse";
const DANIEL: &str = "daniel@practice.example";

/// Daniel, a counselor with a token, and the couple he added through the API.
async fn daniel_with_a_couple(app: &TestApp) -> (Counselor, serde_json::Value) {
    let daniel = app.counselor_with_token("Daniel Šimková", DANIEL).await;
    let created = daniel.api.add_couple(&couple_json(LABEL)).await;
    (daniel, created)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counselor_signs_in_and_adds_a_couple() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.counselor("Daniel Šimková", DANIEL, Role::Counselor)
        .await;
    Chrome::run(DESKTOP, |chrome| add_a_couple(app.base.clone(), chrome)).await;
}

async fn add_a_couple(base: String, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    let url = |path: &str| format!("{base}{path}");

    // Sign in by typing, as a person would.
    c.goto(&url("/login")).await.expect("open /login");
    wait_for(c, "#email").await;
    assert_eq!(heading(c).await, "Sign in");
    assert_stylesheet_applies(c).await;
    chrome.screenshot("login").await;
    fill(c, "email", DANIEL).await;
    fill(c, "password", PASSWORD).await;
    click_button(c, "Sign in").await;
    wait_for(c, "form.filters").await;
    assert_eq!(path(c).await, "/");
    assert_eq!(heading(c).await, "Your caseload");
    assert!(text(c, ".empty").await.contains("No couples yet"));

    // Open the couple form from the main navigation.
    c.find(Locator::Css("nav.nav"))
        .await
        .expect("main navigation")
        .find(Locator::LinkText("Add a couple"))
        .await
        .expect("Add a couple link")
        .click()
        .await
        .expect("click Add a couple");
    wait_for(c, "#label").await;
    assert_eq!(path(c).await, "/couples/new");
    assert_eq!(heading(c).await, "Add a couple");
    // The intake date starts as today; a fixed date keeps the test independent of the day.
    assert!(!value(c, "intake_date").await.is_empty());
    set_date(c, "intake_date", "2026-03-02").await;

    // First with a mistyped email: the page says what is wrong and keeps what was typed.
    fill(c, "label", LABEL).await;
    fill(c, "involved-name", INVOLVED_NAME).await;
    fill(c, "involved-email", "zoe.mail.example").await;
    fill(c, "involved-timezone", "Europe/Warsaw").await;
    fill(c, "hurt-name", HURT_NAME).await;
    fill(c, "hurt-email", "renee@mail.example").await;
    fill(c, "hurt-timezone", "America/New_York").await;
    click_button(c, "Add couple").await;
    wait_for(c, "#form-errors").await;
    assert_eq!(path(c).await, "/couples");
    assert!(
        text(c, "#form-errors")
            .await
            .contains("One detail needs your attention")
    );
    assert_eq!(
        text(c, "#involved-email-error").await,
        "Email must be an email address such as name@example.org."
    );
    let email = field(c, "involved-email").await;
    assert_eq!(
        email.attr("aria-invalid").await.expect("attr").as_deref(),
        Some("true")
    );
    assert_eq!(
        email
            .attr("aria-describedby")
            .await
            .expect("attr")
            .as_deref(),
        Some("involved-email-error")
    );
    for (id, typed) in [
        ("label", LABEL),
        ("intake_date", "2026-03-02"),
        ("involved-name", INVOLVED_NAME),
        ("involved-email", "zoe.mail.example"),
        ("involved-timezone", "Europe/Warsaw"),
        ("hurt-name", HURT_NAME),
        ("hurt-email", "renee@mail.example"),
        ("hurt-timezone", "America/New_York"),
    ] {
        assert_eq!(value(c, id).await, typed, "the form kept #{id}");
    }
    // Only the one field is marked.
    assert_eq!(count(c, ".field.has-error").await, 1);
    // Show the marked field with its message (the summary at the top stays in view).
    c.execute(
        "document.getElementById('involved-email-error').scrollIntoView({block: 'end'})",
        vec![],
    )
    .await
    .expect("scroll");
    chrome.screenshot("couple-form-errors").await;

    // Correct the email and save.
    fill(c, "involved-email", "zoe@mail.example").await;
    click_button(c, "Add couple").await;
    wait_for(c, "#stages-heading").await;
    let couple_path = path(c).await;
    assert!(
        couple_path.starts_with("/couples/") && couple_path.len() > "/couples/".len(),
        "landed on {couple_path}"
    );
    assert_eq!(heading(c).await, LABEL);
    assert_eq!(
        c.title().await.expect("title"),
        format!("{LABEL} · Kintsugi")
    );
    let partners = texts(c, ".card-title").await;
    assert_eq!(partners, [INVOLVED_NAME, HURT_NAME]);
    let cards = text(c, ".cards").await;
    for shown in [
        "zoe@mail.example",
        "Europe/Warsaw",
        "renee@mail.example",
        "America/New_York",
    ] {
        assert!(cards.contains(shown), "the couple page shows {shown}");
    }
    assert!(
        text(c, ".page-head")
            .await
            .contains("in care since 2 Mar 2026")
    );
    assert_eq!(text(c, ".page-head .status").await, "Active");
    // The six stages, the first one current.
    let current = text(c, "[aria-current='step']").await;
    assert!(current.contains("Admission and remorse"), "{current}");
    assert_eq!(
        count(c, "section[aria-labelledby='stages-heading'] > ol > li").await,
        6
    );
    chrome.screenshot("couple-page").await;

    // Back to the caseload: the couple is listed with its first stage.
    c.find(Locator::Css("nav.nav"))
        .await
        .expect("main navigation")
        .find(Locator::LinkText("Caseload"))
        .await
        .expect("Caseload link")
        .click()
        .await
        .expect("click Caseload");
    wait_for(c, "table.caseload").await;
    assert_eq!(path(c).await, "/");
    assert_eq!(text(c, "#caseload-count").await, "1 couple");
    let rows = c
        .find_all(Locator::Css("table.caseload tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let link = row.find(Locator::Css("a")).await.expect("couple link");
    assert_eq!(link.text().await.expect("text"), LABEL);
    assert_eq!(
        link.attr("href").await.expect("href").as_deref(),
        Some(couple_path.as_str())
    );
    let badge = row.find(Locator::Css(".stage-badge")).await.expect("badge");
    assert_eq!(badge.text().await.expect("text"), FIRST_STAGE);
    let status = row.find(Locator::Css(".status")).await.expect("status");
    assert_eq!(status.text().await.expect("text"), "Active");
    assert!(row.text().await.expect("text").contains("2 Mar 2026"));
    assert_fits_width(c, "dashboard").await;
    chrome.screenshot("dashboard").await;

    // On a phone: the same pages, without sideways scrolling.
    c.set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone size");
    c.refresh().await.expect("reload");
    wait_for(c, "table.caseload").await;
    let width = c
        .execute("return window.innerWidth", vec![])
        .await
        .expect("width");
    assert!(
        width.as_u64().is_some_and(|w| w <= u64::from(PHONE.0)),
        "phone viewport is {width}"
    );
    assert_fits_width(c, "dashboard on a phone").await;
    assert!(
        c.find(Locator::LinkText(LABEL))
            .await
            .expect("couple link")
            .is_displayed()
            .await
            .expect("displayed")
    );
    assert!(
        c.find(Locator::Css("table.caseload .stage-badge"))
            .await
            .expect("badge")
            .is_displayed()
            .await
            .expect("displayed")
    );
    chrome.screenshot("dashboard-phone").await;
    for (page, ready) in [
        (couple_path.as_str(), "#stages-heading"),
        ("/couples/new", "#label"),
    ] {
        c.goto(&url(page)).await.expect("open page");
        wait_for(c, ready).await;
        assert_fits_width(c, page).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counselor_rates_markers_and_completes_a_stage() {
    on_daniels_couple(rate_and_complete).await;
}

/// Run `journey` in desktop Chromium with the base URL and the path of Daniel's couple.
async fn on_daniels_couple<F, Fut>(journey: F)
where
    F: FnOnce(String, String, Arc<Chrome>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, created) = daniel_with_a_couple(&app).await;
    let couple_path = format!("/couples/{}", id_of(&created));
    Chrome::run(DESKTOP, |chrome| {
        journey(app.base.clone(), couple_path, chrome)
    })
    .await;
}

async fn rate_and_complete(base: String, couple_path: String, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    sign_in(c, &base, DANIEL).await;

    c.goto(&format!("{base}{couple_path}"))
        .await
        .expect("open couple page");
    wait_for(c, "#stage-admission details[open]").await;
    // Too early: the page says which markers are missing, in words.
    click_button(c, "Confirm stage 1 complete").await;
    wait_for(c, "#stage-alert").await;
    assert!(
        text(c, "#stage-alert")
            .await
            .contains("4 markers are not yet consistent")
    );

    // Rate every marker of stage 1 consistent and save.
    for select in c
        .find_all(Locator::Css("#stage-admission select"))
        .await
        .expect("selects")
    {
        select
            .select_by_value("consistent")
            .await
            .expect("choose consistent");
    }
    c.find(Locator::Css("#stage-admission .markers-form button"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    wait_for(c, ".notice").await;
    assert_eq!(text(c, ".notice").await, "Marker ratings saved.");
    assert_eq!(count(c, "#stage-admission tr.rating-consistent").await, 4);

    click_button(c, "Confirm stage 1 complete").await;
    wait_for(c, ".notice").await;
    assert_eq!(text(c, ".notice").await, "Stage confirmed complete.");
    let current = text(c, ".tracker .panel-head").await;
    assert!(current.contains("2 · Validating the pain"), "{current}");
    assert!(
        text(c, "#stage-admission .stage-state")
            .await
            .starts_with("Complete")
    );
    assert!(
        count(c, "#stage-validation details[open]").await == 0
            || count(c, "#stage-admission details[open]").await == 1
    );
    chrome.screenshot("stage-tracker").await;
    c.find(Locator::Css(".timeline-figure"))
        .await
        .expect("timeline")
        .click()
        .await
        .ok();
    c.execute(
        "document.querySelector('.timeline-figure').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scroll");
    chrome.screenshot("stage-timeline").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_does_homework_on_a_phone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (counselor, created) = daniel_with_a_couple(&app).await;
    let exercise = builtin_exercise(&app, counselor.id, "feelings_checkin").await;
    let new = homework(
        exercise.id,
        &[PartnerRole::Hurt],
        local("2030-03-01 19:00"),
        "Europe/Berlin",
        Visibility::Shareable,
    );
    assign_in_core(&app, counselor.id, uuid_at(&created, "/id"), new).await;
    let secret = mint_link(&app, uuid_at(&created, "/partners/1/id")).await;
    let link = app.url(&format!("/h/{secret}"));
    Chrome::run(PHONE, |chrome| do_homework(link, chrome)).await;
}

async fn do_homework(link: String, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    c.goto(&link).await.expect("open the link");
    wait_for(c, ".homework-list").await;
    assert!(path(c).await == "/h", "the secret left the address bar");
    assert!(text(c, "main").await.contains("Hello, Renée O’Brien"));
    assert_fits_width(c, "homework list").await;
    chrome.screenshot("homework-phone").await;
    c.find(Locator::Css(".homework-item a"))
        .await
        .expect("item")
        .click()
        .await
        .expect("open");
    wait_for(c, "form.answer-form").await;
    assert_fits_width(c, "answer form").await;
    // Tap scale points, as a thumb would.
    for (key, value) in [("hurt", "6"), ("betrayal", "7"), ("sadness", "5")] {
        c.find(Locator::Css(&format!(
            "#prompt-{key} input[value='{value}'] + span"
        )))
        .await
        .expect("point")
        .click()
        .await
        .expect("tap");
    }
    // The draft saves by itself a moment later.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//p[@id='autosave-status'][contains(., 'Draft saved')]",
        ))
        .await
        .expect("autosaved");
    chrome.screenshot("homework-answer-phone").await;
    // Submit with one answer missing: the form says so and keeps the others.
    click_button(c, "Submit").await;
    wait_for(c, "p.alert").await;
    assert!(
        text(c, "#prompt-anger")
            .await
            .contains("needs an answer before you submit")
    );
    assert_eq!(
        count(c, "#prompt-hurt input[value='6']:checked").await,
        1,
        "kept"
    );
    c.find(Locator::Css("#prompt-anger input[value='4'] + span"))
        .await
        .expect("point")
        .click()
        .await
        .expect("tap");
    c.find(Locator::Id("share"))
        .await
        .expect("share")
        .click()
        .await
        .expect("tick");
    click_button(c, "Submit").await;
    wait_for(c, ".notice").await;
    assert!(text(c, ".notice").await.starts_with("Submitted."));
    assert!(
        text(c, "main")
            .await
            .contains("You chose to share this with your partner.")
    );
    chrome.screenshot("homework-submitted-phone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counselor_assigns_from_the_library_reviews_and_sees_the_charts() {
    use kintsugi_core::homework::assignments;
    use kintsugi_core::homework::prompts::RawAnswer;

    let app = TestApp::spawn(Backend::Sqlite).await;
    let (counselor, created) = daniel_with_a_couple(&app).await;
    let couple_id = uuid_at(&created, "/id");
    let record = kintsugi_core::couples::store::get(&app.db, counselor.id, couple_id)
        .await
        .expect("couple");
    // Two weeks of connection check-ins from both partners, so there is something to chart.
    let checkin = builtin_exercise(&app, counselor.id, "connection_checkin").await;
    for (week, (mine, theirs)) in [(7, 3), (8, 3)].into_iter().enumerate() {
        let due = local(&format!("2030-01-{:02} 19:00", 1 + 7 * week));
        let new = homework(
            checkin.id,
            &PartnerRole::BOTH,
            due,
            "Europe/Berlin",
            Visibility::Shareable,
        );
        let a = assign_in_core(&app, counselor.id, couple_id, new).await;
        let detail = assignments::get(&app.db, counselor.id, a)
            .await
            .expect("detail");
        for (role, response) in &detail.responses {
            let trust = if *role == PartnerRole::Involved {
                mine
            } else {
                theirs
            };
            let raw: Vec<(String, RawAnswer)> =
                ["trust", "closeness", "communication", "cared_for"]
                    .iter()
                    .map(|k| (k.to_string(), RawAnswer::text(trust.to_string())))
                    .collect();
            submit_in_core(&app, record.partner(*role), response.id, &raw, false).await;
        }
    }
    let couple_path = format!("/couples/{couple_id}");
    Chrome::run(DESKTOP, |chrome| {
        assign_and_review(app.base.clone(), couple_path, chrome)
    })
    .await;
}

async fn assign_and_review(base: String, couple_path: String, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    sign_in(c, &base, DANIEL).await;
    // The library, and a preview as the client will see it.
    c.goto(&format!("{base}/library")).await.expect("library");
    wait_for(c, "main").await;
    assert!(text(c, "main").await.contains("A letter of accountability"));
    chrome.screenshot("library").await;
    c.find(Locator::LinkText("A letter of accountability"))
        .await
        .expect("exercise")
        .click()
        .await
        .expect("open");
    wait_for(c, "main").await;
    assert!(
        count(c, "main textarea[disabled], main input[disabled]").await > 0,
        "a preview, not a form"
    );
    // Assign it from the couple page.
    c.goto(&format!("{base}{couple_path}"))
        .await
        .expect("couple page");
    wait_for(c, "#assign-exercise").await;
    let select = c
        .find(Locator::Id("assign-exercise"))
        .await
        .expect("select");
    select
        .select_by_label("A letter of accountability")
        .await
        .ok();
    if value(c, "assign-exercise").await.is_empty() {
        let options = c.find_all(Locator::XPath("//select[@id='assign-exercise']//option[contains(., 'A letter of accountability')]")).await.expect("option");
        options[0].click().await.expect("choose");
    }
    set_date(c, "assign-due-date", "2027-05-01").await;
    c.execute(
        "document.getElementById('assign-due-time').value = '19:00'",
        vec![],
    )
    .await
    .expect("time");
    click_button(c, "Assign").await;
    wait_for(c, "#homework").await;
    let errors = texts(c, ".assign-form .error").await;
    assert!(errors.is_empty(), "the assign form refused: {errors:?}");
    assert!(
        count(c, "a.assignment-title").await >= 3,
        "assigned and listed"
    );
    assert!(
        texts(c, "a.assignment-title")
            .await
            .iter()
            .any(|t| t.contains("A letter of accountability"))
    );
    // The charts show both partners and flag the trust gap.
    assert!(
        count(c, ".chart-figure svg").await >= 4,
        "one chart per 0-10 prompt"
    );
    assert!(
        count(c, ".chart-figure.is-flagged").await >= 1,
        "trust diverges by 4 or more"
    );
    chrome.screenshot("couple-homework").await;
    // Review a submitted check-in with a note.
    let link = c
        .find(Locator::Css("a.assignment-title[href^='/assignments/']"))
        .await
        .expect("assignment");
    let href = link.attr("href").await.expect("href").expect("href");
    let checkin_links = c
        .find_all(Locator::XPath(
            "//a[contains(@class,'assignment-title')][contains(., 'Connection check-in')]",
        ))
        .await
        .expect("links");
    let target = match checkin_links.first() {
        Some(l) => l.attr("href").await.expect("href").expect("href"),
        None => href,
    };
    c.goto(&format!("{base}{target}"))
        .await
        .expect("review page");
    wait_for(c, ".review-form textarea").await;
    c.find(Locator::Css(".review-form textarea"))
        .await
        .expect("comment")
        .send_keys("Thank you both. Let's talk about the gap in trust.")
        .await
        .expect("type");
    c.find(Locator::Css(".review-form button"))
        .await
        .expect("review")
        .click()
        .await
        .expect("click");
    wait_for(c, "main").await;
    assert!(
        text(c, "main")
            .await
            .contains("Let's talk about the gap in trust."),
        "the note is kept"
    );
    chrome.screenshot("review").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counselor_holds_a_session_and_signs_the_note() {
    on_daniels_couple(hold_a_session).await;
}

async fn hold_a_session(base: String, couple_path: String, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    let url = |path: &str| format!("{base}{path}");
    sign_in(c, &base, DANIEL).await;

    // Schedule from the couple page: a session that began earlier today.
    c.goto(&url(&couple_path)).await.expect("couple page");
    wait_for(c, "#sessions").await;
    c.find(Locator::LinkText("Schedule a session"))
        .await
        .expect("schedule link")
        .click()
        .await
        .expect("click");
    wait_for(c, "#duration_minutes").await;
    assert_eq!(heading(c).await, "Schedule a session");
    let today: String = c
        .execute("return document.getElementById('date').value", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(!today.is_empty(), "the date starts filled in");
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let today = chrono::Utc::now()
        .with_timezone(&berlin)
        .date_naive()
        .to_string();
    set_date(c, "date", &today).await;
    set_date(c, "time", "00:05").await;
    fill(c, "duration_minutes", "60").await;
    fill(c, "location_detail", "Room 3").await;
    click_button(c, "Schedule").await;
    wait_for(c, "#session-state").await;
    assert!(heading(c).await.starts_with("Session ·"));
    assert!(text(c, ".notice").await.contains("Session scheduled"));
    click_button(c, "Attended").await;
    wait_for(c, ".notice").await;
    assert_eq!(text(c, "#session-state").await, "Attended");

    // Write the note; the draft saves by itself.
    field(c, "note-data")
        .await
        .send_keys(
            "Both arrived together. Zoë described the week in her own words; Renée listened.",
        )
        .await
        .expect("type");
    field(c, "note-assessment")
        .await
        .send_keys("Less defensiveness than last week.")
        .await
        .expect("type");
    field(c, "note-plan")
        .await
        .send_keys("Nightly check-in; next session in a week.")
        .await
        .expect("type");
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(
            "//p[@id='autosave-status' and normalize-space()='Draft saved.']",
        ))
        .await
        .expect("the draft autosaves");
    chrome.screenshot("session-note-draft").await;

    // Sign with the password: the note locks and shows its hash.
    fill(c, "sign-password", PASSWORD).await;
    click_button(c, "Sign and lock the note").await;
    wait_for(c, "#signature").await;
    assert!(text(c, ".notice").await.contains("signed and locked"));
    assert_eq!(text(c, "#content-hash").await.len(), 64);
    assert!(text(c, "#note").await.contains("Zoë described the week"));
    assert_eq!(
        count(c, "textarea[name=data]").await,
        0,
        "no editor after signing"
    );

    // An addendum is appended below, dated and signed.
    fill(
        c,
        "addendum-text",
        "Renée phoned the next day: the check-in went well.",
    )
    .await;
    click_button(c, "Add addendum").await;
    wait_for(c, ".addendum").await;
    assert!(
        text(c, ".addendum")
            .await
            .contains("Renée phoned the next day")
    );
    c.execute("document.getElementById('note').scrollIntoView()", vec![])
        .await
        .expect("scroll");
    chrome.screenshot("session-note-signed").await;

    // The PDF link answers with a PDF.
    let pdf = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('note-pdf').href)
               .then(r => done(r.status + ' ' + r.headers.get('content-type')))
               .catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("fetch pdf");
    assert_eq!(pdf, json!("200 application/pdf"));

    // The dashboard lists today's session; the couple page lists it with its signed note.
    c.goto(&url("/")).await.expect("dashboard");
    wait_for(c, "#today").await;
    assert!(text(c, "#today").await.contains(LABEL));
    chrome.screenshot("dashboard-today").await;
    c.goto(&url(&couple_path)).await.expect("couple page");
    wait_for(c, "#sessions").await;
    assert!(text(c, "#sessions").await.contains("Note signed"));
    c.execute(
        "document.getElementById('sessions').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scroll");
    chrome.screenshot("couple-sessions").await;
}
