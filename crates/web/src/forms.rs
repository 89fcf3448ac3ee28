//! Reading `application/x-www-form-urlencoded` bodies. Form structs hold plain strings with
//! defaults, so a missing or odd field never fails here: it is parsed into a domain type by
//! the handler, and the form is shown again with its errors and what was typed.

use serde::de::DeserializeOwned;

use crate::error::AppError;

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| {
        AppError::BadRequest("The form could not be read. Go back and try again.".into())
    })
}

/// One field of an encoded form, if present.
pub fn field(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// HTML checkboxes send a value only when ticked.
pub fn checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| matches!(v, "on" | "true" | "1" | "yes"))
}
