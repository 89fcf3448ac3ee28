//! Where messages go: an SMTP server from `KINTSUGI_SMTP_URL`, or `.eml` files.
//!
//! - `smtps://host[:465]`: implicit TLS.
//! - `smtp://host[:587]`: STARTTLS, required: a server that does not offer it gets neither the
//!   credentials nor any mail.
//! - `smtp://host[:25]?tls=none`: unencrypted, only for a server on this machine.
//!
//! Credentials come from the URL (`smtps://user:pass@host`) or from `KINTSUGI_SMTP_USERNAME`
//! and `KINTSUGI_SMTP_PASSWORD`; every SMTP command times out after `KINTSUGI_SMTP_TIMEOUT`
//! seconds (default 20). Connections are pooled and reused between messages.

use std::path::PathBuf;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{Config, SmtpSettings, SmtpTls};

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
    /// From configuration; a bad SMTP setting is one clear line naming the variable.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match SmtpSettings::from_config(config).map_err(|e| e.to_string())? {
            Some(smtp) => Self::smtp(&smtp),
            None => Ok(Transport::files(PathBuf::from(OUTBOX_DIR))),
        }
    }

    pub fn smtp(s: &SmtpSettings) -> Result<Self, String> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| {
                format!("configuration error: KINTSUGI_SMTP_URL cannot be used for TLS: {e}")
            })
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str()).port(s.port);
        builder = match s.tls {
            SmtpTls::Implicit => builder.tls(Tls::Wrapper(tls(&s.host)?)),
            SmtpTls::StartTls => builder.tls(Tls::Required(tls(&s.host)?)),
            SmtpTls::None => builder.tls(Tls::None),
        };
        if let Some((user, password)) = &s.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        if let Some(name) = &s.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        // As many pooled connections as the worker sends at once (16), so none is opened and
        // closed per message.
        let pool = PoolConfig::new().max_size(16);
        Ok(Transport::Smtp(
            builder.timeout(Some(s.timeout)).pool_config(pool).build(),
        ))
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
