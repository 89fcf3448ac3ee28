//! How counselors get in: browser sessions (cookie) and API tokens (bearer). Both are random
//! secrets of which only a SHA-256 is stored. Also the throttles' buckets when several
//! instances share a PostgreSQL database.

pub mod api_tokens;
pub mod secrets;
pub mod sign_ins;
pub mod throttle_buckets;
pub mod totp;
pub mod totp_pending;
pub mod totp_store;
