//! Sessions and notes through the API: a counselor with a couple, as most session tests start,
//! scheduling, the note (save, sign, addenda) and reading the session back.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub use super::fixture::id_of;
use super::http::Api;
use super::{PASSWORD, TestApp, couple_json};
pub use super::{RENEE, ZOE};

/// The counselor of [`me`].
pub const COUNSELOR: &str = "Øystein Åberg";

/// A counselor with an API token and one couple.
pub struct Me {
    pub id: Uuid,
    pub api: Api,
    pub couple: String,
}

/// [`COUNSELOR`] with an API token and the couple `label` (partners [`ZOE`] and [`RENEE`]).
pub async fn me(app: &TestApp, email: &str, label: &str) -> Me {
    let c = app.counselor_with_token(COUNSELOR, email).await;
    let couple = id_of(&c.api.add_couple(&couple_json(label)).await);
    Me {
        id: c.id,
        api: c.api,
        couple,
    }
}

/// Schedule a session `days` from now (negative: in the past); returns its JSON.
pub async fn schedule(me: &Me, days: i64) -> Value {
    me.api.schedule(&me.couple, days).await
}

pub async fn save_note(api: &Api, session: &str, body: &Value) -> Response {
    api.put_json(&format!("/api/v1/sessions/{session}/note"), body)
        .await
}

pub async fn sign(api: &Api, session: &str) -> Response {
    api.post_json(
        &format!("/api/v1/sessions/{session}/note/sign"),
        &json!({"password": PASSWORD}),
    )
    .await
}

pub async fn add_addendum(api: &Api, session: &str, text: &str) -> Response {
    api.post_json(
        &format!("/api/v1/sessions/{session}/note/addenda"),
        &json!({ "text": text }),
    )
    .await
}

pub async fn read(api: &Api, session: &str) -> Value {
    let r = api.get(&format!("/api/v1/sessions/{session}")).await;
    assert_eq!(r.status(), StatusCode::OK, "read session");
    r.json().await.expect("json")
}
