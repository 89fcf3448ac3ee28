//! JSON request bodies: too large is 413, not JSON is 415, and a body of the wrong shape is a
//! 422 problem whose `errors` name the exact field (`partners[1].email`) and what was wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use kintsugi_core::FieldErrors;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, AppError};

#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The request body could not be read.".into())
            }
        })?;
        parse(&bytes).map(ApiJson).map_err(ApiError)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return not_json(&inner);
        }
        let message = describe(&inner);
        let mut errors = FieldErrors::new();
        // serde reports a missing field at its parent; name the field itself.
        match missing_field(&message) {
            Some(name) => errors.add(join(&path, name), "is required"),
            None => errors.add(if path == "." { "body".to_owned() } else { path }, message),
        }
        AppError::Invalid(errors)
    })?;
    // Anything after the JSON value (a second object, stray text) is not a valid body.
    de.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

fn not_json(e: &serde_json::Error) -> AppError {
    AppError::BadRequest(format!(
        "The body is not valid JSON (line {}, column {}).",
        e.line(),
        e.column()
    ))
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

fn join(path: &str, field: &str) -> String {
    if path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// serde's message without the position suffix, which only helps programmers.
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        label: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        n: u8,
    }

    #[test]
    fn names_the_field_that_was_wrong() {
        let AppError::Invalid(errors) =
            parse::<Body>(br#"{"label":"x","items":[{"n":1},{"n":"two"}]}"#).expect_err("bad")
        else {
            panic!("expected field errors")
        };
        let (field, message) = errors.iter().next().expect("one error");
        assert_eq!(field, "items[1].n");
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Body>(b"{nope"),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(matches!(
            parse::<Body>(br#"{"label":"x","items":[],"counselor_id":"y"}"#),
            Err(AppError::Invalid(_))
        ));
    }
}
