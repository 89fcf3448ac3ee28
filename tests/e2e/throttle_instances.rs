//! The throttles with several instances on one PostgreSQL database (issue 13, 5): the tries are
//! counted in the database, so spreading them over two instances, or sending them all at once,
//! gets no more of them than one instance gives. Also: what the shared buckets hold (no email
//! or address in clear), their sweep, a throttle statement that fails (counted in the process
//! instead: never a free pass, never an error page), a database that cannot be reached (503, as
//! every page that needs it), and SQLite (in memory, as before). The single-instance rules
//! themselves are tested in `auth`, `totp` and `homework_client` on both databases.

use std::net::IpAddr;
use std::time::Duration;

use kintsugi_core::access::throttle_buckets::{self, Rate};
use kintsugi_core::homework::links;
use kintsugi_core::practice::Role;
use kintsugi_web::auth::throttle::{SignInThrottle, ThrottleStore};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::auth::{retry_after, session_with_a_draft};
use crate::support::http::Api;
use crate::support::{Backend, Browser, PASSWORD, TestApp, couple_json};

fn postgres_configured() -> bool {
    let set = std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty());
    if !set {
        eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
    }
    set
}

/// Two instances with `attempts` tries on one fresh PostgreSQL database.
async fn two_instances(attempts: u32) -> (TestApp, TestApp) {
    let a = TestApp::spawn_with(Backend::Postgres, |c| c.sign_in_attempts = attempts).await;
    let b = a.another_instance(|c| c.sign_in_attempts = attempts).await;
    (a, b)
}

fn assert_throttled(r: &reqwest::Response, what: &str) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
    assert!((1..=180).contains(&retry_after(r)), "{what}: Retry-After");
}

async fn bucket_keys(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT key FROM throttle_bucket ORDER BY key",
        ))
        .await
        .expect("buckets")
        .iter()
        .map(|r| r.try_get::<String>("", "key").expect("key"))
        .collect()
}

/// Four tries per account and address: wrong passwords alternating between two instances get
/// four 401s, then 429 with Retry-After on both, the right password too; and the address is
/// used up for another account on either instance. One instance gives exactly the same
/// (`auth::sign_in_is_throttled_per_account_and_address_*`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_spread_over_two_instances_are_refused_at_the_limit() {
    if !postgres_configured() {
        return;
    }
    let (a, b) = two_instances(4).await;
    a.counselor("Ada", "ada@practice.example", Role::Counselor)
        .await;
    a.counselor("Bo", "bo@practice.example", Role::Counselor)
        .await;
    let on = [Browser::new(&a), Browser::new(&b)];
    for i in 0..4 {
        let r = on[i % 2]
            .try_sign_in("ada@practice.example", "wrong password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "try {}", i + 1);
    }
    for (i, browser) in on.iter().enumerate() {
        let r = browser.try_sign_in("ADA@practice.example", PASSWORD).await;
        assert_throttled(&r, &format!("the right password on instance {}", i + 1));
        let r = browser.try_sign_in("bo@practice.example", PASSWORD).await;
        assert_throttled(&r, &format!("the same address on instance {}", i + 1));
    }
}

/// 24 wrong passwords sent at the same moment, half to each instance, each from a browser with
/// the form already loaded: exactly the five tries of the limit are checked (401), every other
/// one is refused (429). The database counts them one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tries_on_two_instances_cannot_exceed_the_limit() {
    if !postgres_configured() {
        return;
    }
    let (a, b) = two_instances(5).await;
    a.counselor("Cy", "cy@practice.example", Role::Counselor)
        .await;
    let mut ready = Vec::new();
    for i in 0..24 {
        let browser = Browser::new(if i % 2 == 0 { &a } else { &b });
        let csrf = browser.csrf("/login").await;
        ready.push((browser, csrf));
    }
    let mut tries = tokio::task::JoinSet::new();
    for (browser, csrf) in ready {
        tries.spawn(async move {
            let fields = [
                ("email", "cy@practice.example".to_owned()),
                ("password", "wrong password".to_owned()),
            ];
            browser.post_with("/login", &csrf, &fields).await.status()
        });
    }
    let statuses: Vec<StatusCode> = tries.join_all().await;
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    assert_eq!(count(StatusCode::UNAUTHORIZED), 5, "{statuses:?}");
    assert_eq!(count(StatusCode::TOO_MANY_REQUESTS), 19, "{statuses:?}");
}

/// The store itself, without HTTP or password hashing in the way: 120 tries of one account at
/// once, from 120 addresses, through two throttles on two connection pools. Exactly the limit
/// gets through, and the refused ones are told how long to wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tries_through_two_pools_get_exactly_the_limit() {
    if !postgres_configured() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let mut throttles = Vec::new();
    for _ in 0..2 {
        let db = kintsugi_core::db::connect(&app.database_url)
            .await
            .expect("connect");
        let throttle = SignInThrottle::new(7, ThrottleStore::for_database(&db));
        assert!(throttle.is_shared());
        throttles.push(std::sync::Arc::new(throttle));
    }
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..120u8 {
        let throttle = throttles[usize::from(i % 2)].clone();
        let ip: IpAddr = [10, 1, i / 100, i % 100].into();
        tries.spawn(async move {
            throttle
                .attempt("dee@practice.example", Some(ip))
                .await
                .expect("the database answers")
        });
    }
    let verdicts = tries.join_all().await;
    let allowed = verdicts.iter().filter(|v| v.is_ok()).count();
    assert_eq!(allowed, 7, "{verdicts:?}");
    for wait in verdicts.iter().filter_map(|v| v.err()) {
        assert!(
            wait >= Duration::from_secs(1) && wait <= Duration::from_secs(180),
            "{wait:?}"
        );
    }
}

/// Right signature passwords never count, on either instance; wrong ones alternating between
/// the two use up the account's tries at the limit; then the right password is refused on the
/// other instance without being checked, and the note stays a draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_signature_passwords_count_across_instances_and_right_ones_never() {
    use crate::support::sessions::{me, read, sign};
    if !postgres_configured() {
        return;
    }
    let (a, b) = two_instances(4).await;
    let email = "fenna@practice.example";
    let me = me(&a, email, "Gus & Hal").await;
    let apis = [Api::new(&a, &me.api.token), Api::new(&b, &me.api.token)];
    for days_ago in 1..=6 {
        let session = session_with_a_draft(&me, days_ago).await;
        let api = &apis[usize::try_from(days_ago % 2).expect("index")];
        assert_eq!(sign(api, &session).await.status(), StatusCode::OK);
    }
    let session = session_with_a_draft(&me, 7).await;
    let path = format!("/api/v1/sessions/{session}/note/sign");
    let wrong = serde_json::json!({"password": "not my password at all"});
    for i in 0..4 {
        let r = apis[i % 2].post_json(&path, &wrong).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong {}",
            i + 1
        );
    }
    let r = apis[0].post_json(&path, &wrong).await;
    assert_throttled(&r, "one wrong password too many");
    let r = sign(&apis[1], &session).await;
    assert_throttled(&r, "the right password on the other instance, not checked");
    assert_eq!(read(&apis[1], &session).await["note"]["status"], "draft");
    let r = Browser::new(&b).try_sign_in(email, PASSWORD).await;
    assert_throttled(&r, "sign-in on the other instance");
}

/// Refused homework links alternating between two instances: after the allowance (3 x the
/// sign-in tries) and one more, every link open from that address answers 429 on both, the
/// real link too, exactly as on one instance
/// (`homework_client::guessing_links_is_throttled_for_that_address`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_links_over_two_instances_is_throttled_at_the_same_count() {
    if !postgres_configured() {
        return;
    }
    let (a, b) = two_instances(2).await;
    let c = a
        .counselor("Counselor", "links@practice.example", Role::Counselor)
        .await;
    let created: serde_json::Value = a
        .api(&a.api_token(c.id).await)
        .post_json("/api/v1/couples", &couple_json("Zoë & Renée"))
        .await
        .json()
        .await
        .expect("couple");
    let hurt =
        uuid::Uuid::parse_str(created["partners"][1]["id"].as_str().expect("id")).expect("uuid");
    let real = links::mint(&a.db, a.clock.as_ref(), hurt, chrono::Duration::days(90))
        .await
        .expect("mint");
    let on = [Browser::new(&a), Browser::new(&b)];
    let allowance = 3 * 2;
    for i in 0..=allowance {
        let guess = format!("/h/{}", kintsugi_core::access::secrets::random_token(32));
        let r = on[i % 2].get(&guess).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "refused link {}", i + 1);
    }
    for (i, browser) in on.iter().enumerate() {
        let r = browser.get(&format!("/h/{}", real.expose())).await;
        assert_throttled(&r, &format!("the real link on instance {}", i + 1));
    }
    // The buckets never hold the link, real or guessed: only the address, hashed.
    for key in bucket_keys(&a).await {
        assert!(key.starts_with("link/address:"), "{key}");
    }
}

/// The buckets are named by the limit and a hash: no email or address in clear. A bucket
/// whose tries are all back is swept; the others stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_buckets_hold_no_email_or_address_and_spent_ones_are_swept() {
    if !postgres_configured() {
        return;
    }
    let app = TestApp::spawn_with(Backend::Postgres, |c| c.sign_in_attempts = 3).await;
    let b = Browser::new(&app);
    let r = b
        .try_sign_in("Eve.Someone@Practice.example", "wrong password")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let keys = bucket_keys(&app).await;
    assert_eq!(keys.len(), 2, "an account and an address: {keys:?}");
    for key in &keys {
        let lower = key.to_lowercase();
        assert!(
            !lower.contains("eve") && !lower.contains("practice"),
            "{key}"
        );
        assert!(!key.contains("127.0.0.1"), "{key}");
    }
    assert!(keys.iter().any(|k| k.starts_with("password/account:")));
    assert!(keys.iter().any(|k| k.starts_with("password/address:")));

    // A bucket of one try per millisecond is spent almost at once.
    let spent = throttle_buckets::key("test/spent", "x");
    let rate = Rate::new(1, Duration::from_millis(1));
    let verdicts = throttle_buckets::take(&app.db, rate, std::slice::from_ref(&spent))
        .await
        .expect("take");
    assert_eq!(verdicts, vec![None]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let swept = throttle_buckets::sweep(&app.db).await.expect("sweep");
    assert_eq!(swept, 1);
    assert_eq!(bucket_keys(&app).await, keys, "live buckets stay");
}

/// When the throttle's statement fails while the database answers (here: its table is gone),
/// sign-in still works and the tries are counted in the process: wrong passwords get 401, never
/// 500, and the limit still answers 429. The fallback is counted in /metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_shared_throttle_counts_in_the_process() {
    if !postgres_configured() {
        return;
    }
    let app = TestApp::spawn_with(Backend::Postgres, |c| c.sign_in_attempts = 3).await;
    app.counselor("Gil", "gil@practice.example", Role::Counselor)
        .await;
    app.db
        .execute_unprepared("DROP TABLE throttle_bucket")
        .await
        .expect("drop");
    let b = Browser::new(&app);
    b.sign_in("gil@practice.example", PASSWORD).await;
    for _ in 0..2 {
        let r = b
            .try_sign_in("gil@practice.example", "wrong password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = b.try_sign_in("gil@practice.example", PASSWORD).await;
    assert_throttled(&r, "the fourth try, counted in memory");
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("kintsugi_throttle_fallbacks_total{limit=\"password\"}")),
        "{metrics}"
    );
}

/// A database that cannot be reached at all (here: the instance's pool is closed): sign-in
/// answers 503 with Retry-After like every page that needs the database, never a 500, and the
/// password is not checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_answers_503_at_sign_in() {
    if !postgres_configured() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let b = Browser::new(&app);
    let csrf = b.csrf("/login").await;
    app.db.clone().close().await.expect("close the pool");
    let fields = [
        ("email", "ivy@practice.example".to_owned()),
        ("password", "wrong password".to_owned()),
    ];
    let r = b.post_with("/login", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
}

/// On SQLite one process serves the database and counts in its memory: the table exists (the
/// same migrations everywhere) and stays empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_the_tries_stay_in_the_process() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.sign_in_attempts = 2).await;
    let b = Browser::new(&app);
    for _ in 0..2 {
        let r = b
            .try_sign_in("hal@practice.example", "wrong password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = b
        .try_sign_in("hal@practice.example", "wrong password")
        .await;
    assert_throttled(&r, "the third try");
    assert!(bucket_keys(&app).await.is_empty());
}
