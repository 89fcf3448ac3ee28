//! Sessions and notes through the API: schedule, list, reschedule and record attendance; save
//! the draft note, sign it (password confirmed), add addenda. A signed note refuses every edit
//! with 409, also when two requests race; bad bodies name the field; another counselor's ids
//! are 404 with nothing of the record in the answer.

use chrono::{Duration, Utc};
use kintsugi_core::practice::Role;
use kintsugi_core::sessions::notes::{MAX_ADDENDUM, MAX_SECTION};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::db_tests;
use crate::support::http::{assert_invalid, assert_problem};
use crate::support::sessions::{
    Me, RENEE, ZOE, add_addendum, id_of, me, read, save_note, schedule, sign,
};
use crate::support::{PASSWORD, TestApp};

db_tests!(
    schedule_list_write_sign_and_add_an_addendum,
    a_signed_note_refuses_every_edit,
    two_simultaneous_signatures_one_wins,
    a_save_racing_a_signature_never_changes_a_signed_note,
    stale_versions_are_conflicts,
    reschedule_and_attendance,
    bad_bodies_name_the_field_and_change_nothing,
    hostile_text_is_stored_and_returned_verbatim,
    another_counselor_gets_404_on_every_session_route,
);

fn dap(data: &str) -> Value {
    json!({"format": "DAP", "data": data, "assessment": "Steady.", "plan": "Weekly."})
}

async fn status_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn schedule_list_write_sign_and_add_an_addendum(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let first = schedule(&me, -2).await;
    let later = schedule(&me, 5).await;
    assert_eq!(first["duration_minutes"], 50);
    assert_eq!(first["location"], "office");
    assert_eq!(first["location_detail"], "Room 2");
    assert_eq!(first["state"], "scheduled");
    assert_eq!(first["note_status"], Value::Null);
    assert_eq!(first["couple_id"], me.couple.as_str());

    // The list, newest first, paged.
    let list: Value = me
        .api
        .get_json(&format!("/api/v1/couples/{}/sessions", me.couple))
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], later["id"]);
    assert_eq!(list["items"][1]["id"], first["id"]);
    assert_eq!(list["next"], Value::Null);
    let page: Value = me
        .api
        .get_json(&format!(
            "/api/v1/couples/{}/sessions?per_page=1",
            me.couple
        ))
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let next = page["next"].as_str().expect("a next page");
    let second: Value = me.api.get_json(next).await;
    assert_eq!(second["items"][0]["id"], first["id"]);
    assert_eq!(second["next"], Value::Null);

    // Draft, saved twice.
    let s = id_of(&first);
    assert_eq!(read(&me.api, &s).await["note"], Value::Null);
    let (status, note) = status_of(save_note(&me.api, &s, &dap("First words.")).await).await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["status"], "draft");
    assert_eq!(note["version"], 1);
    assert_eq!(note["format"], "DAP");
    assert_eq!(note["data"], "First words.");
    assert_eq!(
        note["subjective"],
        Value::Null,
        "no SOAP fields on a DAP note"
    );
    let mut body = dap("Both arrived on time.\n\nThey talked about the week.");
    body["version"] = json!(1);
    let (status, note) = status_of(save_note(&me.api, &s, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["version"], 2);
    assert_eq!(
        note["data"],
        "Both arrived on time.\n\nThey talked about the week."
    );
    // A draft takes no addenda: edit it instead.
    assert_problem(
        add_addendum(&me.api, &s, "Too early.").await,
        StatusCode::CONFLICT,
        "addendum on a draft",
    )
    .await;

    // Signing needs the password.
    let r = me
        .api
        .post_json(
            &format!("/api/v1/sessions/{s}/note/sign"),
            &json!({"password": "not my password"}),
        )
        .await;
    assert_invalid(r, "password", "wrong password").await;
    assert_eq!(read(&me.api, &s).await["note"]["status"], "draft");
    let (status, signed) = status_of(sign(&me.api, &s).await).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["signed_by"], me.id.to_string());
    let hash = signed["content_hash"].as_str().expect("hash");
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));

    // Addenda, dated and kept in order.
    for text in [
        "Called on Tuesday to move the next session.",
        "Second thought.",
    ] {
        let (status, a) = status_of(add_addendum(&me.api, &s, text).await).await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        assert_eq!(a["text"], text);
        assert_eq!(a["content_hash"].as_str().map(str::len), Some(64));
    }
    let detail = read(&me.api, &s).await;
    assert_eq!(detail["id"], first["id"]);
    assert_eq!(detail["note_status"], "signed");
    assert_eq!(detail["note"]["content_hash"], hash);
    let addenda = detail["note"]["addenda"].as_array().expect("addenda");
    assert_eq!(addenda.len(), 2);
    assert_eq!(
        addenda[0]["text"],
        "Called on Tuesday to move the next session."
    );
    assert_eq!(
        detail["note"]["data"], "Both arrived on time.\n\nThey talked about the week.",
        "addenda never merge into the note"
    );

    // A note without words cannot be signed.
    let other = id_of(&later);
    assert_invalid(sign(&me.api, &other).await, "note", "nothing to sign").await;
    save_note(
        &me.api,
        &other,
        &json!({"format": "SOAP", "subjective": "  "}),
    )
    .await;
    assert_invalid(sign(&me.api, &other).await, "note", "blank note").await;
    let list: Value = me
        .api
        .get_json(&format!("/api/v1/couples/{}/sessions", me.couple))
        .await;
    assert_eq!(list["items"][0]["note_status"], "draft");
    assert_eq!(list["items"][1]["note_status"], "signed");
}

async fn signed_session(me: &Me) -> (String, Value) {
    let s = id_of(&schedule(me, -1).await);
    let r = save_note(&me.api, &s, &dap("The words as signed.")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = sign(&me.api, &s).await;
    assert_eq!(r.status(), StatusCode::OK);
    let note = read(&me.api, &s).await["note"].clone();
    (s, note)
}

async fn a_signed_note_refuses_every_edit(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let (s, before) = signed_session(&me).await;
    let version = before["version"].clone();
    for body in [
        dap("Changed afterwards."),
        json!({"format": "DAP", "data": "Changed", "version": version}),
        json!({"format": "DAP", "data": "Changed", "version": 1}),
        json!({"format": "SOAP", "subjective": "Another format"}),
        json!({"format": "DAP"}),
    ] {
        let p = assert_problem(
            save_note(&me.api, &s, &body).await,
            StatusCode::CONFLICT,
            &format!("save after signing: {body}"),
        )
        .await;
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("signed")),
            "{p}"
        );
    }
    assert_problem(sign(&me.api, &s).await, StatusCode::CONFLICT, "sign again").await;
    // Even with a wrong password, a signed note says it is signed rather than checking it.
    let r = me
        .api
        .post_json(
            &format!("/api/v1/sessions/{s}/note/sign"),
            &json!({"password": "wrong"}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "sign again, wrong password").await;
    let after = read(&me.api, &s).await["note"].clone();
    assert_eq!(after, before, "nothing about the note changed");
}

async fn two_simultaneous_signatures_one_wins(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    for round in 0..3 {
        let s = id_of(&schedule(&me, -1).await);
        let r = save_note(&me.api, &s, &dap(&format!("Round {round}."))).await;
        assert_eq!(r.status(), StatusCode::OK);
        let (a, b) = tokio::join!(sign(&me.api, &s), sign(&me.api, &s));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}: exactly one signature wins"
        );
        let note = read(&me.api, &s).await["note"].clone();
        assert_eq!(note["status"], "signed");
    }
}

async fn a_save_racing_a_signature_never_changes_a_signed_note(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    for round in 0..3 {
        let s = id_of(&schedule(&me, -1).await);
        let r = save_note(&me.api, &s, &dap("Before the race.")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let typed = dap("Typed during the signature.");
        let (saved, signed) = tokio::join!(save_note(&me.api, &s, &typed), sign(&me.api, &s));
        let (saved, signed) = (saved.status(), signed.status());
        let note = read(&me.api, &s).await["note"].clone();
        match (saved, signed) {
            // The save came first and the signature covers it.
            (StatusCode::OK, StatusCode::OK) => {
                assert_eq!(note["data"], "Typed during the signature.", "round {round}");
            }
            // The signature came first: the save after it was refused.
            (StatusCode::CONFLICT, StatusCode::OK) => {
                assert_eq!(note["data"], "Before the race.", "round {round}");
            }
            // The save slipped in between the signature's read and its write: the signature
            // was refused and the note is still a draft with the new words.
            (StatusCode::OK, StatusCode::CONFLICT) => {
                assert_eq!(note["status"], "draft", "round {round}");
                assert_eq!(note["data"], "Typed during the signature.");
                assert_eq!(sign(&me.api, &s).await.status(), StatusCode::OK);
            }
            other => panic!("round {round}: unexpected outcome {other:?}"),
        }
        // Whatever the order, a save after the signature is refused and changes nothing.
        let signed_note = read(&me.api, &s).await["note"].clone();
        assert_eq!(signed_note["status"], "signed");
        assert_problem(
            save_note(&me.api, &s, &dap("Too late.")).await,
            StatusCode::CONFLICT,
            "save after the signature",
        )
        .await;
        assert_eq!(read(&me.api, &s).await["note"], signed_note);
    }
}

async fn stale_versions_are_conflicts(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let s = id_of(&schedule(&me, -1).await);
    let mut body = dap("First.");
    body["version"] = json!(3);
    assert_problem(
        save_note(&me.api, &s, &body).await,
        StatusCode::CONFLICT,
        "a version for a note that does not exist yet",
    )
    .await;
    save_note(&me.api, &s, &dap("First.")).await;
    save_note(&me.api, &s, &dap("Second.")).await;
    body = dap("From an old tab.");
    body["version"] = json!(1);
    assert_problem(
        save_note(&me.api, &s, &body).await,
        StatusCode::CONFLICT,
        "a stale save",
    )
    .await;
    let r = me
        .api
        .post_json(
            &format!("/api/v1/sessions/{s}/note/sign"),
            &json!({"password": PASSWORD, "version": 1}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "signing a stale version").await;
    let note = read(&me.api, &s).await["note"].clone();
    assert_eq!(note["data"], "Second.");
    assert_eq!(note["status"], "draft");
    let r = me
        .api
        .post_json(
            &format!("/api/v1/sessions/{s}/note/sign"),
            &json!({"password": PASSWORD, "version": note["version"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "signing the version read");
}

async fn reschedule_and_attendance(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let ahead = schedule(&me, 3).await;
    let path = format!("/api/v1/sessions/{}", id_of(&ahead));
    let new_start = (Utc::now() + Duration::days(4)).to_rfc3339();
    let r = me
        .api
        .patch_json(
            &path,
            &json!({"starts_at": new_start, "duration_minutes": 90, "location": "video", "location_detail": "https://video.example/room-7"}),
        )
        .await;
    let (status, moved) = status_of(r).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["duration_minutes"], 90);
    assert_eq!(moved["location"], "video");
    assert_eq!(moved["location_detail"], "https://video.example/room-7");
    assert_ne!(moved["starts_at"], ahead["starts_at"]);
    // Only what is sent changes.
    let (status, longer) = status_of(
        me.api
            .patch_json(&path, &json!({"duration_minutes": 60}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{longer}");
    assert_eq!(longer["location_detail"], "https://video.example/room-7");
    assert_eq!(longer["starts_at"], moved["starts_at"]);

    // Attended waits for the start; cancelling does not.
    assert_invalid(
        me.api
            .patch_json(&path, &json!({"attendance": "attended"}))
            .await,
        "attendance",
        "attended before the start",
    )
    .await;
    let (status, cancelled) = status_of(
        me.api
            .patch_json(&path, &json!({"attendance": "cancelled"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    assert_problem(
        me.api
            .patch_json(&path, &json!({"duration_minutes": 50}))
            .await,
        StatusCode::CONFLICT,
        "moving a cancelled session",
    )
    .await;

    let past = schedule(&me, -1).await;
    let path = format!("/api/v1/sessions/{}", id_of(&past));
    for (attendance, state) in [("no_show", "no_show"), ("attended", "attended")] {
        let (status, s) = status_of(
            me.api
                .patch_json(&path, &json!({ "attendance": attendance }))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{s}");
        assert_eq!(s["state"], state);
    }
    assert_problem(
        me.api
            .patch_json(&path, &json!({"attendance": "cancelled"}))
            .await,
        StatusCode::CONFLICT,
        "cancelling an attended session",
    )
    .await;
    for (body, field) in [
        (json!({}), "body"),
        (json!({"attendance": "maybe"}), "attendance"),
        (
            json!({"attendance": "attended", "duration_minutes": 50}),
            "attendance",
        ),
        (json!({"attendance": 1}), "attendance"),
    ] {
        assert_invalid(
            me.api.patch_json(&path, &body).await,
            field,
            &format!("PATCH {body}"),
        )
        .await;
    }
}

async fn bad_bodies_name_the_field_and_change_nothing(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let sessions = format!("/api/v1/couples/{}/sessions", me.couple);
    let soon = (Utc::now() + Duration::days(2)).to_rfc3339();
    for (body, field) in [
        (
            json!({"starts_at": soon, "duration_minutes": "fifty"}),
            "duration_minutes",
        ),
        (
            json!({"starts_at": 20260301, "duration_minutes": 50}),
            "starts_at",
        ),
        (json!({"duration_minutes": 50}), "starts_at"),
        (json!({"starts_at": soon}), "duration_minutes"),
        (
            json!({"starts_at": soon, "duration_minutes": 50, "couple_id": "x"}),
            "body",
        ),
        (
            json!({"starts_at": "next tuesday", "duration_minutes": 50}),
            "starts_at",
        ),
        (
            json!({"starts_at": "2019-01-01T10:00:00Z", "duration_minutes": 50}),
            "starts_at",
        ),
        (
            json!({"starts_at": soon, "duration_minutes": 5}),
            "duration_minutes",
        ),
        (
            json!({"starts_at": soon, "duration_minutes": 100000000000000_i64}),
            "duration_minutes",
        ),
        (
            json!({"starts_at": soon, "duration_minutes": 50, "location": "moon"}),
            "location",
        ),
        (
            json!({"starts_at": soon, "duration_minutes": 50, "location": "video", "location_detail": "javascript:alert(1)"}),
            "location_detail",
        ),
        (
            json!({"starts_at": soon, "duration_minutes": 50, "location_detail": "x".repeat(100 * 1024)}),
            "location_detail",
        ),
    ] {
        let r = me.api.post_json(&sessions, &body).await;
        let what = format!(
            "schedule {}",
            body.to_string().chars().take(120).collect::<String>()
        );
        if field == "body" {
            let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, &what).await;
            assert!(p.to_string().contains("couple_id"), "{what}: {p}");
        } else {
            assert_invalid(r, field, &what).await;
        }
    }
    let list: Value = me.api.get_json(&sessions).await;
    assert_eq!(list["total"], 0, "nothing was scheduled");

    let s = id_of(&schedule(&me, -1).await);
    let long = "x".repeat(MAX_SECTION + 1);
    for (body, field) in [
        (json!({"data": "No format"}), "format"),
        (json!({"format": "BIRP", "data": "x"}), "format"),
        (json!({"format": 5}), "format"),
        (json!({"format": "DAP", "data": ["a", "b"]}), "data"),
        (json!({"format": "DAP", "plan": {"x": 1}}), "plan"),
        (json!({"format": "DAP", "version": "one"}), "version"),
        (
            json!({"format": "DAP", "subjective": "Not a DAP section"}),
            "subjective",
        ),
        (
            json!({"format": "SOAP", "data": "Not a SOAP section"}),
            "data",
        ),
        (json!({"format": "DAP", "data": long}), "data"),
        (json!({"format": "SOAP", "objective": long}), "objective"),
        (json!({"format": "DAP", "data": "bell \u{7}"}), "data"),
    ] {
        let what = format!(
            "note {}",
            body.to_string().chars().take(80).collect::<String>()
        );
        assert_invalid(save_note(&me.api, &s, &body).await, field, &what).await;
    }
    let r = save_note(
        &me.api,
        &s,
        &json!({"format": "DAP", "data": "x", "signed": true}),
    )
    .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "unknown note field").await;
    assert!(p.to_string().contains("signed"), "{p}");
    assert_eq!(
        read(&me.api, &s).await["note"],
        Value::Null,
        "no note was saved"
    );
    // The longest section allowed is accepted.
    let r = save_note(
        &me.api,
        &s,
        &json!({"format": "DAP", "data": "y".repeat(MAX_SECTION)}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "exactly MAX_SECTION characters");

    let sign_path = format!("/api/v1/sessions/{s}/note/sign");
    for (body, field) in [
        (json!({}), "password"),
        (json!({"password": 123}), "password"),
        (json!({"password": PASSWORD, "as": "someone else"}), "body"),
    ] {
        let r = me.api.post_json(&sign_path, &body).await;
        if field == "body" {
            assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "unknown sign field").await;
        } else {
            assert_invalid(r, field, &format!("sign {body}")).await;
        }
    }
    assert_eq!(read(&me.api, &s).await["note"]["status"], "draft");
    assert_eq!(sign(&me.api, &s).await.status(), StatusCode::OK);

    let addenda = format!("/api/v1/sessions/{s}/note/addenda");
    for (body, field) in [
        (json!({}), "text"),
        (json!({"text": 42}), "text"),
        (json!({"text": "   "}), "text"),
        (json!({"text": "z".repeat(MAX_ADDENDUM + 1)}), "text"),
    ] {
        assert_invalid(me.api.post_json(&addenda, &body).await, field, "addendum").await;
    }
    assert_problem(
        me.api
            .post_json(&addenda, &json!({"text": "ok", "signed_at": "2020-01-01"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown addendum field",
    )
    .await;
    assert_eq!(
        read(&me.api, &s).await["note"]["addenda"],
        json!([]),
        "no addendum was added"
    );

    // Not JSON, broken JSON, JSON followed by more, too large.
    let note_path = format!("/api/v1/sessions/{s}/note");
    for (method, path, valid) in [
        (Method::PUT, &note_path, dap("x")),
        (Method::POST, &addenda, json!({"text": "x"})),
    ] {
        let valid = valid.to_string();
        let huge = format!("{{\"text\": \"{}\"}}", "x".repeat(300 * 1024));
        for (content_type, body, status) in [
            (
                "text/plain",
                valid.clone(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                "application/json",
                valid[..valid.len() - 1].to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "application/json",
                format!("{valid} {{}}"),
                StatusCode::BAD_REQUEST,
            ),
            ("application/json", huge, StatusCode::PAYLOAD_TOO_LARGE),
        ] {
            let r = me
                .api
                .send_raw(method.clone(), path, content_type, body.into_bytes())
                .await;
            assert_problem(r, status, &format!("{method} {path} as {content_type}")).await;
        }
    }
    let note = read(&me.api, &s).await["note"].clone();
    assert_eq!(note["addenda"], json!([]), "still no addendum");
    assert_eq!(
        note["data"].as_str().map(str::len),
        Some(MAX_SECTION),
        "the note as signed"
    );

    // The report's period.
    let report = format!("/api/v1/couples/{}/report.pdf", me.couple);
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("since=2026-01-01", "since"),
        ("from=%3Cscript%3E", "from"),
    ] {
        assert_invalid(
            me.api.get(&format!("{report}?{query}")).await,
            field,
            &format!("report ?{query}"),
        )
        .await;
    }
    for query in ["page=0", "per_page=1000", "sort=x"] {
        let r = me.api.get(&format!("{sessions}?{query}")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "?{query}");
    }
}

const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "Robert'); DROP TABLE note;--",
    "שלום עליכם، مرحبا بكم \u{202e}reversed\u{202c}",
    "🙂👩‍❤️‍👨 and \\ backslash {{ braces }} %s %n",
];

async fn hostile_text_is_stored_and_returned_verbatim(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let s = id_of(&schedule(&me, -1).await);
    let text = HOSTILE.join("\n");
    let r = save_note(
        &me.api,
        &s,
        &json!({"format": "SOAP", "subjective": text, "objective": HOSTILE[0], "assessment": HOSTILE[3], "plan": HOSTILE[4]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sign(&me.api, &s).await.status(), StatusCode::OK);
    let r = add_addendum(&me.api, &s, HOSTILE[1]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let note = read(&me.api, &s).await["note"].clone();
    assert_eq!(note["format"], "SOAP");
    assert_eq!(note["subjective"], text.as_str());
    assert_eq!(note["objective"], HOSTILE[0]);
    assert_eq!(note["assessment"], HOSTILE[3]);
    assert_eq!(note["plan"], HOSTILE[4]);
    assert_eq!(note["addenda"][0]["text"], HOSTILE[1]);
    assert_eq!(note["data"], Value::Null);
}

async fn another_counselor_gets_404_on_every_session_route(app: TestApp) {
    let a = me(&app, "o@practice.example", "Harbor Lights").await;
    let s = id_of(&schedule(&a, -1).await);
    save_note(&a.api, &s, &dap("A's private words about the couple.")).await;
    sign(&a.api, &s).await;
    add_addendum(&a.api, &s, "A's private addendum.").await;
    let before = read(&a.api, &s).await;

    let b = app
        .counselor("Bruno Baker", "bruno@practice.example", Role::Counselor)
        .await;
    let b_api = app.api(&app.api_token(b.id).await);
    let secrets = [
        "Harbor Lights",
        ZOE,
        RENEE,
        "A's private",
        "Room 2",
        &s,
        &a.couple,
    ];
    let soon = (Utc::now() + Duration::days(2)).to_rfc3339();
    let couple = &a.couple;
    let mut routes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::GET,
            format!("/api/v1/couples/{couple}/sessions"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/couples/{couple}/sessions"),
            Some(json!({"starts_at": soon, "duration_minutes": 50})),
        ),
        (
            Method::GET,
            format!("/api/v1/couples/{couple}/report.pdf"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/couples/{couple}/report.pdf?from=2026-01-01&to=2026-12-31"),
            None,
        ),
    ];
    for id in [s.clone(), s.to_uppercase(), s.replace('-', "")] {
        routes.extend([
            (Method::GET, format!("/api/v1/sessions/{id}"), None),
            (
                Method::PATCH,
                format!("/api/v1/sessions/{id}"),
                Some(json!({"attendance": "cancelled"})),
            ),
            (
                Method::PUT,
                format!("/api/v1/sessions/{id}/note"),
                Some(dap("B's words")),
            ),
            (
                Method::POST,
                format!("/api/v1/sessions/{id}/note/sign"),
                Some(json!({"password": PASSWORD})),
            ),
            (
                Method::POST,
                format!("/api/v1/sessions/{id}/note/addenda"),
                Some(json!({"text": "B's addendum"})),
            ),
            (Method::GET, format!("/api/v1/sessions/{id}/note.pdf"), None),
        ]);
    }
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/api/v1/sessions/{unknown}"),
        format!("/api/v1/sessions/{unknown}/note.pdf"),
        "/api/v1/sessions/not-a-uuid/note.pdf".to_owned(),
        format!("/api/v1/couples/{unknown}/report.pdf"),
        format!("/api/v1/couples/{unknown}/sessions"),
    ] {
        routes.push((Method::GET, path, None));
    }
    for (method, path, body) in routes {
        let r = b_api
            .send_raw(
                method.clone(),
                &path,
                "application/json",
                body.map(|b| b.to_string()).unwrap_or_default().into_bytes(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "B: {method} {path}");
        let text = r.text().await.expect("body");
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "B: {method} {path} mentions {secret:?}: {text}"
            );
        }
    }
    assert_eq!(read(&a.api, &s).await, before, "A's session is unchanged");
    let list: Value = a
        .api
        .get_json(&format!("/api/v1/couples/{couple}/sessions"))
        .await;
    assert_eq!(list["total"], 1, "B scheduled nothing for A's couple");
}
