//! Refuse state-changing requests that a browser marks as coming from another site
//! (`Sec-Fetch-Site`), or whose `Origin` is not this server. The JSON API is exempt: it takes
//! no cookies, only bearer tokens, so another site cannot ride on a counselor's session.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/") || is_same_origin(&req) {
        return next.run(req).await;
    }
    AppError::Forbidden("Requests from other sites are refused.").into_response()
}

fn is_same_origin(req: &Request) -> bool {
    let headers = req.headers();
    // Browsers that send Fetch Metadata say exactly where a request comes from; trust it over
    // Origin, which is "null" on pages with Referrer-Policy: no-referrer (the homework pages).
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every POST; tools without it still need a CSRF token.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or_default();
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}
