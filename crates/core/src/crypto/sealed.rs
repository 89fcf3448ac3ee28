//! The sealed format of one value: `v1:<key id>:<base64url(nonce || ciphertext || tag)>`.
//!
//! - AES-256-GCM with a fresh random 96-bit nonce per value (the number of values one key ever
//!   seals here stays far below the 2^32 that random nonces allow).
//! - The associated data names the format, the key id, the table and column, and the row id:
//!   a value copied into another row or column, or given another key id, fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use uuid::Uuid;

use super::key::{DataKey, KeyId};

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// A column sealed at rest: clinical free text, and the counselors' TOTP secrets (a database
/// dump alone must not let anyone make sign-in codes). Each value is bound to its row by the
/// row's key ([`Field::id_column`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `note.body`: the note's sections (JSON).
    NoteBody,
    /// `note_addendum.body`.
    AddendumBody,
    /// `response.answers`: a partner's answers (JSON).
    ResponseAnswers,
    /// `response.counselor_comment`.
    ResponseComment,
    /// `stage_event.reason`: why a gate was overridden or a stage reopened.
    StageEventReason,
    /// `counselor.totp_secret`: the base32 secret of a counselor's authenticator app.
    TotpSecret,
    /// `counselor_totp.pending_secret`: a secret waiting for its first code (keyed by
    /// `counselor_id`).
    PendingTotpSecret,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::NoteBody,
        Field::AddendumBody,
        Field::ResponseAnswers,
        Field::ResponseComment,
        Field::StageEventReason,
        Field::TotpSecret,
        Field::PendingTotpSecret,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Field::NoteBody => "note",
            Field::AddendumBody => "note_addendum",
            Field::ResponseAnswers | Field::ResponseComment => "response",
            Field::StageEventReason => "stage_event",
            Field::TotpSecret => "counselor",
            Field::PendingTotpSecret => "counselor_totp",
        }
    }

    /// The table's key column: the row id the value is bound to.
    pub fn id_column(self) -> &'static str {
        match self {
            Field::PendingTotpSecret => "counselor_id",
            _ => "id",
        }
    }

    pub fn column(self) -> &'static str {
        match self {
            Field::NoteBody | Field::AddendumBody => "body",
            Field::ResponseAnswers => "answers",
            Field::ResponseComment => "counselor_comment",
            Field::StageEventReason => "reason",
            Field::TotpSecret => "totp_secret",
            Field::PendingTotpSecret => "pending_secret",
        }
    }

    fn aad(self, key: KeyId, row: Uuid) -> Vec<u8> {
        format!(
            "kintsugi:{VERSION}:{key}:{}.{}:{}",
            self.table(),
            self.column(),
            row.hyphenated()
        )
        .into_bytes()
    }
}

/// Why a stored value cannot be opened. None of these carries the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the value is not sealed (plain text where sealed text belongs)")]
    NotSealed,
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the value was sealed with data key {0}, which is not configured")]
    UnknownKey(KeyId),
    #[error(
        "the sealed value does not open: it was changed, moved to another record, or the key is wrong"
    )]
    Rejected,
    #[error("the text is too long to seal")]
    TooLong,
}

/// The header of a stored value: its key id, or `None` when it is not in the sealed format
/// (plain text from before encryption).
pub fn sealed_with(stored: &str) -> Option<KeyId> {
    parse(stored).ok().map(|(key, _)| key)
}

fn parse(stored: &str) -> Result<(KeyId, Vec<u8>), CryptoError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(VERSION), Some(key), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CryptoError::NotSealed);
    };
    let key = KeyId::parse(key).ok_or(CryptoError::NotSealed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| CryptoError::NotSealed)?;
    if bytes.len() < NONCE_BYTES + TAG_BYTES {
        return Err(CryptoError::Malformed);
    }
    Ok((key, bytes))
}

/// The keys of this installation: one that seals, and any others that still open values
/// (used only while a rotation is being checked; the server runs with exactly one).
#[derive(Debug, Clone)]
pub struct Keyring {
    primary: DataKey,
    older: Vec<DataKey>,
}

impl Keyring {
    pub fn new(primary: DataKey) -> Self {
        Self {
            primary,
            older: Vec::new(),
        }
    }

    /// Also open values sealed with `key`.
    pub fn with_older(mut self, key: DataKey) -> Self {
        if key.id() != self.primary.id() {
            self.older.push(key);
        }
        self
    }

    pub fn primary_id(&self) -> KeyId {
        self.primary.id()
    }

    pub fn knows(&self, id: KeyId) -> bool {
        self.find(id).is_some()
    }

    fn find(&self, id: KeyId) -> Option<&DataKey> {
        std::iter::once(&self.primary)
            .chain(&self.older)
            .find(|k| k.id() == id)
    }

    /// Seal `plain` for `field` of row `row` with the primary key.
    pub fn seal(&self, field: Field, row: Uuid, plain: &str) -> Result<String, CryptoError> {
        let key = &self.primary;
        let cipher = Aes256Gcm::new(key.bytes().into());
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let aad = field.aad(key.id(), row);
        // Encryption fails only for messages longer than GCM allows (64 GiB).
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::TooLong)?;
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}:{}:{}",
            key.id(),
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Open a value stored for `field` of row `row`.
    pub fn open(&self, field: Field, row: Uuid, stored: &str) -> Result<String, CryptoError> {
        let (id, bytes) = parse(stored)?;
        let key = self.find(id).ok_or(CryptoError::UnknownKey(id))?;
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        let cipher = Aes256Gcm::new(key.bytes().into());
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &field.aad(id, row),
                },
            )
            .map_err(|_| CryptoError::Rejected)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(DataKey::generate())
    }

    #[test]
    fn seal_then_open_gives_the_text_back() {
        let k = ring();
        let row = Uuid::new_v4();
        for text in [
            "",
            "Zoë said the trust is coming back.",
            &"long ".repeat(20_000),
        ] {
            let sealed = k.seal(Field::NoteBody, row, text).expect("seal");
            assert!(sealed.starts_with(&format!("v1:{}:", k.primary_id())));
            assert!(text.is_empty() || !sealed.contains(text));
            assert_eq!(k.open(Field::NoteBody, row, &sealed).as_deref(), Ok(text));
            assert_eq!(sealed_with(&sealed), Some(k.primary_id()));
        }
    }

    #[test]
    fn every_seal_uses_a_new_nonce() {
        let k = ring();
        let row = Uuid::new_v4();
        assert_ne!(
            k.seal(Field::ResponseComment, row, "same").expect("seal"),
            k.seal(Field::ResponseComment, row, "same").expect("seal")
        );
    }

    #[test]
    fn a_changed_byte_is_refused() {
        let k = ring();
        let row = Uuid::new_v4();
        let sealed = k
            .seal(Field::AddendumBody, row, "an addendum")
            .expect("seal");
        let (head, body) = sealed.rsplit_once(':').expect("format");
        let mut bytes = URL_SAFE_NO_PAD.decode(body).expect("base64");
        for i in [0, NONCE_BYTES, bytes.len() - 1] {
            bytes[i] ^= 1;
            let tampered = format!("{head}:{}", URL_SAFE_NO_PAD.encode(&bytes));
            assert_eq!(
                k.open(Field::AddendumBody, row, &tampered),
                Err(CryptoError::Rejected)
            );
            bytes[i] ^= 1;
        }
        let truncated = &sealed[..sealed.len() - 4];
        assert!(k.open(Field::AddendumBody, row, truncated).is_err());
    }

    #[test]
    fn a_value_moved_to_another_row_or_column_is_refused() {
        let k = ring();
        let row = Uuid::new_v4();
        let sealed = k
            .seal(Field::ResponseAnswers, row, "{\"q\":\"answer\"}")
            .expect("seal");
        assert_eq!(
            k.open(Field::ResponseAnswers, Uuid::new_v4(), &sealed),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            k.open(Field::ResponseComment, row, &sealed),
            Err(CryptoError::Rejected)
        );
    }

    #[test]
    fn another_key_does_not_open_it() {
        let k = ring();
        let row = Uuid::new_v4();
        let sealed = k
            .seal(Field::StageEventReason, row, "a reason")
            .expect("seal");
        let other = ring();
        assert_eq!(
            other.open(Field::StageEventReason, row, &sealed),
            Err(CryptoError::UnknownKey(k.primary_id()))
        );
        // Claiming the other key's id does not help either: the id is in the associated data.
        let forged = sealed.replacen(
            &k.primary_id().to_string(),
            &other.primary_id().to_string(),
            1,
        );
        assert_eq!(
            other.open(Field::StageEventReason, row, &forged),
            Err(CryptoError::Rejected)
        );
    }

    #[test]
    fn older_keys_open_but_never_seal() {
        let old = DataKey::generate();
        let row = Uuid::new_v4();
        let sealed = Keyring::new(old.clone())
            .seal(Field::NoteBody, row, "x")
            .expect("seal");
        let both = Keyring::new(DataKey::generate()).with_older(old.clone());
        assert_eq!(both.open(Field::NoteBody, row, &sealed).as_deref(), Ok("x"));
        assert_ne!(
            sealed_with(&both.seal(Field::NoteBody, row, "x").expect("seal")),
            Some(old.id())
        );
    }

    #[test]
    fn plain_text_is_not_mistaken_for_sealed_text() {
        for plain in [
            "{\"data\":\"x\"}",
            "v1:",
            "v1:abc:def",
            "v1:0123abcd:!!",
            "v2:0123abcd:AAAA",
        ] {
            assert_eq!(sealed_with(plain), None, "{plain}");
            assert_eq!(
                ring().open(Field::NoteBody, Uuid::nil(), plain),
                Err(CryptoError::NotSealed)
            );
        }
    }
}
