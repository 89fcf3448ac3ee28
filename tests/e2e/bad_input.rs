//! Bad input, on every form, API body and API query string: wrong types, missing, unknown and
//! repeated fields, huge and hostile text, invalid emails, time zones and dates, oversize and malformed bodies. Never a
//! 500: pages answer 422 and show the form again with messages and what was typed (escaped);
//! the API answers problem details naming the field. Valid but hostile text is stored as typed
//! and always shown escaped.

use kintsugi_core::practice::Role;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::bodies::{kb100, with, without};
use crate::support::fixture::id_of;
use crate::support::http::{
    Api, assert_invalid, assert_invalid_mentioning, escaped, problem, problem_fields,
};
use crate::support::{Browser, PASSWORD, TestApp, couple_form, couple_json};

db_tests!(
    // Couple forms (add and edit).
    couple_form_with_invalid_fields_is_shown_again_with_messages,
    edit_form_with_invalid_fields_is_shown_again_and_changes_nothing,
    couple_forms_with_missing_fields_are_refused_with_messages,
    couple_forms_refuse_100_kb_in_every_text_field,
    couple_forms_keep_hostile_text_escaped,
    couple_form_ignores_fields_it_does_not_know,
    edit_form_without_a_valid_version_is_refused_and_explains,
    stale_page_edit_is_a_conflict_that_explains,
    status_form_with_an_unknown_status_is_refused,
    oversize_form_bodies_are_refused_with_413,
    dashboard_with_odd_query_parameters_shows_the_default_view,
    // Admin counselor form.
    admin_counselor_form_with_invalid_fields_is_shown_again_with_messages,
    admin_counselor_form_refuses_100_kb_in_every_field,
    admin_counselor_form_keeps_hostile_text_escaped,
    admin_counselor_form_refuses_a_duplicate_email,
    // Valid text that looks dangerous, and names in any script.
    hostile_but_valid_text_from_the_page_is_stored_and_shown_escaped,
    hostile_but_valid_text_from_the_api_is_returned_verbatim_and_shown_escaped,
    unicode_names_round_trip_from_the_page,
    unicode_names_round_trip_from_the_api,
    // API bodies.
    api_create_with_wrong_types_names_the_field,
    api_create_with_missing_fields_names_the_field,
    api_create_with_invalid_values_names_the_field,
    api_create_refuses_100_kb_in_every_text_field,
    api_create_refuses_unknown_fields,
    api_patch_with_wrong_types_names_the_field,
    api_patch_with_missing_fields_names_the_field,
    api_patch_with_invalid_values_names_the_field_and_changes_nothing,
    api_patch_refuses_100_kb_in_every_text_field,
    api_patch_refuses_unknown_fields,
    api_patch_with_a_stale_version_is_a_conflict,
    api_malformed_json_is_a_bad_request_problem,
    api_json_followed_by_trailing_garbage_is_a_bad_request_problem,
    api_body_that_is_not_json_is_refused_with_415,
    api_oversize_body_is_a_413_problem,
    // API query parameters.
    api_list_refuses_bad_query_parameters,
    api_list_refuses_out_of_range_parameters,
    api_list_search_treats_odd_text_literally,
    api_query_parameters_are_named_when_unknown_wrong_repeated_or_huge,
);

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const JS_URL: &str = "javascript:alert(1)";
const HOSTILE_LABEL: &str = "<b>Alex</b> & \"Sam\"";
const ZOE: &str = "Zoë Ñúñez-Łukasiewicz";
const RENEE: &str = "Renée O’Brien";

/// The text fields of the couple form.
const COUPLE_FIELDS: [&str; 9] = [
    "label",
    "intake_date",
    "disclosure_date",
    "involved.name",
    "involved.email",
    "involved.timezone",
    "hurt.name",
    "hurt.email",
    "hurt.timezone",
];

// ---------------------------------------------------------------------------------------------
// Helpers: a signed-in counselor with a token, forms, and reading pages.

/// A signed-in counselor with the session's CSRF token and an API token.
struct Me {
    b: Browser,
    csrf: String,
    api: Api,
}

async fn me(app: &TestApp) -> Me {
    let (c, b) = app
        .signed_in_counselor("Mira Counselor", "mira@practice.example")
        .await;
    let csrf = b.csrf("/").await;
    let api = app.api(&app.api_token(c.id).await);
    Me { b, csrf, api }
}

async fn admin(app: &TestApp) -> (Browser, String) {
    app.counselor("Ada Admin", "ada@practice.example", Role::Admin)
        .await;
    let b = Browser::new(app);
    b.sign_in("ada@practice.example", PASSWORD).await;
    let csrf = b.csrf("/admin/counselors").await;
    (b, csrf)
}

/// Replace (or add) one field of a form.
fn set(form: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    form.retain(|(k, _)| *k != name);
    form.push((name, value.to_owned()));
}

fn edit_form(label: &str, version: &str) -> Vec<(&'static str, String)> {
    let mut form = couple_form(label);
    form.push(("version", version.to_owned()));
    form
}

/// No injected markup made it into the page unescaped.
fn assert_no_raw_markup(html: &str, what: &str) {
    for raw in [
        "<script>alert",
        "<img src=x",
        "<b>Alex",
        "href=\"javascript:",
    ] {
        assert!(!html.contains(raw), "{what}: raw {raw:?} in the page");
    }
}

/// The (escaped) value attribute of the input named `name`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\""))?;
    let tag = &html[start..start + html[start..].find('>')?];
    let from = tag.find("value=\"")? + "value=\"".len();
    let len = tag[from..].find('"')?;
    Some(tag[from..from + len].to_owned())
}

/// The message shown under a couple-form field (`involved.email` has `involved-email-error`).
fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"{}-error\">", field.replace('.', "-"));
    let from = html.find(&marker)? + marker.len();
    let len = html[from..].find("</p>")?;
    Some(html[from..from + len].to_owned())
}

fn assert_field_error(html: &str, field: &str, contains: &str) {
    let msg = field_error(html, field).unwrap_or_else(|| panic!("no error shown for {field}"));
    assert!(
        msg.contains(contains),
        "{field}: expected {contains:?} in {msg:?}"
    );
}

fn assert_kept(html: &str, field: &str, typed: &str) {
    assert_eq!(
        input_value(html, field).as_deref(),
        Some(escaped(typed).as_str()),
        "the form keeps what was typed in {field}"
    );
}

/// A refused form: 422 and the page (never a 500).
async fn refused_page(r: Response, what: &str) -> String {
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    r.text().await.expect("body")
}

async fn create_via_page(me: &Me, label: &str) -> String {
    let r =
        me.b.post_with("/couples", &me.csrf, &couple_form(label))
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "page create");
    r.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/couples/")
        .to_owned()
}

async fn create_via_api(me: &Me, body: &Value) -> Value {
    let r = me.api.post_json("/api/v1/couples", body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "API create");
    r.json().await.expect("couple json")
}

async fn read_via_api(me: &Me, id: &str) -> Value {
    let r = me.api.get(&format!("/api/v1/couples/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK, "API read");
    r.json().await.expect("couple json")
}

async fn couple_count(me: &Me) -> u64 {
    let list: Value = me.api.get_json("/api/v1/couples").await;
    list["total"].as_u64().expect("total")
}

async fn counselor_count(app: &TestApp) -> usize {
    kintsugi_core::practice::counselors::list(&app.db)
        .await
        .expect("counselors")
        .len()
}

/// A couple added through the API, and its state before the test tries to change it.
async fn couple_to_change(me: &Me) -> (String, Value) {
    let id = id_of(&create_via_api(me, &couple_json("Alex & Sam")).await);
    let before = essentials(&read_via_api(me, &id).await);
    (id, before)
}

/// The couple is as it was `before`.
async fn assert_unchanged(me: &Me, id: &str, before: &Value) {
    assert_eq!(
        essentials(&read_via_api(me, id).await),
        *before,
        "nothing changed"
    );
}

/// A couple's stored state, for "nothing changed" checks.
fn essentials(c: &Value) -> Value {
    json!({
        "label": c["label"], "status": c["status"], "version": c["version"],
        "intake_date": c["intake_date"], "disclosure_date": c["disclosure_date"],
        "partners": c["partners"],
    })
}

// ---------------------------------------------------------------------------------------------
// Couple forms.

/// A form with an invalid value in every kind of field.
fn invalid_couple_form() -> Vec<(&'static str, String)> {
    let mut form = couple_form("");
    set(&mut form, "intake_date", "2026-02-30");
    set(&mut form, "disclosure_date", "yesterday");
    set(&mut form, "involved.email", "not-an-email");
    set(&mut form, "involved.timezone", "Mars/Base");
    set(&mut form, "hurt.email", "renee@");
    set(&mut form, "hurt.timezone", "");
    form
}

/// The page refused `invalid_couple_form()` field by field and kept what was typed.
fn assert_invalid_couple_form_page(html: &str) {
    assert!(html.contains("What you typed is kept below"), "summary");
    assert_field_error(html, "label", "Name must not be empty");
    assert_field_error(html, "intake_date", "must be a date such as");
    assert_field_error(html, "disclosure_date", "must be a date such as");
    assert_field_error(html, "involved.email", "must be an email address");
    assert_field_error(html, "involved.timezone", "must be a time zone name");
    assert_field_error(html, "hurt.email", "must be an email address");
    assert_field_error(html, "hurt.timezone", "must not be empty");
    assert!(field_error(html, "involved.name").is_none(), "a valid name");
    assert!(html.contains("aria-invalid=\"true\""), "fields are marked");
    for (field, typed) in [
        ("intake_date", "2026-02-30"),
        ("disclosure_date", "yesterday"),
        ("involved.name", ZOE),
        ("involved.email", "not-an-email"),
        ("involved.timezone", "Mars/Base"),
        ("hurt.name", RENEE),
        ("hurt.email", "renee@"),
        ("hurt.timezone", ""),
    ] {
        assert_kept(html, field, typed);
    }
}

async fn couple_form_with_invalid_fields_is_shown_again_with_messages(app: TestApp) {
    let me = me(&app).await;
    let r =
        me.b.post_with("/couples", &me.csrf, &invalid_couple_form())
            .await;
    let html = refused_page(r, "POST /couples with invalid fields").await;
    assert_invalid_couple_form_page(&html);
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
}

async fn edit_form_with_invalid_fields_is_shown_again_and_changes_nothing(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    let before = essentials(&read_via_api(&me, &id).await);
    let mut form = invalid_couple_form();
    form.push(("version", "1".to_owned()));
    let r =
        me.b.post_with(&format!("/couples/{id}"), &me.csrf, &form)
            .await;
    let html = refused_page(r, "POST /couples/{id} with invalid fields").await;
    assert_invalid_couple_form_page(&html);
    assert_eq!(input_value(&html, "version").as_deref(), Some("1"));
    assert_unchanged(&me, &id, &before).await;
}

async fn couple_forms_with_missing_fields_are_refused_with_messages(app: TestApp) {
    let me = me(&app).await;
    // Only the CSRF token: every required field is missing.
    let html = refused_page(
        me.b.post_with("/couples", &me.csrf, &[]).await,
        "POST /couples with no fields",
    )
    .await;
    for field in COUPLE_FIELDS {
        if field != "disclosure_date" {
            assert_field_error(&html, field, "must not be empty");
        }
    }
    assert!(
        field_error(&html, "disclosure_date").is_none(),
        "optional field"
    );
    assert_eq!(couple_count(&me).await, 0, "nothing was created");

    let id = create_via_page(&me, "Alex & Sam").await;
    let html = refused_page(
        me.b.post_with(
            &format!("/couples/{id}"),
            &me.csrf,
            &[("version", "1".to_owned())],
        )
        .await,
        "POST /couples/{id} with no fields",
    )
    .await;
    assert_field_error(&html, "label", "must not be empty");
    assert_field_error(&html, "hurt.email", "must not be empty");
    assert_eq!(read_via_api(&me, &id).await["label"], "Alex & Sam");
}

async fn couple_forms_refuse_100_kb_in_every_text_field(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    let before = essentials(&read_via_api(&me, &id).await);
    let big = kb100();
    for (path, base) in [
        ("/couples".to_owned(), couple_form("Big")),
        (format!("/couples/{id}"), edit_form("Big", "1")),
    ] {
        for field in COUPLE_FIELDS {
            let mut form = base.clone();
            set(&mut form, field, &big);
            let r = me.b.post_with(&path, &me.csrf, &form).await;
            let html = refused_page(r, &format!("POST {path} with 100 kB in {field}")).await;
            assert!(
                field_error(&html, field).is_some(),
                "POST {path}: no error shown for 100 kB in {field}"
            );
            assert_kept(&html, field, &big);
        }
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
    assert_unchanged(&me, &id, &before).await;
}

async fn couple_forms_keep_hostile_text_escaped(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    for (path, mut form) in [
        ("/couples".to_owned(), couple_form(SCRIPT)),
        (format!("/couples/{id}"), edit_form(SCRIPT, "1")),
    ] {
        set(&mut form, "involved.name", IMG);
        set(&mut form, "hurt.name", JS_URL);
        // These are invalid, so the form comes back with everything typed.
        set(&mut form, "involved.email", IMG);
        set(&mut form, "hurt.timezone", SCRIPT);
        set(&mut form, "disclosure_date", IMG);
        let html = refused_page(
            me.b.post_with(&path, &me.csrf, &form).await,
            &format!("POST {path} with hostile text"),
        )
        .await;
        assert_no_raw_markup(&html, &path);
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: the label is shown escaped"
        );
        for (field, typed) in [
            ("label", SCRIPT),
            ("involved.name", IMG),
            ("hurt.name", JS_URL),
            ("involved.email", IMG),
            ("hurt.timezone", SCRIPT),
            ("disclosure_date", IMG),
        ] {
            assert_kept(&html, field, typed);
        }
        assert_field_error(&html, "involved.email", "must be an email address");
        assert_field_error(&html, "hurt.timezone", "must be a time zone name");
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
}

async fn couple_form_ignores_fields_it_does_not_know(app: TestApp) {
    let other = app
        .counselor("Otto Other", "otto@practice.example", Role::Counselor)
        .await;
    let other_api = app.api(&app.api_token(other.id).await);
    let me = me(&app).await;
    let mut form = couple_form("Mass assignment");
    for (k, v) in [
        ("counselor_id", other.id.to_string()),
        ("id", uuid::Uuid::new_v4().to_string()),
        ("status", "closed".to_owned()),
        ("version", "99".to_owned()),
        ("open_agreement", "maybe".to_owned()),
        ("created_at", "1999-01-01T00:00:00Z".to_owned()),
    ] {
        set(&mut form, k, &v);
    }
    let r = me.b.post_with("/couples", &me.csrf, &form).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "unknown fields are ignored"
    );
    let id = r.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/couples/")
        .to_owned();
    let couple = read_via_api(&me, &id).await;
    assert_eq!(couple["status"], "active", "{couple}");
    assert_eq!(couple["version"], 1, "{couple}");
    assert_eq!(couple["open_agreement"], false, "\"maybe\" is not ticked");
    let theirs: Value = other_api.get_json("/api/v1/couples").await;
    assert_eq!(
        theirs["total"], 0,
        "the couple did not land on another caseload"
    );
}

async fn edit_form_without_a_valid_version_is_refused_and_explains(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    for version in ["", "abc", "1.5", "99999999999", SCRIPT] {
        let r =
            me.b.post_with(
                &format!("/couples/{id}"),
                &me.csrf,
                &edit_form("Renamed", version),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "version {version:?}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains("Reload the page"),
            "version {version:?}: the page explains"
        );
        assert_no_raw_markup(&html, "edit with a hostile version");
        assert_kept(&html, "label", "Renamed");
    }
    assert_eq!(read_via_api(&me, &id).await["label"], "Alex & Sam");
}

async fn stale_page_edit_is_a_conflict_that_explains(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    let edit = format!("/couples/{id}/edit");
    // Two tabs open the edit form at the same version.
    let (_, first_tab) = me.b.get_html(&edit).await;
    let (_, second_tab) = me.b.get_html(&edit).await;
    let v1 = input_value(&first_tab, "version").expect("version");
    let v2 = input_value(&second_tab, "version").expect("version");
    assert_eq!(v1, v2);

    let r =
        me.b.post_with(
            &format!("/couples/{id}"),
            &me.csrf,
            &edit_form("First save", &v1),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the first save succeeds");

    let r =
        me.b.post_with(
            &format!("/couples/{id}"),
            &me.csrf,
            &edit_form("Second save", &v2),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the stale save is refused"
    );
    let html = r.text().await.expect("body");
    assert!(
        html.contains("changed by someone else"),
        "the page explains the conflict"
    );
    assert_kept(&html, "label", "Second save");
    assert_eq!(
        read_via_api(&me, &id).await["label"],
        "First save",
        "the first save stands"
    );
}

async fn status_form_with_an_unknown_status_is_refused(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    for status in ["weird", "", "ACTIVE", SCRIPT] {
        let r =
            me.b.post_with(
                &format!("/couples/{id}/status"),
                &me.csrf,
                &[("status", status.to_owned())],
            )
            .await;
        assert!(
            matches!(
                r.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "status {status:?}: {}",
            r.status()
        );
        assert_no_raw_markup(&r.text().await.expect("body"), "status form");
    }
    let couple = read_via_api(&me, &id).await;
    assert_eq!(couple["status"], "active");
    assert_eq!(couple["version"], 1);
}

async fn oversize_form_bodies_are_refused_with_413(app: TestApp) {
    let me = me(&app).await;
    let id = create_via_page(&me, "Alex & Sam").await;
    let huge = "x".repeat(300 * 1024);
    for (path, mut form) in [
        ("/couples".to_owned(), couple_form("")),
        (format!("/couples/{id}"), edit_form("", "1")),
    ] {
        set(&mut form, "label", &huge);
        let r = me.b.post_with(&path, &me.csrf, &form).await;
        assert_eq!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "POST {path} with 300 kB"
        );
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
    assert_eq!(read_via_api(&me, &id).await["label"], "Alex & Sam");

    let (admin, csrf) = admin(&app).await;
    let before = counselor_count(&app).await;
    let r = admin
        .post_with(
            "/admin/counselors",
            &csrf,
            &[
                ("name", huge.clone()),
                ("email", "big@practice.example".to_owned()),
                ("timezone", "Europe/Berlin".to_owned()),
                ("password", PASSWORD.to_owned()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "admin form");
    assert_eq!(counselor_count(&app).await, before, "nobody was added");
}

async fn dashboard_with_odd_query_parameters_shows_the_default_view(app: TestApp) {
    let me = me(&app).await;
    create_via_page(&me, "Alex & Sam").await;
    for query in [
        "page=abc&per_page=1000&status=weird&sort=nope&unknown=1",
        "page=-1",
        "page=99999999999999999999999",
        "%zz=%zz&&&=",
        "q=%00",
        "q=%FF%FE",
        "status[]=active&sort=label;drop%20table%20couple",
    ] {
        let (status, html) = me.b.get_html(&format!("/?{query}")).await;
        assert_eq!(status, StatusCode::OK, "/?{query}");
        assert!(html.contains("Your caseload"), "/?{query}");
    }
    let (status, html) =
        me.b.get_html("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_no_raw_markup(&html, "dashboard search");
    assert_kept(&html, "q", SCRIPT);
}

// ---------------------------------------------------------------------------------------------
// Admin counselor form.

fn counselor_form(
    name: &str,
    email: &str,
    timezone: &str,
    password: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("email", email.to_owned()),
        ("timezone", timezone.to_owned()),
        ("password", password.to_owned()),
    ]
}

/// The message of an admin-form field, shown as "Email must …".
fn assert_admin_error(html: &str, text: &str) {
    assert!(
        html.contains(&format!("<p class=\"error\">{text}")),
        "expected the message {text:?}"
    );
}

async fn admin_counselor_form_with_invalid_fields_is_shown_again_with_messages(app: TestApp) {
    let (b, csrf) = admin(&app).await;
    let before = counselor_count(&app).await;
    for (timezone, tz_message) in [
        ("Mars/Base", "Time zone must be a time zone name"),
        ("", "Time zone must not be empty"),
    ] {
        let form = counselor_form("", "not-an-email", timezone, "short");
        let html = refused_page(
            b.post_with("/admin/counselors", &csrf, &form).await,
            &format!("admin form, timezone {timezone:?}"),
        )
        .await;
        assert_admin_error(&html, "Name must not be empty");
        assert_admin_error(&html, "Email must be an email address");
        assert_admin_error(&html, tz_message);
        assert_admin_error(&html, "Password must be at least 8 characters");
        assert_kept(&html, "email", "not-an-email");
        assert_kept(&html, "timezone", timezone);
        assert!(
            !html.contains("value=\"short\""),
            "the password is not echoed"
        );
    }
    assert_eq!(counselor_count(&app).await, before, "nobody was added");
}

async fn admin_counselor_form_refuses_100_kb_in_every_field(app: TestApp) {
    let (b, csrf) = admin(&app).await;
    let before = counselor_count(&app).await;
    let big = kb100();
    for (field, message) in [
        ("name", "Name must be at most 120 characters"),
        ("email", "Email must be at most 254 characters"),
        ("timezone", "Time zone must be a time zone name"),
        ("password", "Password must be at most 128 characters"),
    ] {
        let mut form = counselor_form(
            "Nina New",
            "nina@practice.example",
            "Europe/Berlin",
            PASSWORD,
        );
        set(&mut form, field, &big);
        let html = refused_page(
            b.post_with("/admin/counselors", &csrf, &form).await,
            &format!("admin form with 100 kB in {field}"),
        )
        .await;
        assert_admin_error(&html, message);
        if field == "password" {
            assert!(!html.contains(&big), "the password is not echoed");
        } else {
            assert_kept(&html, field, &big);
        }
    }
    assert_eq!(counselor_count(&app).await, before, "nobody was added");
}

async fn admin_counselor_form_keeps_hostile_text_escaped(app: TestApp) {
    let (b, csrf) = admin(&app).await;
    let form = counselor_form(SCRIPT, IMG, JS_URL, PASSWORD);
    let html = refused_page(
        b.post_with("/admin/counselors", &csrf, &form).await,
        "admin form with hostile text",
    )
    .await;
    assert_no_raw_markup(&html, "admin form");
    assert_kept(&html, "name", SCRIPT);
    assert_kept(&html, "email", IMG);
    assert_kept(&html, "timezone", JS_URL);

    // A hostile name is still a valid name: it is saved and listed escaped.
    let form = counselor_form(SCRIPT, "odd@practice.example", "Europe/Berlin", PASSWORD);
    let r = b.post_with("/admin/counselors", &csrf, &form).await;
    assert_eq!(r.status(), StatusCode::OK, "valid counselor added");
    let (_, html) = b.get_html("/admin/counselors").await;
    assert_no_raw_markup(&html, "counselor list");
    assert!(html.contains(&format!("<td>{}</td>", escaped(SCRIPT))));
}

async fn admin_counselor_form_refuses_a_duplicate_email(app: TestApp) {
    let (b, csrf) = admin(&app).await;
    let before = counselor_count(&app).await;
    let form = counselor_form(
        "Ada Again",
        "ADA@Practice.Example",
        "Europe/Berlin",
        PASSWORD,
    );
    let html = refused_page(
        b.post_with("/admin/counselors", &csrf, &form).await,
        "admin form with an email already in use",
    )
    .await;
    assert_admin_error(&html, "Email is already used by another counselor");
    assert_kept(&html, "email", "ADA@Practice.Example");
    assert_eq!(counselor_count(&app).await, before, "nobody was added");
}

// ---------------------------------------------------------------------------------------------
// Hostile but valid text, and Unicode names.

async fn hostile_but_valid_text_from_the_page_is_stored_and_shown_escaped(app: TestApp) {
    let me = me(&app).await;
    let mut form = couple_form(HOSTILE_LABEL);
    set(&mut form, "involved.name", SCRIPT);
    set(&mut form, "hurt.name", IMG);
    let r = me.b.post_with("/couples", &me.csrf, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "hostile text is valid");
    let id = r.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/couples/")
        .to_owned();

    let (_, dashboard) = me.b.get_html("/").await;
    assert_no_raw_markup(&dashboard, "dashboard");
    assert!(
        dashboard.contains(&escaped(HOSTILE_LABEL)),
        "the dashboard shows the label escaped"
    );

    let (_, page) = me.b.get_html(&format!("/couples/{id}")).await;
    assert_no_raw_markup(&page, "couple page");
    for text in [HOSTILE_LABEL, SCRIPT, IMG] {
        assert!(
            page.contains(&escaped(text)),
            "the couple page shows {text:?} escaped"
        );
    }

    let (_, edit) = me.b.get_html(&format!("/couples/{id}/edit")).await;
    assert_no_raw_markup(&edit, "edit form");
    assert_kept(&edit, "label", HOSTILE_LABEL);
    assert_kept(&edit, "involved.name", SCRIPT);

    let couple = read_via_api(&me, &id).await;
    assert_eq!(
        couple["label"], HOSTILE_LABEL,
        "JSON has the label verbatim"
    );
    assert_eq!(couple["partners"][0]["name"], SCRIPT);
    assert_eq!(couple["partners"][1]["name"], IMG);
}

async fn hostile_but_valid_text_from_the_api_is_returned_verbatim_and_shown_escaped(app: TestApp) {
    let me = me(&app).await;
    let body = with(
        couple_json(HOSTILE_LABEL),
        "/partners/0/name",
        json!(SCRIPT),
    );
    let body = with(body, "/partners/1/name", json!(JS_URL));
    let created = create_via_api(&me, &body).await;
    assert_eq!(created["label"], HOSTILE_LABEL);
    let id = created["id"].as_str().expect("id");

    let couple = read_via_api(&me, id).await;
    assert_eq!(couple["label"], HOSTILE_LABEL);
    assert_eq!(couple["partners"][0]["name"], SCRIPT);
    assert_eq!(couple["partners"][1]["name"], JS_URL);
    let list: Value = me.api.get_json("/api/v1/couples").await;
    assert_eq!(list["items"][0]["label"], HOSTILE_LABEL);

    let (_, dashboard) = me.b.get_html("/").await;
    assert_no_raw_markup(&dashboard, "dashboard");
    assert!(dashboard.contains(&escaped(HOSTILE_LABEL)));
    let (_, page) = me.b.get_html(&format!("/couples/{id}")).await;
    assert_no_raw_markup(&page, "couple page");
    assert!(page.contains(&escaped(SCRIPT)));
}

async fn unicode_names_round_trip_from_the_page(app: TestApp) {
    let me = me(&app).await;
    let label = "Zoë & Renée · 李小龍";
    let id = create_via_page(&me, label).await;
    let couple = read_via_api(&me, &id).await;
    assert_eq!(couple["label"], label);
    assert_eq!(couple["partners"][0]["name"], ZOE);
    assert_eq!(couple["partners"][1]["name"], RENEE);

    let (_, page) = me.b.get_html(&format!("/couples/{id}")).await;
    assert!(page.contains(ZOE) && page.contains(RENEE), "names as typed");
    assert!(page.contains(&escaped(label)), "label as typed");
    let (_, edit) = me.b.get_html(&format!("/couples/{id}/edit")).await;
    assert_kept(&edit, "involved.name", ZOE);
    assert_kept(&edit, "hurt.name", RENEE);
    assert_kept(&edit, "label", label);

    // Saving the edit form unchanged keeps them exactly.
    let mut form = couple_form(label);
    form.push(("version", "1".to_owned()));
    let r =
        me.b.post_with(&format!("/couples/{id}"), &me.csrf, &form)
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let couple = read_via_api(&me, &id).await;
    assert_eq!(couple["partners"][0]["name"], ZOE);
    assert_eq!(couple["partners"][1]["name"], RENEE);
}

async fn unicode_names_round_trip_from_the_api(app: TestApp) {
    let me = me(&app).await;
    let body = with(
        couple_json("Ærøskøbing Ångström"),
        "/partners/0/email",
        json!("Zoë.N+homework@exämple.co.uk"),
    );
    let created = create_via_api(&me, &body).await;
    let id = created["id"].as_str().expect("id");
    let couple = read_via_api(&me, id).await;
    assert_eq!(couple["label"], "Ærøskøbing Ångström");
    assert_eq!(couple["partners"][0]["name"], ZOE);
    assert_eq!(
        couple["partners"][0]["email"],
        "Zoë.N+homework@exämple.co.uk"
    );
    assert_eq!(couple["partners"][1]["name"], RENEE);

    let (_, page) = me.b.get_html(&format!("/couples/{id}")).await;
    for text in [
        "Ærøskøbing Ångström",
        ZOE,
        RENEE,
        "Zoë.N+homework@exämple.co.uk",
    ] {
        assert!(page.contains(text), "the couple page shows {text:?}");
    }
    let r = me
        .api
        .patch_json(
            &format!("/api/v1/couples/{id}"),
            &json!({"partners": [{"role": "hurt", "name": "Łucja Żółć"}], "version": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let couple: Value = r.json().await.expect("json");
    assert_eq!(couple["partners"][1]["name"], "Łucja Żółć");
    assert_eq!(couple["partners"][0]["name"], ZOE, "the other is untouched");
}

// ---------------------------------------------------------------------------------------------
// API: creating a couple.

async fn api_create_with_wrong_types_names_the_field(app: TestApp) {
    let me = me(&app).await;
    for (pointer, value, field) in [
        ("/label", json!(123), "label"),
        ("/label", json!(null), "label"),
        ("/label", json!(["Alex", "Sam"]), "label"),
        ("/label", json!({"text": "Alex"}), "label"),
        ("/open_agreement", json!("yes"), "open_agreement"),
        ("/open_agreement", json!("true"), "open_agreement"),
        ("/open_agreement", json!(1), "open_agreement"),
        ("/intake_date", json!(20260302), "intake_date"),
        ("/disclosure_date", json!(false), "disclosure_date"),
        ("/partners", json!({"role": "involved"}), "partners"),
        ("/partners", json!("both"), "partners"),
        ("/partners/0", json!("involved"), "partners[0]"),
        ("/partners/0/role", json!(true), "partners[0].role"),
        (
            "/partners/1/name",
            json!({"first": "Renée"}),
            "partners[1].name",
        ),
        ("/partners/1/email", json!(42), "partners[1].email"),
        ("/partners/1/timezone", json!(-5), "partners[1].timezone"),
    ] {
        let body = with(couple_json("Typed wrong"), pointer, value.clone());
        let r = me.api.post_json("/api/v1/couples", &body).await;
        assert_invalid(r, field, &format!("{pointer} = {value}")).await;
    }
    for body in [json!([]), json!("a couple"), json!(null), json!(42)] {
        let r = me.api.post_json("/api/v1/couples", &body).await;
        assert_invalid(r, "body", &format!("body {body}")).await;
    }
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
}

async fn api_create_with_missing_fields_names_the_field(app: TestApp) {
    let me = me(&app).await;
    for (pointer, field) in [
        ("/label", "label"),
        ("/partners", "partners"),
        ("/partners/0/role", "partners[0].role"),
        ("/partners/1/name", "partners[1].name"),
        ("/partners/1/email", "partners[1].email"),
        ("/partners/0/timezone", "partners[0].timezone"),
    ] {
        let body = without(couple_json("Incomplete"), pointer);
        let r = me.api.post_json("/api/v1/couples", &body).await;
        assert_invalid(r, field, &format!("without {pointer}")).await;
    }
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
}

async fn api_create_with_invalid_values_names_the_field(app: TestApp) {
    let me = me(&app).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/label", json!(""), "label"),
        ("/label", json!("   "), "label"),
        ("/label", json!("Alex\u{0}Sam"), "label"),
        ("/label", json!("Alex\nSam"), "label"),
        ("/label", json!("x".repeat(121)), "label"),
        ("/intake_date", json!("2026-02-30"), "intake_date"),
        ("/intake_date", json!("yesterday"), "intake_date"),
        ("/intake_date", json!(""), "intake_date"),
        ("/intake_date", json!("02/03/2026"), "intake_date"),
        ("/intake_date", json!("1899-12-31"), "intake_date"),
        ("/disclosure_date", json!("2026-02-30"), "disclosure_date"),
        ("/disclosure_date", json!("yesterday"), "disclosure_date"),
        (
            "/partners/1/email",
            json!("not-an-email"),
            "partners[1].email",
        ),
        ("/partners/1/email", json!("renee@"), "partners[1].email"),
        ("/partners/1/email", json!(""), "partners[1].email"),
        ("/partners/1/email", json!(IMG), "partners[1].email"),
        ("/partners/1/email", json!(JS_URL), "partners[1].email"),
        (
            "/partners/1/email",
            json!(format!("{SCRIPT}@x.org")),
            "partners[1].email",
        ),
        (
            "/partners/0/timezone",
            json!("Mars/Base"),
            "partners[0].timezone",
        ),
        ("/partners/0/timezone", json!(""), "partners[0].timezone"),
        (
            "/partners/0/timezone",
            json!(SCRIPT),
            "partners[0].timezone",
        ),
        ("/partners/0/name", json!(""), "partners[0].name"),
        ("/partners/0/name", json!("Zoë\u{7}"), "partners[0].name"),
        ("/partners/0/role", json!("lover"), "partners[0].role"),
        ("/partners/0/role", json!("INVOLVED"), "partners[0].role"),
        ("/partners/1/role", json!("involved"), "partners[1].role"),
        ("/partners", json!([]), "partners"),
    ];
    for (pointer, value, field) in cases {
        let body = with(couple_json("Invalid"), pointer, value.clone());
        let r = me.api.post_json("/api/v1/couples", &body).await;
        assert_invalid(r, field, &format!("{pointer} = {value}")).await;
    }
    // One partner only.
    let mut body = couple_json("Half a couple");
    body["partners"].as_array_mut().expect("partners").pop();
    let r = me.api.post_json("/api/v1/couples", &body).await;
    assert_invalid(r, "partners", "one partner only").await;

    // Fields are named by their place in the body, whatever the order of the partners.
    let mut body = couple_json("Reversed");
    body["partners"].as_array_mut().expect("partners").reverse();
    let body = with(body, "/partners/0/email", json!("hurt@"));
    let r = me.api.post_json("/api/v1/couples", &body).await;
    let p = assert_invalid(r, "partners[0].email", "hurt partner listed first").await;
    assert_eq!(problem_fields(&p), ["partners[0].email"], "{p}");

    // Every bad field at once is reported at once.
    let body = with(couple_json(""), "/intake_date", json!("yesterday"));
    let body = with(body, "/partners/0/timezone", json!("Mars/Base"));
    let body = with(body, "/partners/1/email", json!("nope"));
    let r = me.api.post_json("/api/v1/couples", &body).await;
    let p = assert_invalid(r, "label", "several bad fields").await;
    for field in ["intake_date", "partners[0].timezone", "partners[1].email"] {
        assert!(
            problem_fields(&p).iter().any(|f| f == field),
            "{field}: {p}"
        );
    }
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
}

async fn api_create_refuses_100_kb_in_every_text_field(app: TestApp) {
    let me = me(&app).await;
    let big = json!(kb100());
    for (pointer, field) in [
        ("/label", "label"),
        ("/intake_date", "intake_date"),
        ("/disclosure_date", "disclosure_date"),
        ("/partners/0/role", "partners[0].role"),
        ("/partners/0/name", "partners[0].name"),
        ("/partners/0/email", "partners[0].email"),
        ("/partners/0/timezone", "partners[0].timezone"),
        ("/partners/1/name", "partners[1].name"),
        ("/partners/1/email", "partners[1].email"),
        ("/partners/1/timezone", "partners[1].timezone"),
    ] {
        let body = with(couple_json("Big"), pointer, big.clone());
        let r = me.api.post_json("/api/v1/couples", &body).await;
        let p = assert_invalid(r, field, &format!("100 kB in {pointer}")).await;
        assert!(
            p.to_string().len() < 10_000,
            "the problem does not echo the 100 kB"
        );
    }
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
}

async fn api_create_refuses_unknown_fields(app: TestApp) {
    let other = app
        .counselor("Otto Other", "otto@practice.example", Role::Counselor)
        .await;
    let me = me(&app).await;
    let cases: Vec<(&str, Value)> = vec![
        ("/counselor_id", json!(other.id.to_string())),
        ("/id", json!(uuid::Uuid::new_v4().to_string())),
        ("/version", json!(7)),
        ("/status", json!("closed")),
        ("/created_at", json!("1999-01-01T00:00:00Z")),
        ("/current_stage", json!("rebuilding")),
        ("/partners/0/id", json!(uuid::Uuid::new_v4().to_string())),
        (
            "/partners/0/couple_id",
            json!(uuid::Uuid::new_v4().to_string()),
        ),
        ("/partners/1/reminders_opt_out", json!(true)),
        ("/partners/1/pin_hash", json!("$argon2id$...")),
    ];
    for (pointer, value) in cases {
        let body = with(couple_json("Mass assignment"), pointer, value);
        let r = me.api.post_json("/api/v1/couples", &body).await;
        let key = pointer.rsplit('/').next().expect("key");
        assert_invalid_mentioning(r, key, &format!("unknown field {pointer}")).await;
    }
    assert_eq!(couple_count(&me).await, 0, "nothing was created");
    let theirs = app.api(&app.api_token(other.id).await);
    let list: Value = theirs.get_json("/api/v1/couples").await;
    assert_eq!(list["total"], 0, "nothing landed on another caseload");
}

// ---------------------------------------------------------------------------------------------
// API: changing a couple.

async fn patch(me: &Me, id: &str, body: &Value) -> Response {
    me.api
        .patch_json(&format!("/api/v1/couples/{id}"), body)
        .await
}

async fn api_patch_with_wrong_types_names_the_field(app: TestApp) {
    let me = me(&app).await;
    let (id, before) = couple_to_change(&me).await;
    for (body, field) in [
        (json!({"label": 123}), "label"),
        (json!({"label": ["x"]}), "label"),
        (json!({"open_agreement": "true"}), "open_agreement"),
        (json!({"open_agreement": 0}), "open_agreement"),
        (json!({"status": 2}), "status"),
        (json!({"version": "1"}), "version"),
        (json!({"version": 1.5}), "version"),
        (json!({"version": 99_999_999_999_i64}), "version"),
        (json!({"intake_date": 1}), "intake_date"),
        (json!({"disclosure_date": []}), "disclosure_date"),
        (json!({"partners": {"role": "hurt"}}), "partners"),
        (json!({"partners": ["hurt"]}), "partners[0]"),
        (
            json!({"partners": [{"role": "hurt", "email": 5}]}),
            "partners[0].email",
        ),
        (json!({"partners": [{"role": 1}]}), "partners[0].role"),
    ] {
        let r = patch(&me, &id, &body).await;
        assert_invalid(r, field, &format!("PATCH {body}")).await;
    }
    for body in [json!([]), json!("label"), json!(null)] {
        let r = patch(&me, &id, &body).await;
        assert_invalid(r, "body", &format!("PATCH {body}")).await;
    }
    assert_unchanged(&me, &id, &before).await;
}

async fn api_patch_with_missing_fields_names_the_field(app: TestApp) {
    let me = me(&app).await;
    let (id, before) = couple_to_change(&me).await;
    // A partner change must say which partner.
    let body = json!({"partners": [{"name": "Nobody knows whose"}]});
    let r = patch(&me, &id, &body).await;
    assert_invalid(r, "partners[0].role", "partner without a role").await;
    assert_unchanged(&me, &id, &before).await;
}

async fn api_patch_with_invalid_values_names_the_field_and_changes_nothing(app: TestApp) {
    let me = me(&app).await;
    let (id, before) = couple_to_change(&me).await;
    for (body, field) in [
        (json!({"label": ""}), "label"),
        (json!({"label": "x".repeat(121)}), "label"),
        (json!({"status": "weird"}), "status"),
        (json!({"status": "ACTIVE"}), "status"),
        (json!({"intake_date": "2026-02-30"}), "intake_date"),
        (json!({"intake_date": "yesterday"}), "intake_date"),
        (json!({"disclosure_date": "yesterday"}), "disclosure_date"),
        (
            json!({"partners": [{"role": "hurt", "email": "nope"}]}),
            "partners[0].email",
        ),
        (
            json!({"partners": [{"role": "hurt", "email": IMG}]}),
            "partners[0].email",
        ),
        (
            json!({"partners": [{"role": "involved", "timezone": "Mars/Base"}]}),
            "partners[0].timezone",
        ),
        (
            json!({"partners": [{"role": "hurt", "timezone": ""}]}),
            "partners[0].timezone",
        ),
        (
            json!({"partners": [{"role": "hurt", "name": ""}]}),
            "partners[0].name",
        ),
        (json!({"partners": [{"role": "lover"}]}), "partners[0].role"),
        (
            json!({"partners": [{"role": "hurt"}, {"role": "hurt"}]}),
            "partners[1].role",
        ),
        (
            json!({"partners": [{"role": "hurt"}, {"role": "involved", "email": "bad@"}]}),
            "partners[1].email",
        ),
        // A valid change next to an invalid one is not half-applied.
        (json!({"label": "Renamed", "status": "weird"}), "status"),
        (
            json!({"label": "Renamed", "partners": [{"role": "hurt", "email": "x"}]}),
            "partners[0].email",
        ),
    ] {
        let r = patch(&me, &id, &body).await;
        assert_invalid(r, field, &format!("PATCH {body}")).await;
    }
    assert_unchanged(&me, &id, &before).await;
}

async fn api_patch_refuses_100_kb_in_every_text_field(app: TestApp) {
    let me = me(&app).await;
    let (id, before) = couple_to_change(&me).await;
    let big = kb100();
    let mut cases = vec![
        (json!({"label": big}), "label".to_owned()),
        (json!({"status": big}), "status".to_owned()),
        (json!({"intake_date": big}), "intake_date".to_owned()),
        (
            json!({"disclosure_date": big}),
            "disclosure_date".to_owned(),
        ),
        (
            json!({"partners": [{"role": big}]}),
            "partners[0].role".to_owned(),
        ),
    ];
    for key in ["name", "email", "timezone"] {
        cases.push((
            json!({"partners": [{"role": "involved", key: big}]}),
            format!("partners[0].{key}"),
        ));
    }
    for (body, field) in cases {
        let r = patch(&me, &id, &body).await;
        assert_invalid(r, &field, &format!("PATCH with 100 kB in {field}")).await;
    }
    assert_unchanged(&me, &id, &before).await;
}

async fn api_patch_refuses_unknown_fields(app: TestApp) {
    let other = app
        .counselor("Otto Other", "otto@practice.example", Role::Counselor)
        .await;
    let me = me(&app).await;
    let (id, before) = couple_to_change(&me).await;
    for (body, key) in [
        (
            json!({"counselor_id": other.id.to_string()}),
            "counselor_id",
        ),
        (json!({"id": uuid::Uuid::new_v4().to_string()}), "id"),
        (json!({"created_at": "1999-01-01T00:00:00Z"}), "created_at"),
        (json!({"updated_at": "1999-01-01T00:00:00Z"}), "updated_at"),
        (json!({"current_stage": "rebuilding"}), "current_stage"),
        (
            json!({"partners": [{"role": "hurt", "id": uuid::Uuid::new_v4().to_string()}]}),
            "id",
        ),
        (
            json!({"partners": [{"role": "hurt", "reminders_opt_out": true}]}),
            "reminders_opt_out",
        ),
        (
            json!({"partners": [{"role": "hurt", "pin_hash": "x"}]}),
            "pin_hash",
        ),
    ] {
        let r = patch(&me, &id, &body).await;
        assert_invalid_mentioning(r, key, &format!("PATCH {body}")).await;
    }
    assert_unchanged(&me, &id, &before).await;
    assert_eq!(couple_count(&me).await, 1, "still on this caseload");
}

async fn api_patch_with_a_stale_version_is_a_conflict(app: TestApp) {
    let me = me(&app).await;
    let created = create_via_api(&me, &couple_json("Alex & Sam")).await;
    let id = created["id"].as_str().expect("id");
    let version = created["version"].clone();

    let r = patch(&me, id, &json!({"label": "First save", "version": version})).await;
    assert_eq!(r.status(), StatusCode::OK, "the first save succeeds");
    let saved: Value = r.json().await.expect("json");
    assert_ne!(saved["version"], version, "the version moves on");

    for body in [
        json!({"label": "Second save", "version": version}),
        json!({"status": "closed", "version": version}),
        json!({"version": -1}),
    ] {
        let r = patch(&me, id, &body).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "PATCH {body}");
        let p = problem(r).await;
        assert_eq!(p["status"], 409, "{p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("changed by someone else")),
            "the problem explains: {p}"
        );
    }
    let couple = read_via_api(&me, id).await;
    assert_eq!(couple["label"], "First save", "the first save stands");
    assert_eq!(couple["status"], "active");
    assert_eq!(couple["version"], saved["version"]);
}

async fn api_malformed_json_is_a_bad_request_problem(app: TestApp) {
    let me = me(&app).await;
    let id = id_of(&create_via_api(&me, &couple_json("Alex & Sam")).await);
    let bodies: Vec<Vec<u8>> = vec![
        b"{nope".to_vec(),
        b"".to_vec(),
        b"{\"label\": \"x\",}".to_vec(),
        b"{\"label\": \"x\"".to_vec(),
        b"{\"label\": 'x'}".to_vec(),
        b"{\"label\": \"\\ud800\"}".to_vec(),
        b"{\"label\": \"\xff\xfe\"}".to_vec(),
        b"{\"label\": \"a\x00b\"}".to_vec(),
        b"NaN".to_vec(),
    ];
    let path = format!("/api/v1/couples/{id}");
    for (method, path) in [(Method::POST, "/api/v1/couples"), (Method::PATCH, &*path)] {
        for body in &bodies {
            let shown = String::from_utf8_lossy(body).into_owned();
            let r = me
                .api
                .send_raw(method.clone(), path, "application/json", body.clone())
                .await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{method} {shown:?}");
            let p = problem(r).await;
            assert_eq!(p["status"], 400, "{p}");
        }
        // Deep nesting is refused one way or another, never with a 500.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let r = me
            .api
            .send_raw(method.clone(), path, "application/json", deep.into_bytes())
            .await;
        assert!(
            matches!(
                r.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{method}: deep nesting: {}",
            r.status()
        );
        problem(r).await;
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
    assert_eq!(
        read_via_api(&me, &id).await["version"],
        1,
        "nothing changed"
    );
}

async fn api_json_followed_by_trailing_garbage_is_a_bad_request_problem(app: TestApp) {
    let me = me(&app).await;
    let id = id_of(&create_via_api(&me, &couple_json("Alex & Sam")).await);
    let path = format!("/api/v1/couples/{id}");
    for (method, path, valid) in [
        (Method::POST, "/api/v1/couples", couple_json("Trailing")),
        (Method::PATCH, &*path, json!({"label": "Trailing"})),
    ] {
        for garbage in [" }", " {}", " x", "\n{\"label\": \"Second\"}"] {
            let body = format!("{valid}{garbage}");
            let r = me
                .api
                .send_raw(method.clone(), path, "application/json", body.into_bytes())
                .await;
            assert_eq!(
                r.status(),
                StatusCode::BAD_REQUEST,
                "{method} {path}: a JSON body followed by {garbage:?}"
            );
            problem(r).await;
        }
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
    assert_eq!(
        read_via_api(&me, &id).await["label"],
        "Alex & Sam",
        "nothing changed"
    );
}

async fn api_body_that_is_not_json_is_refused_with_415(app: TestApp) {
    let me = me(&app).await;
    let id = id_of(&create_via_api(&me, &couple_json("Alex & Sam")).await);
    let json_text = couple_json("Sent as text").to_string().into_bytes();
    let path = format!("/api/v1/couples/{id}");
    for (method, path) in [(Method::POST, "/api/v1/couples"), (Method::PATCH, &*path)] {
        for (content_type, body) in [
            ("text/plain", json_text.clone()),
            ("application/x-www-form-urlencoded", b"label=Alex".to_vec()),
            ("multipart/form-data; boundary=x", b"--x--".to_vec()),
            ("application/xml", b"<couple/>".to_vec()),
            ("application/jsonx", json_text.clone()),
        ] {
            let r = me
                .api
                .send_raw(method.clone(), path, content_type, body)
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path} as {content_type}"
            );
            problem(r).await;
        }
        // No content type at all.
        let r = me
            .api
            .request(method.clone(), path)
            .body(json_text.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {path} without a content type"
        );
        problem(r).await;
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
}

async fn api_oversize_body_is_a_413_problem(app: TestApp) {
    let me = me(&app).await;
    let id = id_of(&create_via_api(&me, &couple_json("Alex & Sam")).await);
    let huge = "x".repeat(300 * 1024);
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/couples".to_owned(),
            couple_json(&huge),
        ),
        (
            Method::PATCH,
            format!("/api/v1/couples/{id}"),
            json!({ "label": huge }),
        ),
    ] {
        let r = me
            .api
            .send_raw(
                method.clone(),
                &path,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path} with 300 kB"
        );
        let p = problem(r).await;
        assert_eq!(p["status"], 413, "{p}");
    }
    assert_eq!(couple_count(&me).await, 1, "nothing was created");
    assert_eq!(read_via_api(&me, &id).await["label"], "Alex & Sam");
}

// ---------------------------------------------------------------------------------------------
// API: query parameters.

async fn api_list_refuses_bad_query_parameters(app: TestApp) {
    let me = me(&app).await;
    let r = me
        .api
        .get("/api/v1/couples?page=abc&per_page=1000&status=weird&sort=nope&unknown=1")
        .await;
    let p = assert_invalid(r, "page", "bad query parameters").await;
    let fields = problem_fields(&p);
    for field in ["page", "per_page", "status", "sort", "unknown"] {
        assert!(fields.iter().any(|f| f == field), "{field}: {p}");
    }
}

async fn api_list_refuses_out_of_range_parameters(app: TestApp) {
    let me = me(&app).await;
    create_via_api(&me, &couple_json("Alex & Sam")).await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("status=ACTIVE", "status"),
        ("status=", "status"),
        ("sort=label;drop%20table%20couple", "sort"),
        ("%3Cscript%3E=1", "<script>"),
    ] {
        let r = me.api.get(&format!("/api/v1/couples?{query}")).await;
        assert_invalid(r, field, &format!("?{query}")).await;
    }
    let q = "q".repeat(121);
    let r = me.api.get(&format!("/api/v1/couples?q={q}")).await;
    assert_invalid(r, "q", "121-character search").await;

    // The edges that are allowed.
    for query in ["page=1000000", "per_page=100", "per_page=1&page=2", "q="] {
        let r = me.api.get(&format!("/api/v1/couples?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK, "?{query}");
    }
    let far: Value = me
        .api
        .get_json("/api/v1/couples?page=1000000&per_page=100")
        .await;
    assert_eq!(far["items"], json!([]), "a page past the end is empty");
    assert_eq!(far["next"], Value::Null);
}

async fn api_list_search_treats_odd_text_literally(app: TestApp) {
    let me = me(&app).await;
    for label in ["100% committed", "snake_case", "back\\slash", "Plain"] {
        create_via_api(&me, &couple_json(label)).await;
    }
    for (q, expected) in [
        ("%25", vec!["100% committed"]),
        ("_", vec!["snake_case"]),
        ("%5C", vec!["back\\slash"]),
        ("%27%20OR%201%3D1%20--", vec![]),
        ("%3Cscript%3E", vec![]),
        ("%00", vec![]),
        ("%FF", vec![]),
    ] {
        let r = me.api.get(&format!("/api/v1/couples?q={q}")).await;
        assert_eq!(r.status(), StatusCode::OK, "?q={q}");
        let list: Value = r.json().await.expect("json");
        let labels: Vec<&str> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["label"].as_str())
            .collect();
        assert_eq!(labels, expected, "?q={q}");
    }
}

/// Every API route that reads a query string (`ApiQuery`), with one parameter it declares, a
/// valid value and a value of the wrong type for it. `{couple}` is a couple of the caller's.
const QUERY_ROUTES: [(&str, &str, &str, &str, &str); 9] = [
    ("GET", "/api/v1/couples", "per_page", "10", "ten"),
    ("GET", "/api/v1/couples", "status", "active", "1"),
    ("GET", "/api/v1/exercises", "recipient", "both", "2"),
    (
        "GET",
        "/api/v1/couples/{couple}/assignments",
        "page",
        "1",
        "1.5",
    ),
    (
        "GET",
        "/api/v1/couples/{couple}/sessions",
        "per_page",
        "5",
        "-5",
    ),
    ("GET", "/api/v1/outbox", "page", "2", "two"),
    (
        "GET",
        "/api/v1/couples/{couple}/report.pdf",
        "from",
        "2020-01-01",
        "1",
    ),
    (
        "GET",
        "/api/v1/couples/{couple}/report.pdf",
        "to",
        "2026-03-31",
        "true",
    ),
    (
        "POST",
        "/api/v1/couples/{couple}/links/hurt",
        "action",
        "send",
        "0",
    ),
];

async fn api_query_parameters_are_named_when_unknown_wrong_repeated_or_huge(app: TestApp) {
    let me = me(&app).await;
    let couple = create_via_api(&me, &couple_json("Alex & Sam")).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let huge = "7".repeat(10 * 1024);
    for (method, path, param, good, wrong) in QUERY_ROUTES {
        let path = path.replace("{couple}", &couple);
        // The valid value is accepted (a link is not sent: this test only sends bad queries).
        if method == "GET" {
            let r = me.api.get(&format!("{path}?{param}={good}")).await;
            assert!(
                r.status().is_success(),
                "{path}?{param}={good}: {}",
                r.status()
            );
        }
        for (query, field) in [
            (format!("owner_id={good}"), "owner_id"),
            (format!("{param}={wrong}"), param),
            (format!("{param}={good}&{param}={good}"), param),
            (format!("{param}={huge}"), param),
            (format!("{param}={good}&{huge}=1"), "7777777"),
        ] {
            let what = format!(
                "{method} {path}?{}",
                query.chars().take(60).collect::<String>()
            );
            let r = me
                .api
                .send_raw(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    &format!("{path}?{query}"),
                    "application/json",
                    b"{}".to_vec(),
                )
                .await;
            assert_eq!(
                r.headers()["content-type"],
                "application/problem+json",
                "{what}"
            );
            let p = assert_invalid_mentioning_field(r, field, &what).await;
            let text = p.to_string();
            assert!(
                text.len() < 1_000,
                "{what}: the value is not echoed: {text}"
            );
        }
    }
    let links = kintsugi_core::entities::homework_link::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(links, 0, "no link was sent");
}

/// A 422 problem with an error whose field starts with `field` (a long key is cut short).
async fn assert_invalid_mentioning_field(r: Response, field: &str, what: &str) -> Value {
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let p = problem(r).await;
    assert!(
        problem_fields(&p).iter().any(|f| f.starts_with(field)),
        "{what}: expected an error for {field:?}: {p}"
    );
    p
}
