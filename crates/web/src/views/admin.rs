use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, Errors};

#[derive(Debug, Clone)]
pub struct CounselorRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
    pub is_self: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewCounselorValues {
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub password: String,
    pub admin: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/counselors.html")]
pub struct CounselorsPage {
    pub chrome: Chrome,
    pub counselors: Vec<CounselorRow>,
    pub values: NewCounselorValues,
    pub errors: Errors,
    pub notice: Option<String>,
    pub time_zones: Vec<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/practice.html")]
pub struct PracticePage {
    pub chrome: Chrome,
    pub values: kintsugi_core::practice::settings::PracticeInput,
    pub errors: Errors,
    pub notice: Option<String>,
    pub time_zones: Vec<&'static str>,
}

/// One audit event as the admin page shows it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub record: String,
    pub ip: String,
    pub detail: String,
}

/// The audit filters as typed (kept in the form and in the export link).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditParams {
    pub counselor: String,
    pub action: String,
    pub kind: String,
    pub record: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub params: AuditParams,
    pub errors: Errors,
    /// (id, name) of every counselor, for the filter.
    pub counselors: Vec<(String, String)>,
    pub actions: Vec<String>,
    pub kinds: Vec<String>,
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub last_page: u64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub export_url: String,
    pub time_zone: &'static str,
}
