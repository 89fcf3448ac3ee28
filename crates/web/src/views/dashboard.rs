use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;

#[derive(Debug, Clone)]
pub struct CaseloadRowView {
    pub id: String,
    pub label: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub stage_number: u8,
    pub stage_name: &'static str,
    pub intake: String,
    /// Submissions of this couple waiting for review.
    pub to_review: u64,
    /// When the next scheduled session starts, in the counselor's zone.
    pub next_session: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A stage with how many of the caseload's couples are in it, as a filter link.
#[derive(Debug, Clone)]
pub struct StageChip {
    pub key: &'static str,
    pub label: String,
    pub count: u64,
    pub selected: bool,
    pub url: String,
}

/// Today's sessions the dashboard lists before offering the rest: more than a counselor holds
/// in a day, so the whole day shows in practice, while a caseload of hundreds (a group
/// practice's generated load test has 125 in a day) does not make every view read them all.
pub const TODAY_SHOWN: usize = 20;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    /// Across the caseload: submitted, not yet reviewed.
    pub homework_to_review: u64,
    /// Across the caseload: due time passed, not submitted.
    pub homework_overdue: u64,
    /// Emails that could not be sent after every retry.
    pub failed_emails: u64,
    pub rows: Vec<CaseloadRowView>,
    /// The counselor's sessions today, earliest first (the first [`TODAY_SHOWN`] unless all
    /// were asked for).
    pub today_sessions: Vec<super::sessions::SessionRow>,
    /// Today has more sessions than are shown; the page offers them all.
    pub today_more: bool,

    pub search: String,
    pub statuses: Vec<Choice>,
    pub stage_chips: Vec<StageChip>,
    /// The stage filter in force, kept in the search form.
    pub stage_key: &'static str,
    pub sorts: Vec<Choice>,
    pub total: u64,
    pub page: u64,
    pub last_page: u64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub filtered: bool,
}
