//! What to send, to whom and when: outbox messages written in the same transaction as the
//! change that causes them, with a dedupe key so the same message is never queued twice.

pub mod outbox;
pub mod session_reminders;
