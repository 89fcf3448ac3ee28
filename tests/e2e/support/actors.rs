//! Counselor A's records (a couple with a note, an assignment with a draft answer, an email),
//! the other actors (counselor B, partners behind their links) and the route table of the
//! router itself: what the security tests send every route, as every actor.

use chrono::Duration;
use kintsugi_core::entities::outbox_message;
use kintsugi_core::homework::links;
use kintsugi_core::practice::Role;
use kintsugi_web::routes::table::{RouteEntry, table};
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::fixture::{response_id, uuid_at};
use super::http::csrf_from;
use super::{Browser, PASSWORD, TestApp, couple_json_with};

// ---------------------------------------------------------------------------------------------
// The route list.

/// Every route of the application (HEAD left out: axum answers it with the GET handler).
pub fn routes() -> Vec<RouteEntry> {
    let t: Vec<RouteEntry> = table().into_iter().filter(|r| r.method != "HEAD").collect();
    assert!(
        t.len() > 60 && t.iter().any(|r| r.path == "/login"),
        "the route table could not be read from the router: {t:?}"
    );
    t
}

pub fn is_public(r: &RouteEntry) -> bool {
    kintsugi_web::routes::PUBLIC
        .iter()
        .any(|(m, p)| *m == r.method && *p == r.path)
}

pub fn is_api(r: &RouteEntry) -> bool {
    r.path.starts_with("/api/")
}

/// Pages behind a homework link (a partner's session cookie, not a counselor's).
pub fn is_client(r: &RouteEntry) -> bool {
    r.path == "/h" || r.path.starts_with("/h/")
}

/// Path parameters that name one of counselor A's records.
pub const RECORD_IDS: &[&str] = &[
    "{couple_id}",
    "{session_id}",
    "{assignment_id}",
    "{response_id}",
    "{exercise_id}",
    "{message_id}",
    "{counselor_id}",
];

pub fn names_a_record(r: &RouteEntry) -> bool {
    RECORD_IDS.iter().any(|p| r.path.contains(p))
}

// ---------------------------------------------------------------------------------------------
// Counselor A's records, and the other actors.

pub const A_LABEL: &str = "Quillfeather Household";
pub const A_INVOLVED: &str = "Ottilie Quillfeather";
pub const A_HURT: &str = "Bartholomew Quillfeather";
pub const A_INVOLVED_EMAIL: &str = "ottilie@quill.example";
pub const A_NOTE: &str = "Zanzibar-lighthouse note text";
pub const A_ADDENDUM_FREE: &str = "Marzipan assessment words";
pub const A_EXERCISE: &str = "Cormorant letter exercise";
pub const A_ANSWER: &str = "Tangerine answer words";

pub struct World {
    pub a: Uuid,
    pub a_browser: Browser,
    pub a_token: String,
    pub couple: Uuid,
    pub involved: Uuid,
    #[allow(dead_code)]
    pub hurt: Uuid,
    pub exercise: Uuid,
    pub assignment: Uuid,
    /// The involved partner's response.
    pub response: Uuid,
    pub session: Uuid,
    pub message: Uuid,
    pub b_browser: Browser,
    pub b_token: String,
    pub b_couple: Uuid,
    /// The involved partner of A's couple, behind their link.
    pub involved_client: Browser,
    /// The hurt partner of A's couple, behind their link.
    pub other_partner: Browser,
    /// A partner of B's couple, behind their link.
    pub foreign_client: Browser,
}

/// A time `days` from now, in RFC 3339.
pub fn soon(days: i64) -> String {
    (chrono::Utc::now() + Duration::days(days))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string()
}

/// The JSON of a successful answer (checked), `null` when it has no body.
pub async fn created(r: Response, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.expect("body");
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// A couple in Berlin: the involved partner's name and address, the hurt partner's name.
pub fn couple_body(label: &str, involved: &str, hurt: &str, email: &str) -> Value {
    couple_json_with(
        label,
        (involved, email, "Europe/Berlin"),
        (hurt, "hurt@quill.example", "Europe/Berlin"),
    )
}

/// A browser that opened `partner`'s homework link.
pub async fn client_browser(app: &TestApp, partner: Uuid) -> Browser {
    let secret = links::mint(&app.db, app.clock.as_ref(), partner, Duration::days(90))
        .await
        .expect("mint");
    let b = Browser::new(app);
    let r = b.get(&format!("/h/{}", secret.expose())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "link exchange");
    b
}

pub async fn world(app: &TestApp) -> World {
    let a = app
        .counselor("Counselor A", "a@practice.example", Role::Counselor)
        .await;
    let a_token = app.api_token(a.id).await;
    let api = app.api(&a_token);
    let c = created(
        api.post_json(
            "/api/v1/couples",
            &couple_body(A_LABEL, A_INVOLVED, A_HURT, A_INVOLVED_EMAIL),
        )
        .await,
        "couple",
    )
    .await;
    let couple = uuid_at(&c, "/id");
    let involved = uuid_at(&c, "/partners/0/id");
    let hurt = uuid_at(&c, "/partners/1/id");
    let e = created(
        api.post_json(
            "/api/v1/exercises",
            &json!({
                "title": A_EXERCISE,
                "stage": "admission",
                "recipient": "both",
                "instructions": "Write it down.",
                "prompts": [{"key": "letter", "label": "Your letter", "kind": "long_text", "required": false}]
            }),
        )
        .await,
        "exercise",
    )
    .await;
    let exercise = uuid_at(&e, "/id");
    let asg = created(
        api.post_json(
            &format!("/api/v1/couples/{couple}/assignments"),
            &json!({
                "exercise_id": exercise,
                "assignees": ["involved", "hurt"],
                "due_at": soon(20),
                "visibility": "counselor_only"
            }),
        )
        .await,
        "assignment",
    )
    .await;
    let assignment = asg
        .pointer("/items/0/id")
        .or_else(|| asg.pointer("/0/id"))
        .or_else(|| asg.pointer("/id"))
        .and_then(Value::as_str)
        .map(|s| Uuid::parse_str(s).expect("uuid"))
        .unwrap_or_else(|| panic!("assignment id in {asg}"));
    let response = response_id(app, assignment, involved).await;
    let s = created(
        api.post_json(
            &format!("/api/v1/couples/{couple}/sessions"),
            &json!({"starts_at": soon(10), "duration_minutes": 50}),
        )
        .await,
        "session",
    )
    .await;
    let session = uuid_at(&s, "/id");
    let r = api
        .put_json(
            &format!("/api/v1/sessions/{session}/note"),
            &json!({"format": "DAP", "data": A_NOTE, "assessment": A_ADDENDUM_FREE, "plan": "More."}),
        )
        .await;
    created(r, "note").await;
    let r = api
        .post_json(&format!("/api/v1/couples/{couple}/links/hurt"), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "link sent");
    let message = outbox_message::Entity::find()
        .filter(outbox_message::Column::CoupleId.eq(couple))
        .one(&app.db)
        .await
        .expect("query")
        .expect("an outbox message")
        .id;
    let a_browser = Browser::new(app);
    a_browser.sign_in("a@practice.example", PASSWORD).await;

    // The involved partner writes a draft answer.
    let involved_client = client_browser(app, involved).await;
    let page = format!("/h/r/{response}");
    let (status, html) = involved_client.get_html(&page).await;
    assert_eq!(status, StatusCode::OK, "answer page: {html}");
    let csrf = csrf_from(&html).expect("csrf");
    let r = involved_client
        .post_with(
            &page,
            &csrf,
            &[
                ("letter", A_ANSWER.to_owned()),
                ("action", "save".to_owned()),
            ],
        )
        .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "draft saved: {}",
        r.status()
    );

    let b = app
        .counselor("Counselor B", "b@practice.example", Role::Counselor)
        .await;
    let b_token = app.api_token(b.id).await;
    let bc = created(
        app.api(&b_token)
            .post_json(
                "/api/v1/couples",
                &couple_body(
                    "Other Pair",
                    "Wendell Other",
                    "Imogen Other",
                    "wendell@other.example",
                ),
            )
            .await,
        "B's couple",
    )
    .await;
    let b_couple = uuid_at(&bc, "/id");
    let b_partner = uuid_at(&bc, "/partners/0/id");
    let b_browser = Browser::new(app);
    b_browser.sign_in("b@practice.example", PASSWORD).await;
    let foreign_client = client_browser(app, b_partner).await;
    let other_partner = client_browser(app, hurt).await;
    World {
        a: a.id,
        a_browser,
        a_token,
        couple,
        involved,
        hurt,
        exercise,
        assignment,
        response,
        session,
        message,
        b_browser,
        b_token,
        b_couple,
        involved_client,
        other_partner,
        foreign_client,
    }
}

impl World {
    /// The route's path with every parameter filled with A's records.
    pub fn fill(&self, path: &str) -> String {
        path.replace("{couple_id}", &self.couple.to_string())
            .replace("{session_id}", &self.session.to_string())
            .replace("{assignment_id}", &self.assignment.to_string())
            .replace("{response_id}", &self.response.to_string())
            .replace("{exercise_id}", &self.exercise.to_string())
            .replace("{message_id}", &self.message.to_string())
            .replace("{counselor_id}", &self.a.to_string())
            .replace("{role}", "hurt")
            .replace("{stage}", "admission")
            .replace("{secret}", "not-a-live-secret")
            .replace("{token}", "not-a-live-token")
    }
}

/// Words of A's records that no other actor may ever see.
pub const A_WORDS: &[&str] = &[
    A_LABEL,
    A_INVOLVED,
    A_HURT,
    A_INVOLVED_EMAIL,
    A_NOTE,
    A_ADDENDUM_FREE,
    A_EXERCISE,
    A_ANSWER,
    "Quillfeather",
];

fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;").replace('\'', "&#x27;")
}

pub fn assert_shows_none_of(body: &str, words: &[&str], what: &str) {
    for w in words {
        assert!(
            !body.contains(w) && !body.contains(&html_escaped(w)),
            "{what}: the body shows {w:?}:\n{}",
            &body[..body.len().min(3000)]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// A valid JSON body for each API operation that takes one: the actor matrix sends these so
/// that a refusal is about the record, not the body, and the mass-assignment check adds
/// fields to them. A new API body without an entry fails
/// `every_api_body_has_a_valid_example`.
pub fn api_body(method: &str, path: &str) -> Option<Value> {
    let b = match (method, path) {
        ("POST", "/api/v1/couples") => {
            couple_body("Fresh Pair", "Fresh One", "Fresh Two", "fresh@pair.example")
        }
        ("PATCH", "/api/v1/couples/{couple_id}") => json!({"label": "Renamed"}),
        ("POST", "/api/v1/couples/{couple_id}/markers") => {
            json!([{"marker": "admission.acknowledged", "rating": "partly"}])
        }
        ("POST", "/api/v1/couples/{couple_id}/stages/{stage}/complete") => json!({}),
        ("POST", "/api/v1/couples/{couple_id}/stages/{stage}/override")
        | ("POST", "/api/v1/couples/{couple_id}/stages/{stage}/reopen") => {
            json!({"reason": "The counselor decided so."})
        }
        ("POST", "/api/v1/couples/{couple_id}/links/{role}") => json!({}),
        ("POST", "/api/v1/exercises") => json!({
            "title": "Another", "stage": "admission", "recipient": "both", "instructions": "Go.",
            "prompts": [{"key": "k", "label": "K", "kind": "short_text"}]
        }),
        ("POST", "/api/v1/couples/{couple_id}/assignments") => json!({
            "exercise_id": "{exercise_id}", "assignees": ["hurt"],
            "due_at": soon(30), "visibility": "counselor_only"
        }),
        ("PATCH", "/api/v1/assignments/{assignment_id}") => json!({"due_at": soon(40)}),
        ("POST", "/api/v1/assignments/{assignment_id}/cancel") => json!({}),
        ("POST", "/api/v1/assignments/{assignment_id}/responses/{response_id}/review") => {
            json!({"comment": "Thank you."})
        }
        ("POST", "/api/v1/couples/{couple_id}/sessions") => {
            json!({"starts_at": soon(50), "duration_minutes": 50})
        }
        ("PATCH", "/api/v1/sessions/{session_id}") => json!({"duration_minutes": 60}),
        ("PUT", "/api/v1/sessions/{session_id}/note") => {
            json!({"format": "DAP", "data": "d", "assessment": "a", "plan": "p"})
        }
        ("POST", "/api/v1/sessions/{session_id}/note/sign") => json!({"password": PASSWORD}),
        ("POST", "/api/v1/sessions/{session_id}/note/addenda") => json!({"text": "Later."}),
        _ => return None,
    };
    Some(b)
}

/// An API request as `token`'s counselor, with the operation's example body filled with A's ids.
pub async fn api_request(app: &TestApp, w: &World, token: &str, r: &RouteEntry) -> Response {
    let method = Method::from_bytes(r.method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new()
        .request(method, app.url(&w.fill(&r.path)))
        .bearer_auth(token);
    if r.method != "GET" {
        let body = api_body(&r.method, &r.path).unwrap_or(json!({}));
        let text = w.fill(&body.to_string());
        req = req.header("content-type", "application/json").body(text);
    }
    req.send().await.expect("request")
}

/// A page request from `browser`, a form post carrying `csrf` when given.
pub async fn page_request(b: &Browser, path: &str, method: &str, csrf: Option<&str>) -> Response {
    match method {
        "GET" => b.get(path).await,
        _ => {
            let body: Vec<(&str, String)> = csrf
                .map(|c| vec![("csrf", c.to_owned())])
                .unwrap_or_default();
            b.client
                .request(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    b.url(path),
                )
                .form(&body)
                .send()
                .await
                .expect("request")
        }
    }
}

/// The CSRF token of a signed-in counselor's session (the same on every form).
pub async fn counselor_csrf(b: &Browser) -> String {
    b.csrf("/settings").await
}

pub async fn client_csrf(b: &Browser) -> String {
    b.csrf("/h").await
}
