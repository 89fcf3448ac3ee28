//! Configuration values: any value for any `KINTSUGI_*` variable through `Config::from_lookup`
//! and the SMTP settings derived from it. A bad value is one error line, never a panic.
#![no_main]

use arbitrary::Arbitrary;
use kintsugi_web::config::{Config, SmtpSettings};
use libfuzzer_sys::fuzz_target;

const VARS: [&str; 14] = [
    "KINTSUGI_DATABASE_URL",
    "KINTSUGI_BIND",
    "KINTSUGI_BASE_URL",
    "KINTSUGI_SMTP_URL",
    "KINTSUGI_SMTP_USERNAME",
    "KINTSUGI_SMTP_PASSWORD",
    "KINTSUGI_SMTP_TIMEOUT",
    "KINTSUGI_MAIL_FROM",
    "KINTSUGI_SECURE_COOKIES",
    "KINTSUGI_DATA_KEY",
    "KINTSUGI_DATA_KEY_FILE",
    "KINTSUGI_SIGN_IN_ATTEMPTS",
    "KINTSUGI_LOG",
    "KINTSUGI_LOG_FORMAT",
];

#[derive(Debug, Arbitrary)]
struct Input {
    values: Vec<(u8, String)>,
}

fuzz_target!(|input: Input| {
    let values: Vec<(&str, String)> = input
        .values
        .into_iter()
        .map(|(i, v)| (VARS[usize::from(i) % VARS.len()], v))
        .collect();
    let lookup = |name: &str| {
        values
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    match Config::from_lookup(lookup) {
        Ok(config) => {
            let _ = SmtpSettings::from_config(&config);
        }
        Err(e) => {
            let line = e.to_string();
            assert!(line.starts_with("configuration error: "), "{line}");
        }
    }
});
