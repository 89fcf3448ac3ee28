//! HTTP clients for tests: a cookie-keeping browser that reads CSRF tokens from pages, and an
//! API client with a bearer token. Neither follows redirects, so tests see every 303.

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode, redirect};

use super::TestApp;

pub struct Browser {
    pub client: Client,
    pub base: String,
}

/// The value of the first field `name="{name}" value="..."` on a page (as escaped there).
pub fn value_of(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The first `name="csrf" value="..."` on a page.
pub fn csrf_from(html: &str) -> Option<String> {
    value_of(html, "csrf")
}

/// The value of a response header as text, empty when it is absent.
pub fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `Set-Cookie` header of a response that sets the cookie `name`, whole (attributes too).
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Where a redirect leads.
pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no location ({})", r.status()))
        .to_owned()
}

/// What askama's HTML escaper makes of a text.
pub fn escaped(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTTP client that follows no redirect (so tests see every 303), keeping cookies or not.
pub fn client(cookies: bool) -> Client {
    Client::builder()
        .cookie_store(cookies)
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: client(true),
            base: app.base.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// The CSRF token of the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let (status, html) = self.get_html(path).await;
        csrf_from(&html).unwrap_or_else(|| panic!("no CSRF token on {path} ({status})"))
    }

    /// Post a form with the given token.
    pub async fn post_with(&self, path: &str, csrf: &str, fields: &[(&str, String)]) -> Response {
        let mut body: Vec<(&str, String)> = vec![("csrf", csrf.to_owned())];
        body.extend(fields.iter().cloned());
        self.client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Post a form the way the page at `form_page` would (with its CSRF token).
    pub async fn submit(&self, form_page: &str, path: &str, fields: &[(&str, String)]) -> Response {
        let csrf = self.csrf(form_page).await;
        self.post_with(path, &csrf, fields).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        let r = self
            .submit(
                "/login",
                "/login",
                &[
                    ("email", email.to_owned()),
                    ("password", password.to_owned()),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in should redirect");
        r
    }

    pub async fn try_sign_in(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[
                ("email", email.to_owned()),
                ("password", password.to_owned()),
            ],
        )
        .await
    }
}

pub struct Api {
    pub client: Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(app: &TestApp, token: &str) -> Self {
        Self {
            client: client(false),
            base: app.base.clone(),
            token: token.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the token, for the test to add headers or a body of its own.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// Send `method path`, with `body` as JSON when there is one.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Response {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    /// The JSON of a GET (whatever its status).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.json().await.expect("json")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// A PUT with a JSON body (sent as bytes, as any client would).
    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.send_raw(
            Method::PUT,
            path,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        self.request(method, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }
}

/// The body of a problem-details response, checked to be one.
pub async fn problem(r: Response) -> serde_json::Value {
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "expected a problem detail"
    );
    r.json().await.expect("problem json")
}

/// The field names of a problem's `errors`.
pub fn problem_fields(p: &serde_json::Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A problem with this status, in the answer's status line and in its body.
pub async fn assert_problem(r: Response, status: StatusCode, what: &str) -> serde_json::Value {
    assert_eq!(r.status(), status, "{what}");
    let p = problem(r).await;
    assert_eq!(p["status"], status.as_u16(), "{what}: {p}");
    p
}

/// A 422 problem whose `errors` name `field`.
pub async fn assert_invalid(r: Response, field: &str, what: &str) -> serde_json::Value {
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, what).await;
    let fields = problem_fields(&p);
    assert!(
        fields.iter().any(|f| f == field),
        "{what}: expected an error for {field:?}, got {fields:?} in {p}"
    );
    p
}

/// A 422 problem that mentions `name` (as the field or in its message).
pub async fn assert_invalid_mentioning(r: Response, name: &str, what: &str) {
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let p = problem(r).await;
    let errors = p["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors.iter().any(|e| {
            e["field"].as_str().is_some_and(|f| f.contains(name))
                || e["message"].as_str().is_some_and(|m| m.contains(name))
        }),
        "{what}: no error mentions {name:?}: {p}"
    );
}
