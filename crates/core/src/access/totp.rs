//! Time-based one-time passwords (RFC 6238) as authenticator apps expect them: HMAC-SHA-1,
//! six digits, a 30-second time step. The arithmetic lives here, apart from the database, so
//! that it can be checked against the RFC's own test values.
//!
//! - A code is accepted for the current step and one step either side (clocks drift, people
//!   type slowly), and only for a step later than the last one accepted for that counselor:
//!   the same code, or an older one, never works twice.
//! - Secrets are 160 random bits, shown to the counselor in base32 (RFC 4648, no padding).
//! - At rest a secret is sealed like clinical text ([`crate::crypto`], AES-256-GCM under the
//!   installation's data key, bound to its table, column and counselor), so `rotate-key`
//!   re-seals it with everything else. See `docs/SECURITY.md`.
//! - Recovery codes are 80 random bits each: a SHA-256 of them is enough at rest (no guessing
//!   a space that large), and it lets a code be found with one indexed look-up.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use uuid::Uuid;

use crate::crypto::{Field, Keyring, sealed_with};
use crate::error::CoreError;
use crate::practice::Role;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const WINDOW: i64 = 1;
/// Bytes of a new secret (the RFC's recommended 160 bits for SHA-1).
const SECRET_BYTES: usize = 20;

/// A TOTP secret. Its `Debug` never prints the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// Base32 as typed into an app by hand (spaces and lower case tolerated).
    pub fn from_base32(text: &str) -> Option<Self> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = BASE32_NOPAD.decode(clean.as_bytes()).ok()?;
        (bytes.len() >= 10).then_some(Self(bytes))
    }

    /// The secret in base32, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The base32 secret in groups of four, easier to type.
    pub fn to_grouped_base32(&self) -> String {
        self.to_base32()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` URI a QR code carries (the de-facto Key URI format of authenticator
    /// apps): issuer and account label, secret, and the parameters spelled out.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent_encode(issuer);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            account = percent_encode(account),
            secret = self.to_base32(),
        )
    }

    /// The code for one time step (HOTP, RFC 4226, with the step as the counter).
    pub fn code_at_step(&self, step: i64) -> u32 {
        hotp(&self.0, step)
    }

    /// The code at a moment, as an app would show it (with leading zeros).
    pub fn code_at(&self, at: DateTime<Utc>) -> String {
        format!(
            "{:0width$}",
            self.code_at_step(time_step(at)),
            width = DIGITS as usize
        )
    }

    /// The step a typed code belongs to, if it is right for a step within [`WINDOW`] of `now`
    /// and later than `last_used` (so that no code is accepted twice). Each candidate is
    /// compared in constant time.
    pub fn matching_step(
        &self,
        typed: &str,
        now: DateTime<Utc>,
        last_used: Option<i64>,
    ) -> Option<i64> {
        let typed = normalise_code(typed)?;
        let current = time_step(now);
        let mut found = None;
        for step in (current - WINDOW)..=(current + WINDOW) {
            let expected = format!("{:06}", self.code_at_step(step));
            if crate::access::secrets::same(&expected, &typed)
                && last_used.is_none_or(|last| step > last)
                && found.is_none()
            {
                found = Some(step);
            }
        }
        found
    }
}

/// The time step of a moment: whole 30-second periods since the Unix epoch.
pub fn time_step(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// Six digits, with spaces a person may type between them removed; anything else is no code.
pub fn normalise_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS as usize && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

fn hotp(key: &[u8], counter: i64) -> u32 {
    // HMAC takes keys of any length; the error branch cannot happen.
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(key) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Secrets at rest.

/// The mark of a secret stored plain by versions before secrets were sealed. Still read (and
/// sealed at start-up with any other plain value, or when next used); never written.
const LEGACY_PLAIN: &str = "plain1:";

/// A stored secret that cannot be read: written under a scheme this version no longer knows,
/// or damaged. The counselor signs in with a recovery code and enrols again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the secret of this authenticator app can no longer be read: sign in with a recovery code, then set up two-factor sign-in again"
)]
pub struct Unreadable;

/// Seal a secret for `field` (`counselor.totp_secret` or `counselor_totp.pending_secret`) of
/// the counselor `owner`, like clinical text: the base32 text under the data key.
pub fn seal_secret(
    keyring: &Keyring,
    field: Field,
    owner: Uuid,
    secret: &TotpSecret,
) -> Result<String, CoreError> {
    keyring
        .seal(field, owner, &secret.to_base32())
        .map_err(|e| CoreError::Internal(format!("sealing a TOTP secret: {e}")))
}

/// The secret of a stored value: a sealed one, or a legacy `plain1:` one (also when start-up
/// sealed it mark and all).
pub fn open_secret(
    keyring: &Keyring,
    field: Field,
    owner: Uuid,
    stored: &str,
) -> Result<TotpSecret, Unreadable> {
    let plain = match sealed_with(stored) {
        Some(_) => keyring.open(field, owner, stored).map_err(|_| Unreadable)?,
        None if stored.starts_with(LEGACY_PLAIN) => stored.to_owned(),
        None => return Err(Unreadable),
    };
    let base32 = plain.strip_prefix(LEGACY_PLAIN).unwrap_or(&plain);
    TotpSecret::from_base32(base32).ok_or(Unreadable)
}

/// True when a stored value is not sealed yet (a legacy plain one).
pub fn needs_sealing(stored: &str) -> bool {
    sealed_with(stored).is_none()
}

// ---------------------------------------------------------------------------------------------
// Recovery codes.

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i
const RECOVERY_LEN: usize = 16;

/// A new recovery code: 16 characters from an unambiguous alphabet in groups of four
/// (`abcd-efgh-jkmn-pqrs`), about 79 bits.
pub fn new_recovery_code() -> String {
    let mut out = String::with_capacity(RECOVERY_LEN + 3);
    let n = RECOVERY_ALPHABET.len() as u32;
    let mut rng = rand::rng();
    let mut i = 0;
    while i < RECOVERY_LEN {
        // Rejection sampling keeps every character equally likely.
        let b = rng.next_u32() & 0xff;
        if b >= 256 - (256 % n) {
            continue;
        }
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(RECOVERY_ALPHABET[(b % n) as usize]));
        i += 1;
    }
    out
}

/// A typed recovery code in its canonical form (lower case, no dashes or spaces), if it can be
/// one.
pub fn normalise_recovery_code(typed: &str) -> Option<String> {
    let clean: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (clean.len() == RECOVERY_LEN && clean.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(clean)
}

/// The stored form of a recovery code.
pub fn recovery_fingerprint(canonical: &str) -> String {
    crate::access::secrets::fingerprint(&format!("kintsugi recovery code\0{canonical}"))
}

// ---------------------------------------------------------------------------------------------
// The practice's requirement.

/// Who must use two-factor sign-in (a practice setting, stored in `practice.totp_required`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TotpRequirement {
    #[default]
    #[sea_orm(string_value = "none")]
    #[serde(rename = "none")]
    Nobody,
    #[sea_orm(string_value = "admins")]
    Admins,
    #[sea_orm(string_value = "everyone")]
    Everyone,
}

impl TotpRequirement {
    pub const ALL: [TotpRequirement; 3] = [Self::Nobody, Self::Admins, Self::Everyone];

    pub fn key(self) -> &'static str {
        match self {
            Self::Nobody => "none",
            Self::Admins => "admins",
            Self::Everyone => "everyone",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key.trim())
    }

    pub fn applies_to(self, role: Role) -> bool {
        match self {
            Self::Nobody => false,
            Self::Admins => role == Role::Admin,
            Self::Everyone => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("time")
    }

    /// RFC 6238 appendix B (SHA-1), cut to six digits as apps show them.
    #[test]
    fn rfc_6238_test_values() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        for (secs, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(secret.code_at(at(secs)), code, "at {secs}");
        }
    }

    #[test]
    fn rfc_4226_hotp_values() {
        let key = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(key, counter as i64), *code);
        }
    }

    #[test]
    fn steps_are_thirty_seconds() {
        assert_eq!(time_step(at(0)), 0);
        assert_eq!(time_step(at(29)), 0);
        assert_eq!(time_step(at(30)), 1);
        assert_eq!(time_step(at(59)), 1);
        assert_eq!(time_step(at(60)), 2);
    }

    #[test]
    fn one_step_either_side_is_accepted_and_no_further() {
        let secret = TotpSecret::generate();
        let now = at(1_800_000_015);
        let step = time_step(now);
        for offset in -1..=1 {
            let code = format!("{:06}", secret.code_at_step(step + offset));
            assert_eq!(
                secret.matching_step(&code, now, None),
                Some(step + offset),
                "offset {offset}"
            );
        }
        for offset in [-3, -2, 2, 3] {
            let code = format!("{:06}", secret.code_at_step(step + offset));
            // A code of a far step can collide with a near one by chance (1 in a million).
            let near: Vec<String> = (-1..=1)
                .map(|o| format!("{:06}", secret.code_at_step(step + o)))
                .collect();
            if !near.contains(&code) {
                assert_eq!(
                    secret.matching_step(&code, now, None),
                    None,
                    "offset {offset}"
                );
            }
        }
    }

    #[test]
    fn a_used_step_and_earlier_ones_are_refused() {
        let secret = TotpSecret::generate();
        let now = at(1_800_000_015);
        let step = time_step(now);
        let code = secret.code_at(now);
        let used = secret.matching_step(&code, now, None).expect("first use");
        assert_eq!(used, step);
        assert_eq!(secret.matching_step(&code, now, Some(used)), None);
        // The previous step's code is refused once a later one was used.
        let previous = format!("{:06}", secret.code_at_step(step - 1));
        assert_eq!(secret.matching_step(&previous, now, Some(used)), None);
        // The next step's code still works.
        let next = format!("{:06}", secret.code_at_step(step + 1));
        assert_eq!(secret.matching_step(&next, now, Some(used)), Some(step + 1));
    }

    #[test]
    fn codes_are_six_digits_with_spaces_allowed() {
        let secret = TotpSecret::generate();
        let now = at(1_700_000_000);
        let code = secret.code_at(now);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(secret.matching_step(&spaced, now, None).is_some());
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("1234567"), None);
        assert_eq!(normalise_code("12a456"), None);
        assert_eq!(normalise_code(""), None);
    }

    #[test]
    fn base32_round_trip_and_uri() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        assert_eq!(TotpSecret::from_base32(&text), Some(secret.clone()));
        assert_eq!(
            TotpSecret::from_base32(&secret.to_grouped_base32().to_lowercase()),
            Some(secret.clone())
        );
        let uri = secret.otpauth_uri("Kintsugi Harbour", "ana@x.org");
        assert!(uri.starts_with("otpauth://totp/Kintsugi%20Harbour:ana@x.org?secret="));
        assert!(uri.contains("&algorithm=SHA1&digits=6&period=30"));
        assert!(!format!("{secret:?}").contains(&text));
    }

    #[test]
    fn secrets_are_sealed_like_clinical_text_and_bound_to_their_row() {
        let ring = Keyring::new(crate::crypto::DataKey::generate());
        let secret = TotpSecret::generate();
        let owner = Uuid::new_v4();
        let stored = seal_secret(&ring, Field::TotpSecret, owner, &secret).expect("seal");
        assert_eq!(sealed_with(&stored), Some(ring.primary_id()));
        assert!(!stored.contains(&secret.to_base32()));
        assert!(!needs_sealing(&stored));
        assert_eq!(
            open_secret(&ring, Field::TotpSecret, owner, &stored),
            Ok(secret.clone())
        );
        // Another counselor, the other column or another key: unreadable.
        assert_eq!(
            open_secret(&ring, Field::TotpSecret, Uuid::new_v4(), &stored),
            Err(Unreadable)
        );
        assert_eq!(
            open_secret(&ring, Field::PendingTotpSecret, owner, &stored),
            Err(Unreadable)
        );
        let other = Keyring::new(crate::crypto::DataKey::generate());
        assert_eq!(
            open_secret(&other, Field::TotpSecret, owner, &stored),
            Err(Unreadable)
        );
    }

    #[test]
    fn legacy_values_are_read_or_refused_clearly() {
        let ring = Keyring::new(crate::crypto::DataKey::generate());
        let secret = TotpSecret::generate();
        let owner = Uuid::new_v4();
        // Plain, as older versions wrote it without a data key.
        let plain = format!("plain1:{}", secret.to_base32());
        assert!(needs_sealing(&plain));
        assert_eq!(
            open_secret(&ring, Field::TotpSecret, owner, &plain),
            Ok(secret.clone())
        );
        // The same, sealed at start-up with the other plain values, mark and all.
        let resealed = ring.seal(Field::TotpSecret, owner, &plain).expect("seal");
        assert_eq!(
            open_secret(&ring, Field::TotpSecret, owner, &resealed),
            Ok(secret)
        );
        // The old scheme of its own (`gcm1:`), sealed at start-up or not, and damage.
        let old = "gcm1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let old_resealed = ring.seal(Field::TotpSecret, owner, old).expect("seal");
        for stored in [old, &old_resealed, "plain1:not base32!", ""] {
            assert_eq!(
                open_secret(&ring, Field::TotpSecret, owner, stored),
                Err(Unreadable),
                "{stored}"
            );
        }
        assert!(Unreadable.to_string().contains("recovery code"));
    }

    #[test]
    fn recovery_codes_are_random_and_normalise() {
        let a = new_recovery_code();
        assert_eq!(a.len(), 19);
        assert_ne!(a, new_recovery_code());
        let canonical = normalise_recovery_code(&a.to_uppercase()).expect("valid");
        assert_eq!(canonical, a.replace('-', ""));
        assert_eq!(normalise_recovery_code("123456"), None);
        assert_ne!(recovery_fingerprint(&canonical), canonical);
    }

    #[test]
    fn requirement_keys_and_roles() {
        use sea_orm::ActiveEnum;
        for r in TotpRequirement::ALL {
            assert_eq!(r.to_value(), r.key(), "stored as before");
            assert_eq!(serde_json::to_value(r).expect("json"), r.key());
        }
        for r in TotpRequirement::ALL {
            assert_eq!(TotpRequirement::from_key(r.key()), Some(r));
        }
        assert!(!TotpRequirement::Nobody.applies_to(Role::Admin));
        assert!(TotpRequirement::Admins.applies_to(Role::Admin));
        assert!(!TotpRequirement::Admins.applies_to(Role::Counselor));
        assert!(TotpRequirement::Everyone.applies_to(Role::Counselor));
    }
}
