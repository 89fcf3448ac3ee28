//! Configuration: read once at start-up from the environment (and a `.env` file when present),
//! typed, with a default for everything. A bad value stops start-up with one line naming the
//! variable and what is wrong with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/kintsugi.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Where people reach this server; links in emails are built from it, never from the
    /// request's Host header.
    pub base_url: String,
    /// `KINTSUGI_SMTP_URL`; checked at start-up by [`SmtpSettings::from_config`].
    pub smtp_url: Option<SecretString>,
    /// `KINTSUGI_SMTP_USERNAME` and `KINTSUGI_SMTP_PASSWORD`: credentials kept out of the URL.
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// `KINTSUGI_SMTP_TIMEOUT`: seconds for each SMTP command, default 20.
    pub smtp_timeout: std::time::Duration,
    pub mail_from: String,
    /// Mark cookies `Secure` (and `__Host-` prefixed); on whenever the server is behind HTTPS.
    pub secure_cookies: bool,
    /// `KINTSUGI_DATA_KEY`: the key that seals clinical text at rest, base64 of 32 random
    /// bytes (checked here; loaded at start-up by `cli::keys`). When unset, the key file is used.
    pub data_key: Option<SecretString>,
    /// `KINTSUGI_DATA_KEY_FILE`: where the key is kept when `KINTSUGI_DATA_KEY` is unset; made
    /// on first run (mode 0600). Default: `kintsugi.key` beside the SQLite file, or in `data/`.
    pub data_key_file: PathBuf,
    /// Failed and successful sign-in attempts allowed per account and per IP address, per
    /// three minutes.
    pub sign_in_attempts: u32,
    /// `KINTSUGI_METRICS_TOKEN`: when set, `GET /metrics` needs `Authorization: Bearer <token>`
    /// (from anywhere); when unset, it answers only requests from this machine.
    pub metrics_token: Option<SecretString>,
    /// `KINTSUGI_DATABASE_POOL`: most connections this process opens (SQLite 8, PostgreSQL 16
    /// unless set). With several instances, their sum must stay under PostgreSQL's
    /// `max_connections` or the pooler's limit.
    pub database_pool: Option<u32>,
    /// `KINTSUGI_SLOW_QUERY_MS`: statements slower than this are logged with their SQL (never
    /// their values); 0 turns it off.
    pub slow_query: Option<std::time::Duration>,
}

/// One configuration problem, printed as a single line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl Config {
    /// Load from the process environment, after reading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(err("(.env file)", format!("cannot be read: {e}"))),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Load from any source of variables (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url =
            var("KINTSUGI_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                "KINTSUGI_DATABASE_URL",
                "must start with sqlite: or postgres:// (for example sqlite://data/kintsugi.db?mode=rwc)",
            ));
        }

        let bind_raw = var("KINTSUGI_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| {
            err(
                "KINTSUGI_BIND",
                format!("must be an address and port such as 127.0.0.1:3000, not {bind_raw:?}"),
            )
        })?;

        let base_url = match var("KINTSUGI_BASE_URL") {
            Some(url) => parse_base_url(&url)?,
            None => format!("http://{bind}"),
        };

        let smtp_url = var("KINTSUGI_SMTP_URL").map(SecretString::from);
        let smtp_username = var("KINTSUGI_SMTP_USERNAME");
        let smtp_password = var("KINTSUGI_SMTP_PASSWORD").map(SecretString::from);
        let smtp_timeout = match var("KINTSUGI_SMTP_TIMEOUT") {
            None => std::time::Duration::from_secs(20),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=600).contains(n))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    err(
                        "KINTSUGI_SMTP_TIMEOUT",
                        "must be a whole number of seconds from 1 to 600",
                    )
                })?,
        };

        let mail_from =
            var("KINTSUGI_MAIL_FROM").unwrap_or_else(|| "Kintsugi <no-reply@localhost>".into());
        if !mail_from.contains('@') {
            return Err(err(
                "KINTSUGI_MAIL_FROM",
                "must contain an email address, such as Kintsugi <care@practice.example>",
            ));
        }

        let secure_cookies = match var("KINTSUGI_SECURE_COOKIES") {
            None => false,
            Some(v) => parse_bool(&v)
                .ok_or_else(|| err("KINTSUGI_SECURE_COOKIES", "must be true or false"))?,
        };

        let data_key = var("KINTSUGI_DATA_KEY").map(SecretString::from);
        if let Some(key) = &data_key {
            use secrecy::ExposeSecret;
            // The message says what is wrong, never what was given.
            kintsugi_core::crypto::DataKey::from_base64(key.expose_secret())
                .map_err(|e| err("KINTSUGI_DATA_KEY", e.to_string()))?;
        }
        let data_key_file = var("KINTSUGI_DATA_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| default_key_file(&database_url));

        let database_pool = match var("KINTSUGI_DATABASE_POOL") {
            None => None,
            Some(v) => Some(
                v.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        err(
                            "KINTSUGI_DATABASE_POOL",
                            "must be a whole number of connections from 1 to 1000",
                        )
                    })?,
            ),
        };

        let slow_query = match var("KINTSUGI_SLOW_QUERY_MS") {
            None => Some(std::time::Duration::from_millis(250)),
            Some(v) => match v.parse::<u64>().ok().filter(|n| *n <= 600_000) {
                Some(0) => None,
                Some(ms) => Some(std::time::Duration::from_millis(ms)),
                None => {
                    return Err(err(
                        "KINTSUGI_SLOW_QUERY_MS",
                        "must be a whole number of milliseconds from 0 (off) to 600000",
                    ));
                }
            },
        };

        let sign_in_attempts = match var("KINTSUGI_SIGN_IN_ATTEMPTS") {
            None => 10,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    err(
                        "KINTSUGI_SIGN_IN_ATTEMPTS",
                        "must be a whole number from 1 to 10000",
                    )
                })?,
        };

        let metrics_token = var("KINTSUGI_METRICS_TOKEN").map(SecretString::from);
        if let Some(token) = &metrics_token {
            use secrecy::ExposeSecret;
            let t = token.expose_secret();
            // Sent in a header by a scraper: printable, and long enough not to be guessed.
            if t.chars().count() < 16 || !t.chars().all(|c| c.is_ascii_graphic()) {
                return Err(err(
                    "KINTSUGI_METRICS_TOKEN",
                    "must be at least 16 characters without spaces (for example from openssl rand -hex 24)",
                ));
            }
        }

        let config = Config {
            database_url,
            bind,
            base_url,
            smtp_url,
            smtp_username,
            smtp_password,
            smtp_timeout,
            mail_from,
            secure_cookies,
            data_key,
            data_key_file,
            sign_in_attempts,
            metrics_token,
            database_pool,
            slow_query,
        };
        // Parsed here so that a bad SMTP setting stops start-up with one line.
        SmtpSettings::from_config(&config)?;
        Ok(config)
    }

    /// A configuration for tests and tools: the defaults, with this database.
    pub fn for_database(database_url: &str) -> Self {
        let mut config =
            Self::from_lookup(|_| None).unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        config.database_url = database_url.to_owned();
        config.data_key_file = default_key_file(database_url);
        config
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte (port 465 unless given).
    Implicit,
    /// `smtp://`: plain connection upgraded with STARTTLS, which is required: a server that
    /// does not offer it gets neither credentials nor mail (port 587 unless given).
    StartTls,
    /// `smtp://...?tls=none`: no encryption; only for a server on this machine (port 25 unless
    /// given).
    None,
}

/// The SMTP server, from `KINTSUGI_SMTP_URL` and the `KINTSUGI_SMTP_*` variables.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, SecretString)>,
    pub timeout: std::time::Duration,
    /// The name given in EHLO, from the URL path (`smtp://host/client.example`).
    pub hello_name: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSettings {
    /// None when no SMTP server is configured (emails become `.eml` files). Every problem is
    /// one line naming the variable; the password is never part of it.
    pub fn from_config(config: &Config) -> Result<Option<Self>, ConfigError> {
        use secrecy::ExposeSecret;
        const VAR: &str = "KINTSUGI_SMTP_URL";
        let Some(raw) = &config.smtp_url else {
            if config.smtp_username.is_some() || config.smtp_password.is_some() {
                return Err(err(
                    "KINTSUGI_SMTP_USERNAME",
                    "is set but KINTSUGI_SMTP_URL is not; set the server too",
                ));
            }
            return Ok(None);
        };
        let url = url::Url::parse(raw.expose_secret()).map_err(|e| {
            err(
                VAR,
                format!("is not a URL ({e}); use smtp://host:587 or smtps://host:465"),
            )
        })?;
        let mut tls = match url.scheme() {
            "smtps" => SmtpTls::Implicit,
            "smtp" => SmtpTls::StartTls,
            _ => return Err(err(VAR, "must start with smtp:// or smtps://")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| err(VAR, "names no server; use smtp://host:587"))?
            .to_owned();
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "required") if tls == SmtpTls::StartTls => {}
                ("tls", "none") if tls == SmtpTls::StartTls => tls = SmtpTls::None,
                ("tls", other) => {
                    return Err(err(
                        VAR,
                        format!(
                            "has tls={other}; use smtp:// (STARTTLS required), smtps:// (implicit TLS) or smtp://...?tls=none for a server on this machine"
                        ),
                    ));
                }
                (other, _) => {
                    return Err(err(VAR, format!("has an unknown parameter {other}")));
                }
            }
        }
        if tls == SmtpTls::None && !is_loopback(&host) {
            return Err(err(
                VAR,
                "has tls=none for a server on another machine; mail and passwords would cross the network unencrypted (use smtp:// with STARTTLS or smtps://)",
            ));
        }
        let port = url.port().unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            SmtpTls::StartTls => 587,
            SmtpTls::None => 25,
        });
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| err(VAR, "has credentials that are not valid UTF-8"))
        };
        let in_url = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            Some((
                decode(url.username())?,
                SecretString::from(decode(url.password().unwrap_or_default())?),
            ))
        };
        let separate = match (&config.smtp_username, &config.smtp_password) {
            (None, None) => None,
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            (Some(_), None) => {
                return Err(err(
                    "KINTSUGI_SMTP_PASSWORD",
                    "must be set when KINTSUGI_SMTP_USERNAME is",
                ));
            }
            (None, Some(_)) => {
                return Err(err(
                    "KINTSUGI_SMTP_USERNAME",
                    "must be set when KINTSUGI_SMTP_PASSWORD is",
                ));
            }
        };
        let credentials = match (in_url, separate) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "KINTSUGI_SMTP_USERNAME",
                    "is set and KINTSUGI_SMTP_URL carries credentials too; keep them in one place",
                ));
            }
            (a, b) => a.or(b),
        };
        let hello_name = Some(url.path().trim_matches('/').to_owned()).filter(|p| !p.is_empty());
        Ok(Some(SmtpSettings {
            host,
            port,
            tls,
            credentials,
            timeout: config.smtp_timeout,
            hello_name,
        }))
    }
}

/// `kintsugi.key` in the data directory: beside the SQLite file, else `data/`.
fn default_key_file(database_url: &str) -> PathBuf {
    let dir = kintsugi_core::db::sqlite_path(database_url)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("data"));
    dir.join("kintsugi.key")
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_base_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| err("KINTSUGI_BASE_URL", "must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#', '@']) {
        return Err(err(
            "KINTSUGI_BASE_URL",
            "must be a plain address such as https://care.example.org",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_sane() {
        let c = load(&[]).expect("defaults");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(c.base_url, "http://127.0.0.1:3000");
        assert!(!c.secure_cookies);
        assert!(c.smtp_url.is_none());
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("KINTSUGI_BIND", "localhost"),
            ("KINTSUGI_DATABASE_URL", "mysql://x"),
            ("KINTSUGI_BASE_URL", "care.example.org"),
            ("KINTSUGI_SMTP_URL", "http://mail"),
            ("KINTSUGI_SECURE_COOKIES", "maybe"),
            ("KINTSUGI_MAIL_FROM", "nobody"),
            ("KINTSUGI_SIGN_IN_ATTEMPTS", "0"),
            ("KINTSUGI_DATABASE_POOL", "0"),
            ("KINTSUGI_DATABASE_POOL", "many"),
            ("KINTSUGI_SLOW_QUERY_MS", "-1"),
            ("KINTSUGI_METRICS_TOKEN", "short"),
            ("KINTSUGI_METRICS_TOKEN", "has spaces in the middle of it"),
        ] {
            let e = load(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var);
            let line = e.to_string();
            assert!(line.starts_with("configuration error: KINTSUGI_"), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    fn smtp(vars: &[(&str, &str)]) -> Result<Option<SmtpSettings>, ConfigError> {
        load(vars).and_then(|c| SmtpSettings::from_config(&c))
    }

    #[test]
    fn smtp_urls_choose_how_the_connection_is_protected() {
        use secrecy::ExposeSecret;
        assert!(smtp(&[]).expect("none").is_none());
        let s = smtp(&[("KINTSUGI_SMTP_URL", "smtp://mail.example.org")])
            .expect("ok")
            .expect("some");
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 587));
        assert!(s.credentials.is_none());
        assert_eq!(s.timeout, std::time::Duration::from_secs(20));
        let s = smtp(&[("KINTSUGI_SMTP_URL", "smtps://u%40x:p%2Fw@mail.example.org")])
            .expect("ok")
            .expect("some");
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        let (user, pass) = s.credentials.expect("credentials");
        assert_eq!(user, "u@x");
        assert_eq!(pass.expose_secret(), "p/w");
        let s = smtp(&[("KINTSUGI_SMTP_URL", "smtp://127.0.0.1:2525?tls=none")])
            .expect("ok")
            .expect("some");
        assert_eq!((s.tls, s.port), (SmtpTls::None, 2525));
        let s = smtp(&[
            (
                "KINTSUGI_SMTP_URL",
                "smtp://mail.example.org:2587?tls=required",
            ),
            ("KINTSUGI_SMTP_USERNAME", "care"),
            ("KINTSUGI_SMTP_PASSWORD", "secret words"),
            ("KINTSUGI_SMTP_TIMEOUT", "5"),
        ])
        .expect("ok")
        .expect("some");
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 2587));
        assert_eq!(s.credentials.expect("credentials").0, "care");
        assert_eq!(s.timeout, std::time::Duration::from_secs(5));
        assert!(
            !format!(
                "{:?}",
                smtp(&[("KINTSUGI_SMTP_URL", "smtps://u:hunter2@h")])
            )
            .contains("hunter2")
        );
    }

    #[test]
    fn bad_smtp_settings_are_one_line_naming_the_variable() {
        for (vars, var) in [
            (
                vec![("KINTSUGI_SMTP_URL", "http://mail")],
                "KINTSUGI_SMTP_URL",
            ),
            (vec![("KINTSUGI_SMTP_URL", "smtp://")], "KINTSUGI_SMTP_URL"),
            (
                vec![("KINTSUGI_SMTP_URL", "smtp://mail.example.org?tls=none")],
                "KINTSUGI_SMTP_URL",
            ),
            (
                vec![("KINTSUGI_SMTP_URL", "smtp://mail.example.org?tls=maybe")],
                "KINTSUGI_SMTP_URL",
            ),
            (
                vec![("KINTSUGI_SMTP_URL", "smtp://mail.example.org?x=1")],
                "KINTSUGI_SMTP_URL",
            ),
            (
                vec![
                    ("KINTSUGI_SMTP_URL", "smtp://u:p@mail.example.org"),
                    ("KINTSUGI_SMTP_USERNAME", "u"),
                    ("KINTSUGI_SMTP_PASSWORD", "p"),
                ],
                "KINTSUGI_SMTP_USERNAME",
            ),
            (
                vec![
                    ("KINTSUGI_SMTP_URL", "smtp://mail.example.org"),
                    ("KINTSUGI_SMTP_USERNAME", "u"),
                ],
                "KINTSUGI_SMTP_PASSWORD",
            ),
            (
                vec![
                    ("KINTSUGI_SMTP_USERNAME", "u"),
                    ("KINTSUGI_SMTP_PASSWORD", "p"),
                ],
                "KINTSUGI_SMTP_USERNAME",
            ),
            (
                vec![
                    ("KINTSUGI_SMTP_URL", "smtp://mail.example.org"),
                    ("KINTSUGI_SMTP_TIMEOUT", "0"),
                ],
                "KINTSUGI_SMTP_TIMEOUT",
            ),
        ] {
            let e = load(&vars).expect_err(var);
            assert_eq!(e.var, var, "{vars:?}");
            let line = e.to_string();
            assert!(
                !line.contains('\n') && line.starts_with("configuration error: "),
                "{line}"
            );
            assert!(!line.contains("p@"), "{line}");
        }
    }

    #[test]
    fn the_data_key_is_checked_and_never_echoed() {
        let good = kintsugi_core::crypto::DataKey::generate().to_base64();
        let c = load(&[("KINTSUGI_DATA_KEY", &good)]).expect("valid key");
        assert!(!format!("{c:?}").contains(&good));
        for bad in ["hunter2hunter2", "c2hvcnQ=", &format!("{good}AAAA")] {
            let e = load(&[("KINTSUGI_DATA_KEY", bad)]).expect_err(bad);
            assert_eq!(e.var, "KINTSUGI_DATA_KEY");
            assert!(!e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn the_key_file_lives_beside_the_data() {
        let at = |vars: &[(&str, &str)]| load(vars).expect("valid").data_key_file;
        assert_eq!(at(&[]), PathBuf::from("data/kintsugi.key"));
        assert_eq!(
            at(&[("KINTSUGI_DATABASE_URL", "sqlite:///srv/k/main.db?mode=rwc")]),
            PathBuf::from("/srv/k/kintsugi.key")
        );
        assert_eq!(
            at(&[("KINTSUGI_DATABASE_URL", "postgres://db/k")]),
            PathBuf::from("data/kintsugi.key")
        );
        assert_eq!(
            at(&[("KINTSUGI_DATA_KEY_FILE", "/etc/kintsugi/key")]),
            PathBuf::from("/etc/kintsugi/key")
        );
        assert_eq!(
            Config::for_database("sqlite:///tmp/t/k.db?mode=rwc").data_key_file,
            PathBuf::from("/tmp/t/kintsugi.key")
        );
    }

    #[test]
    fn base_url_loses_trailing_slash() {
        let c = load(&[("KINTSUGI_BASE_URL", "https://care.example.org/")]).expect("valid");
        assert_eq!(c.base_url, "https://care.example.org");
    }
}
