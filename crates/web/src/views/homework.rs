//! The client pages' view models: phone-first, in the partner's own time zone, nothing about
//! the couple beyond the partner's own work and what was shared with them.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kintsugi_core::domain::TimeZone;

/// "Tue 3 Mar, 19:00" in the partner's zone.
pub fn local_time(at: DateTime<Utc>, tz: TimeZone) -> String {
    crate::time_format::short_without_year(at, tz)
}

/// The page for a link or session that does not open: the same kind words whatever the
/// reason, so the page never tells whether a link existed.
#[derive(Template, WebTemplate)]
#[template(path = "homework/closed.html")]
pub struct ClosedPage {
    pub heading: &'static str,
    pub message: String,
}

impl ClosedPage {
    pub fn link_closed() -> Response {
        let page = ClosedPage {
            heading: "This link is no longer open",
            message: "Links stay open for a while and then close, to keep your answers private. Please ask your counselor to send you a new one.".into(),
        };
        (StatusCode::NOT_FOUND, page).into_response()
    }

    pub fn session_ended() -> Response {
        let page = ClosedPage {
            heading: "Please open your link again",
            message: "For your privacy this page closes after a while without use. Open the link from your counselor's email again to continue; anything you saved is still there.".into(),
        };
        (StatusCode::UNAUTHORIZED, page).into_response()
    }

    pub fn paused(until: DateTime<Utc>, tz: TimeZone) -> Response {
        let page = ClosedPage {
            heading: "This link is resting for a few minutes",
            message: format!(
                "After several PINs that did not match, the link pauses to keep your answers safe. You can try again after {}. If you have forgotten your PIN, your counselor can help.",
                local_time(until, tz)
            ),
        };
        (StatusCode::TOO_MANY_REQUESTS, page).into_response()
    }
}

#[derive(Debug, Clone)]
pub struct HomeworkItem {
    pub response_id: String,
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub has_comment: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "homework/home.html")]
pub struct HomePage {
    pub name: String,
    pub csrf: String,
    pub open: Vec<HomeworkItem>,
    /// The latest done, newest first.
    pub done: Vec<HomeworkItem>,
    /// More is done than is listed.
    pub done_more: bool,
    pub shared: Vec<HomeworkItem>,
    pub time_zone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "homework/pin.html")]
pub struct PinPage {
    pub csrf: String,
    /// First visit: choose a PIN; later visits: enter it.
    pub setting: bool,
    pub error: Option<String>,
}

/// One prompt on the answer form, with what was typed (or saved) and any problem.
#[derive(Debug, Clone)]
pub struct PromptField {
    pub key: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    /// Text or the chosen number/choice.
    pub value: String,
    /// Chosen checklist items.
    pub chosen: Vec<String>,
    pub options: Vec<String>,
    pub low_label: String,
    pub high_label: String,
    pub error: Option<String>,
}

impl PromptField {
    pub fn is_chosen(&self, option: &str) -> bool {
        self.chosen.iter().any(|c| c == option)
    }
    /// The 0 to 10 scale points, as strings for the radio buttons.
    pub fn scale_points(&self) -> Vec<String> {
        (0..=10).map(|n| n.to_string()).collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "homework/answer.html")]
pub struct AnswerPage {
    pub csrf: String,
    pub response_id: String,
    pub title: String,
    pub instructions: String,
    pub due: String,
    pub fields: Vec<PromptField>,
    pub shareable: bool,
    pub share: bool,
    pub idempotency_key: String,
    pub notice: Option<String>,
    pub problems: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "homework/view.html")]
pub struct ViewPage {
    pub title: String,
    /// Whose words: "Your answers" or "Shared by your partner".
    pub whose: &'static str,
    pub submitted: String,
    pub fields: Vec<PromptField>,
    pub comment: Option<String>,
    pub shared_note: Option<&'static str>,
    pub notice: Option<String>,
}

impl ClosedPage {
    /// Homework that is not this partner's (or does not exist): the same words either way.
    pub fn not_found() -> Response {
        let page = ClosedPage {
            heading: "This page is not available",
            message: "It may have been withdrawn by your counselor. Your homework list has everything that is open for you.".into(),
        };
        (StatusCode::NOT_FOUND, page).into_response()
    }
}
