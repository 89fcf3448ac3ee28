//! Who is asking: counselor browser sessions (cookie + CSRF token), API bearer tokens, the
//! cross-site request check, and sign-in throttling.

pub mod bearer;
pub mod cookies;
pub mod csrf;
pub mod limits;
pub mod origin;
pub mod refusals;
pub mod sign_in;
pub mod signature;
pub mod throttle;
pub mod totp;

pub use bearer::ApiCounselor;
pub use sign_in::{Admin, SignedIn};
