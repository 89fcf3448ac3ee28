//! Password hashes: argon2id with the library defaults (19 MiB, 2 iterations, 1 lane), which
//! are OWASP's minimum. Hashes carry their parameters, so raising them later still verifies
//! old hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::Password;
use crate::error::CoreError;

pub fn hash(password: &Password) -> Result<String, CoreError> {
    hash_secret(password.expose())
}

/// Hash any other low-entropy secret (a partner's PIN) the same way.
pub fn hash_secret(secret: &str) -> Result<String, CoreError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("hashing failed: {e}")))
}

/// True when `candidate` matches the stored hash. A malformed hash never matches.
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    Argon2::default()
        .verify_password(candidate.as_bytes(), stored_hash)
        .is_ok()
}

/// A hash of a random password, verified against when the email is unknown so that a wrong
/// email and a wrong password take the same time.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let random = crate::access::secrets::random_token(24);
        Password::parse(&random)
            .ok()
            .and_then(|p| hash(&p).ok())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_argon2id() {
        let pw = Password::parse("a long enough passphrase").expect("valid");
        let h = hash(&pw).expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("a long enough passphrase", &h));
        assert!(!verify("a long enough passphrasE", &h));
        assert!(!verify("x", "not a hash"));
    }
}
