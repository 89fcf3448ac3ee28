//! Homework emails: "you have new homework" with a fresh link when homework is assigned, and per
//! assignee a due-soon reminder (a set time before the due time) and an overdue reminder (once,
//! after it), both only while that assignee has not submitted.
//!
//! Every function here runs inside the caller's transaction (assign, change the due date,
//! cancel, submit), so the outbox always agrees with the homework: pending reminders of a
//! response are withdrawn and queued again from the assignment as it now is. The dedupe key
//! names the response and the due time, so queueing the same reminder twice is a no-op, and a
//! new due time gets its own reminders even when the old ones went out.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::outbox::{self, MessageKind, NewMessage, Subject};
use super::{ReminderSettings, settings};
use crate::clock::Clock;
use crate::couples::CoupleStatus;
use crate::entities::{assignment, couple, partner, response};
use crate::error::CoreError;

/// How long after the due time the overdue reminder goes (a partner finishing a few minutes
/// late is not reminded).
pub const OVERDUE_GRACE: Duration = Duration::hours(1);

/// When the reminders of one assignee go out, as (kind, time). Pure: the due time, the time
/// of planning, the practice settings and the partner's zone.
///
/// - Due soon: `lead` before the due time, held to the partner's waking hours; left out when
///   that moment has already passed (the "new homework" email just went) or when waking hours
///   would push it past the due time.
/// - Overdue: [`OVERDUE_GRACE`] after the due time, held to waking hours; left out when the
///   due time is already past when planning (backdated homework gets no instant scolding).
pub fn plan(
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    settings: &ReminderSettings,
    zone: Tz,
) -> Vec<(MessageKind, DateTime<Utc>)> {
    let mut out = Vec::new();
    if due_at <= now {
        return out;
    }
    let soon = due_at - settings.lead;
    if soon > now {
        let at = settings.waking.next_open(soon, zone);
        if at < due_at {
            out.push((MessageKind::HomeworkDueSoon, at));
        }
    }
    out.push((
        MessageKind::HomeworkOverdue,
        settings.waking.next_open(due_at + OVERDUE_GRACE, zone),
    ));
    out
}

/// The dedupe key of one reminder of one response for one due time.
pub fn reminder_key(kind: MessageKind, response_id: Uuid, due_at: DateTime<Utc>) -> String {
    format!("{}:{response_id}:{}", kind.key(), due_at.timestamp())
}

const REMINDERS: [MessageKind; 2] = [MessageKind::HomeworkDueSoon, MessageKind::HomeworkOverdue];

/// Bring the reminders of every response of these assignments in line with the assignments as
/// they are now: withdraw the pending ones, then queue what is still wanted (none for a
/// cancelled assignment, a submitted response, a partner who opted out or a closed couple).
pub async fn sync_assignments(
    tx: &impl ConnectionTrait,
    now: DateTime<Utc>,
    assignment_ids: &[Uuid],
) -> Result<(), CoreError> {
    if assignment_ids.is_empty() {
        return Ok(());
    }
    let settings = settings(tx).await?;
    let assignments: HashMap<Uuid, assignment::Model> = assignment::Entity::find()
        .filter(assignment::Column::Id.is_in(assignment_ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let responses = response::Entity::find()
        .filter(response::Column::AssignmentId.is_in(assignment_ids.iter().copied()))
        .all(tx)
        .await?;
    let mut couple_ids: Vec<Uuid> = assignments.values().map(|a| a.couple_id).collect();
    couple_ids.sort();
    couple_ids.dedup();
    let couples: HashMap<Uuid, couple::Model> = couple::Entity::find()
        .filter(couple::Column::Id.is_in(couple_ids.clone()))
        .all(tx)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let partners: HashMap<Uuid, partner::Model> = partner::Entity::find()
        .filter(partner::Column::CoupleId.is_in(couple_ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    for r in responses {
        outbox::withdraw_pending(tx, Subject::response(r.id), &REMINDERS).await?;
        let (Some(a), Some(p)) = (
            assignments.get(&r.assignment_id),
            partners.get(&r.partner_id),
        ) else {
            continue;
        };
        let Some(c) = couples.get(&a.couple_id) else {
            continue;
        };
        if a.cancelled_at.is_some()
            || r.status.is_final()
            || p.reminders_opt_out
            || c.status == CoupleStatus::Closed
        {
            continue;
        }
        for (kind, at) in plan(a.due_at, now, &settings, p.timezone.tz()) {
            outbox::enqueue_about(
                tx,
                now,
                NewMessage {
                    kind,
                    recipient: p.email.to_string(),
                    counselor_id: Some(c.counselor_id),
                    partner_id: Some(p.id),
                    couple_id: Some(c.id),
                    // Only what the email says: a name and a time. No exercise, no stage.
                    payload: json!({ "name": p.name, "due_at": a.due_at.to_rfc3339() }),
                    scheduled_at: at,
                    dedupe_key: reminder_key(kind, r.id, a.due_at),
                },
                Some(Subject::response(r.id)),
            )
            .await?;
        }
    }
    Ok(())
}

/// A response was submitted: its reminders are no longer wanted.
pub async fn submitted(tx: &impl ConnectionTrait, response_id: Uuid) -> Result<(), CoreError> {
    outbox::withdraw_pending(tx, Subject::response(response_id), &REMINDERS).await?;
    Ok(())
}

/// New homework: reminders for each assignee, and a "you have new homework" email with a fresh
/// personal link to each assignee, unless one of those (or a link email) is still waiting to go
/// out to that partner: one email then covers everything assigned meanwhile.
pub async fn assigned(
    tx: &impl ConnectionTrait,
    clock: &dyn Clock,
    assignment_ids: &[Uuid],
) -> Result<(), CoreError> {
    let now = clock.now();
    sync_assignments(tx, now, assignment_ids).await?;
    let Some(first) = assignment_ids.first() else {
        return Ok(());
    };
    let Some(a) = assignment::Entity::find_by_id(*first).one(tx).await? else {
        return Ok(());
    };
    let Some(c) = couple::Entity::find_by_id(a.couple_id).one(tx).await? else {
        return Ok(());
    };
    if c.status == CoupleStatus::Closed {
        return Ok(());
    }
    let assignees: Vec<Uuid> = response::Entity::find()
        .filter(response::Column::AssignmentId.is_in(assignment_ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.partner_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let partners: BTreeMap<Uuid, partner::Model> = partner::Entity::find()
        .filter(partner::Column::Id.is_in(assignees))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let settings = settings(tx).await?;
    for p in partners.values() {
        let waiting = outbox::has_pending_for_partner(
            tx,
            p.id,
            &[MessageKind::HomeworkAssigned, MessageKind::HomeworkLink],
        )
        .await?;
        if waiting {
            continue;
        }
        let secret = crate::homework::links::mint(tx, clock, p.id, settings.link_expiry).await?;
        outbox::enqueue_about(
            tx,
            now,
            NewMessage {
                kind: MessageKind::HomeworkAssigned,
                recipient: p.email.to_string(),
                counselor_id: Some(c.counselor_id),
                partner_id: Some(p.id),
                couple_id: Some(c.id),
                // The worker puts KINTSUGI_BASE_URL in front; the secret is forgotten once sent.
                payload: json!({ "name": p.name, "link_path": format!("/h/{}", secret.expose()) }),
                scheduled_at: settings.waking.next_open(now, p.timezone.tz()),
                dedupe_key: format!("{}:{}:{first}", MessageKind::HomeworkAssigned.key(), p.id),
            },
            None,
        )
        .await?;
    }
    Ok(())
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
    fn due_soon_a_day_before_and_overdue_an_hour_after() {
        let s = ReminderSettings::default();
        // Due Friday 19:00 in Berlin (18:00 UTC in winter), assigned on Monday.
        let due = utc("2027-01-15T18:00:00Z");
        let plan = plan(
            due,
            utc("2027-01-11T10:00:00Z"),
            &s,
            chrono_tz::Europe::Berlin,
        );
        assert_eq!(
            plan,
            [
                (MessageKind::HomeworkDueSoon, utc("2027-01-14T18:00:00Z")),
                (MessageKind::HomeworkOverdue, utc("2027-01-15T19:00:00Z")),
            ]
        );
    }

    #[test]
    fn reminders_that_would_fall_at_night_wait_for_the_morning() {
        let s = ReminderSettings::default();
        // Due 07:30 in New York: due soon would be 07:30 the day before, held to 08:00; the
        // overdue reminder (08:30) is inside the window.
        let due = utc("2027-01-15T12:30:00Z");
        let plan = plan(
            due,
            utc("2027-01-10T12:00:00Z"),
            &s,
            chrono_tz::America::New_York,
        );
        assert_eq!(
            plan[0],
            (MessageKind::HomeworkDueSoon, utc("2027-01-14T13:00:00Z"))
        );
        assert_eq!(
            plan[1],
            (MessageKind::HomeworkOverdue, utc("2027-01-15T13:30:00Z"))
        );
        // Due 23:00: overdue would be at midnight, so it goes at 08:00 the next morning.
        let late = utc("2027-01-16T04:00:00Z");
        let plan = super::plan(
            late,
            utc("2027-01-10T12:00:00Z"),
            &s,
            chrono_tz::America::New_York,
        );
        assert_eq!(
            plan[1],
            (MessageKind::HomeworkOverdue, utc("2027-01-16T13:00:00Z"))
        );
    }

    #[test]
    fn no_due_soon_when_assigned_shortly_before_and_nothing_for_past_dues() {
        let s = ReminderSettings::default();
        let now = utc("2027-01-15T10:00:00Z");
        let due = now + Duration::hours(5);
        let p = plan(due, now, &s, chrono_tz::UTC);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, MessageKind::HomeworkOverdue);
        assert!(plan(now - Duration::hours(1), now, &s, chrono_tz::UTC).is_empty());
    }

    #[test]
    fn a_due_soon_pushed_past_the_due_time_by_the_night_is_left_out() {
        let s = ReminderSettings {
            lead: Duration::hours(2),
            ..ReminderSettings::default()
        };
        // Due 07:00 UTC; two hours before is 05:00, which waits until 08:00: after the due time.
        let due = utc("2027-01-15T07:00:00Z");
        let p = plan(due, utc("2027-01-10T07:00:00Z"), &s, chrono_tz::UTC);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, MessageKind::HomeworkOverdue);
    }

    #[test]
    fn keys_name_the_response_and_the_due_time() {
        let id = Uuid::nil();
        let due = utc("2027-01-15T18:00:00Z");
        assert_eq!(
            reminder_key(MessageKind::HomeworkOverdue, id, due),
            format!("homework_overdue:{id}:{}", due.timestamp())
        );
        assert_ne!(
            reminder_key(MessageKind::HomeworkOverdue, id, due),
            reminder_key(MessageKind::HomeworkOverdue, id, due + Duration::days(1))
        );
    }
}
