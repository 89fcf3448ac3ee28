//! What most tests start from, made over HTTP the way an integration would: a counselor with
//! an API token, a couple, an exercise, an assignment, a session. The pieces compose, so a
//! test asks only for what it needs:
//!
//! ```ignore
//! let me = app.counselor_with_token("Counselor", "a@practice.example").await;
//! let couple = me.api.add_couple(&couple_json("Alex & Sam")).await;
//! ```

use kintsugi_core::entities::exercise;
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use super::TestApp;
use super::http::Api;

/// A counselor (role counselor) with an API token.
pub struct Counselor {
    pub id: Uuid,
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
        }
    }
}

/// The `id` of a created record's JSON.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

impl Api {
    /// Add a couple (`couple_json` or a body of the test's own) and return it as the API does.
    pub async fn add_couple(&self, body: &Value) -> Value {
        let r = self.post_json("/api/v1/couples", body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "couple created");
        r.json().await.expect("couple json")
    }
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
