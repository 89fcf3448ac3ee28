//! Session reminders: one per partner, due a set number of hours before the start, kept in step
//! with the session. [`sync`] is called in the transaction of every change to a session.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::outbox::{self, MessageKind, NewMessage, Subject};
use super::{ReminderSettings, settings};
use crate::clock::Clock;
use crate::couples::CoupleStatus;
use crate::entities::{counseling_session, couple, partner};
use crate::error::CoreError;

/// When a partner's reminder of a session goes out: `lead` before the start (or at once when
/// the session is booked closer than that), held to the partner's waking hours; none when that
/// would be at or after the start.
pub fn plan(
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    settings: &ReminderSettings,
    zone: Tz,
) -> Option<DateTime<Utc>> {
    if starts_at <= now {
        return None;
    }
    let at = settings
        .waking
        .next_open((starts_at - settings.lead).max(now), zone);
    (at < starts_at).then_some(at)
}

/// The dedupe key of one partner's reminder of a session at one start time.
pub fn reminder_key(session_id: Uuid, partner_id: Uuid, starts_at: DateTime<Utc>) -> String {
    format!(
        "{}:{session_id}:{partner_id}:{}",
        MessageKind::SessionReminder.key(),
        starts_at.timestamp()
    )
}

/// Whether a session is still ahead and on (no attendance recorded, not cancelled).
pub fn is_scheduled(session: &counseling_session::Model) -> bool {
    session.attendance.is_none() && session.cancelled_at.is_none()
}

/// Bring the session's pending reminders in line with the session as it now is: schedule them
/// for a new session, move them when it moves, cancel them when it is cancelled or recorded.
pub async fn sync(
    tx: &impl ConnectionTrait,
    clock: &dyn Clock,
    session: &counseling_session::Model,
) -> Result<(), CoreError> {
    outbox::withdraw_pending(
        tx,
        Subject::session(session.id),
        &[MessageKind::SessionReminder],
    )
    .await?;
    let now = clock.now();
    if !is_scheduled(session) || session.starts_at <= now {
        return Ok(());
    }
    let Some(c) = couple::Entity::find_by_id(session.couple_id)
        .one(tx)
        .await?
    else {
        return Ok(());
    };
    if c.status == CoupleStatus::Closed {
        return Ok(());
    }
    let partners = partner::Entity::find()
        .filter(partner::Column::CoupleId.eq(c.id))
        .all(tx)
        .await?;
    let settings = settings(tx).await?;
    for p in partners.into_iter().filter(|p| !p.reminders_opt_out) {
        let Some(at) = plan(session.starts_at, now, &settings, p.timezone.tz()) else {
            continue;
        };
        let video_link = (session.location_kind == "video")
            .then(|| session.location_detail.clone())
            .flatten();
        outbox::enqueue_about(
            tx,
            now,
            NewMessage {
                kind: MessageKind::SessionReminder,
                recipient: p.email.to_string(),
                counselor_id: Some(c.counselor_id),
                partner_id: Some(p.id),
                couple_id: Some(c.id),
                // The time and, for a video session, its link: nothing about the couple.
                payload: json!({
                    "name": p.name,
                    "session_id": session.id,
                    "partner_id": p.id,
                    "starts_at": session.starts_at.to_rfc3339(),
                    "duration_minutes": session.duration_minutes,
                    "video_link": video_link,
                }),
                scheduled_at: at,
                dedupe_key: reminder_key(session.id, p.id, session.starts_at),
            },
            Some(Subject::session(session.id)),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_day_before_in_waking_hours() {
        let s = ReminderSettings::default();
        let start = utc("2027-02-10T15:00:00Z"); // 10:00 in New York
        assert_eq!(
            plan(
                start,
                utc("2027-02-01T00:00:00Z"),
                &s,
                chrono_tz::America::New_York
            ),
            Some(utc("2027-02-09T15:00:00Z"))
        );
        // An 08:30 session in Berlin: 08:30 the day before is fine.
        let early = utc("2027-02-10T07:30:00Z");
        assert_eq!(
            plan(
                early,
                utc("2027-02-01T00:00:00Z"),
                &s,
                chrono_tz::Europe::Berlin
            ),
            Some(utc("2027-02-09T07:30:00Z"))
        );
    }

    #[test]
    fn booked_at_short_notice_the_reminder_goes_at_once_or_not_at_all() {
        let s = ReminderSettings::default();
        let now = utc("2027-02-10T10:00:00Z");
        assert_eq!(
            plan(now + Duration::hours(3), now, &s, chrono_tz::UTC),
            Some(now)
        );
        // Booked at 22:00 for 07:00 the next morning: waking hours open after the start.
        let night = utc("2027-02-10T22:00:00Z");
        assert_eq!(
            plan(night + Duration::hours(9), night, &s, chrono_tz::UTC),
            None
        );
        assert_eq!(
            plan(now - Duration::hours(1), now, &s, chrono_tz::UTC),
            None
        );
    }
}
