use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub email: String,
    pub role: &'static str,
    pub timezone: String,
    /// A token just created: shown this once.
    pub new_token: Option<String>,
    /// Why the password was not changed, per field (never the passwords themselves).
    pub password_errors: super::Errors,
    pub notice: Option<String>,
}
