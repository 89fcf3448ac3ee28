//! Answers for routes that do not exist and for handlers that panicked.

use std::any::Any;

use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, AppError};

pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError(AppError::NotFound).into_response()
    } else {
        AppError::NotFound.into_response()
    }
}

/// A generic 500 without internals; the panic message is logged (with the request id of the
/// surrounding span), never sent.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %message, "handler panicked");
    let mut response = AppError::Internal("panic".into()).into_response();
    response.headers_mut().remove(header::SET_COOKIE);
    response
}
