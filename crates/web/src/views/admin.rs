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
