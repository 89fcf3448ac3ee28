//! The counselor's daily digest: at 07:00 in the counselor's own time zone, one email with what
//! waits for them today: submissions to review, overdue homework, today's sessions and emails
//! that could not be sent. Counts and couple labels only, never what a client wrote.
//!
//! The mail worker calls [`schedule_due`] on every step; the dedupe key names the counselor
//! and their local date, so however many workers run, each counselor gets one digest a day.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::outbox::{self, MessageKind, NewMessage, Subject};
use crate::couples::CoupleStatus;
use crate::domain::TimeZone;
use crate::entities::{counseling_session, counselor, couple, outbox_message};
use crate::error::CoreError;
use crate::homework::assignments::local_to_utc;
use crate::homework::open_work::caseload_counts;

/// The local hour at which the digest goes out.
pub const DIGEST_HOUR: u32 = 7;

/// What a digest says (the payload of its outbox row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub name: String,
    /// The counselor's local date, e.g. "Tuesday 5 January 2027".
    pub date: String,
    pub to_review: u64,
    pub overdue: u64,
    pub failed_emails: u64,
    pub sessions: Vec<DigestSession>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSession {
    /// Local start time, "09:30".
    pub time: String,
    /// The couple's label as the counselor named them.
    pub couple: String,
}

/// The dedupe key of one counselor's digest for one local date.
pub fn digest_key(counselor_id: Uuid, date: NaiveDate) -> String {
    format!(
        "{}:{counselor_id}:{date}",
        MessageKind::CounselorDigest.key()
    )
}

/// If the digest of the counselor's local day is due at `now`, that day; else None.
pub fn due_day(zone: TimeZone, now: DateTime<Utc>) -> Option<NaiveDate> {
    let day = now.with_timezone(&zone.tz()).date_naive();
    let at = local_to_utc(
        zone,
        day.and_time(NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0)?),
    );
    (now >= at).then_some(day)
}

/// Queue today's digest for every active counselor with a caseload whose 07:00 has come and
/// who has none yet. Returns how many were queued.
pub async fn schedule_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<usize, CoreError> {
    let counselors = counselor::Entity::find()
        .filter(counselor::Column::Active.eq(true))
        .all(db)
        .await?;
    let due: Vec<(counselor::Model, NaiveDate, String)> = counselors
        .into_iter()
        .filter_map(|c| {
            let day = due_day(c.timezone, now)?;
            let key = digest_key(c.id, day);
            Some((c, day, key))
        })
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let queued: HashSet<String> = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.is_in(due.iter().map(|(_, _, k)| k.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.dedupe_key)
        .collect();
    let mut count = 0;
    for (c, day, key) in due.into_iter().filter(|(_, _, k)| !queued.contains(k)) {
        let Some(digest) = compose(db, &c, day, now).await? else {
            continue;
        };
        let payload =
            serde_json::to_value(&digest).map_err(|e| CoreError::Internal(e.to_string()))?;
        let inserted = outbox::enqueue_about(
            db,
            now,
            NewMessage {
                kind: MessageKind::CounselorDigest,
                recipient: c.email.to_string(),
                counselor_id: Some(c.id),
                partner_id: None,
                couple_id: None,
                payload,
                scheduled_at: now,
                dedupe_key: key,
            },
            Some(Subject::counselor(c.id)),
        )
        .await?;
        count += usize::from(inserted);
    }
    Ok(count)
}

/// The digest of one counselor's local day; None when they have no couple in their care (an
/// admin without a caseload gets no daily email).
pub async fn compose(
    db: &impl ConnectionTrait,
    c: &counselor::Model,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<Digest>, CoreError> {
    let couples: HashMap<Uuid, String> = couple::Entity::find()
        .filter(couple::Column::CounselorId.eq(c.id))
        .filter(couple::Column::Status.ne(CoupleStatus::Closed))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.label))
        .collect();
    if couples.is_empty() {
        return Ok(None);
    }
    let counts = caseload_counts(db, c.id, now).await?;
    let failed_emails = outbox::failed_count(db, c.id).await?;
    let zone = c.timezone;
    let start = local_to_utc(zone, day.and_time(NaiveTime::MIN));
    let end = local_to_utc(zone, (day + Duration::days(1)).and_time(NaiveTime::MIN));
    let sessions = counseling_session::Entity::find()
        .filter(counseling_session::Column::CoupleId.is_in(couples.keys().copied()))
        .filter(counseling_session::Column::StartsAt.gte(start))
        .filter(counseling_session::Column::StartsAt.lt(end))
        .filter(counseling_session::Column::CancelledAt.is_null())
        .order_by_asc(counseling_session::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| s.attendance.as_deref() != Some("cancelled"))
        .map(|s| DigestSession {
            time: s
                .starts_at
                .with_timezone(&zone.tz())
                .format("%H:%M")
                .to_string(),
            couple: couples.get(&s.couple_id).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(Some(Digest {
        name: c.name.clone(),
        date: day.format("%A %-d %B %Y").to_string(),
        to_review: counts.to_review,
        overdue: counts.overdue,
        failed_emails,
        sessions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn due_from_seven_in_the_counselors_zone_across_daylight_saving() {
        let berlin = TimeZone::parse("Europe/Berlin").expect("tz");
        // Winter: 07:00 CET is 06:00 UTC.
        assert_eq!(due_day(berlin, utc("2027-01-05T05:59:00Z")), None);
        assert_eq!(
            due_day(berlin, utc("2027-01-05T06:00:00Z")),
            NaiveDate::from_ymd_opt(2027, 1, 5)
        );
        // The Sunday clocks go forward: 07:00 CEST is 05:00 UTC.
        assert_eq!(due_day(berlin, utc("2027-03-28T04:59:00Z")), None);
        assert!(due_day(berlin, utc("2027-03-28T05:00:00Z")).is_some());
        // New York, late evening UTC is still the same local day.
        let ny = TimeZone::parse("America/New_York").expect("tz");
        assert_eq!(
            due_day(ny, utc("2027-01-06T02:00:00Z")),
            NaiveDate::from_ymd_opt(2027, 1, 5)
        );
    }

    #[test]
    fn one_key_per_counselor_and_day() {
        let id = Uuid::nil();
        let d = NaiveDate::from_ymd_opt(2027, 1, 5).expect("date");
        assert_eq!(
            digest_key(id, d),
            format!("counselor_digest:{id}:2027-01-05")
        );
        assert_ne!(
            digest_key(id, d),
            digest_key(id, d.succ_opt().expect("next"))
        );
    }
}
