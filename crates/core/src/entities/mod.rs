//! sea-orm entities, one per table. Only `core` touches them; everything outside core works
//! with the services and view types built on top.

pub mod api_token;
pub mod assignment;
pub mod audit_event;
pub mod browser_session;
pub mod client_session;
pub mod counseling_session;
pub mod counselor;
pub mod counselor_totp;
pub mod couple;
pub mod data_key_state;
pub mod exercise;
pub mod exercise_prompt;
pub mod homework_link;
pub mod marker_rating;
pub mod note;
pub mod note_addendum;
pub mod open_homework;
pub mod outbox_message;
pub mod partner;
pub mod pending_login;
pub mod practice;
pub mod response;
pub mod stage_event;
pub mod stage_progress;
pub mod totp_recovery_code;
