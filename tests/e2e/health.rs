//! Health checks, request ids and the headers every response carries.

use crate::db_tests;
use crate::support::TestApp;

db_tests!(
    health_and_readiness_answer,
    every_response_has_a_request_id_and_safe_headers,
    unknown_paths_are_calm_404s
);

async fn health_and_readiness_answer(app: TestApp) {
    let r = reqwest::get(app.url("/healthz")).await.expect("healthz");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("body"), "ok");
    let r = reqwest::get(app.url("/readyz")).await.expect("readyz");
    assert_eq!(r.status(), 200);
}

async fn every_response_has_a_request_id_and_safe_headers(app: TestApp) {
    for path in ["/login", "/healthz", "/nope", "/api/v1/couples"] {
        let r = reqwest::get(app.url(path)).await.expect("get");
        let h = r.headers();
        let id = h
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(id.len(), 36, "{path}: request id");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("cross-origin-opener-policy"), "{path}");
    }
    let login = reqwest::get(app.url("/login")).await.expect("login");
    assert_eq!(login.headers()["cache-control"], "no-store");
}

async fn unknown_paths_are_calm_404s(app: TestApp) {
    let r = reqwest::get(app.url("/no/such/page")).await.expect("get");
    assert_eq!(r.status(), 404);
    let html = r.text().await.expect("html");
    assert!(html.contains("Not found") && html.contains("<html"));
    let r = reqwest::get(app.url("/api/v1/nothing")).await.expect("get");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await;
    app.db.clone().close().await.expect("close pool");
    let r = reqwest::get(app.url("/readyz")).await.expect("readyz");
    assert_eq!(r.status(), 503);
    let r = reqwest::get(app.url("/healthz")).await.expect("healthz");
    assert_eq!(r.status(), 200, "the process itself is still up");
}
