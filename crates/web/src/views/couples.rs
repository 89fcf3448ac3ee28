use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, Errors};

/// A couple form as typed: every field a string, so what was typed is shown again as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CoupleFormValues {
    pub label: String,
    pub open_agreement: Option<String>,
    pub intake_date: String,
    pub disclosure_date: String,
    #[serde(rename = "involved.name")]
    pub involved_name: String,
    #[serde(rename = "involved.email")]
    pub involved_email: String,
    #[serde(rename = "involved.timezone")]
    pub involved_timezone: String,
    #[serde(rename = "hurt.name")]
    pub hurt_name: String,
    #[serde(rename = "hurt.email")]
    pub hurt_email: String,
    #[serde(rename = "hurt.timezone")]
    pub hurt_timezone: String,
    pub version: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "couples/form.html")]
pub struct CoupleFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_url: String,
    pub values: CoupleFormValues,
    pub open_agreement: bool,
    pub errors: Errors,
    pub conflict: Option<String>,
    pub time_zones: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct PartnerView {
    pub role_label: &'static str,
    pub name: String,
    pub email: String,
    pub timezone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "couples/show.html")]
pub struct CouplePage {
    pub chrome: Chrome,
    pub id: String,
    pub label: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub open_agreement: bool,
    pub intake: String,
    pub disclosure: Option<String>,
    pub partners: Vec<PartnerView>,
    pub tracker: super::stages::TrackerView,
    /// (status key, button label) for the status changes offered.
    pub status_actions: Vec<(&'static str, &'static str)>,
    pub notice: Option<String>,
    /// Why the last action was refused, in words.
    pub alert: Option<String>,
    pub homework: super::homework_review::CoupleHomework,
    pub sessions: super::sessions::CoupleSessions,
}
