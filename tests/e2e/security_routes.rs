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

use chrono::Duration;
use kintsugi_core::homework::links;
use kintsugi_core::practice::Role;
use kintsugi_web::routes::table::RouteEntry;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::actors::{
    A_EXERCISE, A_HURT, A_INVOLVED, A_INVOLVED_EMAIL, A_LABEL, A_WORDS, RECORD_IDS, api_body,
    api_request, assert_shows_none_of, client_csrf, counselor_csrf, couple_body, created, is_api,
    is_client, is_public, names_a_record, page_request, routes, world,
};
use crate::support::fixture::uuid_at;
use crate::support::http::{self, csrf_from, header};
use crate::support::snapshot::{assert_same, snapshot, without_read_traces};
use crate::support::{Backend, Browser, PASSWORD, TestApp};

db_tests!(
    every_route_but_the_public_ones_refuses_anonymous_requests,
    other_actors_get_404_and_none_of_a_s_data_on_every_route,
    every_state_changing_page_needs_a_csrf_token_and_the_same_origin,
    no_get_changes_anything,
);

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
// Point 5: deny by default.

async fn every_route_but_the_public_ones_refuses_anonymous_requests(app: TestApp) {
    let w = world(&app).await;
    let anon = http::client(false);
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
            let location = header(&res, "location");
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
    let couple = uuid_at(&c, "/id").to_string();
    let hurt = uuid_at(&c, "/partners/1/id");
    let client = http::client(false);
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
