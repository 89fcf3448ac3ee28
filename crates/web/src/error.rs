//! The web crate's one error type, and the one place where errors become responses: an HTML
//! page for browsers, an RFC 9457 problem detail for the JSON API.
//!
//! Policy: expected outcomes (not found, invalid input, conflicts, throttling) carry words
//! for the user. Anything else is logged here with its full cause chain and answered with an
//! opaque 500, or 503 with `Retry-After` when the database cannot be reached. Neither body
//! ever contains internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::{CoreError, FieldErrors};
use serde::Serialize;

use crate::views::ErrorPage;

#[derive(Debug)]
pub enum AppError {
    /// Missing, or not this actor's to know about: always 404, never 403.
    NotFound,
    Invalid(FieldErrors),
    Conflict(String),
    /// A rule of the recovery model forbids the action (409), naming what blocks it.
    Refused {
        message: String,
        blocking: Vec<String>,
    },
    /// No valid session or token.
    Unauthorized,
    /// Signed in, but the practice requires two-factor sign-in and it is not set up yet: pages
    /// send the counselor to the enrolment page until it is.
    MustEnrolTotp,
    /// A state-changing request without a valid CSRF token or from another site.
    Forbidden(&'static str),
    TooManyRequests {
        retry_after_secs: u64,
    },
    PayloadTooLarge,
    /// The body is not in a format this route reads (the API takes JSON only).
    UnsupportedMediaType,
    BadRequest(String),
    Unavailable,
    Internal(String),
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = %error_chain(&e), "database unavailable");
            return AppError::Unavailable;
        }
        match e {
            CoreError::NotFound => AppError::NotFound,
            CoreError::Invalid(errors) => AppError::Invalid(errors),
            CoreError::Conflict(message) => AppError::Conflict(message),
            CoreError::Refused { message, blocking } => AppError::Refused { message, blocking },
            other => AppError::Internal(error_chain(&other)),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        CoreError::from(e).into()
    }
}

/// The error and each of its causes, on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) | AppError::Refused { .. } => StatusCode::CONFLICT,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::MustEnrolTotp => StatusCode::FORBIDDEN,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::NotFound => "Not found",
            AppError::Invalid(_) => "Some details need attention",
            AppError::Conflict(_) => "This changed in the meantime",
            AppError::Refused { .. } => "Not possible yet",
            AppError::Unauthorized => "Please sign in",
            AppError::Forbidden(_) => "This request was refused",
            AppError::MustEnrolTotp => "Two-factor sign-in comes first",
            AppError::TooManyRequests { .. } => "Too many attempts",
            AppError::PayloadTooLarge => "Too much at once",
            AppError::UnsupportedMediaType => "Send JSON",
            AppError::BadRequest(_) => "This request could not be read",
            AppError::Unavailable => "Temporarily unavailable",
            AppError::Internal(_) => "Something went wrong on our side",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::NotFound => "There is nothing here, or it is not yours to see.".into(),
            AppError::Invalid(_) => "Please correct the fields listed and try again.".into(),
            AppError::Conflict(message) | AppError::Refused { message, .. } => message.clone(),
            AppError::Unauthorized => "Sign in, or send a valid API token.".into(),
            AppError::Forbidden(why) => (*why).into(),
            AppError::MustEnrolTotp => "Your practice asks you to set up two-factor sign-in before anything else: Settings, Two-factor sign-in.".into(),
            AppError::TooManyRequests { retry_after_secs } => {
                format!("Please wait {} and try again.", wait_in_words(*retry_after_secs))
            }
            AppError::PayloadTooLarge => "The request is larger than this server accepts (256 kB).".into(),
            AppError::UnsupportedMediaType => "Send the body as JSON with Content-Type: application/json.".into(),
            AppError::BadRequest(why) => why.clone(),
            AppError::Unavailable => "The database cannot be reached right now. Please try again in a moment.".into(),
            AppError::Internal(_) => "The problem has been logged. Please try again; if it keeps happening, tell your practice admin.".into(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = %cause, "request failed");
        }
    }

    fn extra_headers(&self, response: &mut Response) {
        let retry = match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable => Some(5),
            _ => None,
        };
        if let Some(secs) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

/// "2 minutes", "40 seconds": for people, not machines.
pub fn wait_in_words(secs: u64) -> String {
    match secs {
        0..=1 => "a second".into(),
        2..=59 => format!("{secs} seconds"),
        60..=119 => "a minute".into(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// Pages: a calm HTML page; an expired session goes back to sign-in.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        if matches!(self, AppError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        if matches!(self, AppError::MustEnrolTotp) {
            return Redirect::to(crate::auth::totp::ENROL_PATH).into_response();
        }
        let status = self.status();
        let page = ErrorPage {
            title: self.title(),
            detail: self.detail(),
            status: status.as_u16(),
        };
        let mut response = (status, page).into_response();
        self.extra_headers(&mut response);
        response
    }
}

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Anything that becomes an [`AppError`] (a `CoreError`, a `DbErr`, an `AppError` itself)
/// becomes an `ApiError` too, so API handlers use `?` on them directly.
impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, in the request's own terms (`label`, `partners[1].email`).
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a refused stage action: the keys of the markers or stages that stand in the way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking: Vec<String>,
}

impl Problem {
    pub fn from_error(e: &AppError) -> Self {
        let errors = match e {
            AppError::Invalid(fields) => fields
                .iter()
                .map(|(field, message)| FieldError {
                    field: field.to_owned(),
                    message: message.to_owned(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let status = e.status();
        let blocking = match e {
            AppError::Refused { blocking, .. } => blocking.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: "about:blank".into(),
            title: e.title().into(),
            status: status.as_u16(),
            detail: e.detail(),
            errors,
            blocking,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = serde_json::to_vec(&Problem::from_error(&self.0)).unwrap_or_default();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response();
        if matches!(self.0, AppError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        self.0.extra_headers(&mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_pinned() {
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Invalid(FieldErrors::new()).status(), 422);
        assert_eq!(AppError::Conflict(String::new()).status(), 409);
        assert_eq!(AppError::Forbidden("x").status(), 403);
        assert_eq!(
            AppError::TooManyRequests {
                retry_after_secs: 1
            }
            .status(),
            429
        );
        assert_eq!(AppError::PayloadTooLarge.status(), 413);
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Internal("secret detail".into()).status(), 500);
    }

    #[test]
    fn core_errors_reach_api_answers_through_question_marks() {
        fn handler(e: CoreError) -> Result<(), ApiError> {
            Err(e)?
        }
        let status = |e| handler(e).expect_err("refused").0.status();
        assert_eq!(status(CoreError::NotFound), 404);
        assert_eq!(status(CoreError::Conflict("stale".into())), 409);
        assert_eq!(status(CoreError::invalid("label", "is required")), 422);
    }

    #[test]
    fn internal_details_never_reach_the_body() {
        let p = Problem::from_error(&AppError::Internal("constraint note_secret failed".into()));
        let json = serde_json::to_string(&p).expect("json");
        assert!(!json.contains("note_secret"));
    }

    #[test]
    fn waits_are_in_words() {
        assert_eq!(wait_in_words(30), "30 seconds");
        assert_eq!(wait_in_words(61), "a minute");
        assert_eq!(wait_in_words(170), "3 minutes");
    }
}
