use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: String,
    pub kind: &'static str,
    pub recipient: String,
    pub created: String,
    pub status: kintsugi_core::reminders::outbox::OutboxStatus,
    pub sent: Option<String>,
    pub next_try: Option<String>,
    pub goes_out: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub failed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    pub chrome: Chrome,
    pub rows: Vec<OutboxRow>,
}
