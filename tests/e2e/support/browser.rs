//! Real Chromium, driven over WebDriver (chromedriver from Debian's `chromium-driver`), and the
//! small steps the browser journeys are made of: wait for, type into, click, read.

use std::future::Future;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};

use super::{PASSWORD, free_port};

/// A desktop window and a phone's, in CSS pixels.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

pub struct Chrome {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Start chromedriver on a free port and open a headless Chromium window of this size.
    pub async fn start(width: u32, height: u32) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver must be installed (Debian package chromium-driver; the README test command installs it)");
        let profile = tempfile::tempdir().expect("profile dir");
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }))
        .expect("caps");
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Chrome {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(e) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start Chromium through chromedriver: {last_error}");
    }

    /// Start Chromium in a window of `size` and run `journey` with it on its own task, so that
    /// Chromium is closed even when a step fails; a failed step's panic is then raised here.
    pub async fn run<F, Fut>(size: (u32, u32), journey: F)
    where
        F: FnOnce(Arc<Chrome>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let chrome = Arc::new(Chrome::start(size.0, size.1).await);
        let outcome = tokio::spawn(journey(chrome.clone())).await;
        if let Ok(chrome) = Arc::try_unwrap(chrome) {
            chrome.close().await;
        }
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    /// Save a screenshot under `target/screenshots/<name>.png` for people to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Steps of a journey.

/// Sign in on `/login` by typing, as a person would, and wait for the caseload.
pub async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.expect("open /login");
    wait_for(c, "#email").await;
    fill(c, "email", email).await;
    fill(c, "password", PASSWORD).await;
    click_button(c, "Sign in").await;
    wait_for(c, "form.filters").await;
}

pub async fn wait_for(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
}

pub async fn field(c: &Client, id: &str) -> Element {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("field #{id}: {e}"))
}

/// Clear a field and type into it.
pub async fn fill(c: &Client, id: &str, typed: &str) {
    let input = field(c, id).await;
    input.clear().await.expect("clear");
    input.send_keys(typed).await.expect("type");
    assert_eq!(value(c, id).await, typed, "typed into #{id}");
}

/// Date inputs take typed digits in the order of the browser's locale; set the value instead.
pub async fn set_date(c: &Client, id: &str, date: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1]",
        vec![json!(id), json!(date)],
    )
    .await
    .expect("set date");
    assert_eq!(value(c, id).await, date);
}

pub async fn value(c: &Client, id: &str) -> String {
    field(c, id)
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

pub async fn click_button(c: &Client, label: &str) {
    c.find(Locator::XPath(&format!(
        "//button[normalize-space()='{label}']"
    )))
    .await
    .unwrap_or_else(|e| panic!("button {label}: {e}"))
    .click()
    .await
    .expect("click");
}

pub async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

pub async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.expect("find") {
        out.push(e.text().await.expect("text"));
    }
    out
}

pub async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.expect("find").len()
}

pub async fn heading(c: &Client) -> String {
    text(c, "h1").await
}

pub async fn path(c: &Client) -> String {
    c.current_url().await.expect("url").path().to_owned()
}

/// The stylesheet loaded and is allowed by the Content-Security-Policy: the page background
/// is the stylesheet's paper colour, not the browser's white.
pub async fn assert_stylesheet_applies(c: &Client) {
    let bg = c
        .execute(
            "return getComputedStyle(document.documentElement).backgroundColor",
            vec![],
        )
        .await
        .expect("style");
    assert_eq!(bg, json!("rgb(251, 250, 247)"), "kintsugi.css is applied");
}

/// Nothing sticks out sideways: no horizontal scrolling.
pub async fn assert_fits_width(c: &Client, what: &str) {
    let sizes = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
            vec![],
        )
        .await
        .expect("sizes");
    let (scroll, client) = (sizes[0].as_u64(), sizes[1].as_u64());
    assert!(
        scroll.is_some() && scroll <= client,
        "{what} scrolls sideways: content {scroll:?}px wide in a {client:?}px window"
    );
}
