//! The data key: 32 random bytes, written as base64 in `KINTSUGI_DATA_KEY` or the key file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

/// Bytes of an AES-256 key.
pub const KEY_BYTES: usize = 32;

/// Eight hex digits naming a key in every value it sealed (a fingerprint: it tells which key
/// is needed, and nothing about the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 4]);

impl KeyId {
    /// From its eight hex digits as stored in a sealed value.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 4];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Why a text is not a data key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "is not base64 (expected 32 random bytes in base64, as `openssl rand -base64 32` prints)"
    )]
    NotBase64,
    #[error("is {0} bytes long; a data key is 32 random bytes in base64")]
    WrongLength(usize),
}

/// An AES-256-GCM data key. Neither `Debug` nor `Display` shows it; only [`DataKey::to_base64`]
/// does, for writing the key file.
pub struct DataKey {
    bytes: SecretBox<[u8; KEY_BYTES]>,
    id: KeyId,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id.to_string())
            .finish_non_exhaustive()
    }
}

impl Clone for DataKey {
    fn clone(&self) -> Self {
        Self::from_bytes(*self.bytes.expose_secret())
    }
}

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.bytes
            .expose_secret()
            .ct_eq(other.bytes.expose_secret())
            .into()
    }
}

impl Eq for DataKey {}

impl DataKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        let mut h = Sha256::new();
        h.update(b"kintsugi data key id v1\0");
        h.update(bytes);
        let digest = h.finalize();
        let id = KeyId([digest[0], digest[1], digest[2], digest[3]]);
        Self {
            bytes: SecretBox::new(Box::new(bytes)),
            id,
        }
    }

    /// From base64 (standard or URL-safe alphabet, padding optional; surrounding whitespace,
    /// such as a key file's final newline, is ignored).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        let clean = text.trim().trim_end_matches('=');
        let bytes = STANDARD_NO_PAD
            .decode(clean)
            .or_else(|_| URL_SAFE_NO_PAD.decode(clean))
            .map_err(|_| KeyError::NotBase64)?;
        let bytes: [u8; KEY_BYTES] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key in standard base64, for the key file and nothing else.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes.expose_secret())
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(super) fn bytes(&self) -> &[u8; KEY_BYTES] {
        self.bytes.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_stable_id() {
        let k = DataKey::generate();
        let again = DataKey::from_base64(&format!("{}\n", k.to_base64())).expect("parse");
        assert_eq!(k, again);
        assert_eq!(k.id(), again.id());
        assert_eq!(KeyId::parse(&k.id().to_string()), Some(k.id()));
        assert_ne!(k.id(), DataKey::generate().id());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert_eq!(
            DataKey::from_base64("not base64 at all!").err(),
            Some(KeyError::NotBase64)
        );
        assert_eq!(
            DataKey::from_base64("c2hvcnQ=").err(),
            Some(KeyError::WrongLength(5))
        );
        assert!(KeyId::parse("xyz").is_none());
        assert!(KeyId::parse("0123456g").is_none());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = DataKey::generate();
        let shown = format!("{k:?}");
        assert!(!shown.contains(&k.to_base64()));
        assert!(shown.contains(&k.id().to_string()));
    }
}
