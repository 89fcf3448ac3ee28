//! Every page that shows typed text, loaded in real Chromium with the hostile practice of
//! `security_hostile` (issue #7, point 13). On each page: no payload ran (`window.__pwned` is
//! unset and no dialog opened), no element, event handler, `javascript:` URL or inline script
//! was injected, and each hostile text is there to read, literally, as text or as a form value.
//!
//! The tour runs twice. First with the page's Content-Security-Policy switched off in the
//! browser (Chrome DevTools `Page.setBypassCSP`), so that escaping is the only defence being
//! tested; a planted inline handler runs there, which shows the check would catch a payload.
//! Then as served, where the same planted handler is blocked and reported, and no page
//! reports any violation of its own. Forms are also sent with mistakes, so that each comes
//! back with its errors and the hostile text kept; error pages that could echo input are
//! visited too. Screenshots: `target/screenshots/hostile-*.png`.

use std::sync::Arc;
use std::time::Duration;

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use crate::support::browser::{Chrome, DESKTOP};
use crate::support::hostile::{
    CHOICE_NO, CHOICE_PROMPT, CHOICE_YES, COUNSELOR, HURT, HURT_EMAIL, IMG, INVOLVED,
    INVOLVED_EMAIL, LABEL, OFFICE, PRACTICE, SCALE_HIGH, SCALE_LOW, SCALE_PROMPT, SCRIPT,
    TEXT_PROMPT, TITLE, VIDEO, World, marked, mint, spawn, world,
};
use crate::support::{Backend, PASSWORD};

/// A Chrome DevTools command, sent through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

async fn cdp(c: &Client, cmd: &'static str, params: Value) {
    c.issue_cmd(Cdp { cmd, params })
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
}

/// Runs in every new document before the page's own scripts: Content-Security-Policy
/// violations are collected where the checks can read them.
const COLLECT_VIOLATIONS: &str = "window.__csp = [];\
    document.addEventListener('securitypolicyviolation', function (e) {\
      window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));\
    });";

/// What is wrong with the page: payloads that ran, markup that was injected, hostile texts
/// that cannot be read, and CSP violations.
const INSPECT: &str = r#"
const expected = arguments[0];
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
// What is on screen, and what is there as text in sections folded away (<details>).
const parts = [document.title, document.body ? document.body.innerText : '', document.body ? document.body.textContent : ''];
for (const el of document.querySelectorAll('input, textarea, select')) parts.push(el.value);
for (const el of document.querySelectorAll('option')) parts.push(el.textContent);
const shown = norm(parts.join('\n'));
const missing = expected.filter((e) => !shown.includes(norm(e)));
const injected = [];
const urlAttributes = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster'];
for (const el of document.querySelectorAll('*')) {
  const tag = el.localName;
  for (const a of el.attributes) {
    const name = a.name.toLowerCase();
    if (name.startsWith('on')) injected.push('<' + tag + ' ' + name + '=' + a.value.slice(0, 60) + '>');
    if (name === 'srcdoc') injected.push('<' + tag + ' srcdoc>');
    if (urlAttributes.includes(name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(a.value)) {
      injected.push('<' + tag + ' ' + name + '=' + a.value.slice(0, 60) + '>');
    }
  }
  if (['iframe', 'frame', 'frameset', 'object', 'embed', 'base', 'style'].includes(tag)) injected.push('<' + tag + '>');
  if (tag === 'meta' && el.hasAttribute('http-equiv')) injected.push('<meta http-equiv>');
  if (tag === 'script' && !el.src) injected.push('<script>' + el.textContent.slice(0, 60));
}
return {
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  missing: missing,
  injected: injected,
  csp: window.__csp || null,
  path: location.pathname,
};
"#;

/// A page of the tour: loaded directly, or the answer to a form sent from a page.
#[derive(Debug, Clone)]
enum Visit {
    Get {
        path: String,
        expect: Vec<String>,
    },
    Submit {
        page: String,
        /// CSS selector of the form on `page`.
        form: String,
        /// CSS selector of the button within the form, if not its first.
        button: Option<String>,
        fields: Vec<(String, String)>,
        expect: Vec<String>,
    },
}

fn get(path: impl Into<String>, expect: &[&str]) -> Visit {
    Visit::Get {
        path: path.into(),
        expect: expect.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn get_owned(path: impl Into<String>, expect: Vec<String>) -> Visit {
    Visit::Get {
        path: path.into(),
        expect,
    }
}

fn submit(
    page: impl Into<String>,
    form: &str,
    button: Option<&str>,
    fields: Vec<(&str, String)>,
    expect: Vec<String>,
) -> Visit {
    Visit::Submit {
        page: page.into(),
        form: form.to_owned(),
        button: button.map(str::to_owned),
        fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        expect,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn query(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The whole tour: (before sign-in, the counselor's pages, each partner's pages).
struct Tour {
    /// Pages to keep a screenshot of: (path, file name, element to scroll to).
    shots: Vec<(String, &'static str, &'static str)>,
    anonymous: Vec<Visit>,
    counselor: Vec<Visit>,
    involved: Vec<Visit>,
    hurt: Vec<Visit>,
}

fn tour(w: &World, involved_link: &str, hurt_link: &str) -> Tour {
    let couple = format!("/couples/{}", w.couple);
    let past = format!("/sessions/{}", w.past);
    let video = format!("/sessions/{}", w.video);
    let exercise = format!("/library/{}", w.exercise);
    let review = format!("/assignments/{}", w.shared);
    let dap = [
        "Dap-data-puffin",
        "Dap-assessment-gannet",
        "Dap-plan-curlew",
    ]
    .map(marked);
    let soap = [
        "Soap-subjective-avocet",
        "Soap-objective-dunlin",
        "Soap-assessment-godwit",
        "Soap-plan-shrike",
    ]
    .map(marked);
    let prompts = [
        TITLE,
        TEXT_PROMPT,
        CHOICE_PROMPT,
        CHOICE_YES,
        CHOICE_NO,
        SCALE_PROMPT,
        SCALE_LOW,
        SCALE_HIGH,
    ];
    let too_long = |text: String, limit: usize| format!("{text}\n{}", "w".repeat(limit));
    let bad_login = format!("{SCRIPT}{IMG}@mail.example");

    let mut couple_page = strings(&[
        COUNSELOR,
        LABEL,
        INVOLVED,
        HURT,
        INVOLVED_EMAIL,
        HURT_EMAIL,
        TITLE,
    ]);
    couple_page.extend(["Override-reason-egret", "Reopen-reason-ibis"].map(marked));
    // The review shows each answer under its prompt: the choice made, not the others.
    let mut review_page = strings(&[
        COUNSELOR,
        LABEL,
        INVOLVED,
        HURT,
        TITLE,
        TEXT_PROMPT,
        CHOICE_PROMPT,
        CHOICE_YES,
        SCALE_PROMPT,
    ]);
    review_page.extend(
        [
            "Answer-involved-heron",
            "Answer-hurt-plover",
            "Comment-osprey",
        ]
        .map(marked),
    );
    let mut past_page = strings(&[COUNSELOR, LABEL, OFFICE]);
    past_page.extend(dap.clone());
    past_page.push(marked("Addendum-merlin"));
    let mut video_page = strings(&[COUNSELOR, LABEL]);
    video_page.extend(soap.clone());
    let mut preview = prompts.map(str::to_owned).to_vec();
    preview.push(marked("Instructions-kestrel"));
    let mut answer_form = preview.clone();
    answer_form.push(marked("Draft-answer-wren"));

    let counselor = vec![
        get("/", &[COUNSELOR, LABEL, OFFICE]),
        // Search text comes back in the search box.
        get(format!("/?q={}", query(SCRIPT)), &[SCRIPT]),
        get_owned(couple.clone(), couple_page),
        get(
            format!("{couple}/edit"),
            &[LABEL, INVOLVED, HURT, HURT_EMAIL],
        ),
        get_owned(review.clone(), review_page),
        get_owned(past.clone(), past_page),
        get(format!("{past}/edit"), &[OFFICE]),
        get_owned(video.clone(), video_page),
        get("/library", &[TITLE]),
        get_owned(exercise.clone(), preview.clone()),
        get_owned(format!("{exercise}/edit"), preview.clone()),
        get("/outbox", &[COUNSELOR, HURT_EMAIL]),
        get("/admin/counselors", &[COUNSELOR]),
        get("/admin/practice", &[PRACTICE]),
        get("/admin/audit", &[COUNSELOR]),
        get(format!("/admin/audit?record={}", query(IMG)), &[IMG]),
        get("/settings", &[COUNSELOR]),
        // A made-up address with markup in it: a plain 404 that echoes nothing.
        get(format!("/couples/{}", query(SCRIPT)), &[]),
        get(format!("/library/{}/edit", query(IMG)), &[]),
        // Forms sent with a mistake come back with their errors and what was typed.
        submit(
            "/couples/new",
            "form[action='/couples']",
            None,
            vec![
                ("label", LABEL.into()),
                ("involved.name", INVOLVED.into()),
                ("involved.email", format!("not an email {IMG}")),
                ("hurt.name", HURT.into()),
                ("hurt.email", HURT_EMAIL.into()),
            ],
            strings(&[LABEL, INVOLVED, HURT, HURT_EMAIL]),
        ),
        submit(
            format!("{couple}/edit"),
            &format!("form[action='{couple}']"),
            None,
            vec![("label", String::new())],
            strings(&[INVOLVED, HURT, HURT_EMAIL]),
        ),
        submit(
            couple.clone(),
            &format!("form[action='{couple}/stages/admission/reopen']"),
            None,
            vec![("reason", too_long(marked("Reopen-reason-ibis"), 2_000))],
            vec![marked("Reopen-reason-ibis")],
        ),
        submit(
            format!("{couple}/sessions/new"),
            &format!("form[action='{couple}/sessions']"),
            None,
            vec![
                ("date", "the day after".into()),
                ("location_detail", OFFICE.into()),
            ],
            strings(&[OFFICE, LABEL]),
        ),
        submit(
            format!("{past}/edit"),
            &format!("form[action='{past}']"),
            None,
            vec![
                ("duration_minutes", "a while".into()),
                ("location_detail", OFFICE.into()),
            ],
            strings(&[OFFICE]),
        ),
        submit(
            video.clone(),
            &format!("form[action='{video}/note']"),
            Some("button[value='sign']"),
            vec![("password", "not my password".into())],
            soap.to_vec(),
        ),
        submit(
            past.clone(),
            &format!("form[action='{past}/note/addenda']"),
            None,
            vec![("text", too_long(marked("Addendum-merlin"), 20_000))],
            vec![marked("Addendum-merlin")],
        ),
        submit(
            review.clone(),
            &format!(
                "form[action='/assignments/{}/responses/{}/review']",
                w.shared, w.hurt_shared
            ),
            None,
            vec![("comment", too_long(marked("Comment-osprey"), 4_000))],
            vec![marked("Comment-osprey")],
        ),
        submit(
            "/library/new",
            "form[action='/library']",
            None,
            vec![
                ("title", TITLE.into()),
                ("stage", "stage_seven".into()),
                ("instructions", marked("Instructions-kestrel")),
                ("p0.kind", "single_choice".into()),
                ("p0.label", CHOICE_PROMPT.into()),
                ("p0.options", CHOICE_YES.into()),
            ],
            vec![
                TITLE.into(),
                CHOICE_PROMPT.into(),
                CHOICE_YES.into(),
                marked("Instructions-kestrel"),
            ],
        ),
        submit(
            "/admin/counselors",
            "form[action='/admin/counselors']",
            None,
            vec![
                ("name", COUNSELOR.into()),
                ("email", format!("not an email {SCRIPT}")),
            ],
            strings(&[COUNSELOR]),
        ),
        submit(
            "/admin/practice",
            "form[action='/admin/practice']",
            None,
            vec![
                ("name", PRACTICE.into()),
                ("timezone", "Mars/Olympus".into()),
            ],
            strings(&[PRACTICE]),
        ),
    ];

    let involved_open = format!("/h/r/{}", w.involved_open);
    let involved = vec![
        get(format!("/h/{involved_link}"), &[INVOLVED, TITLE]),
        get_owned(format!("/h/r/{}", w.involved_shared), {
            let mut e = strings(&[TITLE, TEXT_PROMPT, CHOICE_YES]);
            e.push(marked("Answer-involved-heron"));
            e
        }),
        // What the other partner chose to share.
        get_owned(format!("/h/r/{}", w.hurt_shared), {
            let mut e = strings(&[TITLE, TEXT_PROMPT, CHOICE_YES]);
            e.push(marked("Answer-hurt-plover"));
            e
        }),
        get_owned(involved_open.clone(), answer_form),
    ];
    // An answer too long is shown again with its reason (on a response without a draft: the
    // valid answers are saved, the one too long is not).
    let hurt_open = format!("/h/r/{}", w.hurt_open);
    let hurt = vec![
        get(format!("/h/{hurt_link}"), &[HURT, TITLE]),
        get_owned(format!("/h/r/{}", w.hurt_shared), {
            vec![marked("Answer-hurt-plover"), marked("Comment-osprey")]
        }),
        get_owned(format!("/h/r/{}", w.involved_shared), {
            vec![marked("Answer-involved-heron")]
        }),
        submit(
            hurt_open.clone(),
            &format!("form[action='{hurt_open}']"),
            Some("button[value='save']"),
            vec![("a.letter", too_long(marked("Draft-answer-wren"), 20_000))],
            vec![TITLE.into(), marked("Draft-answer-wren")],
        ),
    ];
    let anonymous = vec![submit(
        "/login",
        "form[action='/login']",
        None,
        vec![("email", bad_login.clone()), ("password", "not it".into())],
        vec![bad_login],
    )];
    Tour {
        shots: vec![
            (couple, "hostile-couple-page", "h1"),
            (past, "hostile-signed-note", "#note"),
            (involved_open, "hostile-answer-form", "h1"),
        ],
        anonymous,
        counselor,
        involved,
        hurt,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_with_hostile_text_shows_it_inert_in_chromium() {
    let (app, _clock) = spawn(Backend::Sqlite).await.expect("sqlite");
    let w = world(&app).await;
    let plan = tour(&w, &mint(&app, w.involved).await, &mint(&app, w.hurt).await);
    Chrome::run(DESKTOP, |chrome| walk(app.base.clone(), plan, chrome)).await;
}

async fn walk(base: String, plan: Tour, chrome: Arc<Chrome>) {
    let c = &chrome.client;
    cdp(c, "Page.enable", json!({})).await;
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": COLLECT_VIOLATIONS}),
    )
    .await;
    let mut visited = 0;
    for (pass, bypass) in [("escaping alone", true), ("as served", false)] {
        cdp(c, "Page.setBypassCSP", json!({"enabled": bypass})).await;
        c.delete_all_cookies().await.expect("cookies");
        for v in &plan.anonymous {
            visit(c, &base, v, pass, !bypass).await;
        }
        sign_in(c, &base).await;
        control(c, &base, bypass).await;
        for v in &plan.counselor {
            visit(c, &base, v, pass, !bypass).await;
            if bypass {
                shoot(&chrome, &plan, v).await;
            }
        }
        for v in plan.involved.iter().chain(&plan.hurt) {
            visit(c, &base, v, pass, !bypass).await;
            if bypass {
                shoot(&chrome, &plan, v).await;
            }
        }
        control(c, &base, bypass).await;
        visited +=
            plan.anonymous.len() + plan.counselor.len() + plan.involved.len() + plan.hurt.len();
    }
    assert!(visited >= 70, "only {visited} pages");
}

/// A screenshot of the pages named in the tour, for people to look at.
async fn shoot(chrome: &Chrome, plan: &Tour, v: &Visit) {
    let Visit::Get { path, .. } = v else { return };
    if let Some((_, name, at)) = plan.shots.iter().find(|(p, _, _)| p == path) {
        chrome
            .client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView()",
                vec![json!(at)],
            )
            .await
            .expect("scroll");
        chrome.screenshot(name).await;
    }
}

async fn sign_in(c: &Client, base: &str) {
    let v = submit(
        "/login",
        "form[action='/login']",
        None,
        vec![
            ("email", "c@practice.example".into()),
            ("password", PASSWORD.into()),
        ],
        strings(&[COUNSELOR, LABEL]),
    );
    visit(c, base, &v, "sign-in", false).await;
    let path = c.current_url().await.expect("url").path().to_owned();
    assert_eq!(path, "/", "signed in");
}

/// The test can see a payload run: an inline handler planted in the page runs when the
/// policy is bypassed, and is blocked and reported when it is not.
async fn control(c: &Client, base: &str, bypass: bool) {
    c.goto(&format!("{base}/settings")).await.expect("settings");
    c.execute(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__probe = 1\">')",
        vec![],
    )
    .await
    .expect("plant");
    let ran = poll(
        c,
        "return window.__probe === 1 || (window.__csp || []).length > 0",
    )
    .await;
    assert!(ran, "the planted handler neither ran nor was reported");
    let state = c
        .execute(
            "return [window.__probe === 1, (window.__csp || []).join(' | ')]",
            vec![],
        )
        .await
        .expect("state");
    let found = c.execute(INSPECT, vec![json!([])]).await.expect("inspect");
    assert_eq!(
        found["injected"],
        json!(["<img onerror=window.__probe = 1>"]),
        "the inspection finds planted markup"
    );
    if bypass {
        assert_eq!(
            state[0],
            json!(true),
            "with the policy bypassed, an injected handler runs"
        );
    } else {
        assert_eq!(
            state[0],
            json!(false),
            "the policy blocks an injected handler"
        );
        let report = state[1].as_str().unwrap_or_default();
        assert!(report.contains("script-src"), "and reports it: {report}");
    }
}

/// Wait (up to 15 s) until `script` returns true.
async fn poll(c: &Client, script: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        if let Ok(v) = c.execute(script, vec![]).await
            && v == json!(true)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Fill a form as typed (any value, also one a select does not offer) and send it with the
/// browser's own submission, skipping its built-in checks so the server sees the mistakes.
const FILL_AND_SEND: &str = r#"
const [formSelector, buttonSelector, fields] = arguments;
const form = document.querySelector(formSelector);
if (!form) return 'no form ' + formSelector;
for (const [name, value] of fields) {
  const el = form.querySelector('[name="' + CSS.escape(name) + '"]');
  if (!el) return 'no field ' + name;
  if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) {
    el.add(new Option(value, value));
  }
  el.value = value;
}
form.noValidate = true;
window.__leaving = true;
const button = buttonSelector ? form.querySelector(buttonSelector) : form.querySelector('button[type=submit], button:not([type])');
form.requestSubmit(button || undefined);
return 'sent';
"#;

async fn visit(c: &Client, base: &str, v: &Visit, pass: &str, strict_csp: bool) {
    let (what, expect) = match v {
        Visit::Get { path, expect } => {
            c.goto(&format!("{base}{path}"))
                .await
                .unwrap_or_else(|e| panic!("open {path}: {e}"));
            (format!("GET {path}"), expect)
        }
        Visit::Submit {
            page,
            form,
            button,
            fields,
            expect,
        } => {
            c.goto(&format!("{base}{page}"))
                .await
                .unwrap_or_else(|e| panic!("open {page}: {e}"));
            let fields: Vec<Value> = fields.iter().map(|(k, v)| json!([k, v])).collect();
            let sent = c
                .execute(
                    FILL_AND_SEND,
                    vec![json!(form), json!(button), json!(fields)],
                )
                .await
                .unwrap_or_else(|e| panic!("fill {form} on {page}: {e}"));
            assert_eq!(sent, json!("sent"), "{page}: {sent}");
            let arrived = poll(
                c,
                "return window.__leaving === undefined && document.readyState === 'complete'",
            )
            .await;
            assert!(arrived, "{form} on {page}: the answer never loaded");
            (format!("{form} sent from {page}"), expect)
        }
    };
    let what = format!("{what} ({pass})");
    match c.get_alert_text().await {
        Err(fantoccini::error::CmdError::Standard(e))
            if e.error == fantoccini::error::ErrorStatus::NoSuchAlert => {}
        other => panic!("{what}: a dialog opened: {other:?}"),
    }
    let found = c
        .execute(INSPECT, vec![json!(expect)])
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(found["pwned"], Value::Null, "{what}: a payload ran");
    assert_eq!(found["injected"], json!([]), "{what}: markup was injected");
    assert_eq!(
        found["missing"],
        json!([]),
        "{what}: hostile text that is not shown literally (at {})",
        found["path"]
    );
    if strict_csp {
        assert_eq!(
            found["csp"],
            json!([]),
            "{what}: the page violates its own policy"
        );
    }
    // The video link is one intact https link, whatever it holds.
    if what.starts_with("GET /sessions/") && expect.iter().any(|e| e.contains("Soap-plan")) {
        let href = c
            .execute(
                "const a = document.querySelector('a[target=_blank]'); return a ? a.getAttribute('href') : null",
                vec![],
            )
            .await
            .expect("href");
        assert_eq!(href, json!(VIDEO), "{what}: the video link");
    }
}
