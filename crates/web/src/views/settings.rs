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
    /// Two-factor sign-in is on.
    pub totp_enabled: bool,
}

/// A secret waiting for its first code: the QR code and the same secret as text.
#[derive(Debug, Clone)]
pub struct PendingTotp {
    /// An `<svg>` element drawn by the server from the secret; no user text in it.
    pub qr_svg: String,
    /// The base32 secret in groups of four, for typing into an app by hand.
    pub secret: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_totp.html")]
pub struct TotpPage {
    pub chrome: Chrome,
    pub enabled: bool,
    /// The practice requires two-factor sign-in of this counselor.
    pub required: bool,
    pub pending: Option<PendingTotp>,
    /// Recovery codes just made: shown this once.
    pub recovery_codes: Vec<String>,
    pub recovery_left: u64,
    /// Why a code or password was refused, per field (`code`, `password`, `disable_code`).
    pub errors: super::Errors,
    pub notice: Option<String>,
}
