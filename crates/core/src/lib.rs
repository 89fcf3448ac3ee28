//! Kintsugi's records and rules: domain types, the recovery model, sea-orm entities and the
//! services that read and change them. No HTTP here; the web crate and the command line both
//! call these functions.

pub mod access;
pub mod audit;
pub mod clock;
pub mod couples;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod homework;
pub mod practice;
pub mod reminders;
pub mod sessions;
pub mod short_list;
pub mod stages;

pub use clock::{Clock, SystemClock};
pub use error::{CoreError, FieldErrors};
