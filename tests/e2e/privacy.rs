//! Privacy: a counselor sees only their own caseload. Another counselor's couple, an unknown id
//! and a malformed id all read the same (404, never 403), on every page and API route; admin
//! pages do not exist for counselors; the API needs a valid token of an active counselor.

use kintsugi_core::practice::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::http::{Api, problem};
use crate::support::{Browser, PASSWORD, TestApp, couple_form, couple_json};

db_tests!(
    another_counselors_couple_pages_are_not_found,
    another_counselors_couple_forms_are_not_found_and_change_nothing,
    another_counselors_couple_is_not_found_through_the_api,
    another_counselors_couple_id_in_other_spellings_is_not_found,
    caseload_lists_only_the_counselors_own_couples,
    unknown_and_malformed_ids_are_not_found_on_pages,
    unknown_and_malformed_ids_are_not_found_problems_on_the_api,
    admin_pages_are_not_found_for_counselors,
    api_without_a_valid_token_is_unauthorized,
    api_does_not_accept_a_browser_session,
    deactivated_counselors_api_token_stops_working,
);

/// A's couple as created through the API; none of this may ever reach counselor B.
const A_LABEL: &str = "Harbor Lights";
const A_SECRETS: [&str; 5] = [
    A_LABEL,
    "Zoë Ñúñez-Łukasiewicz",
    "Renée O’Brien",
    "zoe@mail.example",
    "renee@mail.example",
];

/// Counselor A with a couple, and counselor B signed in with a browser and an API token.
struct TwoCounselors {
    a_id: uuid::Uuid,
    a_api: Api,
    couple_id: String,
    b: Browser,
    b_csrf: String,
    b_api: Api,
}

async fn two_counselors(app: &TestApp) -> TwoCounselors {
    let a = app
        .counselor("Ana Archer", "ana@practice.example", Role::Counselor)
        .await;
    let a_api = app.api(&app.api_token(a.id).await);
    let r = a_api
        .post_json("/api/v1/couples", &couple_json(A_LABEL))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "A creates a couple");
    let created: Value = r.json().await.expect("couple json");
    let couple_id = created["id"].as_str().expect("id").to_owned();

    let (b_counselor, b) = app
        .signed_in_counselor("Bruno Baker", "bruno@practice.example")
        .await;
    let b_csrf = b.csrf("/").await;
    let b_api = app.api(&app.api_token(b_counselor.id).await);
    TwoCounselors {
        a_id: a.id,
        a_api,
        couple_id,
        b,
        b_csrf,
        b_api,
    }
}

/// The body says nothing about A's couple.
fn assert_reveals_nothing(body: &str, what: &str) {
    for secret in A_SECRETS {
        assert!(
            !body.contains(secret),
            "{what}: the response mentions {secret:?}: {body}"
        );
    }
}

async fn assert_page_not_found(r: Response, what: &str) {
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what}");
    let body = r.text().await.expect("body");
    assert_reveals_nothing(&body, what);
}

async fn assert_api_not_found(r: Response, what: &str) {
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what}");
    let p = problem(r).await;
    assert_eq!(p["status"], 404, "{what}: {p}");
    assert_reveals_nothing(&p.to_string(), what);
}

/// A's couple as A reads it.
async fn a_reads_couple(s: &TwoCounselors) -> Value {
    let r = s
        .a_api
        .get(&format!("/api/v1/couples/{}", s.couple_id))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "A can read their couple");
    r.json().await.expect("couple json")
}

fn assert_unchanged(couple: &Value) {
    assert_eq!(couple["label"], A_LABEL, "label unchanged: {couple}");
    assert_eq!(couple["status"], "active", "status unchanged: {couple}");
    assert_eq!(couple["version"], 1, "version unchanged: {couple}");
    assert_eq!(
        couple["partners"][0]["name"], "Zoë Ñúñez-Łukasiewicz",
        "partner unchanged: {couple}"
    );
}

/// A couple of B's, with partners that share nothing with A's.
fn b_couple_json(label: &str) -> Value {
    json!({
        "label": label,
        "intake_date": "2026-01-05",
        "partners": [
            {"role": "involved", "name": "Kai Berg", "email": "kai@mail.example", "timezone": "Europe/Oslo"},
            {"role": "hurt", "name": "Mia Berg", "email": "mia@mail.example", "timezone": "Europe/Oslo"}
        ]
    })
}

/// A valid edit form from B, as B's own edit page would send it.
fn hijack_form() -> Vec<(&'static str, String)> {
    let mut form = couple_form("Taken over by B");
    form.push(("version", "1".to_owned()));
    form
}

async fn another_counselors_couple_pages_are_not_found(app: TestApp) {
    let s = two_counselors(&app).await;
    for path in [
        format!("/couples/{}", s.couple_id),
        format!("/couples/{}/edit", s.couple_id),
    ] {
        assert_page_not_found(s.b.get(&path).await, &format!("B: GET {path}")).await;
    }
}

async fn another_counselors_couple_forms_are_not_found_and_change_nothing(app: TestApp) {
    let s = two_counselors(&app).await;
    let update = format!("/couples/{}", s.couple_id);
    let r = s.b.post_with(&update, &s.b_csrf, &hijack_form()).await;
    assert_page_not_found(r, "B: POST edit with a valid form").await;

    // An invalid form must not be an oracle either: still 404, not 422.
    let mut invalid = hijack_form();
    invalid.retain(|(k, _)| *k != "label");
    invalid.push(("label", String::new()));
    let r = s.b.post_with(&update, &s.b_csrf, &invalid).await;
    assert_page_not_found(r, "B: POST edit with an invalid form").await;

    let status = format!("/couples/{}/status", s.couple_id);
    for value in ["closed", "paused", "weird"] {
        let r =
            s.b.post_with(&status, &s.b_csrf, &[("status", value.to_owned())])
                .await;
        assert_page_not_found(r, &format!("B: POST status={value}")).await;
    }

    assert_unchanged(&a_reads_couple(&s).await);
}

async fn another_counselors_couple_is_not_found_through_the_api(app: TestApp) {
    let s = two_counselors(&app).await;
    let path = format!("/api/v1/couples/{}", s.couple_id);
    assert_api_not_found(s.b_api.get(&path).await, "B: API GET").await;
    for patch in [
        json!({"label": "Taken over by B"}),
        json!({"status": "closed", "version": 1}),
        json!({"partners": [{"role": "hurt", "email": "b@attacker.example"}]}),
        // Invalid values are not an oracle either.
        json!({"status": "weird", "label": ""}),
    ] {
        assert_api_not_found(
            s.b_api.patch_json(&path, &patch).await,
            &format!("B: API PATCH {patch}"),
        )
        .await;
    }
    assert_unchanged(&a_reads_couple(&s).await);
}

/// The same UUID written differently (upper case, no hyphens, braces, URN).
fn other_spellings(id: &str) -> Vec<String> {
    let simple = id.replace('-', "");
    vec![
        id.to_uppercase(),
        simple.clone(),
        simple.to_uppercase(),
        format!("%7B{id}%7D"),
        format!("urn:uuid:{id}"),
    ]
}

async fn another_counselors_couple_id_in_other_spellings_is_not_found(app: TestApp) {
    let s = two_counselors(&app).await;
    for id in other_spellings(&s.couple_id) {
        for path in [format!("/couples/{id}"), format!("/couples/{id}/edit")] {
            assert_page_not_found(s.b.get(&path).await, &format!("B: GET {path}")).await;
        }
        let r =
            s.b.post_with(&format!("/couples/{id}"), &s.b_csrf, &hijack_form())
                .await;
        assert_page_not_found(r, &format!("B: POST /couples/{id}")).await;
        let api = format!("/api/v1/couples/{id}");
        assert_api_not_found(s.b_api.get(&api).await, &format!("B: GET {api}")).await;
        assert_api_not_found(
            s.b_api.patch_json(&api, &json!({"label": "x"})).await,
            &format!("B: PATCH {api}"),
        )
        .await;
    }
    assert_unchanged(&a_reads_couple(&s).await);
}

async fn caseload_lists_only_the_counselors_own_couples(app: TestApp) {
    let s = two_counselors(&app).await;
    let r = s
        .b_api
        .post_json("/api/v1/couples", &b_couple_json("Bruno's own couple"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    for path in ["/", "/?q=harbor", "/?status=active&sort=updated", "/?q=a"] {
        let (status, html) = s.b.get_html(path).await;
        assert_eq!(status, StatusCode::OK, "B's dashboard {path}");
        assert_reveals_nothing(&html, &format!("B's dashboard {path}"));
    }
    let (_, html) = s.b.get_html("/").await;
    assert!(
        html.contains("Bruno&#39;s own couple"),
        "B sees their own couple"
    );

    let r = s.b_api.get("/api/v1/couples").await;
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.expect("list");
    assert_eq!(list["total"], 1, "B's API caseload: {list}");
    assert_eq!(list["items"][0]["label"], "Bruno's own couple");
    assert_reveals_nothing(&list.to_string(), "B's API caseload");

    for query in [
        "q=harbor",
        "q=Harbor%20Lights",
        "status=active&per_page=100",
    ] {
        let r = s.b_api.get(&format!("/api/v1/couples?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{query}");
        let list: Value = r.json().await.expect("list");
        assert_reveals_nothing(&list.to_string(), &format!("B's API caseload ?{query}"));
    }

    // A still sees exactly their own couple.
    let list: Value = s.a_api.get_json("/api/v1/couples").await;
    assert_eq!(list["total"], 1, "A's caseload: {list}");
    assert_eq!(list["items"][0]["label"], A_LABEL);
}

/// Ids that are not anyone's couple: random and nil UUIDs, and things that are not UUIDs.
fn unknown_ids() -> Vec<String> {
    vec![
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::nil().to_string(),
        "123".to_owned(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
        "%00".to_owned(),
        "1%27%20OR%20%271%27%3D%271".to_owned(),
        "%3Cscript%3E".to_owned(),
        "a".repeat(5000),
    ]
}

async fn unknown_and_malformed_ids_are_not_found_on_pages(app: TestApp) {
    let (_, b) = app
        .signed_in_counselor("Bruno Baker", "bruno@practice.example")
        .await;
    let csrf = b.csrf("/").await;
    for id in unknown_ids() {
        let short: String = id.chars().take(40).collect();
        for path in [format!("/couples/{id}"), format!("/couples/{id}/edit")] {
            let r = b.get(&path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {short}…");
        }
        let r = b
            .post_with(&format!("/couples/{id}"), &csrf, &hijack_form())
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST edit {short}…");
        let r = b
            .post_with(
                &format!("/couples/{id}/status"),
                &csrf,
                &[("status", "closed".to_owned())],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST status {short}…");
    }
}

async fn unknown_and_malformed_ids_are_not_found_problems_on_the_api(app: TestApp) {
    let c = app
        .counselor("Bruno Baker", "bruno@practice.example", Role::Counselor)
        .await;
    let api = app.api(&app.api_token(c.id).await);
    for id in unknown_ids() {
        let short: String = id.chars().take(40).collect();
        let path = format!("/api/v1/couples/{id}");
        assert_api_not_found(api.get(&path).await, &format!("GET {short}…")).await;
        assert_api_not_found(
            api.patch_json(&path, &json!({"label": "x"})).await,
            &format!("PATCH {short}…"),
        )
        .await;
    }
}

async fn admin_pages_are_not_found_for_counselors(app: TestApp) {
    let s = two_counselors(&app).await;
    let r = s.b.get("/admin/counselors").await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "GET /admin/counselors for a counselor"
    );
    assert!(
        !r.text()
            .await
            .expect("body")
            .contains("ana@practice.example"),
        "the 404 lists no counselors"
    );

    let new_counselor = [
        ("name", "Mallory".to_owned()),
        ("email", "mallory@practice.example".to_owned()),
        ("timezone", "Europe/Berlin".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("admin", "on".to_owned()),
    ];
    let r =
        s.b.post_with("/admin/counselors", &s.b_csrf, &new_counselor)
            .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "POST /admin/counselors for a counselor"
    );
    // Invalid fields are not an oracle: still 404.
    let r =
        s.b.post_with("/admin/counselors", &s.b_csrf, &[("email", "x".to_owned())])
            .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "invalid admin form");

    for (id, active) in [
        (s.a_id.to_string(), "false"),
        (uuid::Uuid::new_v4().to_string(), "false"),
        ("not-an-id".to_owned(), "true"),
    ] {
        let r =
            s.b.post_with(
                &format!("/admin/counselors/{id}/active"),
                &s.b_csrf,
                &[("active", active.to_owned())],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "POST /admin/counselors/{id}/active for a counselor"
        );
    }

    // Nothing happened: no new account, and A is still active (A's token still works).
    let mallory =
        kintsugi_core::practice::counselors::find_by_email(&app.db, "mallory@practice.example")
            .await
            .expect("look-up");
    assert!(mallory.is_none(), "no counselor was created");
    assert_eq!(
        s.a_api.get("/api/v1/couples").await.status(),
        StatusCode::OK,
        "A was not deactivated"
    );
}

/// A session id nobody has (the session routes answer 401 before they look).
const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// Every API route, with a body where it takes one.
fn api_routes(couple_id: &str) -> Vec<(Method, String, Option<Value>)> {
    let one = format!("/api/v1/couples/{couple_id}");
    vec![
        (Method::GET, "/api/v1/couples".to_owned(), None),
        (
            Method::POST,
            "/api/v1/couples".to_owned(),
            Some(couple_json("Sneaky")),
        ),
        (Method::GET, one.clone(), None),
        (Method::PATCH, one, Some(json!({"label": "Sneaky"}))),
        (
            Method::GET,
            format!("/api/v1/couples/{couple_id}/sessions"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple_id}/sessions"),
            Some(json!({"starts_at": "2026-12-01T10:00:00Z", "duration_minutes": 50})),
        ),
        (
            Method::GET,
            format!("/api/v1/couples/{couple_id}/report.pdf"),
            None,
        ),
        (Method::GET, format!("/api/v1/sessions/{NIL}"), None),
        (
            Method::PATCH,
            format!("/api/v1/sessions/{NIL}"),
            Some(json!({"attendance": "cancelled"})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{NIL}/note/sign"),
            Some(json!({"password": PASSWORD})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{NIL}/note/addenda"),
            Some(json!({"text": "Sneaky"})),
        ),
        (
            Method::GET,
            format!("/api/v1/sessions/{NIL}/note.pdf"),
            None,
        ),
    ]
}

async fn assert_unauthorized(r: Response, what: &str) {
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer"),
        "{what}: WWW-Authenticate"
    );
    let p = problem(r).await;
    assert_eq!(p["status"], 401, "{what}: {p}");
    assert_reveals_nothing(&p.to_string(), what);
}

async fn api_without_a_valid_token_is_unauthorized(app: TestApp) {
    let s = two_counselors(&app).await;
    let client = reqwest::Client::new();
    let authorizations: [Option<&str>; 7] = [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer kgi_not-a-real-token-not-a-real-token-xx"),
        Some("Bearer not-even-the-right-shape"),
        Some("Basic YW5hQHByYWN0aWNlLmV4YW1wbGU6cGFzc3dvcmQ="),
    ];
    for (method, path, body) in api_routes(&s.couple_id) {
        for auth in authorizations {
            let mut req = client.request(method.clone(), app.url(&path));
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            if let Some(body) = &body {
                req = req.json(body);
            }
            let r = req.send().await.expect("request");
            assert_unauthorized(r, &format!("{method} {path} with {auth:?}")).await;
        }
        // A token that is far too long is simply not a token.
        let long = format!("kgi_{}", "x".repeat(10_000));
        let r = Api::new(&app, &long)
            .send_raw(
                method.clone(),
                &path,
                "application/json",
                body.as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default()
                    .into_bytes(),
            )
            .await;
        assert_unauthorized(r, &format!("{method} {path} with a 10 kB token")).await;
    }
    assert_unchanged(&a_reads_couple(&s).await);
}

async fn api_does_not_accept_a_browser_session(app: TestApp) {
    let s = two_counselors(&app).await;
    // B's signed-in browser, cookies and all, but no bearer token.
    for (method, path, body) in api_routes(&s.couple_id) {
        let mut req = s.b.client.request(method.clone(), s.b.url(&path));
        if let Some(body) = &body {
            req = req.json(body);
        }
        let r = req.send().await.expect("request");
        assert_unauthorized(r, &format!("{method} {path} with only a session cookie")).await;
    }
}

async fn deactivated_counselors_api_token_stops_working(app: TestApp) {
    let c = app
        .counselor("Cleo Cole", "cleo@practice.example", Role::Counselor)
        .await;
    let api = app.api(&app.api_token(c.id).await);
    let r = api
        .post_json("/api/v1/couples", &couple_json("Cleo's couple"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "the token works at first");
    let id = r.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    kintsugi_core::practice::counselors::set_active(
        &app.db,
        app.clock.as_ref(),
        &kintsugi_core::audit::Actor::system(),
        c.id,
        false,
    )
    .await
    .expect("deactivate");
    for (method, path, body) in api_routes(&id) {
        let r = match (&method, &body) {
            (&Method::GET, _) => api.get(&path).await,
            (&Method::POST, Some(b)) => api.post_json(&path, b).await,
            (_, Some(b)) => api.patch_json(&path, b).await,
            _ => unreachable!("every other route has a body"),
        };
        assert_unauthorized(r, &format!("deactivated: {method} {path}")).await;
    }

    // Reactivating the account does not bring the old token back.
    kintsugi_core::practice::counselors::set_active(
        &app.db,
        app.clock.as_ref(),
        &kintsugi_core::audit::Actor::system(),
        c.id,
        true,
    )
    .await
    .expect("reactivate");
    assert_unauthorized(
        api.get("/api/v1/couples").await,
        "reactivated: the old token stays revoked",
    )
    .await;
}
