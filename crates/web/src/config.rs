//! Configuration: read once at start-up from the environment (and a `.env` file when present),
//! typed, with a default for everything. A bad value stops start-up with one line naming the
//! variable and what is wrong with it.

use std::net::SocketAddr;

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
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// Mark cookies `Secure` (and `__Host-` prefixed); on whenever the server is behind HTTPS.
    pub secure_cookies: bool,
    pub data_key: Option<SecretString>,
    /// Failed and successful sign-in attempts allowed per account and per IP address, per
    /// three minutes.
    pub sign_in_attempts: u32,
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

        let smtp_url = match var("KINTSUGI_SMTP_URL") {
            Some(url) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    return Err(err(
                        "KINTSUGI_SMTP_URL",
                        "must start with smtp:// or smtps://",
                    ));
                }
                Some(SecretString::from(url))
            }
            None => None,
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

        Ok(Config {
            database_url,
            bind,
            base_url,
            smtp_url,
            mail_from,
            secure_cookies,
            data_key,
            sign_in_attempts,
        })
    }

    /// A configuration for tests and tools: the defaults, with this database.
    pub fn for_database(database_url: &str) -> Self {
        let mut config =
            Self::from_lookup(|_| None).unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        config.database_url = database_url.to_owned();
        config
    }
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
        ] {
            let e = load(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var);
            let line = e.to_string();
            assert!(line.starts_with("configuration error: KINTSUGI_"), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn base_url_loses_trailing_slash() {
        let c = load(&[("KINTSUGI_BASE_URL", "https://care.example.org/")]).expect("valid");
        assert_eq!(c.base_url, "https://care.example.org");
    }
}
