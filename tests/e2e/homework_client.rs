//! The client pages behind a homework link: the link exchange, headers, kind pages, drafts,
//! submitting once, sharing, PINs, and that a partner never sees anything not theirs.

use chrono::Duration;
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::entities::response;
use kintsugi_core::homework::links;
use kintsugi_core::homework::prompts::RawAnswer;
use kintsugi_core::homework::responses;
use kintsugi_core::homework::{ResponseStatus, Visibility};
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db_tests;
use crate::support::cli;
use crate::support::fixture::{
    assign_in_core, builtin_exercise, busy_practice, homework, local, partner_browser, uuid_at,
};
use crate::support::http;
use crate::support::{Browser, TestApp, couple_json};

db_tests!(
    a_link_becomes_a_session_and_leaves_the_address_bar,
    closed_links_all_get_the_same_kind_page,
    drafts_keep_every_valid_answer_and_show_what_to_fix,
    submit_works_once_and_sharing_is_the_clients_choice,
    a_partner_never_sees_what_is_not_theirs,
    a_pin_is_set_then_asked_and_wrong_pins_pause_the_link,
    many_partners_submit_at_once_and_nothing_is_lost,
    guessing_links_is_throttled_for_that_address,
    the_partner_page_lists_the_latest_done_and_links_to_the_rest,
);

struct Fixture {
    counselor: Uuid,
    couple: Uuid,
    involved: Uuid,
    hurt: Uuid,
}

async fn fixture(app: &TestApp, email: &str) -> Fixture {
    let c = app.counselor_with_token("Counselor", email).await;
    let created = c.api.add_couple(&couple_json("Zoë & Renée")).await;
    Fixture {
        counselor: c.id,
        couple: uuid_at(&created, "/id"),
        involved: uuid_at(&created, "/partners/0/id"),
        hurt: uuid_at(&created, "/partners/1/id"),
    }
}

/// The built-in exercise `key`, assigned to the hurt partner, due 1 March 2030 at 19:00.
async fn assign(app: &TestApp, f: &Fixture, key: &str, visibility: Visibility) -> Uuid {
    assign_on(app, f, key, visibility, 1).await
}

/// [`assign`], due at 19:00 on the given day of March 2030.
async fn assign_on(
    app: &TestApp,
    f: &Fixture,
    key: &str,
    visibility: Visibility,
    day: u32,
) -> Uuid {
    let exercise_id = builtin_exercise(app, f.counselor, key).await.id;
    let due = local(&format!("2030-03-{day:02} 19:00"));
    let new = homework(
        exercise_id,
        &[PartnerRole::Hurt],
        due,
        "Europe/Berlin",
        visibility,
    );
    assign_in_core(app, f.counselor, f.couple, new).await
}

/// The stored response, its sealed answers opened with the data key.
async fn response_of(app: &TestApp, assignment: Uuid, partner: Uuid) -> response::Model {
    let stored = response::Entity::find()
        .filter(response::Column::AssignmentId.eq(assignment))
        .filter(response::Column::PartnerId.eq(partner))
        .one(&app.db)
        .await
        .expect("query")
        .expect("response");
    kintsugi_core::crypto::records::response(stored).expect("opens")
}

async fn a_link_becomes_a_session_and_leaves_the_address_bar(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    assign(&app, &f, "feelings_journal", Visibility::Shareable).await;
    let secret = links::mint(&app.db, app.clock.as_ref(), f.hurt, Duration::days(90))
        .await
        .expect("mint");
    let path = format!("/h/{}", secret.expose());
    // A mail scanner's HEAD changes nothing and sets no cookie.
    let head = reqwest::Client::new()
        .head(app.url(&path))
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().get("set-cookie").is_none());
    let b = Browser::new(&app);
    let r = b.get(&path).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/h",
        "the secret leaves the address bar"
    );
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains(secret.expose()),
        "the cookie is not the link secret"
    );
    let home = b.get("/h").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["referrer-policy"], "no-referrer");
    assert_eq!(home.headers()["cache-control"], "no-store");
    let html = home.text().await.expect("html");
    assert!(
        html.contains("Hello, Renée O’Brien") && html.contains("Feelings journal"),
        "{html}"
    );
    assert!(
        html.contains("Fri 1 Mar, 13:00"),
        "19:00 in Berlin, shown in the partner's zone (New York): {html}"
    );
    // Without the cookie, /h asks to open the link again.
    let stranger = Browser::new(&app);
    let r = stranger.get("/h").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("Please open your link again")
    );
}

async fn closed_links_all_get_the_same_kind_page(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    let revoked = links::mint(&app.db, app.clock.as_ref(), f.hurt, Duration::days(90))
        .await
        .expect("mint");
    links::revoke_all(&app.db, app.clock.as_ref(), f.hurt)
        .await
        .expect("revoke");
    let expired = links::mint(&app.db, app.clock.as_ref(), f.hurt, Duration::seconds(-1))
        .await
        .expect("mint");
    let unknown = "A".repeat(43);
    let mut bodies = Vec::new();
    for path in [
        format!("/h/{}", revoked.expose()),
        format!("/h/{}", expired.expose()),
        format!("/h/{unknown}"),
        "/h/short".to_owned(),
        "/h/%3Cscript%3E".to_owned(),
    ] {
        let r = Browser::new(&app).get(&path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert!(r.headers().get("set-cookie").is_none(), "{path}");
        let html = r.text().await.expect("html");
        assert!(
            html.contains("This link is no longer open") && html.contains("ask your counselor"),
            "{path}"
        );
        bodies.push(html);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "no hint whether a link existed"
    );
}

async fn drafts_keep_every_valid_answer_and_show_what_to_fix(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    let a = assign(&app, &f, "feelings_checkin", Visibility::CounselorOnly).await;
    let r = response_of(&app, a, f.hurt).await;
    let b = partner_browser(&app, f.hurt).await;
    let page = format!("/h/r/{}", r.id);
    let hostile = "<script>alert('x')</script> and <img src=x onerror=alert(1)>";
    let long = "x".repeat(1_000_000);
    let fields = vec![
        ("action", "save".to_owned()),
        ("a.hurt", "7".to_owned()),
        ("a.betrayal", "11".to_owned()),
        ("a.sadness", "-1".to_owned()),
        ("a.anger", "very".to_owned()),
        ("a.notes", hostile.to_owned()),
    ];
    let resp = b.submit(&page, &page, &fields).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(html.contains("3 answers need a second look"), "{html}");
    assert!(
        html.contains("must be a whole number from 0 to 10")
            && html.contains("must be a number from 0 to 10")
    );
    assert!(html.contains("value=\"7\" checked"), "valid answer shown");
    assert!(!html.contains("<script>alert"), "hostile text escaped");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "and kept as typed"
    );
    // The valid answers were saved as a draft.
    let stored = response_of(&app, a, f.hurt).await;
    assert_eq!(stored.status, ResponseStatus::Draft);
    let answers = stored.answers.expect("answers");
    assert!(
        answers.contains("\"hurt\":7") && answers.contains("<script>"),
        "{answers}"
    );
    assert!(!answers.contains("betrayal"));
    // A 1 MB answer is refused on the form, not by a crash, and nothing else is lost.
    let resp = b
        .submit(
            &page,
            &page,
            &[
                ("action", "save".into()),
                ("a.hurt", "6".into()),
                ("a.notes", long),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(html.contains("characters long; the most this answer can hold is 20000"));
    assert!(html.contains("value=\"6\" checked"));
    // Submitting with a required answer missing is refused with the reason.
    let resp = b
        .submit(
            &page,
            &page,
            &[("action", "submit".into()), ("a.hurt", "6".into())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("needs an answer before you submit")
    );
    // The autosave endpoint stores drafts too.
    let csrf = b.csrf(&page).await;
    let r = b
        .post_with(
            &format!("{page}/autosave"),
            &csrf,
            &[("a.hurt", "5".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        response_of(&app, a, f.hurt)
            .await
            .answers
            .expect("answers")
            .contains("\"hurt\":5")
    );
}

async fn submit_works_once_and_sharing_is_the_clients_choice(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    let a = assign(&app, &f, "feelings_checkin", Visibility::Shareable).await;
    let r = response_of(&app, a, f.hurt).await;
    let b = partner_browser(&app, f.hurt).await;
    let page = format!("/h/r/{}", r.id);
    let html = b.get_html(&page).await.1;
    assert!(
        html.contains("Let my partner read this")
            && !html.contains("name=\"share\" type=\"checkbox\" checked"),
        "sharing is off by default"
    );
    let answers = |share: bool| {
        let mut v = vec![
            ("action", "submit".to_owned()),
            ("a.hurt", "8".to_owned()),
            ("a.betrayal", "9".to_owned()),
            ("a.sadness", "7".to_owned()),
            ("a.anger", "6".to_owned()),
            ("idempotency_key", "key-one".to_owned()),
        ];
        if share {
            v.push(("share", "on".to_owned()));
        }
        v
    };
    let resp = b.submit(&page, &page, &answers(true)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let stored = response_of(&app, a, f.hurt).await;
    assert_eq!(stored.status, ResponseStatus::Submitted);
    assert!(stored.shared_with_partner);
    // The same submit again (same key) is a calm no-op; a different one changes nothing.
    let again = b
        .post_with(&page, &b.csrf("/h").await, &answers(false))
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(
        response_of(&app, a, f.hurt).await.shared_with_partner,
        "unchanged"
    );
    let (_, view) = b.get_html(&page).await;
    assert!(view.contains("Your answers") && view.contains("You chose to share this"));
    // The other partner sees it, read-only.
    let other = partner_browser(&app, f.involved).await;
    let (_, home) = other.get_html("/h").await;
    assert!(home.contains("Shared with you by your partner") && home.contains(&r.id.to_string()));
    let (status, shared) = other.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shared.contains("Shared with you by your partner") && shared.contains("disabled"));
    // Posting to it is refused as not theirs.
    let csrf = other.csrf("/h").await;
    let r = other
        .post_with(
            &page,
            &csrf,
            &[("action", "submit".into()), ("a.hurt", "0".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn a_partner_never_sees_what_is_not_theirs(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    let g = fixture(&app, "b@practice.example").await;
    let secret_words = "only-for-the-counselor";
    // The hurt partner's counselor-only, unshared-shareable and draft responses.
    let only = assign(&app, &f, "feelings_journal", Visibility::CounselorOnly).await;
    let unshared = assign(&app, &f, "caring_letter", Visibility::Shareable).await;
    let draft = assign(&app, &f, "trigger_log", Visibility::Shareable).await;
    let hurt = partner_browser(&app, f.hurt).await;
    for (a, share) in [(only, true), (unshared, false)] {
        let r = response_of(&app, a, f.hurt).await;
        let h = kintsugi_core::homework::responses::get_for_partner(
            &app.db,
            &partner(&app, f.hurt).await,
            r.id,
            true,
        )
        .await
        .expect("own");
        let raw: Vec<(String, kintsugi_core::homework::prompts::RawAnswer)> = h
            .exercise
            .prompts
            .iter()
            .map(|p| {
                (
                    p.key.clone(),
                    kintsugi_core::homework::prompts::RawAnswer::text(answer_for(p, secret_words)),
                )
            })
            .collect();
        let saved = kintsugi_core::homework::responses::submit(
            &app.db,
            app.clock.as_ref(),
            &partner(&app, f.hurt).await,
            r.id,
            &raw,
            share,
            None,
        )
        .await
        .expect("submit");
        assert_eq!(
            saved,
            kintsugi_core::homework::responses::Saved::Done,
            "{h:?}"
        );
    }
    let d = response_of(&app, draft, f.hurt).await;
    let csrf = hurt.csrf("/h").await;
    hurt.post_with(
        &format!("/h/r/{}", d.id),
        &csrf,
        &[("action", "save".into()), ("a.what", secret_words.into())],
    )
    .await;
    // The involved partner, another couple's partner, and a stranger see none of it.
    let involved = partner_browser(&app, f.involved).await;
    let other_couple = partner_browser(&app, g.hurt).await;
    for a in [only, unshared, draft] {
        let r = response_of(&app, a, f.hurt).await;
        for (who, b) in [
            ("the other partner", &involved),
            ("another couple", &other_couple),
        ] {
            let (status, html) = b.get_html(&format!("/h/r/{}", r.id)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
            assert!(!html.contains(secret_words), "{who} saw it");
            let csrf = b.csrf("/h").await;
            let resp = b
                .post_with(
                    &format!("/h/r/{}", r.id),
                    &csrf,
                    &[("action", "save".into())],
                )
                .await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{who}");
            let resp = b
                .post_with(&format!("/h/r/{}/autosave", r.id), &csrf, &[])
                .await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{who}");
        }
        let (_, home) = involved.get_html("/h").await;
        assert!(!home.contains(&r.id.to_string()) && !home.contains(secret_words));
    }
    for bogus in [
        "not-a-uuid",
        &Uuid::new_v4().to_string(),
        "00000000-0000-0000-0000-000000000000",
    ] {
        let (status, _) = involved.get_html(&format!("/h/r/{bogus}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // The partner session is no counselor session, and the reverse.
    assert_eq!(involved.get("/").await.status(), StatusCode::SEE_OTHER);
    let (_, counselor) = app.signed_in_counselor("C", "c@practice.example").await;
    assert_eq!(counselor.get("/h").await.status(), StatusCode::UNAUTHORIZED);
}

async fn partner(app: &TestApp, id: Uuid) -> kintsugi_core::entities::partner::Model {
    kintsugi_core::entities::partner::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("partner")
}

/// A valid answer of any kind, carrying `words` where text is allowed.
fn answer_for(p: &kintsugi_core::homework::prompts::Prompt, words: &str) -> String {
    use kintsugi_core::homework::prompts::PromptKind::*;
    match &p.kind {
        LongText | ShortText => words.to_owned(),
        Scale { .. } => "5".to_owned(),
        SingleChoice { options } | Checklist { options } => options[0].clone(),
    }
}

async fn a_pin_is_set_then_asked_and_wrong_pins_pause_the_link(app: TestApp) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let f = fixture(&app, "a@practice.example").await;
    let mut p = partner(&app, f.hurt).await.into_active_model();
    p.pin_required = Set(true);
    p.update(&app.db).await.expect("require pin");
    let b = partner_browser(&app, f.hurt).await;
    let r = b.get("/h").await;
    assert_eq!(r.headers()["location"], "/h/pin", "nothing before the PIN");
    let (_, html) = b.get_html("/h/pin").await;
    assert!(html.contains("Choose a PIN"));
    let r = b
        .submit(
            "/h/pin",
            "/h/pin",
            &[("pin", "12".into()), ("again", "12".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .submit(
            "/h/pin",
            "/h/pin",
            &[("pin", "2468".into()), ("again", "2468".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/h").await.status(), StatusCode::OK);
    // A new device (a new visit of the link) asks for the PIN; five wrong tries pause the link.
    let second = partner_browser(&app, f.hurt).await;
    let (_, html) = second.get_html("/h/pin").await;
    assert!(html.contains("Enter your PIN"));
    for left in [4, 3, 2, 1] {
        let r = second
            .submit("/h/pin", "/h/pin", &[("pin", "0000".into())])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let words = if left == 1 {
            "1 more try".to_owned()
        } else {
            format!("{left} more tries")
        };
        assert!(r.text().await.expect("html").contains(&words));
    }
    let r = second
        .submit("/h/pin", "/h/pin", &[("pin", "0000".into())])
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.expect("html").contains("resting"));
    // While paused even the right PIN waits, and opening the link shows the pause.
    let r = second
        .submit("/h/pin", "/h/pin", &[("pin", "2468".into())])
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let secret = links::mint(&app.db, app.clock.as_ref(), f.hurt, Duration::days(1))
        .await
        .expect("mint");
    let r = Browser::new(&app)
        .get(&format!("/h/{}", secret.expose()))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let stored = partner(&app, f.hurt).await;
    assert!(
        stored.pin_paused_until.is_some(),
        "the counselor can see the pause"
    );
    assert!(
        !stored.pin_hash.expect("hash").contains("2468"),
        "only a hash is stored"
    );
}

async fn many_partners_submit_at_once_and_nothing_is_lost(app: TestApp) {
    // 50 couples, both partners: 100 partners submitting at the same moment.
    let work = busy_practice(&app, 50).await;
    let mut browsers = Vec::new();
    for (pid, rid) in &work {
        let b = partner_browser(&app, *pid).await;
        let csrf = b.csrf("/h").await;
        browsers.push((b, csrf, *rid));
    }
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|(b, csrf, rid)| {
            tokio::spawn(async move {
                let fields = [
                    ("action", "submit".to_owned()),
                    ("a.hurt", "3".to_owned()),
                    ("a.betrayal", "4".to_owned()),
                    ("a.sadness", "5".to_owned()),
                    ("a.anger", "6".to_owned()),
                ];
                b.post_with(&format!("/h/r/{rid}"), &csrf, &fields)
                    .await
                    .status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::SEE_OTHER);
    }
    for (pid, rid) in &work {
        let r = response::Entity::find_by_id(*rid)
            .one(&app.db)
            .await
            .expect("query")
            .expect("row");
        assert_eq!(r.partner_id, *pid);
        assert_eq!(r.status, ResponseStatus::Submitted, "stored");
        let r = kintsugi_core::crypto::records::response(r).expect("opens");
        assert!(r.answers.expect("answers").contains("\"anger\":6"));
    }
}

/// The running binary's logs never contain a link secret, whatever path it arrives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_secrets_never_reach_the_logs() {
    use kintsugi_migrations::MigratorTrait;
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/k.db?mode=rwc", dir.path().display());
    let db = kintsugi_core::db::connect(&url).await.expect("connect");
    kintsugi_migrations::Migrator::up(&db, None)
        .await
        .expect("migrate");
    let clock = kintsugi_core::SystemClock;
    let c = kintsugi_core::practice::counselors::create(
        &db,
        &clock,
        &kintsugi_core::audit::Actor::system(),
        kintsugi_core::practice::counselors::NewCounselor {
            name: kintsugi_core::domain::DisplayName::parse("C").expect("name"),
            email: kintsugi_core::domain::EmailAddress::parse("c@practice.example").expect("email"),
            password: kintsugi_core::domain::Password::parse(crate::support::PASSWORD).expect("pw"),
            role: Role::Counselor,
            timezone: kintsugi_core::domain::TimeZone::parse("UTC").expect("tz"),
        },
    )
    .await
    .expect("counselor");
    let input = kintsugi_core::couples::CoupleInput {
        label: "A & B".into(),
        intake_date: "2026-01-01".into(),
        involved: kintsugi_core::couples::PartnerInput {
            name: "A".into(),
            email: "a@mail.example".into(),
            timezone: "UTC".into(),
        },
        hurt: kintsugi_core::couples::PartnerInput {
            name: "B".into(),
            email: "b@mail.example".into(),
            timezone: "UTC".into(),
        },
        ..Default::default()
    };
    let couple = kintsugi_core::couples::store::create(
        &db,
        &clock,
        &Actor::system(),
        c.id,
        input.parse().expect("valid"),
    )
    .await
    .expect("couple");
    let live = links::mint(&db, &clock, couple.hurt.id, Duration::days(1))
        .await
        .expect("mint");
    let dead = links::mint(&db, &clock, couple.hurt.id, Duration::days(1))
        .await
        .expect("mint");
    db.close().await.ok();

    let mut child = cli::kintsugi(dir.path(), &url)
        .arg("serve")
        .env("KINTSUGI_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    let base = loop {
        let line = out
            .next_line()
            .await
            .expect("read")
            .expect("serve printed its address");
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split("listening on ").nth(1) {
            break format!("http://{}", rest.split(')').next().expect("addr"));
        }
    };
    let client = http::client(false);
    for path in [
        format!("/h/{}", live.expose()),
        format!("/h/{}", dead.expose()),
        format!("/h/{}/extra?q={}", live.expose(), live.expose()),
        format!("/h/{}x", dead.expose()),
    ] {
        client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
    }
    client
        .head(format!("{base}/h/{}", dead.expose()))
        .send()
        .await
        .expect("head");
    let pid = child.id().expect("pid").to_string();
    tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    child.wait().await.expect("wait");
    while let Ok(Some(line)) = out.next_line().await {
        seen.push_str(&line);
        seen.push('\n');
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .await
        .expect("stderr");
    seen.push_str(&err);
    assert!(
        seen.contains("/h/{secret}"),
        "requests were logged by route template: {seen}"
    );
    for secret in [live.expose(), dead.expose()] {
        assert!(!seen.contains(secret), "a secret reached the logs:\n{seen}");
        assert!(
            !seen.contains(&secret[..20]),
            "part of a secret reached the logs"
        );
    }
}

/// An address that keeps opening links that do not exist is guessing: after the allowance of
/// refused links (3 x the sign-in tries per 3 minutes) every link open from it, a real one too,
/// answers 429 with Retry-After, so guessing learns nothing. A partner's own link is untouched
/// until then.
async fn guessing_links_is_throttled_for_that_address(app: TestApp) {
    let f = fixture(&app, "guess@practice.example").await;
    let real = links::mint(&app.db, app.clock.as_ref(), f.hurt, Duration::days(90))
        .await
        .expect("mint");
    let b = Browser::new(&app);
    let allowance = 3 * app_sign_in_attempts();
    for i in 0..allowance {
        let r = b
            .get(&format!(
                "/h/{}",
                kintsugi_core::access::secrets::random_token(32)
            ))
            .await;
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "refused link {i} shows the kind page"
        );
    }
    // The limit is reached; the next miss blocks the address.
    let r = b.get("/h/not-even-a-secret").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for path in [
        format!("/h/{}", kintsugi_core::access::secrets::random_token(32)),
        format!("/h/{}", real.expose()),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .expect("header")
            .parse()
            .expect("seconds");
        assert!((1..=180).contains(&wait));
    }
}

fn app_sign_in_attempts() -> usize {
    10
}

/// A partner's page lists everything to do and the ten most recently due pieces of homework
/// they have done, newest first, with a link to all of it.
async fn the_partner_page_lists_the_latest_done_and_links_to_the_rest(app: TestApp) {
    let f = fixture(&app, "a@practice.example").await;
    let hurt = partner(&app, f.hurt).await;
    let mut done = Vec::new();
    for day in 1..=12 {
        let a = assign_on(&app, &f, "feelings_checkin", Visibility::Shareable, day).await;
        let r = response_of(&app, a, f.hurt).await;
        let raw: Vec<(String, RawAnswer)> = ["hurt", "betrayal", "sadness", "anger"]
            .iter()
            .map(|k| ((*k).to_owned(), RawAnswer::text("5")))
            .collect();
        let saved = responses::submit(&app.db, app.clock.as_ref(), &hurt, r.id, &raw, false, None)
            .await
            .expect("submit");
        assert_eq!(saved, responses::Saved::Done);
        done.push(r.id);
    }
    let still_to_do = assign(&app, &f, "trigger_log", Visibility::Shareable).await;
    let to_do = response_of(&app, still_to_do, f.hurt).await;

    let b = partner_browser(&app, f.hurt).await;
    let (status, html) = b.get_html("/h").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/h/r/{}", to_do.id)),
        "to do is always listed"
    );
    let listed: Vec<usize> = done
        .iter()
        .enumerate()
        .filter(|(_, id)| html.contains(&format!("/h/r/{id}")))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(listed, (2..12).collect::<Vec<_>>(), "the ten latest due");
    let newest = html.find(&format!("/h/r/{}", done[11])).expect("newest");
    let older = html.find(&format!("/h/r/{}", done[2])).expect("older");
    assert!(newest < older, "newest first");
    assert!(html.contains("href=\"/h?done=all#done-heading\">Show everything you have done</a>"));

    let (status, html) = b.get_html("/h?done=all").await;
    assert_eq!(status, StatusCode::OK);
    for id in &done {
        assert!(html.contains(&format!("/h/r/{id}")));
    }
    assert!(!html.contains("Show everything you have done"));

    // Any other value is the short list.
    for value in ["ALL", "%00", "%3Cscript%3E", &"a".repeat(10_000)] {
        let (status, html) = b.get_html(&format!("/h?done={value}")).await;
        assert_eq!(status, StatusCode::OK, "done={value:.20}");
        assert!(
            html.contains("Show everything you have done"),
            "done={value:.20}"
        );
        assert!(!html.contains("<script>"));
    }
    // The other partner's whole list holds none of it (nothing was shared).
    let other = partner_browser(&app, f.involved).await;
    let (status, html) = other.get_html("/h?done=all").await;
    assert_eq!(status, StatusCode::OK);
    assert!(done.iter().all(|id| !html.contains(&id.to_string())));
    assert!(!html.contains(&to_do.id.to_string()));
}
