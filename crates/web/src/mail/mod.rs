//! Email: rendering each kind of message from its templates, the transports (SMTP, or `.eml`
//! files in `data/outbox/` when no SMTP server is configured), and the worker that sends the
//! outbox's due messages.

pub mod calendar;
pub mod messages;
pub mod transport;
pub mod worker;

pub use transport::Transport;
pub use worker::Worker;
