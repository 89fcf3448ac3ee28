//! Values that are valid by construction. Handlers parse outside input into these at the edge;
//! everything past the edge can rely on them.

mod display_name;
mod email;
mod password;
mod text;
mod time_zone;

pub use display_name::{CoupleLabel, DisplayName};
pub use email::EmailAddress;
pub use password::Password;
pub use text::{BoundedText, TextError};
pub use time_zone::TimeZone;

/// Why a value was refused, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
