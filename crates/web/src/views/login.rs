use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The second step of signing in: a code from the app, or a recovery code.
#[derive(Template, WebTemplate)]
#[template(path = "login_totp.html")]
pub struct TotpLoginPage {
    pub csrf: String,
    pub error: Option<String>,
}
