//! The exercise library pages: filters, the client preview, creating exercises with field
//! errors shown beside the fields, copy-and-edit (built-ins never change), stale edits (409),
//! bad input (never a 500) and another counselor's exercises (404, nothing shown).

use kintsugi_core::entities::exercise;
use kintsugi_core::homework::builtins::{CONNECTION_CHECKIN, FEELINGS_CHECKIN};
use kintsugi_core::homework::library::{self, Exercise, LibraryFilter};
use kintsugi_core::practice::counselors::Counselor;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::db_tests;
use crate::support::http::location;
use crate::support::{Browser, TestApp};

db_tests!(
    the_library_filters_by_stage_and_recipient,
    the_preview_shows_the_exercise_as_the_client_will_see_it,
    creating_an_exercise_shows_field_errors_and_keeps_what_was_typed,
    copy_and_edit_leaves_the_built_in_unchanged,
    a_stale_edit_gets_a_409_that_explains,
    built_ins_are_never_edited_in_place,
    bad_input_on_the_editor_never_fails_the_server,
    another_counselor_gets_404_on_every_library_route,
);

async fn builtin(app: &TestApp, counselor: &Counselor, key: &str) -> Exercise {
    library::list(&app.db, counselor.id, LibraryFilter::default())
        .await
        .expect("library")
        .into_iter()
        .find(|e| e.model.builtin_key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("no built-in {key}"))
}

/// A valid editor form: two prompts in rows 0 and 2 (row 1 left empty).
fn exercise_form(title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title.to_owned()),
        ("stage", "validation".into()),
        ("recipient", "hurt".into()),
        (
            "instructions",
            "Take ten quiet minutes.\nWrite freely.".into(),
        ),
        ("p0.kind", "long_text".into()),
        ("p0.label", "What hurt most this week?".into()),
        ("p0.required", "on".into()),
        ("p1.kind", "long_text".into()),
        ("p1.label", String::new()),
        ("p2.kind", "scale".into()),
        ("p2.label", "How heavy does it feel today?".into()),
        ("p2.key", "heaviness".into()),
        ("p2.low", "Light".into()),
        ("p2.high", "Unbearable".into()),
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

async fn the_library_filters_by_stage_and_recipient(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let (status, html) = b.get_html("/library").await;
    assert_eq!(status, 200);
    for title in [
        "A letter of accountability",
        "Feelings check-in",
        "Connection check-in",
        "Trigger log",
    ] {
        assert!(html.contains(title), "{title}");
    }
    assert!(html.contains("aria-current=\"page\">Library</a>"), "nav");
    // Stage 3 only.
    let (_, html) = b.get_html("/library?stage=openness").await;
    assert!(html.contains("Feelings check-in"));
    assert!(!html.contains("A letter of accountability"));
    assert!(!html.contains("Connection check-in"));
    assert!(html.contains("<option value=\"openness\" selected>"));
    // Written for the hurt partner.
    let (_, html) = b.get_html("/library?recipient=hurt").await;
    assert!(html.contains("Trigger log") && html.contains("Feelings check-in"));
    assert!(
        !html.contains("A letter of accountability"),
        "involved only"
    );
    assert!(!html.contains("Connection check-in"), "for both");
    // Both filters together.
    let (_, html) = b
        .get_html("/library?stage=openness&recipient=involved")
        .await;
    assert!(html.contains("Transparency check-in"));
    assert!(!html.contains("Feelings check-in"));
    // Unknown or mangled values fall back to the whole library.
    for query in [
        "?stage=stage_seven&recipient=<script>",
        "?stage=%ZZ",
        "?stage=openness&stage=validation",
        "?recipient=",
    ] {
        let (status, html) = b.get_html(&format!("/library{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(
            html.contains("A letter of accountability") && html.contains("Connection check-in"),
            "{query}"
        );
        assert!(!html.contains("<script>"), "{query}");
    }
}

async fn the_preview_shows_the_exercise_as_the_client_will_see_it(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let feelings = builtin(&app, &c, FEELINGS_CHECKIN).await;
    let (status, html) = b.get_html(&format!("/library/{}", feelings.model.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Feelings check-in</h1>"));
    assert!(html.contains("A short, regular check-in"), "instructions");
    assert!(html.contains("How angry do you feel?"));
    assert!(html.contains("0 · Not at all") && html.contains("10 · Very angry"));
    // Each scale as eleven disabled points, the notes as a disabled text box, marked optional.
    assert_eq!(
        html.matches("type=\"radio\" name=\"preview-4\"").count(),
        11
    );
    assert_eq!(
        html.matches("<fieldset class=\"choices\" disabled>")
            .count(),
        4
    );
    assert!(html.contains("<textarea id=\"preview-5\" rows=\"6\" disabled>"));
    assert!(html.contains(
        "Anything you would like your counselor to know? <span class=\"optional\">(optional)</span>"
    ));
    assert!(html.contains("Copy and edit"));
    assert!(
        !html.contains(&format!("/library/{}/edit", feelings.model.id)),
        "no edit for a built-in"
    );
    // A checklist shows its items as disabled checkboxes.
    let trigger = builtin(&app, &c, "trigger_log").await;
    let (_, html) = b.get_html(&format!("/library/{}", trigger.model.id)).await;
    assert!(html.contains("type=\"checkbox\""));
    // Unknown ids and non-ids are simply not found.
    for path in [
        format!("/library/{}", uuid::Uuid::new_v4()),
        "/library/not-an-id".to_owned(),
    ] {
        assert_eq!(b.get(&path).await.status(), 404, "{path}");
    }
}

async fn creating_an_exercise_shows_field_errors_and_keeps_what_was_typed(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let (status, html) = b.get_html("/library/new").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("class=\"prompt-row is-empty\"").count(), 8);
    for id in [
        "title",
        "stage",
        "recipient",
        "instructions",
        "p0-kind",
        "p7-label",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "label for {id}"
        );
    }
    let hostile = "<script>alert('x')</script>";
    let mut form = exercise_form("");
    form[1].1 = "stage_seven".into();
    form.push(("p3.kind", "single_choice".into()));
    form.push(("p3.label", format!("Pick one {hostile}")));
    form.push(("p3.options", "Only one".into()));
    form.push(("p4.kind", "scale".into()));
    form.push(("p4.label", "A scale without ends".into()));
    form.push(("p5.kind", "telepathy".into()));
    form.push(("p5.label", "Unknown kind".into()));
    form[11].1 = "Bad Key!".into();
    let r = b.submit("/library/new", "/library", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    for (id, message) in [
        ("title-error", "Title must not be empty."),
        ("stage-error", "choose one of the six stages"),
        ("p2-key-error", "must be 1 to 40 characters"),
        ("p3-options-error", "must list 2 to 20 choices"),
        ("p4-options-error", "both ends of the scale need a label"),
        ("p5-kind-error", "choose a kind of answer"),
    ] {
        let at = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id} in {html}"));
        let near: String = html[at..].chars().take(200).collect();
        assert!(near.contains(message), "{id}: {message} not in {near}");
    }
    // What was typed is kept, escaped.
    assert!(html.contains("How heavy does it feel today?"));
    assert!(html.contains("value=\"Bad Key!\""));
    assert!(html.contains("Only one</textarea>"));
    assert!(!html.contains(hostile));
    assert!(html.contains("Pick one &#60;script&#62;"));
    assert_eq!(
        exercise::Entity::find()
            .filter(exercise::Column::CounselorId.eq(c.id))
            .count(&app.db)
            .await
            .expect("count"),
        0,
        "nothing saved"
    );
    // Corrected: saved, with the empty row left out and a key made for the first prompt.
    let r = b
        .submit(
            "/library/new",
            "/library",
            &exercise_form(&format!("Mine {hostile}")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.ends_with("?done=created"), "{to}");
    let (_, html) = b.get_html(&to).await;
    assert!(html.contains("Exercise saved to your library."));
    assert!(html.contains("Mine &#60;script&#62;"));
    assert!(!html.contains(hostile));
    let mine = exercise::Entity::find()
        .filter(exercise::Column::CounselorId.eq(c.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("saved");
    let saved = library::get(&app.db, c.id, mine.id).await.expect("get");
    let keys: Vec<&str> = saved.prompts.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["what_hurt_most_this_week", "heaviness"]);
    assert!(saved.prompts[0].required && !saved.prompts[1].required);
    assert_eq!(
        saved.model.instructions,
        "Take ten quiet minutes.\nWrite freely."
    );
    // Listed in the library as the counselor's own.
    let (_, html) = b.get_html("/library?stage=validation").await;
    assert!(html.contains("Mine &#60;script&#62;") && html.contains(">Yours<"));
    // Audited, without the title.
    let audited = kintsugi_core::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit");
    assert!(audited.iter().any(|e| e.action == "exercise_created"));
    assert!(audited.iter().all(|e| !format!("{e:?}").contains("Mine")));
}

async fn copy_and_edit_leaves_the_built_in_unchanged(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let original = builtin(&app, &c, CONNECTION_CHECKIN).await;
    let page = format!("/library/{}", original.model.id);
    let r = b
        .submit(&page, &format!("/library/{}/copy", original.model.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let edit = location(&r);
    assert!(edit.ends_with("/edit?done=copied"), "{edit}");
    let (status, html) = b.get_html(&edit).await;
    assert_eq!(status, 200);
    assert!(html.contains("This is your own copy."));
    assert!(html.contains("value=\"Connection check-in (my copy)\""));
    assert!(html.contains("value=\"trust\""), "prompt keys kept");
    let copy_id = edit
        .trim_start_matches("/library/")
        .split('/')
        .next()
        .expect("id")
        .to_owned();
    // Edit the copy: a new title, the trust question reworded, one prompt more.
    let copy = library::get(
        &app.db,
        c.id,
        uuid::Uuid::parse_str(&copy_id).expect("uuid"),
    )
    .await
    .expect("copy");
    assert_eq!(copy.model.copied_from_id, Some(original.model.id));
    let mut form: Vec<(&'static str, String)> = vec![
        ("title", "Our weekly check-in".into()),
        ("stage", "shared_responsibility".into()),
        ("recipient", "both".into()),
        ("instructions", copy.model.instructions.clone()),
        ("version", copy.model.version.to_string()),
    ];
    let names = ["kind", "label", "key", "options", "low", "high", "required"];
    for (i, p) in copy.prompts.iter().enumerate() {
        let row = leak(format!("p{i}"));
        let values = prompt_fields(p);
        for (name, value) in names.iter().zip(values) {
            form.push((leak(format!("{row}.{name}")), value));
        }
    }
    form[6].1 = "How much do you trust your partner this week?".into();
    let next = copy.prompts.len();
    form.push((leak(format!("p{next}.kind")), "short_text".into()));
    form.push((
        leak(format!("p{next}.label")),
        "One word for this week".into(),
    ));
    let r = b
        .submit(&edit, &format!("/library/{copy_id}/edit"), &form)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(location(&r), format!("/library/{copy_id}?done=saved"));
    let (_, html) = b.get_html(&location(&r)).await;
    assert!(html.contains("Changes saved."));
    assert!(html.contains("<h1>Our weekly check-in</h1>"));
    assert!(html.contains("How much do you trust your partner this week?"));
    assert!(html.contains("One word for this week"));
    let edited = library::get(&app.db, c.id, copy.model.id)
        .await
        .expect("edited");
    assert_eq!(edited.model.version, copy.model.version + 1);
    assert_eq!(edited.prompts.len(), copy.prompts.len() + 1);
    // The built-in is exactly as it was.
    let after = builtin(&app, &c, CONNECTION_CHECKIN).await;
    assert_eq!(after.model, original.model);
    assert_eq!(after.prompts, original.prompts);
}

/// The editor's values of one prompt: kind, label, key, options, low, high, required.
fn prompt_fields(p: &kintsugi_core::homework::prompts::Prompt) -> Vec<String> {
    use kintsugi_core::homework::prompts::PromptKind;
    let (options, low, high) = match &p.kind {
        PromptKind::SingleChoice { options } | PromptKind::Checklist { options } => {
            (options.join("\n"), String::new(), String::new())
        }
        PromptKind::Scale {
            low_label,
            high_label,
        } => (String::new(), low_label.clone(), high_label.clone()),
        _ => (String::new(), String::new(), String::new()),
    };
    vec![
        p.kind.key().to_owned(),
        p.label.clone(),
        p.key.clone(),
        options,
        low,
        high,
        if p.required {
            "on".into()
        } else {
            String::new()
        },
    ]
}

async fn a_stale_edit_gets_a_409_that_explains(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let r = b
        .submit("/library/new", "/library", &exercise_form("Version one"))
        .await;
    let id = location(&r)
        .trim_start_matches("/library/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let edit = format!("/library/{id}/edit");
    let (_, html) = b.get_html(&edit).await;
    assert!(html.contains("name=\"version\" value=\"1\""));
    // Someone (another tab) saves first.
    let uuid = uuid::Uuid::parse_str(&id).expect("uuid");
    let current = library::get(&app.db, c.id, uuid).await.expect("get");
    library::update(
        &app.db,
        app.clock.as_ref(),
        &kintsugi_core::audit::Actor::counselor(c.id, None),
        c.id,
        uuid,
        1,
        library::NewExercise {
            title: "Version two".into(),
            stage: current.model.stage,
            recipient: current.model.recipient,
            instructions: current.model.instructions.clone(),
            prompts: current.prompts.clone(),
        },
    )
    .await
    .expect("update");
    let mut form = exercise_form("My stale change");
    form.push(("version", "1".into()));
    let r = b.submit(&edit, &edit, &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("html");
    assert!(html.contains("This exercise was changed since you opened it."));
    assert!(html.contains("value=\"My stale change\""), "typing kept");
    assert!(html.contains(&format!(
        "<a href=\"/library/{id}/edit\">open the latest version</a>"
    )));
    assert_eq!(
        library::get(&app.db, c.id, uuid)
            .await
            .expect("get")
            .model
            .title,
        "Version two",
        "the newer change stands"
    );
    // A form without its version cannot tell: 409 too.
    let mut form = exercise_form("No version");
    form.push(("version", "banana".into()));
    let r = b.submit(&edit, &edit, &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("missing its version")
    );
}

async fn built_ins_are_never_edited_in_place(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let original = builtin(&app, &c, FEELINGS_CHECKIN).await;
    let edit = format!("/library/{}/edit", original.model.id);
    assert_eq!(b.get(&edit).await.status(), 404);
    let mut form = exercise_form("Hijacked");
    form.push(("version", original.model.version.to_string()));
    let r = b.submit("/library", &edit, &form).await;
    assert_eq!(r.status(), 404);
    let after = builtin(&app, &c, FEELINGS_CHECKIN).await;
    assert_eq!(after.model, original.model);
    assert_eq!(after.prompts, original.prompts);
}

async fn bad_input_on_the_editor_never_fails_the_server(app: TestApp) {
    let (c, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let csrf = b.csrf("/library/new").await;
    let big = "x".repeat(100_000);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("nothing at all", vec![]),
        ("100 kB title", {
            let mut f = exercise_form(&big);
            f[3].1 = big.clone();
            f
        }),
        ("100 kB prompt", {
            let mut f = exercise_form("Fine");
            f[5].1 = big.clone();
            f
        }),
        ("control characters", exercise_form("Tab\u{0}null")),
        ("rows far beyond the editor", {
            let mut f = exercise_form("Rows");
            f.push(("p999.label", "ignored".into()));
            f.push(("p-1.label", "ignored".into()));
            f.push(("p.label", "ignored".into()));
            f
        }),
        ("forty-one prompts", {
            let mut f = exercise_form("Many");
            for i in 0..41 {
                f.push((leak(format!("p{i}.kind")), "short_text".into()));
                f.push((leak(format!("p{i}.label")), format!("Question {i}")));
            }
            f
        }),
        ("wrong recipient", {
            let mut f = exercise_form("Who");
            f[2].1 = "everyone".into();
            f
        }),
        ("no prompts", {
            vec![
                ("title", "Empty".into()),
                ("stage", "admission".into()),
                ("recipient", "both".into()),
                ("instructions", "Nothing".into()),
            ]
        }),
    ];
    for (what, fields) in &cases {
        let r = b.post_with("/library", &csrf, fields).await;
        let status = r.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::SEE_OTHER,
            "{what}: {status}"
        );
        let html = r.text().await.expect("body");
        assert!(!html.contains("<script>"), "{what}");
    }
    // The 41-row form reads only the first 40 rows, and an exercise may hold 40 prompts.
    // Duplicate fields keep the first value; a body over the limit is refused politely.
    let r = b
        .post_with(
            "/library",
            &csrf,
            &[
                ("title", "First".into()),
                ("title", "Second".into()),
                ("stage", "admission".into()),
                ("recipient", "both".into()),
                ("instructions", "x".into()),
                ("p0.label", "Q".into()),
                ("p0.kind", "long_text".into()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post_with("/library", &csrf, &[("title", "y".repeat(300_000))])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Without a CSRF token nothing is saved.
    let r = b
        .post_with("/library", "forged", &exercise_form("Forged"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let titles: Vec<String> = exercise::Entity::find()
        .filter(exercise::Column::CounselorId.eq(c.id))
        .all(&app.db)
        .await
        .expect("mine")
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert!(titles.contains(&"First".to_owned()), "{titles:?}");
    assert!(!titles.iter().any(|t| t == "Forged" || t == "Second"));
}

async fn another_counselor_gets_404_on_every_library_route(app: TestApp) {
    let (owner, a) = app.signed_in_counselor("A", "a@practice.example").await;
    let r = a
        .submit(
            "/library/new",
            "/library",
            &exercise_form("Private exercise"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mine = exercise::Entity::find()
        .filter(exercise::Column::CounselorId.eq(owner.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("mine");
    let (_, b) = app.signed_in_counselor("B", "b@practice.example").await;
    let (_, html) = b.get_html("/library").await;
    assert!(!html.contains("Private exercise"), "not listed for others");
    let id = mine.id;
    for path in [format!("/library/{id}"), format!("/library/{id}/edit")] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), 404, "GET {path}");
        let body = r.text().await.expect("body");
        assert!(!body.contains("Private exercise") && !body.contains("What hurt most"));
    }
    let csrf = b.csrf("/library").await;
    let mut form = exercise_form("Taken over");
    form.push(("version", "1".into()));
    for path in [format!("/library/{id}/copy"), format!("/library/{id}/edit")] {
        let r = b.post_with(&path, &csrf, &form).await;
        assert_eq!(r.status(), 404, "POST {path}");
        let body = r.text().await.expect("body");
        assert!(!body.contains("Private exercise") && !body.contains("What hurt most"));
    }
    assert_eq!(
        exercise::Entity::find()
            .filter(exercise::Column::CopiedFromId.eq(id))
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
    let unchanged = exercise::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("still there");
    assert_eq!(unchanged.title, "Private exercise");
    // Signed out: sign-in first.
    let anon = Browser::new(&app);
    assert_eq!(anon.get("/library").await.status(), StatusCode::SEE_OTHER);
}
