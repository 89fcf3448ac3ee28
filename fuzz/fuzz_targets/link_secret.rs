//! A homework link's secret as it arrives in the URL: `LinkSecret::parse` accepts exactly 43
//! base64url characters and nothing else.
#![no_main]

use kintsugi_core::homework::links::LinkSecret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    match LinkSecret::parse(raw) {
        Some(secret) => {
            assert_eq!(secret.expose(), raw);
            assert_eq!(raw.len(), 43);
            assert!(
                raw.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
        None => assert!(
            raw.len() != 43
                || raw
                    .bytes()
                    .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        ),
    }
});
