//! The OpenAPI document: served, parseable, version 3.1, and listing every API route.

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_api_route() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await;
    let r = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.expect("valid JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/v1/couples", &["get", "post"][..]),
        ("/api/v1/couples/{couple_id}", &["get", "patch"][..]),
        ("/api/v1/couples/{couple_id}/progress", &["get"][..]),
        ("/api/v1/outbox", &["get"][..]),
        ("/api/v1/couples/{couple_id}/markers", &["post"][..]),
        (
            "/api/v1/couples/{couple_id}/stages/{stage}/complete",
            &["post"][..],
        ),
        (
            "/api/v1/couples/{couple_id}/stages/{stage}/override",
            &["post"][..],
        ),
        (
            "/api/v1/couples/{couple_id}/stages/{stage}/reopen",
            &["post"][..],
        ),
        ("/api/v1/couples/{couple_id}/links/{role}", &["post"][..]),
        ("/api/v1/exercises", &["get", "post"][..]),
        ("/api/v1/exercises/{exercise_id}", &["get"][..]),
        (
            "/api/v1/couples/{couple_id}/assignments",
            &["get", "post"][..],
        ),
        ("/api/v1/assignments/{assignment_id}", &["get", "patch"][..]),
        ("/api/v1/assignments/{assignment_id}/cancel", &["post"][..]),
        (
            "/api/v1/assignments/{assignment_id}/responses/{response_id}/review",
            &["post"][..],
        ),
        ("/api/v1/couples/{couple_id}/sessions", &["get", "post"][..]),
        ("/api/v1/sessions/{session_id}", &["get", "patch"][..]),
        ("/api/v1/sessions/{session_id}/note", &["put"][..]),
        ("/api/v1/sessions/{session_id}/note/sign", &["post"][..]),
        ("/api/v1/sessions/{session_id}/note/addenda", &["post"][..]),
        ("/api/v1/sessions/{session_id}/note.pdf", &["get"][..]),
        ("/api/v1/couples/{couple_id}/report.pdf", &["get"][..]),
    ] {
        let entry = paths.get(path).unwrap_or_else(|| panic!("{path} missing"));
        for m in methods {
            assert!(entry.get(*m).is_some(), "{m} {path} missing");
        }
    }
    // Every documented path answers (with 401 without a token), so the document and the router agree.
    let client = reqwest::Client::new();
    for (path, item) in paths {
        for method in item.as_object().expect("methods").keys() {
            let url = app.url(
                &path
                    .replace("{couple_id}", "00000000-0000-0000-0000-000000000000")
                    .replace("{stage}", "admission")
                    .replace("{role}", "hurt")
                    .replace("{exercise_id}", "00000000-0000-0000-0000-000000000000")
                    .replace("{assignment_id}", "00000000-0000-0000-0000-000000000000")
                    .replace("{response_id}", "00000000-0000-0000-0000-000000000000")
                    .replace("{session_id}", "00000000-0000-0000-0000-000000000000"),
            );
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = client.request(m, url).send().await.expect("request");
            assert_eq!(r.status(), 401, "{method} {path}");
        }
    }
    // Every operation documents the answers every request can get (scripts/schemathesis checks
    // that each answer is documented); those with a body also the body's refusals.
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("methods") {
            let responses = op["responses"].as_object().expect("responses");
            for status in ["400", "401"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
            if op.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
        }
    }
    // Request schemas say what the parsers accept: key lists are enums, text is bounded.
    let stage = &paths["/api/v1/couples/{couple_id}/stages/{stage}/complete"]["post"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "stage")
        .expect("stage parameter")["schema"]["enum"];
    assert_eq!(stage.as_array().map(Vec::len), Some(6), "{stage}");
    let label = &doc["components"]["schemas"]["NewCoupleBody"]["properties"]["label"];
    assert_eq!(label["maxLength"], 120, "{label}");
    assert!(label["pattern"].is_string(), "{label}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for tag in [
        "couples",
        "stages",
        "exercises",
        "homework",
        "links",
        "sessions",
    ] {
        assert!(tags.contains(&tag), "tag {tag} missing: {tags:?}");
    }
}
