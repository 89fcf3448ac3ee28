//! Errors (issue #7, point 14): a handler that panics answers a generic 500 page (or, under
//! `/api/`, a problem detail) without internals, logged with the request id; a database that
//! cannot be reached answers 503 with `Retry-After`, on pages and the API alike.

use std::net::SocketAddr;

use axum::routing::get;
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::db_tests;
use crate::support::logs::{captured_logs, logs_text};
use crate::support::{Backend, Browser, PASSWORD, TestApp};

db_tests!(an_unreachable_database_answers_503_with_retry_after);

const INTERNALS: &str = "kintsugi-internal-detail-4711";

async fn boom() -> &'static str {
    panic!("{INTERNALS}")
}

/// The application's own routes and middleware, plus two handlers that panic: the app has no
/// test hook, so the test adds the routes around the very stack `app::router` builds.
async fn serve_with_panicking_routes(app: &TestApp) -> String {
    let mut config = kintsugi_web::Config::for_database(&app.database_url);
    config.bind = "127.0.0.1:0".parse().expect("addr");
    let state = kintsugi_web::AppState::new(app.db.clone(), app.clock.clone(), config);
    let routes = kintsugi_web::routes::router(state)
        .route("/boom", get(boom))
        .route(
            "/api/v1/boom",
            get(|| async {
                let v: Vec<u8> = Vec::new();
                // An index out of bounds: a bug, as a real panic would be.
                format!("{} {INTERNALS}", v[usize::from(v.is_empty())])
            }),
        );
    let router = kintsugi_web::app::with_middleware(routes, false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_answers_a_generic_500_and_is_logged_with_the_request_id() {
    let logs = captured_logs();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = serve_with_panicking_routes(&app).await;
    let r = reqwest::get(format!("{base}/boom")).await.expect("get");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page_id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    assert!(r.headers().contains_key("content-security-policy"));
    let html = r.text().await.expect("body");
    assert!(html.contains("Something went wrong on our side"), "{html}");
    assert!(!html.contains(INTERNALS) && !html.contains("panicked") && !html.contains(".rs"));

    let r = reqwest::get(format!("{base}/api/v1/boom"))
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let api_id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = r.text().await.expect("body");
    let problem: serde_json::Value = serde_json::from_str(&body).expect("problem");
    assert_eq!(problem["status"], 500);
    assert!(
        !body.contains(INTERNALS) && !body.contains("index out of bounds"),
        "{body}"
    );

    // The server goes on serving.
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );
    let text = logs_text(&logs);
    for id in [&page_id, &api_id] {
        assert!(
            text.lines()
                .any(|l| l.contains("handler panicked") && l.contains(id.as_str())),
            "the panic was logged with request id {id}:\n{text}"
        );
    }
}

async fn an_unreachable_database_answers_503_with_retry_after(app: TestApp) {
    let c = app
        .counselor("C", "c@practice.example", Role::Counselor)
        .await;
    let token = app.api_token(c.id).await;
    let browser = Browser::new(&app);
    browser.sign_in("c@practice.example", PASSWORD).await;
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);

    match app.backend {
        // The server's pool is the test's pool: closing it takes the database away.
        Backend::Sqlite => app.db.clone().close().await.expect("close"),
        // Refuse new connections to this database and end the open ones.
        Backend::Postgres => {
            let name = app
                .database_url
                .rsplit('/')
                .next()
                .expect("name")
                .to_owned();
            let admin_url = std::env::var("KINTSUGI_TEST_POSTGRES_URL").expect("url");
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .expect("admin");
            admin
                .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                .await
                .expect("refuse connections");
            admin
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                ))
                .await
                .expect("terminate");
            admin.close().await.ok();
        }
    }

    let started = std::time::Instant::now();
    let r = app.api(&token).get("/api/v1/couples").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "API");
    assert!(r.headers().contains_key("retry-after"), "API: Retry-After");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = r.text().await.expect("body");
    assert_no_internals(&body, &app);

    let r = browser.get("/").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "page");
    assert!(r.headers().contains_key("retry-after"), "page: Retry-After");
    let body = r.text().await.expect("body");
    assert!(body.contains("Temporarily unavailable"), "{body}");
    assert_no_internals(&body, &app);

    let r = reqwest::get(app.url("/readyz")).await.expect("readyz");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Quickly: well within the pool's acquire timeout, not a hang.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

fn assert_no_internals(body: &str, app: &TestApp) {
    let name = app.database_url.rsplit('/').next().unwrap_or_default();
    for word in ["sqlx", "sea_orm", "pool", "SQLSTATE", "connection", name] {
        assert!(!body.contains(word), "the body shows {word:?}: {body}");
    }
}
