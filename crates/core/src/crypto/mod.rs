//! Clinical free text encrypted at rest (AES-256-GCM, RustCrypto `aes-gcm`).
//!
//! What is sealed: the columns named by [`Field`]: note bodies, addenda, homework answers,
//! counselor comments on them, the reasons given for gate overrides and reopenings, and the
//! counselors' TOTP secrets (enabled and pending), so that one key, one format and one
//! `rotate-key` cover every secret at rest. Names, couple labels, emails and exercise texts are
//! not clinical free text and stay searchable; `docs/SECURITY.md` says why.
//!
//! Where: at the store boundary. The functions that write those columns seal the text with the
//! row's id as associated data, and the functions that read them open it before anything else
//! sees the row, so pages, PDFs, the API and the exports only ever see plain text, and the
//! database only ever holds sealed text.
//!
//! How the key reaches the stores: the process installs its [`Keyring`] once at start-up
//! ([`install`]), after checking it against the data; the stores use [`installed`]. The key is
//! configuration of the whole process, like the database it belongs to, and is never chosen per
//! request; installing it once keeps every store signature (and their many callers) unchanged.
//! Tools that need two keys at once (`rotate-key`) hold their own [`Keyring`] and use
//! [`reseal`] directly.

pub mod checked;
mod key;
pub mod records;
pub mod reseal;
mod sealed;

use std::sync::OnceLock;

use uuid::Uuid;

pub use key::{DataKey, KEY_BYTES, KeyError, KeyId};
pub use sealed::{CryptoError, Field, Keyring, sealed_with};

use crate::error::CoreError;

static KEYRING: OnceLock<Keyring> = OnceLock::new();

/// Another key is already installed in this process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data key {installed} is already in use by this process; {offered} cannot replace it")]
pub struct AlreadyInstalled {
    pub installed: KeyId,
    pub offered: KeyId,
}

/// Make `keyring` the one the stores use, for the life of the process. Installing the same
/// key again is fine (tests start several servers in one process); another key is refused.
pub fn install(keyring: Keyring) -> Result<(), AlreadyInstalled> {
    let offered = keyring.primary_id();
    let installed = KEYRING.get_or_init(|| keyring).primary_id();
    if installed == offered {
        Ok(())
    } else {
        Err(AlreadyInstalled { installed, offered })
    }
}

/// The keyring installed at start-up.
pub fn installed() -> Result<&'static Keyring, CoreError> {
    KEYRING.get().ok_or_else(|| {
        CoreError::Internal(
            "no data key is installed: clinical text can be neither sealed nor opened".into(),
        )
    })
}

fn failed(field: Field, row: Uuid, e: CryptoError) -> CoreError {
    CoreError::Internal(format!(
        "{}.{} of row {row}: {e}",
        field.table(),
        field.column()
    ))
}

/// Seal `plain` for `field` of row `row` with the installed key.
pub fn seal(field: Field, row: Uuid, plain: &str) -> Result<String, CoreError> {
    installed()?
        .seal(field, row, plain)
        .map_err(|e| failed(field, row, e))
}

/// [`seal`] for a nullable column (no key is needed for `None`).
pub fn seal_opt(field: Field, row: Uuid, plain: Option<&str>) -> Result<Option<String>, CoreError> {
    plain.map(|p| seal(field, row, p)).transpose()
}

/// Open a stored value of `field` of row `row` with the installed key.
pub fn open(field: Field, row: Uuid, stored: &str) -> Result<String, CoreError> {
    installed()?
        .open(field, row, stored)
        .map_err(|e| failed(field, row, e))
}

/// [`open`] for a nullable column.
pub fn open_opt(
    field: Field,
    row: Uuid,
    stored: Option<String>,
) -> Result<Option<String>, CoreError> {
    stored.map(|s| open(field, row, &s)).transpose()
}
