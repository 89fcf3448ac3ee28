//! The two cookies a counselor's browser holds: the session and, before sign-in, a CSRF token
//! for the sign-in form. With secure cookies on, both carry the `__Host-` prefix, which
//! browsers only accept over HTTPS, for the whole site, from this host.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

pub struct CookieNames {
    pub session: &'static str,
    pub login_csrf: &'static str,
}

pub fn names(secure: bool) -> CookieNames {
    if secure {
        CookieNames {
            session: "__Host-kintsugi_session",
            login_csrf: "__Host-kintsugi_csrf",
        }
    } else {
        CookieNames {
            session: "kintsugi_session",
            login_csrf: "kintsugi_csrf",
        }
    }
}

/// The value of a cookie the browser sent.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site; Secure when configured.
pub fn set(name: &str, value: &str, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((name.to_owned(), String::new()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}
