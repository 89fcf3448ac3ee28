//! Where messages go: an SMTP server from `KINTSUGI_SMTP_URL`, or `.eml` files.

use std::path::PathBuf;
use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::Config;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(_, dir) => write!(f, "Transport::Files({})", dir.display()),
        }
    }
}

/// Default folder for `.eml` files when no SMTP server is configured.
pub const OUTBOX_DIR: &str = "data/outbox";

impl Transport {
    /// From configuration; a bad SMTP URL is one clear line naming the variable.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match &config.smtp_url {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| {
                    format!("configuration error: KINTSUGI_SMTP_URL cannot be used: {e}")
                })?;
                Ok(Transport::Smtp(
                    builder.timeout(Some(Duration::from_secs(20))).build(),
                ))
            }
            None => Ok(Transport::files(PathBuf::from(OUTBOX_DIR))),
        }
    }

    pub fn files(dir: PathBuf) -> Self {
        Transport::Files(AsyncFileTransport::new(&dir), dir)
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Transport::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| crate::error::error_chain(&e)),
            Transport::Files(t, dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                t.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| crate::error::error_chain(&e))
            }
        }
    }
}
