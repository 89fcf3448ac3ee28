//! The homework API: the exercise library, assignments with each partner's response, review,
//! and partners' homework links (send, rotate, revoke). Another counselor gets 404 on every
//! route; unknown and malformed ids get 404; bad bodies get 422 naming the field, never a 500;
//! links are built from the configured base URL, never the Host header, and never returned.

use chrono::{Datelike, Duration, NaiveDate, SecondsFormat, Utc};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::{
    assignment, audit_event, exercise, homework_link, outbox_message, partner,
};
use kintsugi_core::homework::assignments::local_to_utc;
use kintsugi_core::homework::links::{self, LinkRefusal, LinkSecret};
use kintsugi_core::homework::prompts::RawAnswer;
use kintsugi_core::homework::responses::{self, Saved};
use kintsugi_core::practice::Role;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::bodies::{kb100, with, without};
use crate::support::fixture::{STAGES, submit_in_core};
use crate::support::http::{self, Api, assert_invalid_mentioning, problem, problem_fields};
use crate::support::{Backend, TestApp, couple_json};

db_tests!(
    exercises_are_listed_filtered_read_and_created,
    exercise_create_refuses_bad_bodies_naming_the_field,
    assignments_are_created_listed_and_read_with_both_partners_responses,
    local_due_times_are_read_in_the_given_or_the_counselors_time_zone,
    recurring_assignments_make_one_assignment_per_occurrence,
    assignment_create_refuses_bad_bodies_naming_the_field,
    due_times_move_assignments_cancel_and_responses_are_reviewed,
    homework_bodies_that_are_not_json_are_refused,
    rotate_revokes_older_links_and_revoke_kills_all,
    link_routes_refuse_unknown_roles_actions_and_parameters,
    another_counselor_gets_404_on_every_homework_route,
    unknown_and_malformed_ids_are_404,
    homework_reads_and_changes_are_audited,
);

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

// ---------------------------------------------------------------------------------------------
// Helpers.

async fn counselor_api(app: &TestApp, email: &str) -> Api {
    let c = app.counselor("Counselor", email, Role::Counselor).await;
    app.api(&app.api_token(c.id).await)
}

async fn new_couple(api: &Api, label: &str) -> String {
    let r = api.post_json("/api/v1/couples", &couple_json(label)).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    created["id"].as_str().expect("id").to_owned()
}

/// An exercise with every kind of prompt.
fn exercise_body(title: &str) -> Value {
    json!({
        "title": title,
        "stage": "validation",
        "recipient": "both",
        "instructions": "Take ten quiet minutes.\nAnswer as honestly as you can.",
        "prompts": [
            {"key": "trust", "label": "How much do you trust your partner today?", "kind": "scale",
             "required": true, "low_label": "Not at all", "high_label": "Completely"},
            {"key": "mood", "label": "One word for today", "kind": "short_text"},
            {"key": "feelings", "label": "What did you feel?", "kind": "checklist",
             "options": ["Anger", "Sadness", "Hope"]},
            {"key": "talk", "label": "Did you talk about it?", "kind": "single_choice",
             "required": true, "options": ["Yes", "No"]},
            {"key": "note", "label": "Anything else?", "kind": "long_text"}
        ]
    })
}

async fn new_exercise(api: &Api, title: &str) -> Value {
    let r = api
        .post_json("/api/v1/exercises", &exercise_body(title))
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

fn due_in(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn assignment_body(exercise_id: &str) -> Value {
    json!({
        "exercise_id": exercise_id,
        "assignees": ["involved", "hurt"],
        "due_at": due_in(7),
        "visibility": "shareable"
    })
}

async fn assign(api: &Api, couple_id: &str, body: &Value) -> Response {
    api.post_json(&format!("/api/v1/couples/{couple_id}/assignments"), body)
        .await
}

/// Assign and return the one assignment created.
async fn assign_one(api: &Api, couple_id: &str, body: &Value) -> Value {
    let r = assign(api, couple_id, body).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["items"].as_array().expect("items").len(), 1);
    created["items"][0].clone()
}

async fn read_assignment(api: &Api, id: &str) -> Value {
    let r = api.get(&format!("/api/v1/assignments/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn partner_of(app: &TestApp, couple_id: &str, role: PartnerRole) -> partner::Model {
    partner::Entity::find()
        .filter(partner::Column::CoupleId.eq(uuid::Uuid::parse_str(couple_id).expect("uuid")))
        .filter(partner::Column::Role.eq(role))
        .one(&app.db)
        .await
        .expect("query")
        .expect("partner")
}

fn response_id(assignment: &Value, role: &str) -> uuid::Uuid {
    let id = assignment["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .find(|a| a["role"] == role)
        .expect("assignee")["response_id"]
        .as_str()
        .expect("response id");
    uuid::Uuid::parse_str(id).expect("uuid")
}

fn raw(answers: &[(&str, &[&str])]) -> Vec<(String, RawAnswer)> {
    answers
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                RawAnswer {
                    values: v.iter().map(|s| (*s).to_owned()).collect(),
                },
            )
        })
        .collect()
}

/// A partner submits their response through the core (as the client pages do).
async fn submit(
    app: &TestApp,
    couple_id: &str,
    assignment: &Value,
    role: PartnerRole,
    answers: &[(&str, &[&str])],
    share: bool,
) {
    let p = partner_of(app, couple_id, role).await;
    let response = response_id(assignment, role.key());
    submit_in_core(app, &p, response, &raw(answers), share).await;
}

/// A 422 problem naming `field`; it never echoes a huge value.
async fn assert_invalid(r: Response, field: &str, what: &str) -> Value {
    let p = http::assert_invalid(r, field, what).await;
    assert!(p.to_string().len() < 10_000, "{what}: the problem is short");
    p
}

/// A 404 problem that tells nothing about the record.
async fn assert_not_found(r: Response, secrets: &[&str], what: &str) {
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what}");
    let p = problem(r).await;
    assert_eq!(p["status"], 404, "{what}");
    let text = p.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{what}: the 404 mentions {s:?}: {text}");
    }
}

async fn own_exercise_count(app: &TestApp) -> u64 {
    exercise::Entity::find()
        .filter(exercise::Column::CounselorId.is_not_null())
        .count(&app.db)
        .await
        .expect("count")
}

async fn assignment_count(app: &TestApp) -> u64 {
    assignment::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

/// The homework-link emails in the outbox (assigning homework queues other kinds too).
async fn outbox(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("homework_link"))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("outbox")
}

/// The secret of the homework link in an outbox message.
fn secret_of(message: &outbox_message::Model) -> String {
    let payload: Value = serde_json::from_str(&message.payload).expect("payload");
    let link = payload["link"].as_str().expect("link");
    let (_, secret) = link.rsplit_once("/h/").expect("a homework link");
    secret.to_owned()
}

async fn link_state(app: &TestApp, secret: &str) -> Result<uuid::Uuid, LinkRefusal> {
    let secret = LinkSecret::parse(secret).expect("well-formed secret");
    links::verify(&app.db, app.clock.as_ref(), &secret)
        .await
        .expect("verify")
        .map(|(_, partner)| partner.id)
}

fn parse_time(v: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// The exercise library.

async fn exercises_are_listed_filtered_read_and_created(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let r = api.get("/api/v1/exercises").await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("json");
    let items = list["items"].as_array().expect("items");
    assert!(items.len() >= 12, "at least two built-ins per stage");
    assert_eq!(list["total"], items.len());
    assert!(list["next"].is_null());
    assert!(items.iter().all(|e| e["builtin"] == true));
    for stage in STAGES {
        let n = items.iter().filter(|e| e["stage"] == stage).count();
        assert!(n >= 2, "{stage}: {n}");
    }
    let prompts: Vec<&Value> = items
        .iter()
        .flat_map(|e| e["prompts"].as_array().expect("prompts"))
        .collect();
    let scale = prompts
        .iter()
        .find(|p| p["kind"] == "scale")
        .expect("a scale prompt");
    assert!(scale["low_label"].is_string() && scale["high_label"].is_string());
    assert!(scale.get("options").is_none());
    let choice = prompts
        .iter()
        .find(|p| p["kind"] == "single_choice" || p["kind"] == "checklist")
        .expect("a choice prompt");
    assert!(choice["options"].as_array().expect("options").len() >= 2);
    assert!(
        prompts
            .iter()
            .all(|p| p["key"].is_string() && p["label"].is_string() && p["required"].is_boolean())
    );

    // Filters.
    let validation: Value = api.get_json("/api/v1/exercises?stage=validation").await;
    let v = validation["items"].as_array().expect("items");
    assert!(!v.is_empty() && v.iter().all(|e| e["stage"] == "validation"));
    let hurt: Value = api.get_json("/api/v1/exercises?recipient=hurt").await;
    let h = hurt["items"].as_array().expect("items");
    assert!(!h.is_empty() && h.iter().all(|e| e["recipient"] == "hurt"));

    // Unknown filter values and parameters are named.
    let r = api
        .get("/api/v1/exercises?stage=stage_seven&recipient=everyone&owner=me")
        .await;
    let p = assert_invalid(r, "stage", "bad filters").await;
    assert_eq!(problem_fields(&p), ["stage", "recipient", "owner"]);
    for query in ["stage=", "stage=ADMISSION", "recipient=", "recipient=Both"] {
        let r = api.get(&format!("/api/v1/exercises?{query}")).await;
        assert_eq!(r.status(), 422, "?{query}");
    }

    // Create one's own, with hostile text kept verbatim.
    let title = format!("Evening check-in {SCRIPT} & \"friends\"");
    let body = with(exercise_body(&title), "/prompts/4/label", json!(IMG));
    let r = api.post_json("/api/v1/exercises", &body).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["builtin"], false);
    assert_eq!(created["title"], title.as_str());
    assert_eq!(created["stage"], "validation");
    assert_eq!(created["recipient"], "both");
    assert_eq!(
        created["instructions"],
        "Take ten quiet minutes.\nAnswer as honestly as you can."
    );
    assert_eq!(
        created["prompts"],
        json!([
            {"key": "trust", "label": "How much do you trust your partner today?", "kind": "scale",
             "required": true, "low_label": "Not at all", "high_label": "Completely"},
            {"key": "mood", "label": "One word for today", "kind": "short_text", "required": false},
            {"key": "feelings", "label": "What did you feel?", "kind": "checklist", "required": false,
             "options": ["Anger", "Sadness", "Hope"]},
            {"key": "talk", "label": "Did you talk about it?", "kind": "single_choice", "required": true,
             "options": ["Yes", "No"]},
            {"key": "note", "label": IMG, "kind": "long_text", "required": false}
        ])
    );
    let id = created["id"].as_str().expect("id");
    let read: Value = api.get_json(&format!("/api/v1/exercises/{id}")).await;
    assert_eq!(read, created);

    let mine: Value = api
        .get_json("/api/v1/exercises?stage=validation&recipient=both")
        .await;
    assert!(
        mine["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["id"] == id && e["title"] == title.as_str())
    );
    let admission: Value = api.get_json("/api/v1/exercises?stage=admission").await;
    assert!(
        !admission["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["id"] == id)
    );

    // A built-in reads too.
    let builtin_id = items[0]["id"].as_str().expect("id");
    let r = api.get(&format!("/api/v1/exercises/{builtin_id}")).await;
    assert_eq!(r.status(), 200);
    let builtin: Value = r.json().await.expect("json");
    assert_eq!(builtin, items[0]);

    // Another counselor neither lists nor reads it.
    let other = counselor_api(&app, "b@practice.example").await;
    let theirs: Value = other.get_json("/api/v1/exercises").await;
    assert!(!theirs.to_string().contains("Evening check-in"));
    assert_not_found(
        other.get(&format!("/api/v1/exercises/{id}")).await,
        &["Evening check-in"],
        "another counselor's exercise",
    )
    .await;
}

async fn exercise_create_refuses_bad_bodies_naming_the_field(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let base = exercise_body("Check-in");
    let big = json!(kb100());
    let mut cases: Vec<(Value, &str, String)> = Vec::new();
    // Wrong types.
    for (pointer, value, field) in [
        ("/title", json!(5), "title"),
        ("/stage", json!(3), "stage"),
        ("/recipient", json!(["both"]), "recipient"),
        ("/instructions", json!(null), "instructions"),
        ("/prompts", json!("many"), "prompts"),
        ("/prompts/0", json!("trust"), "prompts[0]"),
        ("/prompts/0/required", json!("yes"), "prompts[0].required"),
        ("/prompts/2/options", json!("Anger"), "prompts[2].options"),
        ("/prompts/2/options/1", json!(7), "prompts[2].options[1]"),
        ("/prompts/0/low_label", json!(0), "prompts[0].low_label"),
    ] {
        cases.push((
            with(base.clone(), pointer, value),
            field,
            format!("wrong type at {pointer}"),
        ));
    }
    // Missing fields.
    for (pointer, field) in [
        ("/title", "title"),
        ("/stage", "stage"),
        ("/recipient", "recipient"),
        ("/instructions", "instructions"),
        ("/prompts", "prompts"),
        ("/prompts/1/key", "prompts[1].key"),
        ("/prompts/1/label", "prompts[1].label"),
        ("/prompts/1/kind", "prompts[1].kind"),
        ("/prompts/0/low_label", "prompts[0].low_label"),
        ("/prompts/0/high_label", "prompts[0].high_label"),
        ("/prompts/3/options", "prompts[3].options"),
        ("/prompts/2/options", "prompts[2].options"),
    ] {
        cases.push((
            without(base.clone(), pointer),
            field,
            format!("missing {pointer}"),
        ));
    }
    // Invalid values.
    for (pointer, value, field) in [
        ("/title", json!("   "), "title"),
        ("/title", json!("x".repeat(201)), "title"),
        ("/title", json!("tab\there"), "title"),
        ("/stage", json!("stage_seven"), "stage"),
        ("/stage", json!("Admission"), "stage"),
        ("/recipient", json!("everyone"), "recipient"),
        ("/instructions", json!(""), "instructions"),
        ("/instructions", json!("x".repeat(4001)), "instructions"),
        ("/prompts", json!([]), "prompts"),
        ("/prompts/2/label", json!(""), "prompts[2].label"),
        ("/prompts/0/kind", json!("essay"), "prompts[0].kind"),
        ("/prompts/1/key", json!("Mood!"), "prompts[1].key"),
        ("/prompts/1/key", json!(""), "prompts[1].key"),
        ("/prompts/1/key", json!("trust"), "prompts[1].key"),
        ("/prompts/2/options", json!(["Only"]), "prompts[2].options"),
        (
            "/prompts/2/options",
            json!(["Anger", ""]),
            "prompts[2].options",
        ),
        (
            "/prompts/3/options",
            json!(["Yes", "Yes"]),
            "prompts[3].options",
        ),
        (
            "/prompts/1/options",
            json!(["a", "b"]),
            "prompts[1].options",
        ),
        (
            "/prompts/4/low_label",
            json!("none"),
            "prompts[4].low_label",
        ),
        (
            "/prompts/0/options",
            json!(["a", "b"]),
            "prompts[0].options",
        ),
        ("/prompts/0/high_label", json!(" "), "prompts[0].high_label"),
    ] {
        cases.push((
            with(base.clone(), pointer, value),
            field,
            format!("invalid {pointer}"),
        ));
    }
    let too_many: Vec<Value> = (0..41)
        .map(|i| json!({"key": format!("q{i}"), "label": "Q", "kind": "short_text"}))
        .collect();
    cases.push((
        with(base.clone(), "/prompts", Value::Array(too_many)),
        "prompts",
        "41 prompts".into(),
    ));
    // 100 kB in every text field.
    for (pointer, field) in [
        ("/title", "title"),
        ("/stage", "stage"),
        ("/recipient", "recipient"),
        ("/instructions", "instructions"),
        ("/prompts/0/key", "prompts[0].key"),
        ("/prompts/0/label", "prompts[0].label"),
        ("/prompts/0/kind", "prompts[0].kind"),
        ("/prompts/0/low_label", "prompts[0].low_label"),
        ("/prompts/0/high_label", "prompts[0].high_label"),
        ("/prompts/2/options/0", "prompts[2].options"),
        ("/prompts/3/options/1", "prompts[3].options"),
    ] {
        cases.push((
            with(base.clone(), pointer, big.clone()),
            field,
            format!("100 kB at {pointer}"),
        ));
    }
    for (body, field, what) in cases {
        let r = api.post_json("/api/v1/exercises", &body).await;
        assert_invalid(r, field, &what).await;
    }
    // Several problems at once are all named.
    let body = with(base.clone(), "/title", json!(""));
    let body = with(body, "/prompts/2/label", json!(""));
    let body = with(body, "/prompts/4/kind", json!("poem"));
    let p = assert_invalid(
        api.post_json("/api/v1/exercises", &body).await,
        "title",
        "several",
    )
    .await;
    let mut fields = problem_fields(&p);
    fields.sort();
    assert_eq!(fields, ["prompts[2].label", "prompts[4].kind", "title"]);

    // Unknown fields, including attempts to set what only the server sets.
    for pointer in [
        "/counselor_id",
        "/id",
        "/builtin",
        "/builtin_key",
        "/version",
        "/archived",
        "/copied_from_id",
        "/created_at",
        "/prompts/0/id",
        "/prompts/0/exercise_id",
        "/prompts/0/position",
    ] {
        let body = with(
            base.clone(),
            pointer,
            json!("00000000-0000-0000-0000-000000000001"),
        );
        let key = pointer.rsplit('/').next().expect("key");
        assert_invalid_mentioning(
            api.post_json("/api/v1/exercises", &body).await,
            key,
            &format!("unknown field {pointer}"),
        )
        .await;
    }
    assert_eq!(own_exercise_count(&app).await, 0, "nothing was created");
}

// ---------------------------------------------------------------------------------------------
// Assignments.

async fn assignments_are_created_listed_and_read_with_both_partners_responses(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Evening check-in").await;
    let ex_id = ex["id"].as_str().expect("id");
    let body = assignment_body(ex_id);
    let created = assign_one(&api, &couple, &body).await;
    assert_eq!(created["couple_id"], couple.as_str());
    assert_eq!(created["exercise"]["id"], ex_id);
    assert_eq!(created["exercise"]["title"], "Evening check-in");
    assert_eq!(created["exercise"]["builtin"], false);
    assert_eq!(created["visibility"], "shareable");
    assert_eq!(parse_time(&created["due_at"]), parse_time(&body["due_at"]));
    assert!(created["recurrence"].is_null() && created["series_id"].is_null());
    assert!(created["cancelled_at"].is_null());
    let roles: Vec<&Value> = created["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .map(|a| &a["role"])
        .collect();
    assert_eq!(roles, [&json!("involved"), &json!("hurt")]);
    assert!(
        created["assignees"]
            .as_array()
            .expect("assignees")
            .iter()
            .all(|a| a["status"] == "assigned" && a["submitted_at"].is_null())
    );
    let id = created["id"].as_str().expect("id");

    // A built-in to the hurt partner only, for the counselor's eyes only.
    let library: Value = api.get_json("/api/v1/exercises?recipient=hurt").await;
    let builtin = library["items"][0]["id"].as_str().expect("builtin id");
    let body = json!({"exercise_id": builtin, "assignees": ["hurt"], "due_at": due_in(3),
                      "visibility": "counselor_only"});
    let second = assign_one(&api, &couple, &body).await;
    assert_eq!(second["visibility"], "counselor_only");
    assert_eq!(second["exercise"]["builtin"], true);
    assert_eq!(second["assignees"].as_array().expect("assignees").len(), 1);
    assert_eq!(second["assignees"][0]["role"], "hurt");

    // The list: latest due first, statuses, no answers.
    let list: Value = api
        .get_json(&format!("/api/v1/couples/{couple}/assignments"))
        .await;
    assert_eq!(list["total"], 2);
    assert!(list["next"].is_null());
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(list["items"][1]["id"], second["id"]);
    assert_eq!(list["items"][0], created);

    // The involved partner submits and shares; the hurt partner keeps a draft.
    submit(
        &app,
        &couple,
        &created,
        PartnerRole::Involved,
        &[
            ("trust", &["7"]),
            ("talk", &["Yes"]),
            ("feelings", &["Hope", "Anger"]),
            ("note", &[SCRIPT]),
        ],
        true,
    )
    .await;
    let hurt = partner_of(&app, &couple, PartnerRole::Hurt).await;
    let saved = responses::save_draft(
        &app.db,
        app.clock.as_ref(),
        &hurt,
        response_id(&created, "hurt"),
        &raw(&[("note", &["my private draft"])]),
    )
    .await
    .expect("draft");
    assert_eq!(saved, Saved::Done);

    let r = api.get(&format!("/api/v1/assignments/{id}")).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("body");
    assert!(
        !text.contains("my private draft"),
        "a draft stays the client's own until submitted"
    );
    let detail: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(detail["id"], id);
    assert_eq!(detail["exercise"]["prompts"], ex["prompts"]);
    let responses = detail["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0]["role"], "involved");
    assert_eq!(responses[0]["status"], "submitted");
    assert_eq!(
        responses[0]["answers"],
        json!({"trust": 7, "talk": "Yes", "feelings": ["Anger", "Hope"], "note": SCRIPT})
    );
    assert_eq!(responses[0]["shared_with_partner"], true);
    assert!(responses[0]["submitted_at"].is_string());
    assert!(responses[0]["reviewed_at"].is_null());
    assert_eq!(responses[1]["role"], "hurt");
    assert_eq!(responses[1]["status"], "draft");
    assert!(responses[1]["answers"].is_null());

    // Now the hurt partner submits without sharing: the counselor reads both.
    submit(
        &app,
        &couple,
        &created,
        PartnerRole::Hurt,
        &[
            ("trust", &["3"]),
            ("talk", &["No"]),
            ("note", &["Still raw."]),
        ],
        false,
    )
    .await;
    let detail = read_assignment(&api, id).await;
    let responses = detail["responses"].as_array().expect("responses");
    assert_eq!(responses[0]["answers"]["trust"], 7);
    assert_eq!(
        responses[1]["answers"],
        json!({"trust": 3, "talk": "No", "note": "Still raw."})
    );
    assert_eq!(responses[1]["status"], "submitted");
    assert_eq!(responses[1]["shared_with_partner"], false);
    let list: Value = api
        .get_json(&format!("/api/v1/couples/{couple}/assignments"))
        .await;
    assert!(
        list["items"][0]["assignees"]
            .as_array()
            .expect("assignees")
            .iter()
            .all(|a| a["status"] == "submitted")
    );
    assert!(
        !list.to_string().contains("Still raw."),
        "the list carries statuses, not answers"
    );
}

async fn local_due_times_are_read_in_the_given_or_the_counselors_time_zone(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let ex_id = ex["id"].as_str().expect("id");
    let day = (Utc::now() + Duration::days(10)).date_naive();
    let local = day.and_hms_opt(19, 0, 0).expect("time");
    let text = local.format("%Y-%m-%dT%H:%M").to_string();
    for (time_zone, zone) in [
        (Some("America/New_York"), "America/New_York"),
        (None, "Europe/Berlin"),
    ] {
        let mut body = with(assignment_body(ex_id), "/due_at", json!(text));
        if let Some(tz) = time_zone {
            body = with(body, "/time_zone", json!(tz));
        }
        let created = assign_one(&api, &couple, &body).await;
        let expected = local_to_utc(TimeZone::parse(zone).expect("tz"), local);
        assert_eq!(parse_time(&created["due_at"]), expected, "{zone}");
    }
    // Seconds are fine too; an offset wins over the time zone.
    let body = with(
        assignment_body(ex_id),
        "/due_at",
        json!(format!("{text}:30")),
    );
    let created = assign_one(&api, &couple, &body).await;
    assert_eq!(
        parse_time(&created["due_at"]),
        local_to_utc(TimeZone::parse("Europe/Berlin").expect("tz"), local) + Duration::seconds(30)
    );
    let instant = format!("{text}:00+05:30");
    let body = with(assignment_body(ex_id), "/due_at", json!(instant));
    let body = with(body, "/time_zone", json!("America/New_York"));
    let created = assign_one(&api, &couple, &body).await;
    assert_eq!(parse_time(&created["due_at"]), parse_time(&json!(instant)));
}

/// The last Sunday of March next year: Europe/Berlin moves to summer time that night.
fn next_spring_forward() -> NaiveDate {
    let year = Utc::now().year() + 1;
    let mut day = NaiveDate::from_ymd_opt(year, 3, 31).expect("date");
    while day.weekday() != chrono::Weekday::Sun {
        day = day.pred_opt().expect("date");
    }
    day
}

async fn recurring_assignments_make_one_assignment_per_occurrence(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let ex_id = ex["id"].as_str().expect("id");

    // Weekly at 19:00 Berlin time across the change to summer time.
    let dst = next_spring_forward();
    let first = dst - Duration::days(7);
    let until = dst + Duration::days(7);
    let body = json!({
        "exercise_id": ex_id,
        "assignees": ["involved", "hurt"],
        "due_at": format!("{first}T19:00"),
        "time_zone": "Europe/Berlin",
        "visibility": "shareable",
        "recurrence": {"every": "weekly", "until": until.to_string()}
    });
    let r = assign(&api, &couple, &body).await;
    assert_eq!(r.status(), 201);
    let weekly: Value = r.json().await.expect("json");
    let items = weekly["items"].as_array().expect("items");
    let dues: Vec<String> = items
        .iter()
        .map(|a| {
            parse_time(&a["due_at"])
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .collect();
    assert_eq!(
        dues,
        [
            format!("{first} 18:00"),
            format!("{dst} 17:00"),
            format!("{until} 17:00")
        ],
        "19:00 in Berlin each week"
    );
    let series = &items[0]["series_id"];
    assert!(series.is_string());
    let mut response_ids = Vec::new();
    for a in items {
        assert_eq!(&a["series_id"], series);
        assert_eq!(
            a["recurrence"],
            json!({"every": "weekly", "until": until.to_string()})
        );
        for assignee in a["assignees"].as_array().expect("assignees") {
            response_ids.push(assignee["response_id"].as_str().expect("id").to_owned());
        }
    }
    response_ids.sort();
    response_ids.dedup();
    assert_eq!(
        response_ids.len(),
        6,
        "each occurrence has its own responses"
    );

    // Daily, from an instant, in UTC.
    let start = Utc::now() + Duration::days(1);
    let body = json!({
        "exercise_id": ex_id,
        "assignees": ["hurt"],
        "due_at": start.to_rfc3339_opts(SecondsFormat::Secs, true),
        "time_zone": "UTC",
        "visibility": "counselor_only",
        "recurrence": {"every": "daily", "until": (start + Duration::days(4)).date_naive().to_string()}
    });
    let daily: Value = assign(&api, &couple, &body)
        .await
        .json()
        .await
        .expect("json");
    let items = daily["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    for (i, a) in items.iter().enumerate() {
        let expected = start + Duration::days(i64::try_from(i).expect("small"));
        assert_eq!(
            parse_time(&a["due_at"]).timestamp(),
            expected.timestamp(),
            "occurrence {i}"
        );
    }

    // Too many occurrences, or an end before the start, are named.
    let too_long = with(
        body.clone(),
        "/recurrence/until",
        json!((start + Duration::days(200)).date_naive().to_string()),
    );
    let p = assert_invalid(
        assign(&api, &couple, &too_long).await,
        "recurrence.until",
        "too many",
    )
    .await;
    assert!(p.to_string().contains("120"), "{p}");
    let backwards = with(
        body.clone(),
        "/recurrence/until",
        json!((start - Duration::days(2)).date_naive().to_string()),
    );
    assert_invalid(
        assign(&api, &couple, &backwards).await,
        "recurrence.until",
        "backwards",
    )
    .await;

    // The list pages through all eight.
    let mut seen = Vec::new();
    let mut next = Some(format!("/api/v1/couples/{couple}/assignments?per_page=3"));
    let mut pages = 0;
    while let Some(path) = next {
        let page: Value = api.get_json(&path).await;
        assert_eq!(page["total"], 8);
        for item in page["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        next = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8);
    for (query, field) in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=101", "per_page"),
        ("status=open", "status"),
    ] {
        let r = api
            .get(&format!("/api/v1/couples/{couple}/assignments?{query}"))
            .await;
        assert_invalid(r, field, query).await;
    }
    let far: Value = api
        .get_json(&format!(
            "/api/v1/couples/{couple}/assignments?page=1000000&per_page=100"
        ))
        .await;
    assert_eq!(far["items"], json!([]));
    assert!(far["next"].is_null());
}

async fn assignment_create_refuses_bad_bodies_naming_the_field(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let ex_id = ex["id"].as_str().expect("id");
    let other = counselor_api(&app, "b@practice.example").await;
    let theirs = new_exercise(&other, "Their own exercise").await;
    let base = with(
        assignment_body(ex_id),
        "/recurrence",
        json!({"every": "weekly", "until": (Utc::now() + Duration::days(30)).date_naive().to_string()}),
    );
    let big = json!(kb100());
    let mut cases: Vec<(Value, &str, String)> = Vec::new();
    for (pointer, value, field) in [
        ("/exercise_id", json!(5), "exercise_id"),
        ("/assignees", json!("hurt"), "assignees"),
        ("/assignees/0", json!(1), "assignees[0]"),
        ("/due_at", json!(1_800_000_000), "due_at"),
        ("/time_zone", json!(1), "time_zone"),
        ("/visibility", json!(true), "visibility"),
        ("/recurrence", json!("weekly"), "recurrence"),
        ("/recurrence/every", json!(7), "recurrence.every"),
        (
            "/recurrence/until",
            json!(["2030-01-01"]),
            "recurrence.until",
        ),
    ] {
        cases.push((
            with(base.clone(), pointer, value),
            field,
            format!("wrong type at {pointer}"),
        ));
    }
    for (pointer, field) in [
        ("/exercise_id", "exercise_id"),
        ("/assignees", "assignees"),
        ("/due_at", "due_at"),
        ("/visibility", "visibility"),
        ("/recurrence/every", "recurrence.every"),
        ("/recurrence/until", "recurrence.until"),
    ] {
        cases.push((
            without(base.clone(), pointer),
            field,
            format!("missing {pointer}"),
        ));
    }
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let far = (Utc::now() + Duration::days(3 * 365)).to_rfc3339();
    for (pointer, value, field) in [
        ("/exercise_id", json!("not-a-uuid"), "exercise_id"),
        ("/exercise_id", json!(uuid::Uuid::new_v4()), "exercise_id"),
        ("/exercise_id", theirs["id"].clone(), "exercise_id"),
        ("/assignees", json!([]), "assignees"),
        ("/assignees", json!(["both"]), "assignees[0]"),
        ("/assignees", json!(["hurt", "hurt"]), "assignees[1]"),
        ("/assignees", json!(["involved", "Hurt"]), "assignees[1]"),
        ("/due_at", json!("tomorrow"), "due_at"),
        ("/due_at", json!(""), "due_at"),
        ("/due_at", json!("2030-13-01T10:00"), "due_at"),
        ("/due_at", json!("2030-02-30T10:00:00Z"), "due_at"),
        ("/due_at", json!(past), "due_at"),
        ("/due_at", json!(far), "due_at"),
        ("/due_at", json!("9999-12-31T23:59:59Z"), "due_at"),
        ("/time_zone", json!("Mars/Olympus"), "time_zone"),
        ("/time_zone", json!(""), "time_zone"),
        ("/visibility", json!("public"), "visibility"),
        ("/visibility", json!("Shareable"), "visibility"),
        ("/recurrence/every", json!("hourly"), "recurrence.every"),
        ("/recurrence/until", json!("next week"), "recurrence.until"),
        ("/recurrence/until", json!("9999-12-31"), "recurrence.until"),
    ] {
        cases.push((
            with(base.clone(), pointer, value),
            field,
            format!("invalid {pointer}"),
        ));
    }
    for (pointer, field) in [
        ("/exercise_id", "exercise_id"),
        ("/assignees/0", "assignees[0]"),
        ("/due_at", "due_at"),
        ("/time_zone", "time_zone"),
        ("/visibility", "visibility"),
        ("/recurrence/every", "recurrence.every"),
        ("/recurrence/until", "recurrence.until"),
    ] {
        cases.push((
            with(base.clone(), pointer, big.clone()),
            field,
            format!("100 kB at {pointer}"),
        ));
    }
    for (body, field, what) in cases {
        assert_invalid(assign(&api, &couple, &body).await, field, &what).await;
    }
    for pointer in [
        "/couple_id",
        "/counselor_id",
        "/id",
        "/status",
        "/responses",
        "/series_id",
        "/cancelled_at",
        "/created_by",
        "/recurrence/count",
    ] {
        let body = with(base.clone(), pointer, json!(uuid::Uuid::new_v4()));
        let key = pointer.rsplit('/').next().expect("key");
        assert_invalid_mentioning(
            assign(&api, &couple, &body).await,
            key,
            &format!("unknown field {pointer}"),
        )
        .await;
    }
    assert_eq!(assignment_count(&app).await, 0, "nothing was created");
    // The other counselor cannot assign this counselor's exercise to their own couple either.
    let their_couple = new_couple(&other, "Their couple").await;
    let r = assign(&other, &their_couple, &assignment_body(ex_id)).await;
    assert_invalid(r, "exercise_id", "someone else's exercise").await;
    assert_eq!(assignment_count(&app).await, 0, "nothing was created");
}

async fn due_times_move_assignments_cancel_and_responses_are_reviewed(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let created = assign_one(
        &api,
        &couple,
        &assignment_body(ex["id"].as_str().expect("id")),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    let path = format!("/api/v1/assignments/{id}");

    // Move the due time.
    let later = due_in(14);
    let r = api.patch_json(&path, &json!({"due_at": later})).await;
    assert_eq!(r.status(), 200);
    let moved: Value = r.json().await.expect("json");
    assert_eq!(parse_time(&moved["due_at"]), parse_time(&json!(later)));
    assert_eq!(moved["assignees"], created["assignees"]);
    let day = (Utc::now() + Duration::days(9)).date_naive();
    let r = api
        .patch_json(
            &path,
            &json!({"due_at": format!("{day}T08:15"), "time_zone": "Asia/Tokyo"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let moved: Value = r.json().await.expect("json");
    assert_eq!(
        parse_time(&moved["due_at"])
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        format!("{} 23:15", day.pred_opt().expect("day")),
        "08:15 in Tokyo"
    );
    for (body, field) in [
        (json!({}), "due_at"),
        (json!({"due_at": "soon"}), "due_at"),
        (
            json!({"due_at": (Utc::now() - Duration::days(1)).to_rfc3339()}),
            "due_at",
        ),
        (json!({"due_at": 5}), "due_at"),
        (json!({"due_at": kb100()}), "due_at"),
        (
            json!({"due_at": due_in(2), "time_zone": "Nowhere"}),
            "time_zone",
        ),
    ] {
        assert_invalid(
            api.patch_json(&path, &body).await,
            field,
            &body.to_string().chars().take(80).collect::<String>(),
        )
        .await;
    }
    for key in ["visibility", "couple_id", "exercise_id", "cancelled_at"] {
        let body = json!({"due_at": due_in(2), key: "x"});
        assert_invalid_mentioning(api.patch_json(&path, &body).await, key, key).await;
    }
    let now = read_assignment(&api, id).await;
    assert_eq!(
        now["due_at"], moved["due_at"],
        "refused changes change nothing"
    );
    assert_eq!(now["visibility"], "shareable");

    // Review: only once submitted.
    let involved = response_id(&created, "involved");
    let review = format!("{path}/responses/{involved}/review");
    let r = api
        .post_json(&review, &json!({"comment": "Thank you"}))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(problem(r).await["status"], 409);
    submit(
        &app,
        &couple,
        &created,
        PartnerRole::Involved,
        &[("trust", &["6"]), ("talk", &["Yes"])],
        false,
    )
    .await;
    for (body, field) in [
        (json!({"comment": kb100()}), "comment"),
        (json!({"comment": "x".repeat(4001)}), "comment"),
        (json!({"comment": 5}), "comment"),
    ] {
        assert_invalid(api.post_json(&review, &body).await, field, "bad comment").await;
    }
    for key in ["status", "reviewed_at", "answers"] {
        assert_invalid_mentioning(api.post_json(&review, &json!({key: "x"})).await, key, key).await;
    }
    let comment = format!("Well done. {SCRIPT}\nSee you Tuesday.");
    let r = api.post_json(&review, &json!({"comment": comment})).await;
    assert_eq!(r.status(), 200);
    let reviewed: Value = r.json().await.expect("json");
    let a = &reviewed["assignees"][0];
    assert_eq!(a["role"], "involved");
    assert_eq!(a["status"], "reviewed");
    assert!(a["reviewed_at"].is_string());
    assert_eq!(a["counselor_comment"], comment.as_str(), "kept verbatim");
    assert_eq!(reviewed["assignees"][1]["status"], "assigned");
    let detail = read_assignment(&api, id).await;
    assert_eq!(
        detail["responses"][0]["counselor_comment"],
        comment.as_str()
    );
    assert_eq!(
        detail["responses"][0]["answers"],
        json!({"trust": 6, "talk": "Yes"})
    );
    // An empty body clears the comment; the response stays reviewed.
    let r = api.post_json(&review, &json!({})).await;
    assert_eq!(r.status(), 200);
    let again: Value = r.json().await.expect("json");
    assert_eq!(again["assignees"][0]["status"], "reviewed");
    assert!(again["assignees"][0]["counselor_comment"].is_null());
    // The hurt partner's response is not submitted yet.
    let hurt = response_id(&created, "hurt");
    let r = api
        .post_json(&format!("{path}/responses/{hurt}/review"), &json!({}))
        .await;
    assert_eq!(r.status(), 409);
    // A response of another assignment is not found under this one.
    let other = assign_one(
        &api,
        &couple,
        &assignment_body(ex["id"].as_str().expect("id")),
    )
    .await;
    let elsewhere = response_id(&other, "involved");
    assert_not_found(
        api.post_json(&format!("{path}/responses/{elsewhere}/review"), &json!({}))
            .await,
        &[],
        "response of another assignment",
    )
    .await;

    // Cancel: twice is the same as once; then the due time is fixed.
    let r = api.post_json(&format!("{path}/cancel"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let cancelled: Value = r.json().await.expect("json");
    assert!(cancelled["cancelled_at"].is_string());
    let r = api
        .request(Method::POST, &format!("{path}/cancel"))
        .send()
        .await
        .expect("cancel without a body");
    assert_eq!(r.status(), 200);
    let twice: Value = r.json().await.expect("json");
    assert_eq!(twice["cancelled_at"], cancelled["cancelled_at"]);
    let r = api.patch_json(&path, &json!({"due_at": due_in(20)})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(problem(r).await["status"], 409);
    // The client no longer sees it; the counselor still reads what was written.
    let involved_partner = partner_of(&app, &couple, PartnerRole::Involved).await;
    let theirs = responses::for_partner(
        &app.db,
        &involved_partner,
        kintsugi_core::short_list::ShortList::everything(),
    )
    .await
    .expect("homework");
    assert!(
        theirs
            .open
            .iter()
            .chain(theirs.done.iter())
            .all(|h| h.assignment.id.to_string() != id)
    );
    let detail = read_assignment(&api, id).await;
    assert!(detail["cancelled_at"].is_string());
    assert_eq!(detail["responses"][0]["answers"]["trust"], 6);
}

async fn homework_bodies_that_are_not_json_are_refused(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let created = assign_one(
        &api,
        &couple,
        &assignment_body(ex["id"].as_str().expect("id")),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    let involved = response_id(&created, "involved");
    let routes = [
        (
            Method::POST,
            "/api/v1/exercises".to_owned(),
            exercise_body("Trailing"),
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/assignments"),
            assignment_body(ex["id"].as_str().expect("id")),
        ),
        (
            Method::PATCH,
            format!("/api/v1/assignments/{id}"),
            json!({"due_at": due_in(5)}),
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{id}/responses/{involved}/review"),
            json!({"comment": "Trailing"}),
        ),
    ];
    for (method, path, valid) in &routes {
        let text = valid.to_string();
        let trailing = format!("{text} {{}}").into_bytes();
        let truncated = text.as_bytes()[..text.len() - 3].to_vec();
        for body in [&b"{nope"[..], b"", &truncated, &trailing] {
            let r = api
                .send_raw(method.clone(), path, "application/json", body.to_vec())
                .await;
            assert_eq!(
                r.status(),
                StatusCode::BAD_REQUEST,
                "{method} {path} {body:?}"
            );
            problem(r).await;
        }
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let r = api
                .send_raw(method.clone(), path, content_type, b"{}".to_vec())
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path}"
            );
            problem(r).await;
        }
        let r = api
            .send_raw(
                method.clone(),
                path,
                "application/json",
                json!([1, 2]).to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: a list"
        );
        problem(r).await;
        let huge = json!({ "title": "x".repeat(300 * 1024) })
            .to_string()
            .into_bytes();
        let r = api
            .send_raw(method.clone(), path, "application/json", huge)
            .await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}");
        problem(r).await;
    }
    assert_eq!(own_exercise_count(&app).await, 1);
    assert_eq!(assignment_count(&app).await, 1);
    let now = read_assignment(&api, id).await;
    assert_eq!(now["due_at"], created["due_at"]);
    assert_eq!(now["responses"][0]["status"], "assigned");
}

// ---------------------------------------------------------------------------------------------
// Homework links.

/// The link route runs on a server whose configured base URL differs from any Host header.
mod links_are_built_from_the_configured_base_url {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        scenario(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if std::env::var("KINTSUGI_TEST_POSTGRES_URL").map_or(true, |v| v.is_empty()) {
            eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
            return;
        }
        scenario(Backend::Postgres).await;
    }

    const BASE: &str = "https://care.example.org";

    async fn scenario(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.base_url = BASE.to_owned()).await;
        let api = counselor_api(&app, "a@practice.example").await;
        let couple = new_couple(&api, "Alex & Sam").await;
        let r = api
            .request(
                Method::POST,
                &format!("/api/v1/couples/{couple}/links/hurt"),
            )
            .header(reqwest::header::HOST, "evil.test")
            .header("x-forwarded-host", "evil.test")
            .header("x-forwarded-proto", "http")
            .header("forwarded", "host=evil.test;proto=http")
            .send()
            .await
            .expect("send link");
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let text = r.text().await.expect("body");
        let result: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            result,
            json!({"role": "hurt", "action": "sent", "live_links": 1, "email_queued": true})
        );
        let messages = outbox(&app).await;
        assert_eq!(messages.len(), 1, "one email queued");
        let m = &messages[0];
        assert_eq!(m.kind, "homework_link");
        assert_eq!(m.recipient, "renee@mail.example");
        let hurt = partner_of(&app, &couple, PartnerRole::Hurt).await;
        assert_eq!(m.partner_id, Some(hurt.id));
        let payload: Value = serde_json::from_str(&m.payload).expect("payload");
        let link = payload["link"].as_str().expect("link");
        assert!(link.starts_with(&format!("{BASE}/h/")), "{link}");
        assert!(!m.payload.contains("evil.test"));
        let secret = secret_of(m);
        assert_eq!(secret.len(), 43);
        assert!(
            !text.contains(&secret) && !text.contains("/h/") && !text.contains(BASE),
            "the response never carries the link: {text}"
        );
        assert_eq!(link_state(&app, &secret).await, Ok(hurt.id));
        let stored = homework_link::Entity::find()
            .all(&app.db)
            .await
            .expect("links");
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].secret_hash, secret, "only a hash is stored");
        assert!(!stored[0].secret_hash.contains(&secret));
        // The link lives for the practice's expiry (90 days by default).
        let days = (stored[0].expires_at - stored[0].created_at).num_days();
        assert_eq!(days, 90);
    }
}

async fn link(api: &Api, couple: &str, role: &str, query: &str) -> Value {
    let r = api
        .post_json(
            &format!("/api/v1/couples/{couple}/links/{role}{query}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{role}{query}");
    r.json().await.expect("json")
}

async fn rotate_revokes_older_links_and_revoke_kills_all(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let involved = partner_of(&app, &couple, PartnerRole::Involved).await;
    let hurt = partner_of(&app, &couple, PartnerRole::Hurt).await;

    assert_eq!(link(&api, &couple, "involved", "").await["live_links"], 1);
    let second = link(&api, &couple, "involved", "?action=send").await;
    assert_eq!(second["action"], "sent");
    assert_eq!(second["live_links"], 2, "several links may be live at once");
    let messages = outbox(&app).await;
    assert_eq!(messages.len(), 2);
    let older: Vec<String> = messages.iter().map(secret_of).collect();
    assert_ne!(older[0], older[1], "each email carries a fresh secret");
    for s in &older {
        assert_eq!(link_state(&app, s).await, Ok(involved.id));
    }

    // Rotate: every older link dies at once; one new link is sent.
    let rotated = link(&api, &couple, "involved", "?action=rotate").await;
    assert_eq!(
        rotated,
        json!({"role": "involved", "action": "rotated", "live_links": 1, "email_queued": true})
    );
    let messages = outbox(&app).await;
    assert_eq!(messages.len(), 3);
    let newest = secret_of(&messages[2]);
    assert!(!older.contains(&newest));
    for s in &older {
        assert_eq!(link_state(&app, s).await, Err(LinkRefusal::Revoked));
    }
    assert_eq!(link_state(&app, &newest).await, Ok(involved.id));

    // The other partner's link is theirs alone.
    assert_eq!(link(&api, &couple, "hurt", "").await["live_links"], 1);
    let hurts = secret_of(&outbox(&app).await[3]);

    // Revoke: every live link dies and nothing is sent.
    let revoked = link(&api, &couple, "involved", "?action=revoke").await;
    assert_eq!(
        revoked,
        json!({"role": "involved", "action": "revoked", "live_links": 0, "email_queued": false})
    );
    assert_eq!(outbox(&app).await.len(), 4, "revoking sends nothing");
    assert_eq!(link_state(&app, &newest).await, Err(LinkRefusal::Revoked));
    assert_eq!(link_state(&app, &hurts).await, Ok(hurt.id));
    // Revoking again is harmless.
    assert_eq!(
        link(&api, &couple, "involved", "?action=revoke").await["live_links"],
        0
    );
    // Sending after a revoke works again.
    assert_eq!(link(&api, &couple, "involved", "").await["live_links"], 1);
}

async fn link_routes_refuse_unknown_roles_actions_and_parameters(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let long = "r".repeat(2000);
    for (suffix, fields) in [
        ("both".to_owned(), vec!["role"]),
        ("admin".to_owned(), vec!["role"]),
        ("INVOLVED".to_owned(), vec!["role"]),
        ("%3Cscript%3E".to_owned(), vec!["role"]),
        (long.clone(), vec!["role"]),
        ("hurt?action=delete".to_owned(), vec!["action"]),
        ("hurt?action=".to_owned(), vec!["action"]),
        ("hurt?action=ROTATE".to_owned(), vec!["action"]),
        (format!("hurt?action={long}"), vec!["action"]),
        ("hurt?action=rotate&force=1".to_owned(), vec!["force"]),
        ("hurt?role=involved".to_owned(), vec!["role"]),
        ("everyone?action=nuke".to_owned(), vec!["role", "action"]),
    ] {
        let r = api
            .post_json(
                &format!("/api/v1/couples/{couple}/links/{suffix}"),
                &json!({}),
            )
            .await;
        let what = suffix.chars().take(60).collect::<String>();
        let p = assert_invalid(r, fields[0], &what).await;
        assert_eq!(problem_fields(&p), fields, "{what}");
        assert!(!p.to_string().contains(&long), "the value is not echoed");
    }
    assert!(outbox(&app).await.is_empty(), "nothing was sent");
    let links = homework_link::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(links, 0, "no link was minted");
}

// ---------------------------------------------------------------------------------------------
// Privacy: another counselor, unknown ids.

async fn another_counselor_gets_404_on_every_homework_route(app: TestApp) {
    let owner = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&owner, "Private Couple").await;
    let ex = new_exercise(&owner, "Private Exercise").await;
    let ex_id = ex["id"].as_str().expect("id").to_owned();
    let created = assign_one(&owner, &couple, &assignment_body(&ex_id)).await;
    let id = created["id"].as_str().expect("id").to_owned();
    submit(
        &app,
        &couple,
        &created,
        PartnerRole::Involved,
        &[
            ("trust", &["2"]),
            ("talk", &["No"]),
            ("note", &["private words"]),
        ],
        false,
    )
    .await;
    let rid = response_id(&created, "involved");
    owner
        .post_json(&format!("/api/v1/couples/{couple}/links/hurt"), &json!({}))
        .await;

    let other = counselor_api(&app, "b@practice.example").await;
    let library: Value = other.get_json("/api/v1/exercises").await;
    let builtin = library["items"][0]["id"].as_str().expect("id").to_owned();
    let secrets = [
        "Private",
        "private words",
        "Zoë",
        "Renée",
        "zoe@mail.example",
        "renee@mail.example",
        "trust",
    ];
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/exercises/{ex_id}"), None),
        (
            Method::GET,
            format!("/api/v1/couples/{couple}/assignments"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/assignments"),
            Some(assignment_body(&builtin)),
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/assignments"),
            Some(assignment_body(&ex_id)),
        ),
        (Method::GET, format!("/api/v1/assignments/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/assignments/{id}"),
            Some(json!({"due_at": due_in(30)})),
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{id}/cancel"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/assignments/{id}/responses/{rid}/review"),
            Some(json!({"comment": "Overwritten"})),
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/links/hurt"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/links/involved?action=rotate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/links/hurt?action=revoke"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/links/nobody?action=nuke"),
            None,
        ),
    ];
    for (method, path, body) in &routes {
        let r = other.send(method.clone(), path, body.as_ref()).await;
        assert_not_found(r, &secrets, &format!("{method} {path}")).await;
    }
    // Their library does not show it; the owner's records are untouched.
    assert!(!library.to_string().contains("Private Exercise"));
    let detail = read_assignment(&owner, &id).await;
    assert_eq!(detail["due_at"], created["due_at"]);
    assert!(detail["cancelled_at"].is_null());
    assert_eq!(detail["responses"][0]["status"], "submitted");
    assert!(detail["responses"][0]["counselor_comment"].is_null());
    assert_eq!(assignment_count(&app).await, 1);
    assert_eq!(
        outbox(&app).await.len(),
        1,
        "only the owner's link was sent"
    );
    let revoked = homework_link::Entity::find()
        .filter(homework_link::Column::RevokedAt.is_not_null())
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(revoked, 0, "the owner's links still work");
}

async fn unknown_and_malformed_ids_are_404(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let created = assign_one(
        &api,
        &couple,
        &assignment_body(ex["id"].as_str().expect("id")),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let unknown = uuid::Uuid::new_v4().to_string();
    for bad in [
        unknown.as_str(),
        "not-a-uuid",
        "12345",
        "00000000-0000-0000-0000-00000000000g",
        "%3Cscript%3E",
    ] {
        let routes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/v1/exercises/{bad}"), None),
            (
                Method::GET,
                format!("/api/v1/couples/{bad}/assignments"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/couples/{bad}/assignments"),
                Some(assignment_body(ex["id"].as_str().expect("id"))),
            ),
            (Method::GET, format!("/api/v1/assignments/{bad}"), None),
            (
                Method::PATCH,
                format!("/api/v1/assignments/{bad}"),
                Some(json!({"due_at": due_in(3)})),
            ),
            (
                Method::POST,
                format!("/api/v1/assignments/{bad}/cancel"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/assignments/{bad}/responses/{bad}/review"),
                Some(json!({})),
            ),
            (
                Method::POST,
                format!("/api/v1/assignments/{id}/responses/{bad}/review"),
                Some(json!({})),
            ),
            (
                Method::POST,
                format!("/api/v1/couples/{bad}/links/hurt"),
                None,
            ),
        ];
        for (method, path, body) in &routes {
            let r = api.send(method.clone(), path, body.as_ref()).await;
            assert_not_found(r, &[], &format!("{method} {path}")).await;
        }
    }
    assert_eq!(assignment_count(&app).await, 1);
    assert!(outbox(&app).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Audit.

async fn homework_reads_and_changes_are_audited(app: TestApp) {
    let c = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let api = app.api(&app.api_token(c.id).await);
    let couple = new_couple(&api, "Alex & Sam").await;
    let ex = new_exercise(&api, "Check-in").await;
    let created = assign_one(
        &api,
        &couple,
        &assignment_body(ex["id"].as_str().expect("id")),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    api.get(&format!("/api/v1/couples/{couple}/assignments"))
        .await;
    read_assignment(&api, id).await;
    api.patch_json(
        &format!("/api/v1/assignments/{id}"),
        &json!({"due_at": due_in(9)}),
    )
    .await;
    submit(
        &app,
        &couple,
        &created,
        PartnerRole::Hurt,
        &[("trust", &["5"]), ("talk", &["Yes"])],
        false,
    )
    .await;
    let rid = response_id(&created, "hurt");
    api.post_json(
        &format!("/api/v1/assignments/{id}/responses/{rid}/review"),
        &json!({"comment": "Private comment"}),
    )
    .await;
    api.post_json(&format!("/api/v1/assignments/{id}/cancel"), &json!({}))
        .await;
    link(&api, &couple, "hurt", "").await;
    link(&api, &couple, "hurt", "?action=rotate").await;
    link(&api, &couple, "hurt", "?action=revoke").await;

    app.flush_audit().await;
    // In the order things happened: views are written in batches, after changes made later.
    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::At)
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .expect("events");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    let expected = [
        "exercise_created",
        "homework_assigned",
        "assignments_viewed",
        "responses_viewed",
        "homework_changed",
        "response_reviewed",
        "homework_cancelled",
        "link_sent",
        "link_sent",
        "link_revoked",
    ];
    let homework: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| expected.contains(a))
        .collect();
    assert_eq!(homework, expected, "{actions:?}");
    let couple_id = uuid::Uuid::parse_str(&couple).expect("uuid");
    for e in events
        .iter()
        .filter(|e| expected.contains(&e.action.as_str()))
    {
        assert_eq!(e.actor_kind, "counselor", "{}", e.action);
        assert_eq!(e.actor_id, Some(c.id), "{}", e.action);
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{}", e.action);
        assert!(e.detail.is_none(), "no clinical text: {}", e.action);
        if e.action == "exercise_created" {
            assert_eq!(e.record_kind.as_deref(), Some("exercise"));
            assert_eq!(
                e.record_id.map(|i| i.to_string()),
                ex["id"].as_str().map(str::to_owned)
            );
        } else {
            assert_eq!(e.record_kind.as_deref(), Some("couple"), "{}", e.action);
            assert_eq!(e.record_id, Some(couple_id), "{}", e.action);
        }
    }
}
