//! Page templates (askama) and the view models they show. Templates never see entities: each
//! page gets plain values prepared for it.

pub mod admin;
pub mod couples;
pub mod dashboard;
pub mod homework;
pub mod homework_review;
pub mod library;
pub mod login;
pub mod outbox;
pub mod sessions;

pub mod settings;
pub mod stages;

use askama::Template;
use askama_web::WebTemplate;
use kintsugi_core::FieldErrors;

use crate::auth::SignedIn;

/// What every signed-in page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub counselor_name: String,
    pub is_admin: bool,
    pub csrf: String,
    pub section: &'static str,
}

impl Chrome {
    pub fn new(signed: &SignedIn, section: &'static str) -> Self {
        Self {
            counselor_name: signed.counselor.name.clone(),
            is_admin: signed.is_admin(),
            csrf: signed.csrf_token.clone(),
            section,
        }
    }
}

/// Field errors as a form shows them.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub FieldErrors);

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field)
    }
    /// The error of one partner's field, e.g. `partner("hurt", "email")`.
    pub fn partner(&self, role: &str, field: &str) -> Option<&str> {
        self.0.get(&format!("{role}.{field}"))
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    pub fn count(&self) -> usize {
        self.0.iter().count()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub detail: String,
    pub status: u16,
}

/// The tz database names, for the time-zone pickers.
pub fn time_zone_names() -> Vec<&'static str> {
    kintsugi_core::domain::TimeZone::all_names().collect()
}

pub use crate::time_format::date as format_date;
