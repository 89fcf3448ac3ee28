//! Mass assignment and fixed lists (issue #7, point 7): owner, couple and stage fields cannot be
//! set through JSON (every API body refuses fields it does not declare) or forms (unknown form
//! fields are ignored and change nothing); sort and filter parameters are checked against
//! fixed lists (the API refuses an unknown value with a problem, pages fall back to defaults).

use kintsugi_core::entities::{assignment, counseling_session, couple, exercise, note, partner};
use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::actors::{A_LABEL, World, api_body, counselor_csrf, routes, world};
use crate::support::snapshot::{assert_same, snapshot, without_read_traces};
use crate::support::{Browser, PASSWORD, TestApp};

db_tests!(
    api_bodies_refuse_owner_couple_and_stage_fields,
    forms_ignore_owner_couple_and_stage_fields,
    sort_and_filter_values_come_from_fixed_lists,
);

/// Fields that would move a record to another owner, couple or stage, or forge a signature.
const HOSTILE: &[&str] = &[
    "counselor_id",
    "couple_id",
    "partner_id",
    "current_stage",
    "stage",
    "status",
    "signed_by",
    "signed_at",
    "owner",
    "id",
    "created_at",
    "version",
];

fn openapi() -> Value {
    serde_json::from_str(kintsugi_web::routes::api::openapi_document()).expect("openapi")
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(&r.replace("#/", "/"))
            .unwrap_or_else(|| panic!("{r}")),
        None => schema,
    }
}

/// (method, path, body schema) of every API operation that takes a JSON body.
fn bodies(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                out.push((method.to_uppercase(), path.clone(), schema.clone()));
            }
        }
    }
    assert!(out.len() > 10, "{out:?}");
    out
}

#[test]
fn every_api_body_has_a_valid_example() {
    for (method, path, _) in bodies(&openapi()) {
        assert!(
            api_body(&method, &path).is_some(),
            "{method} {path} takes a body: add a valid example to security_routes::api_body"
        );
    }
}

/// The body with `field` added to the object (or to each object of an array).
fn with_field(body: &Value, field: &str, value: &Value) -> Value {
    let mut b = body.clone();
    match &mut b {
        Value::Object(m) => {
            m.insert(field.to_owned(), value.clone());
        }
        Value::Array(items) => {
            for i in items {
                if let Value::Object(m) = i {
                    m.insert(field.to_owned(), value.clone());
                }
            }
        }
        _ => {}
    }
    b
}

async fn api_bodies_refuse_owner_couple_and_stage_fields(app: TestApp) {
    let w = world(&app).await;
    let doc = openapi();
    let before = without_read_traces(snapshot(&app).await);
    let forged = json!(w.b_couple.to_string());
    let mut checked = 0;
    for (method, path, schema) in bodies(&doc) {
        let schema = resolve(&doc, &schema);
        let object = if schema["type"] == "array" {
            resolve(&doc, &schema["items"])
        } else {
            schema
        };
        let declared: Vec<String> = object["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let valid = api_body(&method, &path).expect("example");
        for field in HOSTILE.iter().filter(|f| !declared.iter().any(|d| d == *f)) {
            let body = with_field(&valid, field, &forged);
            let r = reqwest::Client::new()
                .request(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    app.url(&w.fill(&path)),
                )
                .bearer_auth(&w.a_token)
                .header("content-type", "application/json")
                .body(w.fill(&body.to_string()))
                .send()
                .await
                .expect("request");
            let what = format!("{method} {path} with {field}");
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
            let problem = r.text().await.expect("body");
            assert!(
                problem.contains("unknown field") && problem.contains(field),
                "{what}: {problem}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} bodies");
    let after = without_read_traces(snapshot(&app).await);
    assert_same(&before, &after, "bodies with forged fields");
}

/// Who owns what, and each couple's stage.
async fn ownership(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for c in couple::Entity::find().all(&app.db).await.expect("couples") {
        out.push(format!(
            "couple {} {} {:?}",
            c.id, c.counselor_id, c.current_stage
        ));
    }
    for p in partner::Entity::find()
        .all(&app.db)
        .await
        .expect("partners")
    {
        out.push(format!("partner {} {}", p.id, p.couple_id));
    }
    for a in assignment::Entity::find()
        .all(&app.db)
        .await
        .expect("assignments")
    {
        out.push(format!(
            "assignment {} {} {:?}",
            a.id, a.couple_id, a.session_id
        ));
    }
    for s in counseling_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions")
    {
        out.push(format!("session {} {}", s.id, s.couple_id));
    }
    for e in exercise::Entity::find()
        .all(&app.db)
        .await
        .expect("exercises")
    {
        out.push(format!(
            "exercise {} {:?} {:?}",
            e.id, e.counselor_id, e.stage
        ));
    }
    for n in note::Entity::find().all(&app.db).await.expect("notes") {
        out.push(format!("note {} {} {:?}", n.id, n.session_id, n.signed_by));
    }
    out.sort();
    out
}

fn forged_form(w: &World, csrf: &str) -> Vec<(&'static str, String)> {
    let b = w.b_couple.to_string();
    vec![
        ("csrf", csrf.to_owned()),
        ("counselor_id", b.clone()),
        ("couple_id", b.clone()),
        ("partner_id", b.clone()),
        ("current_stage", "shared_responsibility".to_owned()),
        ("signed_by", b.clone()),
        ("owner", b),
    ]
}

async fn forms_ignore_owner_couple_and_stage_fields(app: TestApp) {
    let w = world(&app).await;
    let csrf = counselor_csrf(&w.a_browser).await;
    let owners = ownership(&app).await;
    // Every form of A's own records, posted with only forged fields: whatever the handler
    // answers (most refuse the form as incomplete), no record changes owner, couple or stage.
    let mut checked = 0;
    for r in routes().iter().filter(|r| {
        r.method == "POST"
            && !r.path.starts_with("/api/")
            && !r.path.starts_with("/h")
            && r.path != "/logout"
            && r.path != "/login"
    }) {
        let res = w
            .a_browser
            .client
            .post(w.a_browser.url(&w.fill(&r.path)))
            .form(&forged_form(&w, &csrf))
            .send()
            .await
            .expect("post");
        assert!(
            res.status() != StatusCode::INTERNAL_SERVER_ERROR,
            "POST {}",
            r.path
        );
        checked += 1;
    }
    assert!(checked > 20, "only {checked} forms");
    let after = ownership(&app).await;
    let new: Vec<&String> = after.iter().filter(|o| !owners.contains(o)).collect();
    // New records may appear (a valid form creates one), but none belongs to B or sits in a
    // stage a form chose, and no existing record moved.
    for o in owners.iter() {
        assert!(after.contains(o), "{o} changed; new rows: {new:?}");
    }
    let b = w.b_couple.to_string();
    for o in new {
        assert!(!o.contains(&b), "a form set a foreign id: {o}");
    }

    // A complete new-couple form with forged fields: the couple is A's, in the first stage.
    // (The sweep may have ended A's sessions: "sign out everywhere" is a form too.)
    let a = Browser::new(&app);
    a.sign_in("a@practice.example", PASSWORD).await;
    let csrf = counselor_csrf(&a).await;
    let mut form = crate::support::couple_form("Forged Fields Pair");
    form.extend(forged_form(&w, &csrf).into_iter().skip(1));
    let r = a.post_with("/couples", &csrf, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "created");
    let c = couple::Entity::find()
        .all(&app.db)
        .await
        .expect("couples")
        .into_iter()
        .find(|c| c.label == "Forged Fields Pair")
        .expect("the new couple");
    assert_eq!(
        c.counselor_id, w.a,
        "the couple belongs to whoever is signed in"
    );
    assert_ne!(
        c.current_stage,
        Some(kintsugi_core::stages::Stage::SharedResponsibility),
        "the stage is not the form's to choose"
    );
}

async fn sort_and_filter_values_come_from_fixed_lists(app: TestApp) {
    let w = world(&app).await;
    let doc = openapi();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let Some(op) = ops.get("get") else { continue };
        let params: Vec<String> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let url = w.fill(path);
        // Free text is free; every other parameter takes a fixed list, a number or a date.
        for p in params.iter().filter(|p| *p != "q") {
            let r = app
                .api(&w.a_token)
                .get(&format!("{url}?{p}=__bogus__"))
                .await;
            let status = r.status();
            assert!(
                status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
                "GET {path}?{p}=__bogus__: {status}"
            );
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            checked += 1;
        }
        if !params.is_empty() {
            let r = app
                .api(&w.a_token)
                .get(&format!("{url}?order_by=label"))
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "GET {path} with an unknown parameter"
            );
        }
    }
    assert!(checked >= 5, "only {checked} parameters");

    // Pages fall back to their defaults.
    let (status, plain) = w.a_browser.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    let (status, bogus) = w
        .a_browser
        .get_html("/?sort=__bogus__&status=__bogus__&stage=__bogus__&page=__bogus__")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain.contains(A_LABEL));
    assert!(bogus.contains(A_LABEL), "defaults apply");
    let (status, _) = w
        .a_browser
        .get_html("/library?stage=__bogus__&recipient=__bogus__")
        .await;
    assert_eq!(status, StatusCode::OK);
}
