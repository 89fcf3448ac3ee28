//! Generic checks over every route the router serves (issue #7, points 5, 6, 11, 12): the
//! route list comes from the router itself (`kintsugi_web::routes::table::table`), so a route
//! added anywhere is covered without touching these tests.
//! - deny by default: every route not in `routes::PUBLIC` refuses an anonymous request;
//! - the actor matrix: counselor B, a practice admin who is not A's couple's counselor, a
//!   partner of another couple and the other partner of the same couple get 404 for every
//!   route and every id kind of counselor A's records, with a body that shows none of A's
//!   data, and nothing changes; the admin reaches the admin pages, B does not;
//! - security headers on every answer (HSTS with secure cookies);
//! - CSRF and same-origin on every state-changing page route; no GET changes anything.

use std::collections::BTreeMap;

use chrono::Duration;
use kintsugi_core::entities::{outbox_message, response};
use kintsugi_core::homework::links;
use kintsugi_core::practice::Role;
use kintsugi_web::routes::table::{RouteEntry, table};
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_tests;
use crate::support::http::csrf_from;
use crate::support::{Backend, Browser, PASSWORD, TestApp};

db_tests!(
    every_route_but_the_public_ones_refuses_anonymous_requests,
    other_actors_get_404_and_none_of_a_s_data_on_every_route,
    every_state_changing_page_needs_a_csrf_token_and_the_same_origin,
    no_get_changes_anything,
);

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
const RECORD_IDS: &[&str] = &[
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

#[test]
fn the_route_list_comes_from_the_router_and_covers_the_openapi_document() {
    let t = routes();
    let doc: Value =
        serde_json::from_str(kintsugi_web::routes::api::openapi_document()).expect("openapi");
    let mut documented = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("ops").keys() {
            let method = method.to_uppercase();
            assert!(
                t.iter().any(|r| r.path == *path && r.method == method),
                "{method} {path} is documented but not in the route list"
            );
            documented += 1;
        }
    }
    let api = t.iter().filter(|r| is_api(r) && !is_public(r)).count();
    assert_eq!(
        api, documented,
        "every API route is documented, and only those"
    );
    // Every path parameter is one the tests know how to fill.
    for r in &t {
        for part in r.path.split('/').filter(|p| p.starts_with('{')) {
            assert!(
                RECORD_IDS.contains(&part)
                    || ["{role}", "{stage}", "{secret}", "{token}"].contains(&part),
                "{} {}: the security tests do not know the parameter {part}",
                r.method,
                r.path
            );
        }
    }
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

fn id(v: &Value, pointer: &str) -> Uuid {
    Uuid::parse_str(
        v.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} in {v}")),
    )
    .expect("uuid")
}

async fn created(r: Response, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.expect("body");
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

pub fn couple_body(label: &str, involved: &str, hurt: &str, email: &str) -> Value {
    json!({
        "label": label,
        "open_agreement": false,
        "intake_date": "2026-03-02",
        "partners": [
            {"role": "involved", "name": involved, "email": email, "timezone": "Europe/Berlin"},
            {"role": "hurt", "name": hurt, "email": "hurt@quill.example", "timezone": "Europe/Berlin"}
        ]
    })
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
    let couple = id(&c, "/id");
    let involved = id(&c, "/partners/0/id");
    let hurt = id(&c, "/partners/1/id");
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
    let exercise = id(&e, "/id");
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
    let response = response::Entity::find()
        .filter(response::Column::AssignmentId.eq(assignment))
        .filter(response::Column::PartnerId.eq(involved))
        .one(&app.db)
        .await
        .expect("query")
        .expect("response")
        .id;
    let s = created(
        api.post_json(
            &format!("/api/v1/couples/{couple}/sessions"),
            &json!({"starts_at": soon(10), "duration_minutes": 50}),
        )
        .await,
        "session",
    )
    .await;
    let session = id(&s, "/id");
    let r = app
        .api(&a_token)
        .client
        .put(app.url(&format!("/api/v1/sessions/{session}/note")))
        .bearer_auth(&a_token)
        .json(&json!({"format": "DAP", "data": A_NOTE, "assessment": A_ADDENDUM_FREE, "plan": "More."}))
        .send()
        .await
        .expect("note");
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
    let b_couple = id(&bc, "/id");
    let b_partner = id(&bc, "/partners/0/id");
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

// ---------------------------------------------------------------------------------------------
// Database snapshots.

/// Tables whose rows legitimately change on reads: the audit log (every read of a clinical
/// record is recorded) and the session and token tables (last-seen times). Only their row
/// counts are compared, except the audit log, which is left out.
pub const TOUCHED_ON_READ: &[&str] = &[
    "browser_session",
    "client_session",
    "api_token",
    "homework_link",
];

/// Every row of every table, as text, per table (sorted), read from the database's catalogue
/// so that a new table is covered too.
pub async fn snapshot(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let db = &app.db;
    let backend = db.get_database_backend();
    let list = match app.backend {
        Backend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String>("", "t").expect("name"))
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        let select = match app.backend {
            Backend::Sqlite => {
                let cols: Vec<String> = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name AS c FROM pragma_table_info('{t}')"),
                    ))
                    .await
                    .expect("columns")
                    .iter()
                    .map(|r| {
                        format!(
                            "quote(\"{}\")",
                            r.try_get::<String>("", "c").expect("column")
                        )
                    })
                    .collect();
                format!("SELECT {} AS r FROM \"{t}\"", cols.join(" || '|' || "))
            }
            Backend::Postgres => format!("SELECT x::text AS r FROM \"{t}\" x"),
        };
        let mut rows: Vec<String> = db
            .query_all_raw(Statement::from_string(backend, select))
            .await
            .expect("rows")
            .iter()
            .map(|r| r.try_get::<String>("", "r").expect("row"))
            .collect();
        rows.sort();
        out.insert(t, rows);
    }
    assert!(out.len() > 10, "tables: {:?}", out.keys());
    out
}

/// The snapshot with reads' legitimate traces taken out.
pub fn without_read_traces(mut s: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    s.remove("audit_event");
    // Keys are generated on first use (the reminder opt-out links' signing key): a one-time
    // initialisation of the server, not a change to anyone's records.
    s.remove("signing_key");
    // Refused links and sign-in tries are counted there on PostgreSQL (the shared throttle):
    // a trace of who tried, never a record.
    s.remove("throttle_bucket");
    for t in TOUCHED_ON_READ {
        if let Some(rows) = s.get_mut(*t) {
            let n = rows.len();
            *rows = vec![format!("{n} rows")];
        }
    }
    s
}

pub fn assert_same(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
    what: &str,
) {
    for (t, rows) in before {
        let other = after.get(t).cloned().unwrap_or_default();
        if *rows != other {
            let gone: Vec<&String> = rows.iter().filter(|r| !other.contains(r)).collect();
            let new: Vec<&String> = other.iter().filter(|r| !rows.contains(r)).collect();
            panic!("{what} changed table {t}:\n  before: {gone:?}\n  after: {new:?}");
        }
    }
    assert_eq!(before.len(), after.len(), "{what}: tables");
}

// ---------------------------------------------------------------------------------------------
// Point 5: deny by default.

async fn every_route_but_the_public_ones_refuses_anonymous_requests(app: TestApp) {
    let w = world(&app).await;
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut checked = 0;
    for r in routes().iter().filter(|r| !is_public(r)) {
        let path = w.fill(&r.path);
        let method = Method::from_bytes(r.method.as_bytes()).expect("method");
        let mut req = anon.request(method, app.url(&path));
        if r.method != "GET" {
            req = if is_api(r) {
                req.header("content-type", "application/json").body(
                    w.fill(
                        &api_body(&r.method, &r.path)
                            .unwrap_or(json!({}))
                            .to_string(),
                    ),
                )
            } else {
                req.form(&[("csrf", "x")])
            };
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let what = format!("anonymous {} {}", r.method, r.path);
        if is_api(r) {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{what}"
            );
            assert_eq!(res.headers()["www-authenticate"], "Bearer", "{what}");
        } else if is_client(r) {
            // Behind a link: the kind "your session has ended" page.
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        } else {
            assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
            assert_eq!(res.headers()["location"], "/login", "{what}");
        }
        let body = res.text().await.expect("body");
        assert_shows_none_of(&body, A_WORDS, &what);
        checked += 1;
    }
    assert!(checked > 50, "only {checked} routes checked");
}

// ---------------------------------------------------------------------------------------------
// Point 6: the actor matrix.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    CounselorB,
    /// A practice admin who is not the couple's counselor: sees counselors, practice settings
    /// and the audit log, and clinical records only of their own caseload (`product.md`).
    Admin,
    ForeignClient,
    OtherPartner,
}

/// The practice's administration pages (counselors, settings, audit log).
fn is_admin_page(r: &RouteEntry) -> bool {
    r.path.starts_with("/admin/")
}

/// Routes where an admin acts on a counselor (A's account): their job, not a leak, and a
/// change the matrix must not make; `admin` tests them.
fn admins_power(r: &RouteEntry) -> bool {
    r.path.contains("{counselor_id}")
}

/// What an actor may legitimately get from a route. Everything not listed here must be 404
/// (a route naming one of A's records) or a refusal to an actor who is not signed in for it.
/// The body never shows A's data, whatever the status.
enum Expect {
    /// 404, as for a record that does not exist.
    NotFound,
    /// The actor is not signed in for this kind of route: pages send to sign-in, the API
    /// answers 401, client pages the kind "session ended" page.
    NotSignedIn,
    /// A route of the actor's own (a list, a form, their own homework): any answer, as long
    /// as it shows none of A's data.
    OwnView,
    /// An administration page an admin may read: 200, and still none of A's clinical data.
    AdminView,
}

fn expect(actor: Actor, r: &RouteEntry) -> Expect {
    match actor {
        Actor::CounselorB if is_client(r) => Expect::NotSignedIn,
        Actor::CounselorB if names_a_record(r) => Expect::NotFound,
        // Not an admin: the administration pages do not exist for B.
        Actor::CounselorB if is_admin_page(r) => Expect::NotFound,
        Actor::CounselorB => Expect::OwnView,
        // An admin's cookie means nothing behind a homework link; their role opens the
        // administration pages but no couple of another counselor's caseload.
        Actor::Admin if is_client(r) => Expect::NotSignedIn,
        Actor::Admin if names_a_record(r) => Expect::NotFound,
        Actor::Admin if is_admin_page(r) && r.method == "GET" => Expect::AdminView,
        Actor::Admin => Expect::OwnView,
        // A partner's cookie means nothing outside `/h`.
        Actor::ForeignClient | Actor::OtherPartner if !is_client(r) => Expect::NotSignedIn,
        Actor::ForeignClient | Actor::OtherPartner if names_a_record(r) => Expect::NotFound,
        Actor::ForeignClient | Actor::OtherPartner => Expect::OwnView,
    }
}

/// Routes without a record of A's in the path that would change the actor's own state (sign
/// out, create their own records): not about A, left out of the matrix.
fn own_state_change(r: &RouteEntry) -> bool {
    r.method != "GET" && !names_a_record(r)
}

async fn other_actors_get_404_and_none_of_a_s_data_on_every_route(app: TestApp) {
    let w = world(&app).await;
    let admin = app
        .counselor("Practice Admin", "admin@practice.example", Role::Admin)
        .await;
    let admin_token = app.api_token(admin.id).await;
    let admin_browser = Browser::new(&app);
    admin_browser
        .sign_in("admin@practice.example", PASSWORD)
        .await;
    let admin_csrf = counselor_csrf(&admin_browser).await;
    let before = without_read_traces(snapshot(&app).await);
    let b_csrf = counselor_csrf(&w.b_browser).await;
    let foreign_csrf = client_csrf(&w.foreign_client).await;
    let other_csrf = client_csrf(&w.other_partner).await;
    let mut checked = 0;
    let mut not_found = 0;
    let mut admin_views = 0;
    for r in routes()
        .iter()
        .filter(|r| !is_public(r) && !own_state_change(r))
    {
        for actor in [
            Actor::CounselorB,
            Actor::Admin,
            Actor::ForeignClient,
            Actor::OtherPartner,
        ] {
            if actor == Actor::Admin && admins_power(r) {
                continue;
            }
            let what = format!("{actor:?}: {} {}", r.method, r.path);
            let path = w.fill(&r.path);
            let res = match actor {
                Actor::CounselorB if is_api(r) => api_request(&app, &w, &w.b_token, r).await,
                Actor::CounselorB => {
                    page_request(&w.b_browser, &path, &r.method, Some(&b_csrf)).await
                }
                Actor::Admin if is_api(r) => api_request(&app, &w, &admin_token, r).await,
                Actor::Admin => {
                    page_request(&admin_browser, &path, &r.method, Some(&admin_csrf)).await
                }
                Actor::ForeignClient if is_api(r) => api_request(&app, &w, "", r).await,
                Actor::ForeignClient => {
                    page_request(&w.foreign_client, &path, &r.method, Some(&foreign_csrf)).await
                }
                Actor::OtherPartner if is_api(r) => api_request(&app, &w, "", r).await,
                Actor::OtherPartner => {
                    page_request(&w.other_partner, &path, &r.method, Some(&other_csrf)).await
                }
            };
            let status = res.status();
            let location = res
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = res.text().await.expect("body");
            match expect(actor, r) {
                Expect::NotFound => {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {body}");
                    not_found += 1;
                }
                Expect::NotSignedIn if is_api(r) => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}")
                }
                Expect::NotSignedIn if is_client(r) => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}")
                }
                Expect::NotSignedIn => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                    assert_eq!(location, "/login", "{what}");
                }
                Expect::OwnView => assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{what}"),
                Expect::AdminView => {
                    assert_eq!(status, StatusCode::OK, "{what}");
                    admin_views += 1;
                }
            }
            // The other partner may see their own name and the exercise given to them both.
            let words: Vec<&str> = match actor {
                Actor::OtherPartner if matches!(expect(actor, r), Expect::OwnView) => A_WORDS
                    .iter()
                    .copied()
                    .filter(|w| ![A_HURT, A_EXERCISE, "Quillfeather"].contains(w))
                    .collect(),
                _ => A_WORDS.to_vec(),
            };
            assert_shows_none_of(&body, &words, &what);
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} requests");
    assert!(not_found > 50, "only {not_found} answers were 404");
    // Counselors, practice settings, the audit log and its export.
    assert!(admin_views >= 4, "only {admin_views} administration pages");
    let after = without_read_traces(snapshot(&app).await);
    assert_same(&before, &after, "the other actors' requests");
    // What the admin sees there: A among the counselors, and A's work in the audit log by
    // action, never by the couple's words.
    let (_, html) = admin_browser.get_html("/admin/counselors").await;
    assert!(html.contains("a@practice.example"), "{html}");
    let (status, html) = admin_browser.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Counselor A"),
        "A's actions are listed: {html}"
    );
    assert_shows_none_of(&html, A_WORDS, "the admin's audit log");
    // A still sees their couple: the matrix did not break anything for the owner.
    let (status, html) = w
        .a_browser
        .get_html(&format!("/couples/{}", w.couple))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(A_LABEL));
    let _ = (w.involved, w.b_couple, &w.a_token, &w.involved_client);
}

// ---------------------------------------------------------------------------------------------
// Point 12: CSRF and same-origin on every state-changing page; no GET changes anything.

async fn every_state_changing_page_needs_a_csrf_token_and_the_same_origin(app: TestApp) {
    let w = world(&app).await;
    let before = without_read_traces(snapshot(&app).await);
    let a_csrf = counselor_csrf(&w.a_browser).await;
    let client_token = client_csrf(&w.involved_client).await;
    // The sign-in form's token comes with a cookie, on a fresh browser.
    let anon = Browser::new(&app);
    let login_csrf = anon.csrf("/login").await;
    let mut checked = 0;
    for r in routes().iter().filter(|r| r.method != "GET" && !is_api(r)) {
        let path = w.fill(&r.path);
        let (browser, token) = if r.path == "/login" {
            (&anon, login_csrf.as_str())
        } else if is_client(r) {
            (&w.involved_client, client_token.as_str())
        } else {
            (&w.a_browser, a_csrf.as_str())
        };
        let send = |csrf: Option<&str>, header: Option<(&'static str, &'static str)>| {
            let mut body: Vec<(&str, String)> = vec![
                ("email", "a@practice.example".into()),
                ("password", PASSWORD.into()),
            ];
            if let Some(c) = csrf {
                body.push(("csrf", c.to_owned()));
            }
            let mut req = browser
                .client
                .request(
                    Method::from_bytes(r.method.as_bytes()).expect("method"),
                    browser.url(&path),
                )
                .form(&body);
            if let Some((k, v)) = header {
                req = req.header(k, v);
            }
            req.send()
        };
        let what = format!("{} {}", r.method, r.path);
        // The opt-out link is a capability (its token is the secret) and must work in one click
        // from a mail program (RFC 8058), so it carries no CSRF token; the same-origin check
        // still applies.
        if !r.path.starts_with("/reminders/opt-out/") {
            let res = send(None, None).await.expect("request");
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{what} without a CSRF token"
            );
        }
        let res = send(Some(token), Some(("sec-fetch-site", "cross-site")))
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{what} with Sec-Fetch-Site: cross-site"
        );
        let res = send(Some(token), Some(("origin", "http://evil.test")))
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{what} from a foreign Origin"
        );
        let res = send(Some(token), Some(("sec-fetch-site", "same-site")))
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{what} from a sibling site"
        );
        checked += 1;
    }
    assert!(checked > 25, "only {checked} routes");
    let after = without_read_traces(snapshot(&app).await);
    assert_same(&before, &after, "refused cross-site and tokenless posts");
    // Still signed in, and the token still works: the refusals ended nothing.
    assert_eq!(w.a_browser.get("/").await.status(), StatusCode::OK);
}

async fn no_get_changes_anything(app: TestApp) {
    let w = world(&app).await;
    let before = without_read_traces(snapshot(&app).await);
    let mut checked = 0;
    for r in routes().iter().filter(|r| r.method == "GET") {
        let path = w.fill(&r.path);
        let what = format!("GET {}", r.path);
        // `/h/{secret}` exchanges a link for a session: security_links checks it on its own.
        let res = if is_api(r) {
            api_request(&app, &w, &w.a_token, r).await
        } else if is_client(r) {
            w.involved_client.get(&path).await
        } else {
            w.a_browser.get(&path).await
        };
        assert!(res.status() != StatusCode::INTERNAL_SERVER_ERROR, "{what}");
        // And HEAD, as link checkers and mail scanners send it.
        let head = w
            .a_browser
            .client
            .head(app.url(&path))
            .send()
            .await
            .expect("head");
        assert!(
            head.status() != StatusCode::INTERNAL_SERVER_ERROR,
            "HEAD {}",
            r.path
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} routes");
    let after = without_read_traces(snapshot(&app).await);
    assert_same(&before, &after, "GET requests");
}

// ---------------------------------------------------------------------------------------------
// Point 11: security headers on every answer.

fn assert_security_headers(h: &reqwest::header::HeaderMap, hsts: bool, what: &str) {
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    let script = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .or_else(|| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.starts_with("default-src"))
        })
        .unwrap_or_else(|| panic!("{what}: no script-src or default-src: {csp}"));
    assert!(
        !script.contains("'unsafe-inline'") && !script.contains("'unsafe-eval'"),
        "{what}: {csp}"
    );
    assert!(
        !script.contains('*') && !script.contains("data:"),
        "{what}: {csp}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}"
    );
    let referrer = h
        .get("referrer-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer),
        "{what}: Referrer-Policy {referrer:?}"
    );
    assert!(h.contains_key("cross-origin-opener-policy"), "{what}: COOP");
    if hsts {
        let v = h
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no HSTS"));
        let age: u64 = v
            .split(';')
            .find_map(|p| p.trim().strip_prefix("max-age="))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{what}: {v}"));
        assert!(age >= 31_536_000, "{what}: {v}");
    } else {
        assert!(
            !h.contains_key("strict-transport-security"),
            "{what}: HSTS without secure cookies"
        );
    }
}

/// `name=value` of every cookie the response sets.
fn set_cookies(r: &Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next().map(str::to_owned))
        .collect()
}

/// Sign in by hand (the test client keeps no `Secure` cookies over plain HTTP): the Cookie
/// header of the new session and its CSRF token.
async fn sign_in_by_hand(app: &TestApp, client: &reqwest::Client, email: &str) -> (String, String) {
    let r = client.get(app.url("/login")).send().await.expect("login");
    let jar = set_cookies(&r).join("; ");
    let csrf = csrf_from(&r.text().await.expect("html")).expect("csrf");
    let r = client
        .post(app.url("/login"))
        .header("cookie", &jar)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let cookie = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("__Host-"))
        .expect("session cookie");
    let html = client
        .get(app.url("/settings"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("settings")
        .text()
        .await
        .expect("html");
    (cookie, csrf_from(&html).expect("csrf"))
}

async fn headers_on_every_answer(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.secure_cookies = true).await;
    let a = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let token = app.api_token(a.id).await;
    let c = created(
        app.api(&token)
            .post_json(
                "/api/v1/couples",
                &couple_body(A_LABEL, A_INVOLVED, A_HURT, A_INVOLVED_EMAIL),
            )
            .await,
        "couple",
    )
    .await;
    let couple = id(&c, "/id").to_string();
    let hurt = id(&c, "/partners/1/id");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (cookie, csrf) = sign_in_by_hand(&app, &client, "a@practice.example").await;
    let secret = links::mint(&app.db, app.clock.as_ref(), hurt, Duration::days(9))
        .await
        .expect("mint");
    let fill = |p: &str| {
        p.replace("{couple_id}", &couple)
            .replace("{role}", "hurt")
            .replace("{stage}", "admission")
            .replace("{secret}", "x")
            .replace("{token}", "x")
            .replace(['{', '}'], "")
    };
    let mut seen = 0;
    for r in routes() {
        let method = Method::from_bytes(r.method.as_bytes()).expect("method");
        let url = app.url(&fill(&r.path));
        // Anonymous, then signed in (cookie and token), each with and without a body.
        for signed in [false, true] {
            let mut req = client.request(method.clone(), &url);
            if signed {
                req = req.header("cookie", &cookie).bearer_auth(&token);
            }
            if r.method != "GET" {
                req = if is_api(&r) {
                    req.json(&json!({}))
                } else {
                    req.form(&[("csrf", csrf.as_str())])
                };
            }
            let res = req.send().await.expect("request");
            assert_security_headers(
                res.headers(),
                true,
                &format!("{} {} ({})", r.method, r.path, res.status()),
            );
            seen += 1;
        }
    }
    // Not-found, method not allowed, static files, a link and its pages, errors of each kind.
    let extra: Vec<(Method, String)> = vec![
        (Method::GET, "/no/such/page".into()),
        (Method::GET, "/api/v1/no/such/thing".into()),
        (Method::DELETE, "/login".into()),
        (Method::PUT, "/api/v1/couples".into()),
        (Method::GET, "/static/kintsugi.css".into()),
        (Method::GET, "/static/autosave.js".into()),
        (Method::GET, "/static/nothing.js".into()),
        (Method::GET, format!("/h/{}", secret.expose())),
        (Method::HEAD, format!("/h/{}", secret.expose())),
        (Method::GET, "/h".into()),
        (Method::GET, "/api/v1/couples?sort=bogus".into()),
        (Method::GET, "/api/v1/openapi.json".into()),
    ];
    for (m, path) in extra {
        let res = client
            .request(m.clone(), app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_security_headers(
            res.headers(),
            true,
            &format!("{m} {path} ({})", res.status()),
        );
        seen += 1;
    }
    // An oversize body and a malformed one.
    let res = client
        .post(app.url("/api/v1/couples"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b'x'; 300 * 1024])
        .send()
        .await
        .expect("request");
    assert_security_headers(res.headers(), true, "oversize body");
    assert!(seen > 150, "only {seen} answers");

    // Without secure cookies: the same headers, but no HSTS (plain HTTP in development).
    let plain = TestApp::spawn(backend).await;
    for path in [
        "/login",
        "/nothing",
        "/api/v1/couples",
        "/h/x",
        "/static/kintsugi.css",
    ] {
        let res = client.get(plain.url(path)).send().await.expect("request");
        assert_security_headers(res.headers(), false, path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_answer_sqlite() {
    headers_on_every_answer(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_answer_postgres() {
    if std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        headers_on_every_answer(Backend::Postgres).await;
    }
}
