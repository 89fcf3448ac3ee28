//! The recovery stages through the API and the couple page: ratings, completion, the gate,
//! overrides and reopenings, with every refusal explained; the tracker shows what the
//! database holds; another counselor gets 404 everywhere.

use kintsugi_core::entities::{marker_rating, stage_event};
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::fixture::{STAGES, markers_of, progress};
use crate::support::http::{Api, problem, problem_fields};
use crate::support::{Browser, TestApp, couple_json};

db_tests!(
    a_couple_goes_from_admission_to_shared_responsibility_through_the_api,
    refused_transitions_answer_409_naming_what_blocks,
    unknown_keys_and_bad_bodies_answer_422,
    override_and_reopen_need_a_reason_and_keep_history,
    the_open_agreement_flag_drives_the_commitment_marker,
    the_page_rates_completes_overrides_and_reopens,
    the_page_explains_refusals_and_keeps_the_reason,
    the_tracker_shows_what_the_database_holds,
    another_counselor_gets_404_on_every_stage_route,
    page_and_api_share_the_stage_and_report_rules,
    the_dashboard_filters_and_counts_by_stage,
);

async fn counselor_api(app: &TestApp, email: &str) -> Api {
    let c = app.counselor("Counselor", email, Role::Counselor).await;
    let token = app.api_token(c.id).await;
    app.api(&token)
}

async fn new_couple(api: &Api, body: Value) -> String {
    let r = api.post_json("/api/v1/couples", &body).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    created["id"].as_str().expect("id").to_owned()
}

async fn rate_all(api: &Api, id: &str, stage: &str, rating: &str) -> reqwest::Response {
    let p = progress(api, id).await;
    let body: Vec<Value> = markers_of(&p, stage)
        .iter()
        .map(|m| json!({"marker": m, "rating": rating}))
        .collect();
    api.post_json(
        &format!("/api/v1/couples/{id}/markers"),
        &Value::Array(body),
    )
    .await
}

async fn complete(api: &Api, id: &str, stage: &str) -> reqwest::Response {
    api.post_json(
        &format!("/api/v1/couples/{id}/stages/{stage}/complete"),
        &json!({}),
    )
    .await
}

async fn a_couple_goes_from_admission_to_shared_responsibility_through_the_api(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let id = new_couple(&api, couple_json("Alex & Sam")).await;
    let p = progress(&api, &id).await;
    assert_eq!(p["current_stage"], "admission");
    assert_eq!(p["gate"]["open"], false);
    let keys: Vec<&str> = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, STAGES);
    assert_eq!(p["stages"][0]["status"], "in_progress");
    assert!(p["stages"][0]["started_at"].is_string());
    assert_eq!(
        p["stages"][0]["markers"][0],
        json!({"key": "full_acknowledgement", "rating": "not_yet", "rated_at": null, "applies": true})
    );
    for (i, stage) in STAGES.iter().enumerate() {
        let r = rate_all(&api, &id, stage, "emerging").await;
        assert_eq!(r.status(), 200, "{stage}");
        let r = rate_all(&api, &id, stage, "consistent").await;
        assert_eq!(r.status(), 200, "{stage}");
        let r = complete(&api, &id, stage).await;
        assert_eq!(r.status(), 200, "{stage}");
        let p: Value = r.json().await.expect("json");
        assert_eq!(p["stages"][i]["status"], "complete");
        assert!(p["stages"][i]["completed_at"].is_string());
        if i < 5 {
            assert_eq!(p["current_stage"], STAGES[i + 1]);
            assert_eq!(
                p["stages"][i + 1]["status"],
                "in_progress",
                "the next stage starts"
            );
        } else {
            assert!(p["current_stage"].is_null());
        }
    }
    // Every rating is kept: 22 markers, each rated twice.
    let ratings = marker_rating::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(ratings, 44);
    let couple: Value = api.get_json(&format!("/api/v1/couples/{id}")).await;
    assert!(couple["current_stage"].is_null());
}

async fn refused_transitions_answer_409_naming_what_blocks(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let id = new_couple(&api, couple_json("Alex & Sam")).await;
    // Markers not consistent.
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/markers"),
            &json!([{"marker": "full_acknowledgement", "rating": "consistent"}]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let p = problem(complete(&api, &id, "admission").await).await;
    assert_eq!(p["status"], 409);
    assert_eq!(
        p["blocking"],
        json!([
            "wrong_without_excuse",
            "commitment_named",
            "genuine_remorse"
        ])
    );
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("3 markers are not yet consistent"),
        "{p}"
    );
    // Earlier stages first.
    rate_all(&api, &id, "validation", "consistent").await;
    let p = problem(complete(&api, &id, "validation").await).await;
    assert_eq!(p["blocking"], json!(["admission"]));
    // The gate.
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/markers"),
            &json!([{"marker": "pre_affair_reviewed", "rating": "emerging"}]),
        )
        .await;
    let p = problem(r).await;
    assert_eq!(p["status"], 409);
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("behind the gate")
    );
    assert_eq!(
        p["blocking"],
        json!(["admission", "validation", "openness"])
    );
    let p = problem(complete(&api, &id, "current_struggles").await).await;
    assert_eq!(p["status"], 409);
    // Reopening a stage that is not complete; overriding a stage that is not gated.
    let p = problem(
        api.post_json(
            &format!("/api/v1/couples/{id}/stages/admission/reopen"),
            &json!({"reason": "why"}),
        )
        .await,
    )
    .await;
    assert_eq!(p["status"], 409);
    let p = problem(
        api.post_json(
            &format!("/api/v1/couples/{id}/stages/openness/override"),
            &json!({"reason": "why"}),
        )
        .await,
    )
    .await;
    assert_eq!(p["status"], 409);
    // not_applicable is not the counselor's to choose.
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/markers"),
            &json!([{"marker": "genuine_remorse", "rating": "not_applicable"}]),
        )
        .await;
    assert_eq!(problem(r).await["status"], 409);
    // Nothing refused was recorded.
    let p = progress(&api, &id).await;
    assert_eq!(p["stages"][0]["status"], "in_progress");
    assert_eq!(p["stages"][3]["status"], "not_started");
}

async fn unknown_keys_and_bad_bodies_answer_422(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let id = new_couple(&api, couple_json("Alex & Sam")).await;
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/markers"),
            &json!([{"marker": "charm", "rating": "consistent"}, {"marker": "full_acknowledgement", "rating": "brilliant"}, {"marker": "genuine_remorse", "rating": "emerging", "session_id": "nope"}]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p = problem(r).await;
    assert_eq!(
        problem_fields(&p),
        ["[0].marker", "[1].rating", "[2].session_id"]
    );
    let r = api
        .post_json(&format!("/api/v1/couples/{id}/markers"), &json!([]))
        .await;
    assert_eq!(r.status(), 422);
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/markers"),
            &json!({"marker": "x"}),
        )
        .await;
    assert_eq!(r.status(), 422, "an object where a list belongs");
    let r = api
        .post_json(&format!("/api/v1/couples/{id}/markers"), &json!([{"marker": "genuine_remorse", "rating": "emerging", "session_id": uuid::Uuid::new_v4()}]))
        .await;
    assert_eq!(
        problem_fields(&problem(r).await),
        ["session_id"],
        "a session of another couple, or none"
    );
    // A stage key in the address that names no stage: not found, here as on the pages.
    let r = complete(&api, &id, "stage_seven").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "still problem details"
    );
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/stages/before_the_affair/override"),
            &json!({"reason": "   "}),
        )
        .await;
    assert_eq!(problem_fields(&problem(r).await), ["reason"]);
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/stages/before_the_affair/override"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/stages/before_the_affair/override"),
            &json!({"reason": "x".repeat(2001)}),
        )
        .await;
    assert_eq!(problem_fields(&problem(r).await), ["reason"]);
}

async fn override_and_reopen_need_a_reason_and_keep_history(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let id = new_couple(&api, couple_json("Chris & Dana")).await;
    let hostile = "Both asked to begin <script>alert(1)</script> now";
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/stages/before_the_affair/override"),
            &json!({"reason": hostile}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["gate"], json!({"open": true, "overridden": true}));
    assert_eq!(p["stages"][3]["status"], "in_progress");
    assert_eq!(
        p["current_stage"], "admission",
        "the current stage is still the first incomplete one"
    );
    // Stage 4 can now be worked on and completed.
    rate_all(&api, &id, "before_the_affair", "consistent").await;
    assert_eq!(complete(&api, &id, "before_the_affair").await.status(), 200);
    // Reopen it with a reason; the completion stays in the history.
    let r = api
        .post_json(
            &format!("/api/v1/couples/{id}/stages/before_the_affair/reopen"),
            &json!({"reason": "A new disclosure"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["stages"][3]["status"], "in_progress");
    let kinds: Vec<String> = stage_event::Entity::find()
        .filter(stage_event::Column::CoupleId.eq(uuid::Uuid::parse_str(&id).expect("uuid")))
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| kintsugi_core::crypto::records::stage_event(e).expect("opens"))
        .map(|e| format!("{:?}:{}", e.kind, e.reason.unwrap_or_default()))
        .collect();
    for expected in [
        format!("GateOverride:{hostile}"),
        "Completed:".into(),
        "Reopened:A new disclosure".into(),
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected} missing from {kinds:?}"
        );
    }
    // Audit events for each, without the reason text.
    let audit = kintsugi_core::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "gate_overridden",
        "marker_rated",
        "stage_completed",
        "stage_reopened",
    ] {
        assert!(actions.contains(&a), "{a}");
    }
    assert!(
        audit
            .iter()
            .all(|e| !format!("{e:?}").contains("disclosure")),
        "no reasons in the audit log"
    );
}

async fn the_open_agreement_flag_drives_the_commitment_marker(app: TestApp) {
    let api = counselor_api(&app, "a@practice.example").await;
    let mut body = couple_json("Hana & Mateo");
    body["open_agreement"] = json!(true);
    let id = new_couple(&api, body).await;
    let p = progress(&api, &id).await;
    let commitment = &p["stages"][0]["markers"][2];
    assert_eq!(commitment["key"], "commitment_named");
    assert_eq!(commitment["rating"], "not_applicable");
    assert_eq!(commitment["applies"], false);
    // Three consistent markers complete stage 1.
    rate_all(&api, &id, "admission", "consistent").await;
    assert_eq!(complete(&api, &id, "admission").await.status(), 200);
    // A second couple: the flag turned on later updates the marker, and off again restores it.
    let id = new_couple(&api, couple_json("Kwame & Inès")).await;
    let r = api
        .patch_json(
            &format!("/api/v1/couples/{id}"),
            &json!({"open_agreement": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        progress(&api, &id).await["stages"][0]["markers"][2]["rating"],
        "not_applicable"
    );
    api.patch_json(
        &format!("/api/v1/couples/{id}"),
        &json!({"open_agreement": false}),
    )
    .await;
    let p = progress(&api, &id).await;
    assert_eq!(p["stages"][0]["markers"][2]["rating"], "not_yet");
    assert_eq!(p["stages"][0]["markers"][2]["applies"], true);
}

async fn signed_in_with_couple(app: &TestApp) -> (Browser, String) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let (_, id) = b.add_couple("Priya & Dev").await;
    (b, id.to_string())
}

fn all_markers(stage: kintsugi_core::stages::Stage, rating: &str) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![("stage", stage.key().to_owned())];
    for m in stage.markers() {
        fields.push((
            Box::leak(format!("marker.{}", m.key()).into_boxed_str()),
            rating.to_owned(),
        ));
    }
    fields
}

async fn the_page_rates_completes_overrides_and_reopens(app: TestApp) {
    use kintsugi_core::stages::Stage;
    let (b, id) = signed_in_with_couple(&app).await;
    let page = format!("/couples/{id}");
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/markers"),
            &all_markers(Stage::Admission, "consistent"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b
        .get_html(r.headers()["location"].to_str().expect("location"))
        .await;
    assert!(html.contains("Marker ratings saved."));
    // The same ratings again record nothing new.
    let before = marker_rating::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/markers"),
            &all_markers(Stage::Admission, "consistent"),
        )
        .await;
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("location")
            .contains("done=unchanged")
    );
    assert_eq!(
        marker_rating::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        before
    );
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/admission/complete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&page).await;
    assert!(html.contains("Current stage: <strong>2 · Validating the pain</strong>"));
    assert!(html.contains("Stage 1 confirmed complete"));
    // Override the gate with a reason, then reopen stage 1 with a reason.
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/before_the_affair/override"),
            &[("reason", "Agreed in supervision".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&page).await;
    assert!(html.contains("Gate overridden") && html.contains("Reason: Agreed in supervision"));
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/admission/reopen"),
            &[("reason", "New disclosure".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&page).await;
    assert!(html.contains("Stage 1 reopened") && html.contains("Reason: New disclosure"));
    assert!(html.contains("Current stage: <strong>1 · Admission and remorse</strong>"));
}

async fn the_page_explains_refusals_and_keeps_the_reason(app: TestApp) {
    use kintsugi_core::stages::Stage;
    let (b, id) = signed_in_with_couple(&app).await;
    let page = format!("/couples/{id}");
    let mut fields = all_markers(Stage::Admission, "emerging");
    fields[1].1 = "consistent".into();
    b.submit(&page, &format!("/couples/{id}/markers"), &fields)
        .await;
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/admission/complete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("html");
    assert!(html.contains("3 markers are not yet consistent: Wrong, without excuses, Broken commitment named, Remorse felt as genuine."), "{html}");
    // Rating a gated stage.
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/markers"),
            &all_markers(Stage::CurrentStruggles, "emerging"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("html").contains("behind the gate"));
    // An override without a reason: refused, with the form shown again.
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/before_the_affair/override"),
            &[("reason", "  ".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("The reason must be written")
    );
    // Reopening a stage that is not complete keeps the typed reason, escaped.
    let typed = "<img src=x onerror=alert(1)> a new disclosure";
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/validation/reopen"),
            &[("reason", typed.into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("html");
    assert!(html.contains("is not complete, so there is nothing to reopen"));
    assert!(!html.contains("<img src=x"), "escaped");
    // Unknown markers and ratings in a form, and unknown stages in a URL.
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/markers"),
            &[("marker.charm", "consistent".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/markers"),
            &[("marker.genuine_remorse", "stellar".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/stages/seventh/complete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn the_tracker_shows_what_the_database_holds(app: TestApp) {
    use kintsugi_core::stages::Stage;
    let (b, id) = signed_in_with_couple(&app).await;
    let page = format!("/couples/{id}");
    let mut fields = all_markers(Stage::Admission, "not_yet");
    fields[1].1 = "consistent".into();
    fields[2].1 = "emerging".into();
    b.submit(&page, &format!("/couples/{id}/markers"), &fields)
        .await;
    let (_, html) = b.get_html(&page).await;
    let couple_id = uuid::Uuid::parse_str(&id).expect("uuid");
    let stored = marker_rating::Entity::find()
        .filter(marker_rating::Column::CoupleId.eq(couple_id))
        .all(&app.db)
        .await
        .expect("ratings");
    assert_eq!(stored.len(), 2, "only the changed ratings");
    for r in stored {
        let select = format!("name=\"marker.{}\"", r.marker.key());
        let at = html.find(&select).expect("marker select");
        let chosen = format!("value=\"{}\" selected", r.rating.key());
        let end = html[at..].find("</select>").expect("end") + at;
        assert!(
            html[at..end].contains(&chosen),
            "{} shows {}",
            r.marker.key(),
            r.rating.key()
        );
    }
    assert!(
        html.contains("<svg") && html.contains("role=\"img\""),
        "the timeline is drawn"
    );
    assert!(html.contains("The timeline as text"));
}

async fn another_counselor_gets_404_on_every_stage_route(app: TestApp) {
    let owner = counselor_api(&app, "a@practice.example").await;
    let id = new_couple(&owner, couple_json("Private Couple")).await;
    let other = counselor_api(&app, "b@practice.example").await;
    let api_routes = [
        ("GET", format!("/api/v1/couples/{id}/progress"), json!(null)),
        (
            "POST",
            format!("/api/v1/couples/{id}/markers"),
            json!([{"marker": "full_acknowledgement", "rating": "consistent"}]),
        ),
        (
            "POST",
            format!("/api/v1/couples/{id}/stages/admission/complete"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/couples/{id}/stages/before_the_affair/override"),
            json!({"reason": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/couples/{id}/stages/admission/reopen"),
            json!({"reason": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/couples/{id}/stages/nonsense/complete"),
            json!({}),
        ),
    ];
    for (method, path, body) in &api_routes {
        let r = if *method == "GET" {
            other.get(path).await
        } else {
            other.post_json(path, body).await
        };
        assert_eq!(r.status(), 404, "{method} {path}");
        let text = r.text().await.expect("body");
        assert!(
            !text.contains("Private Couple") && !text.contains("full_acknowledgement"),
            "{path}: {text}"
        );
    }
    let (_, b) = app
        .signed_in_counselor("B", "b-page@practice.example")
        .await;
    for path in [
        format!("/couples/{id}/markers"),
        format!("/couples/{id}/stages/admission/complete"),
        format!("/couples/{id}/stages/before_the_affair/override"),
        format!("/couples/{id}/stages/admission/reopen"),
    ] {
        let r = b
            .submit(
                "/",
                &path,
                &[
                    ("marker.full_acknowledgement", "consistent".into()),
                    ("reason", "x".into()),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!r.text().await.expect("body").contains("Private Couple"));
    }
    // Nothing changed for the owner.
    let p = progress(&owner, &id).await;
    assert_eq!(p["stages"][0]["markers"][0]["rating"], "not_yet");
    assert_eq!(p["gate"]["overridden"], false);
}

async fn the_dashboard_filters_and_counts_by_stage(app: TestApp) {
    let c = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let api = app.api(&app.api_token(c.id).await);
    let first = new_couple(&api, couple_json("First")).await;
    new_couple(&api, couple_json("Second")).await;
    rate_all(&api, &first, "admission", "consistent").await;
    assert_eq!(complete(&api, &first, "admission").await.status(), 200);
    let b = Browser::new(&app);
    b.sign_in("a@practice.example", crate::support::PASSWORD)
        .await;
    let (_, html) = b.get_html("/?stage=validation").await;
    assert!(
        html.contains("First") && !html.contains(">Second<"),
        "filtered to stage 2"
    );
    let (_, html) = b.get_html("/").await;
    assert!(
        html.contains("data-stage-count=\"admission\">1<"),
        "one couple in stage 1"
    );
    assert!(
        html.contains("data-stage-count=\"validation\">1<"),
        "one couple in stage 2"
    );
    let list: Value = api.get_json("/api/v1/couples?stage=validation").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["current_stage"], "validation");
    let r = api.get("/api/v1/couples?stage=eighth").await;
    assert_eq!(problem_fields(&problem(r).await), ["stage"]);
}

/// One rule behind both faces: an unknown stage is 404, a rating equal to the current one is
/// not recorded again, and the report period refuses an end before intake.
async fn page_and_api_share_the_stage_and_report_rules(app: TestApp) {
    let c = app
        .counselor(
            "Counselor",
            "both@practice.example",
            kintsugi_core::practice::Role::Counselor,
        )
        .await;
    let api = app.api(&app.api_token(c.id).await);
    let b = Browser::new(&app);
    b.sign_in("both@practice.example", crate::support::PASSWORD)
        .await;
    let id = new_couple(&api, couple_json("Alex & Sam")).await;
    let page = format!("/couples/{id}");
    for action in ["complete", "override", "reopen"] {
        let r = api
            .post_json(
                &format!("/api/v1/couples/{id}/stages/stage_seven/{action}"),
                &json!({"reason": "x"}),
            )
            .await;
        assert_eq!(r.status(), 404, "API {action}");
        let r = b
            .submit(
                &page,
                &format!("/couples/{id}/stages/stage_seven/{action}"),
                &[("reason", "x".into())],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "page {action}");
    }

    let rated = || async {
        marker_rating::Entity::find()
            .count(&app.db)
            .await
            .expect("count")
    };
    let body = json!([{"marker": "full_acknowledgement", "rating": "emerging"}]);
    let markers = format!("/api/v1/couples/{id}/markers");
    assert_eq!(api.post_json(&markers, &body).await.status(), 200);
    assert_eq!(rated().await, 1);
    assert_eq!(api.post_json(&markers, &body).await.status(), 200);
    assert_eq!(rated().await, 1, "the API records the same rating once");
    let fields = [
        ("stage", "admission".to_owned()),
        ("marker.full_acknowledgement", "emerging".to_owned()),
        ("marker.wrong_without_excuse", "not_yet".to_owned()),
    ];
    let r = b
        .submit(&page, &format!("/couples/{id}/markers"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("location")
            .contains("unchanged")
    );
    assert_eq!(rated().await, 1, "nor does the page");

    // The couple's intake is 2026-03-02: a report ending before it is refused in both faces.
    let r = api
        .get(&format!("/api/v1/couples/{id}/report.pdf?to=2026-02-01"))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(problem_fields(&problem(r).await), ["to"]);
    let (status, html) = b
        .get_html(&format!("/couples/{id}/report.pdf?to=2026-02-01"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("The report&#39;s end date is before the couple&#39;s intake on 2026-03-02"),
        "{html}"
    );
    let r = api
        .get(&format!(
            "/api/v1/couples/{id}/report.pdf?from=2026-03-02&to=2026-03-09"
        ))
        .await;
    assert_eq!(r.status(), 200);
}
