//! What most tests start from: a counselor with an API token, their couples (through the API
//! or the couple form), sessions, homework and partners' answers. Records a person could make
//! are made over HTTP, as an integration or the pages would; homework with any due time and
//! partners' answers go through the core, as the pages behind a link do. The pieces compose,
//! so a test asks only for what it needs:
//!
//! ```ignore
//! let me = app.counselor_with_token("Counselor", "a@practice.example").await;
//! let couple = me.api.add_couple(&couple_json("Alex & Sam")).await;
//! let session = me.api.schedule(&id_of(&couple), -1).await;
//! let new = homework(exercise, &PartnerRole::BOTH, local("2030-03-01 19:00"), "UTC", shareable);
//! let assignment = assign_in_core(&app, me.id, uuid_at(&couple, "/id"), new).await;
//! ```

use chrono::{Duration, NaiveDateTime, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::{exercise, partner, response};
use kintsugi_core::homework::Visibility;
use kintsugi_core::homework::assignments::{self, NewAssignment};
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::homework::links;
use kintsugi_core::homework::prompts::RawAnswer;
use kintsugi_core::homework::responses;
use kintsugi_core::practice::{Role, settings};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::http::{Api, location};
use super::{Browser, TestApp, couple_form, couple_json};

/// A counselor (role counselor) with an API token.
pub struct Counselor {
    pub id: Uuid,
    pub token: String,
    pub api: Api,
}

impl TestApp {
    /// A new counselor with an API token (password `support::PASSWORD`).
    pub async fn counselor_with_token(&self, name: &str, email: &str) -> Counselor {
        let c = self.counselor(name, email, Role::Counselor).await;
        let token = self.api_token(c.id).await;
        Counselor {
            id: c.id,
            api: self.api(&token),
            token,
        }
    }
}

/// The `id` of a created record's JSON.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// The id at a JSON pointer (`/id`, `/partners/1/id`), as a UUID.
pub fn uuid_at(v: &Value, pointer: &str) -> Uuid {
    Uuid::parse_str(
        v.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} in {v}")),
    )
    .expect("uuid")
}

impl Api {
    /// Add a couple (`couple_json` or a body of the test's own) and return it as the API does.
    pub async fn add_couple(&self, body: &Value) -> Value {
        let r = self.post_json("/api/v1/couples", body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "couple created");
        r.json().await.expect("couple json")
    }

    /// Schedule a 50-minute office session `days` from now (negative: in the past); its JSON.
    pub async fn schedule(&self, couple: &str, days: i64) -> Value {
        let starts = (Utc::now() + Duration::days(days)).to_rfc3339();
        let r = self
            .post_json(
                &format!("/api/v1/couples/{couple}/sessions"),
                &json!({"starts_at": starts, "duration_minutes": 50, "location": "office", "location_detail": "Room 2"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "scheduled");
        r.json().await.expect("json")
    }
}

impl Browser {
    /// Add a couple ([`couple_form`]) through the page, as the signed-in counselor would; its
    /// page (`/couples/{id}`) and id.
    pub async fn add_couple(&self, label: &str) -> (String, Uuid) {
        let r = self
            .submit("/couples/new", "/couples", &couple_form(label))
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "couple added");
        let page = location(&r);
        let id = Uuid::parse_str(page.trim_start_matches("/couples/")).expect("uuid");
        (page, id)
    }
}

/// The practice settings form as it stands, with `field` set to `value`.
pub async fn practice_form_with(
    app: &TestApp,
    field: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let current = settings::ensure(&app.db, app.clock.as_ref())
        .await
        .expect("practice");
    let mut fields = settings::PracticeInput::from_model(&current).into_pairs();
    for f in fields.iter_mut() {
        if f.0 == field {
            f.1 = value.into();
        }
    }
    fields
}

/// The six recovery stages' keys, in order, as the API names them.
pub const STAGES: [&str; 6] = [
    "admission",
    "validation",
    "openness",
    "before_the_affair",
    "current_struggles",
    "shared_responsibility",
];

/// A couple's progress through the stages, as the API gives it.
pub async fn progress(api: &Api, couple: &str) -> Value {
    let r = api.get(&format!("/api/v1/couples/{couple}/progress")).await;
    assert_eq!(r.status(), StatusCode::OK, "progress");
    r.json().await.expect("progress json")
}

/// The applicable markers of a stage from a progress document.
pub fn markers_of(progress: &Value, stage: &str) -> Vec<String> {
    progress["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["key"] == stage)
        .expect("stage")["markers"]
        .as_array()
        .expect("markers")
        .iter()
        .filter(|m| m["applies"] == true)
        .map(|m| m["key"].as_str().expect("key").to_owned())
        .collect()
}

/// A live homework link's secret for `partner`, minted as sending a link does (90 days).
pub async fn mint_link(app: &TestApp, partner: Uuid) -> String {
    links::mint(&app.db, app.clock.as_ref(), partner, Duration::days(90))
        .await
        .expect("mint")
        .expose()
        .to_owned()
}

/// A browser that opened `partner`'s homework link, as the partner does.
pub async fn partner_browser(app: &TestApp, partner: Uuid) -> Browser {
    let b = Browser::new(app);
    let r = b
        .get(&format!("/h/{}", mint_link(app, partner).await))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the link opens");
    b
}

/// The id of `partner`'s response to `assignment`.
pub async fn response_id(app: &TestApp, assignment: Uuid, partner: Uuid) -> Uuid {
    response::Entity::find()
        .filter(response::Column::AssignmentId.eq(assignment))
        .filter(response::Column::PartnerId.eq(partner))
        .one(&app.db)
        .await
        .expect("query")
        .expect("response")
        .id
}

/// A local date and time, `2030-03-01 19:00`.
pub fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("local time")
}

/// Homework given once: `exercise` for the partners `to`, due at the local time `due` in
/// `zone`.
pub fn homework(
    exercise: Uuid,
    to: &[PartnerRole],
    due: NaiveDateTime,
    zone: &str,
    visibility: Visibility,
) -> NewAssignment {
    NewAssignment {
        exercise_id: exercise,
        assignees: to.to_vec(),
        due_local: due,
        time_zone: TimeZone::parse(zone).expect("tz"),
        visibility,
        recurrence: None,
    }
}

/// Assign through the core, as the system, on the app's clock (any due time, also one the
/// pages would refuse); the id of the first assignment made.
pub async fn assign_in_core(
    app: &TestApp,
    counselor: Uuid,
    couple: Uuid,
    new: NewAssignment,
) -> Uuid {
    assignments::assign(
        &app.db,
        app.clock.as_ref(),
        &Actor::system(),
        counselor,
        couple,
        new,
    )
    .await
    .expect("assign")[0]
}

/// `partner` submits answers to their response through the core, as the client pages do; the
/// response is then done.
pub async fn submit_in_core(
    app: &TestApp,
    partner: &partner::Model,
    response: Uuid,
    answers: &[(String, RawAnswer)],
    share: bool,
) {
    let saved = responses::submit(
        &app.db,
        app.clock.as_ref(),
        partner,
        response,
        answers,
        share,
        None,
    )
    .await
    .expect("submit");
    assert_eq!(saved, responses::Saved::Done);
}

/// Answers given as text, one per prompt key.
pub fn text_answers(answers: &[(&str, &str)]) -> Vec<(String, RawAnswer)> {
    answers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), RawAnswer::text(*v)))
        .collect()
}

/// A busy practice: a new counselor ("Busy") adds `couples` couples through the API and gives
/// each the built-in feelings check-in for both partners (shareable, due 1 January 2030, 09:00
/// UTC). For every partner: their id and the id of their response, waiting to be submitted.
pub async fn busy_practice(app: &TestApp, couples: usize) -> Vec<(Uuid, Uuid)> {
    let c = app
        .counselor_with_token("Busy", "busy@practice.example")
        .await;
    let exercise_id = builtin_exercise(app, c.id, "feelings_checkin").await.id;
    let mut work = Vec::new();
    for i in 0..couples {
        let created = c.api.add_couple(&couple_json(&format!("Couple {i}"))).await;
        let new = homework(
            exercise_id,
            &PartnerRole::BOTH,
            local("2030-01-01 09:00"),
            "UTC",
            Visibility::Shareable,
        );
        let a = assign_in_core(app, c.id, uuid_at(&created, "/id"), new).await;
        for p in created["partners"].as_array().expect("partners") {
            let pid = uuid_at(p, "/id");
            work.push((pid, response_id(app, a, pid).await));
        }
    }
    work
}

/// A built-in exercise of the library, by its key (`connection_checkin`, `caring_letter`...).
pub async fn builtin_exercise(app: &TestApp, counselor: Uuid, key: &str) -> exercise::Model {
    library::list(&app.db, counselor, LibraryFilter::default())
        .await
        .expect("library")
        .into_iter()
        .find(|e| e.model.builtin_key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("no built-in {key}"))
        .model
}
