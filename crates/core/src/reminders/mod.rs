//! What to send, to whom and when: outbox messages written in the same transaction as the
//! change that causes them, with a dedupe key so the same message is never queued twice.
//!
//! - [`outbox`]: the durable queue the mail worker drains.
//! - [`homework_reminders`]: "new homework", due-soon and overdue reminders per assignee.
//! - [`session_reminders`]: a reminder per partner before each session.
//! - [`digest`]: the counselor's morning summary.
//! - [`delivery`]: the last look before a message goes out (still wanted? waking hours?).
//! - [`quiet_hours`]: client emails only in the recipient's waking hours.
//! - [`opt_out`]: signed one-click opt-out links.

pub mod delivery;
pub mod digest;
pub mod homework_reminders;
pub mod opt_out;
pub mod outbox;
pub mod quiet_hours;
pub mod session_reminders;

use chrono::Duration;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::entities::practice;
use crate::error::CoreError;
use quiet_hours::WakingHours;

/// The practice's reminder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    /// How long before a due time or a session start a reminder goes out (default 24 hours).
    pub lead: Duration,
    /// When client emails may be delivered (default 08:00 to 21:00, recipient's local time).
    pub waking: WakingHours,
    /// How long a new homework link lives without use.
    pub link_expiry: Duration,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self::of(None)
    }
}

impl ReminderSettings {
    pub fn of(practice: Option<&practice::Model>) -> Self {
        let hours = practice
            .map(|p| i64::from(p.reminder_hours_before))
            .filter(|h| (1..=24 * 14).contains(h))
            .unwrap_or(24);
        Self {
            lead: Duration::hours(hours),
            waking: practice.map_or_else(WakingHours::default, |p| {
                WakingHours::new(p.quiet_hours_start, p.quiet_hours_end)
            }),
            link_expiry: crate::homework::links::expiry_of(practice),
        }
    }
}

/// The settings of the installation's practice (the defaults before it exists).
pub async fn settings(db: &impl ConnectionTrait) -> Result<ReminderSettings, CoreError> {
    let practice = practice::Entity::find()
        .order_by_asc(practice::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(ReminderSettings::of(practice.as_ref()))
}
