//! The one error type of the core crate.
//!
//! Policy: services return precise variants (`NotFound`, `Invalid`, `Conflict`); anything the
//! caller cannot act on is `Db` or `Internal`, which the web crate logs in full and answers with
//! an opaque 500 (or 503 when the database is unreachable).

use sea_orm::DbErr;

/// Validation failures keyed by field name, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    /// Parse one field: keep the value, or record why it was refused.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    /// The first message for a field, for showing beside it on a form.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn into_result<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, CoreError> {
        if self.is_empty() {
            value().ok_or_else(|| CoreError::Internal("a parsed field was missing".into()))
        } else {
            Err(CoreError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The record does not exist, or the actor may not know that it does.
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The change clashes with the record's current state (a stale version, a signed note).
    #[error("{0}")]
    Conflict(String),
    /// A rule of the recovery model forbids the action; `blocking` names what stands in the
    /// way (marker or stage keys).
    #[error("{message}")]
    Refused {
        message: String,
        blocking: Vec<String>,
    },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::Invalid(errors)
    }

    /// True when the database could not be reached at all (the caller answers 503).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            CoreError::Db(DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
        )
    }
}

/// Whether a database error is a unique-constraint violation (both backends).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
