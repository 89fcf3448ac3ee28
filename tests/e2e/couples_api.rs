//! `/api/v1/couples`: list, create, read, update.

use kintsugi_core::practice::Role;
use serde_json::json;

use crate::db_tests;
use crate::support::http::{problem, problem_fields};
use crate::support::{TestApp, couple_json};

db_tests!(
    create_read_and_list_couples,
    patch_changes_only_what_is_sent,
    stale_versions_are_refused,
    list_is_paged_with_a_next_link,
    invalid_list_parameters_are_named,
);

async fn api(app: &TestApp) -> crate::support::http::Api {
    let c = app
        .counselor("A", "a@practice.example", Role::Counselor)
        .await;
    let token = app.api_token(c.id).await;
    app.api(&token)
}

async fn create_read_and_list_couples(app: TestApp) {
    let api = api(&app).await;
    let r = api
        .post_json("/api/v1/couples", &couple_json("Zoë & Renée"))
        .await;
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["label"], "Zoë & Renée");
    assert_eq!(created["status"], "active");
    assert_eq!(created["current_stage"], "admission");
    assert_eq!(created["version"], 1);
    assert_eq!(created["partners"][0]["role"], "involved");
    assert_eq!(created["partners"][0]["name"], "Zoë Ñúñez-Łukasiewicz");
    assert_eq!(created["partners"][1]["name"], "Renée O’Brien");
    assert_eq!(created["partners"][1]["timezone"], "America/New_York");

    let read: serde_json::Value = api.get_json(&format!("/api/v1/couples/{id}")).await;
    assert_eq!(read, created);

    let list: serde_json::Value = api.get_json("/api/v1/couples").await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(list["next"].is_null());
}

async fn patch_changes_only_what_is_sent(app: TestApp) {
    let api = api(&app).await;
    let created: serde_json::Value = api.add_couple(&couple_json("Alex & Sam")).await;
    let id = created["id"].as_str().expect("id");
    let r = api
        .patch_json(
            &format!("/api/v1/couples/{id}"),
            &json!({"label": "Alex & Samira", "status": "paused", "disclosure_date": "2026-02-01",
                    "partners": [{"role": "hurt", "email": "samira@mail.example"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let patched: serde_json::Value = r.json().await.expect("json");
    assert_eq!(patched["label"], "Alex & Samira");
    assert_eq!(patched["status"], "paused");
    assert_eq!(patched["disclosure_date"], "2026-02-01");
    assert_eq!(patched["partners"][1]["email"], "samira@mail.example");
    assert_eq!(patched["partners"][1]["name"], "Renée O’Brien", "unchanged");
    assert_eq!(
        patched["partners"][0], created["partners"][0],
        "the other partner is untouched"
    );
    // null clears the disclosure date.
    let cleared: serde_json::Value = api
        .patch_json(
            &format!("/api/v1/couples/{id}"),
            &json!({"disclosure_date": null}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(cleared["disclosure_date"].is_null());
}

async fn stale_versions_are_refused(app: TestApp) {
    let api = api(&app).await;
    let created: serde_json::Value = api.add_couple(&couple_json("Alex & Sam")).await;
    let path = format!("/api/v1/couples/{}", created["id"].as_str().expect("id"));
    let first = api
        .patch_json(&path, &json!({"label": "First", "version": 1}))
        .await;
    assert_eq!(first.status(), 200);
    let second = api
        .patch_json(&path, &json!({"label": "Second", "version": 1}))
        .await;
    assert_eq!(second.status(), 409);
    let p = problem(second).await;
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("changed by someone else")
    );
    let now: serde_json::Value = api.get_json(&path).await;
    assert_eq!(now["label"], "First", "the first change is kept");
}

async fn list_is_paged_with_a_next_link(app: TestApp) {
    let api = api(&app).await;
    for i in 0..5 {
        let r = api
            .post_json("/api/v1/couples", &couple_json(&format!("Couple {i}")))
            .await;
        assert_eq!(r.status(), 201);
    }
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/couples?per_page=2".to_owned());
    while let Some(path) = next {
        let page: serde_json::Value = api.get_json(&path).await;
        assert_eq!(page["total"], 5);
        for item in page["items"].as_array().expect("items") {
            seen.push(item["label"].as_str().expect("label").to_owned());
        }
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["Couple 0", "Couple 1", "Couple 2", "Couple 3", "Couple 4"]
    );
    let filtered: serde_json::Value = api.get_json("/api/v1/couples?q=couple%203").await;
    assert_eq!(filtered["total"], 1);
}

async fn invalid_list_parameters_are_named(app: TestApp) {
    let api = api(&app).await;
    let r = api
        .get("/api/v1/couples?page=abc&per_page=1000&status=weird&sort=nope&owner=1")
        .await;
    assert_eq!(r.status(), 422);
    let p = problem(r).await;
    let mut fields = problem_fields(&p);
    fields.sort();
    assert_eq!(fields, ["owner", "page", "per_page", "sort", "status"]);
}
