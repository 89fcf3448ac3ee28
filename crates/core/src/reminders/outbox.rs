//! The outbox: durable, deduplicated messages waiting to be sent by the mail worker.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};
use sea_orm::{ConnectionTrait, DatabaseConnection, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::outbox_message;
use crate::error::{CoreError, is_unique_violation};

/// The kinds of message Kintsugi sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A partner's personal homework link (sent, or rotated).
    HomeworkLink,
    /// New homework for a partner, with a fresh link.
    HomeworkAssigned,
    /// Homework due soon and not yet submitted (a reminder).
    HomeworkDueSoon,
    /// Homework past its due time and not submitted (a reminder, once).
    HomeworkOverdue,
    /// A session coming up, with a calendar invitation (a reminder).
    SessionReminder,
    /// The counselor's morning summary.
    CounselorDigest,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [
        MessageKind::HomeworkLink,
        MessageKind::HomeworkAssigned,
        MessageKind::HomeworkDueSoon,
        MessageKind::HomeworkOverdue,
        MessageKind::SessionReminder,
        MessageKind::CounselorDigest,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MessageKind::HomeworkLink => "homework_link",
            MessageKind::HomeworkAssigned => "homework_assigned",
            MessageKind::HomeworkDueSoon => "homework_due_soon",
            MessageKind::HomeworkOverdue => "homework_overdue",
            MessageKind::SessionReminder => "session_reminder",
            MessageKind::CounselorDigest => "counselor_digest",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Words for the counselor's outbox.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::HomeworkLink => "Homework link",
            MessageKind::HomeworkAssigned => "New homework",
            MessageKind::HomeworkDueSoon => "Reminder: homework due soon",
            MessageKind::HomeworkOverdue => "Reminder: homework overdue",
            MessageKind::SessionReminder => "Reminder: session",
            MessageKind::CounselorDigest => "Your daily summary",
        }
    }

    /// Sent to a partner: minimum content, waking hours only, an opt-out link.
    pub fn is_client(self) -> bool {
        !matches!(self, MessageKind::CounselorDigest)
    }

    /// A reminder: a partner who opted out does not get it.
    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            MessageKind::HomeworkDueSoon
                | MessageKind::HomeworkOverdue
                | MessageKind::SessionReminder
        )
    }

    /// The reminder kinds, for queries.
    pub fn reminder_keys() -> Vec<&'static str> {
        Self::ALL
            .into_iter()
            .filter(|k| k.is_reminder())
            .map(|k| k.key())
            .collect()
    }
}

/// The record a message is about, so that it can be found again when that record changes
/// (a response's reminders when its due date moves, a session's when it is rescheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub kind: &'static str,
    pub id: Uuid,
}

impl Subject {
    pub fn response(id: Uuid) -> Self {
        Self {
            kind: "response",
            id,
        }
    }
    pub fn session(id: Uuid) -> Self {
        Self {
            kind: "session",
            id,
        }
    }
    pub fn counselor(id: Uuid) -> Self {
        Self {
            kind: "counselor",
            id,
        }
    }
}

/// A message to queue. `payload` holds what the template needs; never clinical content.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub recipient: String,
    pub counselor_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub couple_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub scheduled_at: DateTime<Utc>,
    /// Identical keys are queued once.
    pub dedupe_key: String,
}

/// Queue a message inside the caller's transaction. A second message with the same dedupe key
/// is a no-op (returns false). `INSERT ... ON CONFLICT DO NOTHING`, so that on PostgreSQL the
/// caller's transaction stays usable after a duplicate.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    message: NewMessage,
) -> Result<bool, CoreError> {
    enqueue_about(db, now, message, None).await
}

/// [`enqueue`], remembering the record the message is about.
pub async fn enqueue_about(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    message: NewMessage,
    subject: Option<Subject>,
) -> Result<bool, CoreError> {
    use sea_orm::{EntityTrait, TryInsertResult};
    let row = outbox_message::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(message.kind.key().to_owned()),
        recipient: Set(message.recipient),
        counselor_id: Set(message.counselor_id),
        partner_id: Set(message.partner_id),
        couple_id: Set(message.couple_id),
        subject_kind: Set(subject.map(|s| s.kind.to_owned())),
        subject_id: Set(subject.map(|s| s.id)),
        payload: Set(message.payload.to_string()),
        scheduled_at: Set(message.scheduled_at),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        last_error: Set(None),
        dedupe_key: Set(message.dedupe_key),
        claimed_until: Set(None),
        message_id: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
    };
    let inserted = outbox_message::Entity::insert(row)
        .on_conflict_do_nothing_on([outbox_message::Column::DedupeKey])
        .exec_without_returning(db)
        .await;
    match inserted {
        Ok(TryInsertResult::Inserted(n)) => Ok(n > 0),
        Ok(TryInsertResult::Conflicted | TryInsertResult::Empty) => Ok(false),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Where a message is on its way out, as stored in `outbox_message.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its time (or for a retry).
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Claimed by a worker, in flight until its lease runs out.
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up after the last attempt; the counselor may try it again.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl OutboxStatus {
    /// As stored and as the API spells it.
    pub fn key(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

/// Forget the pending (not yet claimed) messages about a record, of the given kinds: the
/// record changed and the caller queues what is still wanted. A message a worker is sending at
/// this moment is left alone (the worker checks the record again before it sends).
pub async fn withdraw_pending(
    db: &impl ConnectionTrait,
    subject: Subject,
    kinds: &[MessageKind],
) -> Result<u64, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let res = outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::SubjectKind.eq(subject.kind))
        .filter(outbox_message::Column::SubjectId.eq(subject.id))
        .filter(outbox_message::Column::Kind.is_in(kinds.iter().map(|k| k.key())))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Pending))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Forget every pending reminder to a partner (they opted out).
pub async fn withdraw_partner_reminders(
    db: &impl ConnectionTrait,
    partner_id: Uuid,
) -> Result<u64, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let res = outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::PartnerId.eq(partner_id))
        .filter(outbox_message::Column::Kind.is_in(MessageKind::reminder_keys()))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Pending))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Whether a partner has a message of one of these kinds still waiting to go out.
pub async fn has_pending_for_partner(
    db: &impl ConnectionTrait,
    partner_id: Uuid,
    kinds: &[MessageKind],
) -> Result<bool, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::PartnerId.eq(partner_id))
        .filter(outbox_message::Column::Kind.is_in(kinds.iter().map(|k| k.key())))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Pending))
        .count(db)
        .await?
        > 0)
}

/// How long a worker owns a claimed message before another may take it over (a crashed
/// worker's claim expires).
pub const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Attempts before a message is marked failed and shown to the counselor.
pub const MAX_ATTEMPTS: i32 = 6;

/// Claim up to `limit` due messages for this worker, for [`LEASE`]: pending ones whose time has
/// come, and ones whose earlier claim expired (a worker that crashed mid-batch).
///
/// - PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` and an UPDATE of exactly those rows in one
///   transaction, so several workers on several machines take disjoint batches without waiting
///   for each other.
/// - SQLite: the same select and update inside a `BEGIN IMMEDIATE` transaction: one worker
///   claims at a time (SQLite has no row locks, and drops `FOR UPDATE` silently).
///
/// Either way the UPDATE repeats the claimable condition, so a row is never claimed twice.
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox_message::Model>, CoreError> {
    use sea_orm::sea_query::{LockBehavior, LockType};
    use sea_orm::{
        ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
        TransactionTrait, sea_query::Expr,
    };
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let tx = if postgres {
        db.begin().await?
    } else {
        crate::db::begin_write(db).await?
    };
    let claimable = claimable(now);
    let mut select = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(claimable.clone())
        .filter(outbox_message::Column::ScheduledAt.lte(now))
        .order_by_asc(outbox_message::Column::ScheduledAt)
        .limit(limit);
    if postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<Uuid> = select.into_tuple().all(&tx).await?;
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sending),
        )
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(now + LEASE),
        )
        .filter(outbox_message::Column::Id.is_in(ids.clone()))
        .filter(claimable)
        .exec(&tx)
        .await?;
    let claimed = outbox_message::Entity::find()
        .filter(outbox_message::Column::Id.is_in(ids))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .order_by_asc(outbox_message::Column::ScheduledAt)
        .all(&tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

fn claimable(now: DateTime<Utc>) -> sea_orm::Condition {
    use sea_orm::{ColumnTrait, Condition};
    Condition::any()
        .add(outbox_message::Column::Status.eq(OutboxStatus::Pending))
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq(OutboxStatus::Sending))
                .add(outbox_message::Column::ClaimedUntil.lt(now)),
        )
}

/// Put a claimed message back to wait until `until` without counting an attempt (outside the
/// recipient's waking hours).
pub async fn hold_until(
    db: &impl ConnectionTrait,
    id: Uuid,
    until: DateTime<Utc>,
) -> Result<(), CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Pending),
        )
        .col_expr(outbox_message::Column::ScheduledAt, Expr::value(until))
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .exec(db)
        .await?;
    Ok(())
}

/// Drop a claimed message that is no longer wanted (its homework was submitted or cancelled,
/// its session moved or was cancelled, its partner opted out of reminders).
pub async fn drop_claimed(db: &impl ConnectionTrait, id: Uuid) -> Result<(), CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a dedupe key is already in the outbox (in any state).
pub async fn exists(db: &impl ConnectionTrait, dedupe_key: &str) -> Result<bool, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(dedupe_key))
        .count(db)
        .await?
        > 0)
}

/// The message went out: keep its Message-ID, and forget the payload (a link in it must not
/// outlive the email).
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: Uuid,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sent),
        )
        .col_expr(outbox_message::Column::SentAt, Expr::value(now))
        .col_expr(outbox_message::Column::MessageId, Expr::value(message_id))
        .col_expr(outbox_message::Column::Payload, Expr::value("{}"))
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Several messages went out: [`mark_sent`] for each, in one transaction (one write lock and
/// one commit instead of one per message; the worker calls it once per batch).
pub async fn mark_sent_many(
    db: &DatabaseConnection,
    sent: &[(Uuid, String)],
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    if sent.is_empty() {
        return Ok(());
    }
    let tx = crate::db::begin_write(db).await?;
    for (id, message_id) in sent {
        mark_sent(&tx, *id, message_id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Exponential backoff with jitter: about 1, 2, 4, 8, 16 minutes.
pub fn retry_delay(attempts: i32, jitter_seconds: i64) -> chrono::Duration {
    let base = 60_i64 << attempts.clamp(0, 10);
    chrono::Duration::seconds(base + jitter_seconds.clamp(0, base / 2))
}

/// A send failed: try again later, or give up after the last attempt.
pub async fn mark_attempt_failed(
    db: &impl ConnectionTrait,
    message: &outbox_message::Model,
    error: &str,
    now: DateTime<Utc>,
    jitter_seconds: i64,
) -> Result<bool, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let attempts = message.attempts + 1;
    let gave_up = attempts >= MAX_ATTEMPTS;
    let error: String = error.chars().take(500).collect();
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(if gave_up {
                OutboxStatus::Failed
            } else {
                OutboxStatus::Pending
            }),
        )
        .col_expr(outbox_message::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox_message::Column::LastError, Expr::value(error))
        .col_expr(
            outbox_message::Column::ScheduledAt,
            Expr::value(now + retry_delay(message.attempts, jitter_seconds)),
        )
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox_message::Column::Id.eq(message.id))
        .exec(db)
        .await?;
    Ok(gave_up)
}

/// A counselor's outgoing messages, newest first: what, to whom, when, and how it went. Never
/// the body.
pub async fn for_counselor(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    limit: u64,
    offset: u64,
) -> Result<Vec<outbox_message::Model>, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::CounselorId.eq(counselor_id))
        .order_by_desc(outbox_message::Column::CreatedAt)
        .order_by_asc(outbox_message::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many of a counselor's messages failed for good (the dashboard shows them).
pub async fn failed_count(db: &impl ConnectionTrait, counselor_id: Uuid) -> Result<u64, CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::CounselorId.eq(counselor_id))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Failed))
        .count(db)
        .await?)
}

/// What is waiting to go out: messages whose time has come and that are not sent yet (pending,
/// or claimed by a worker and in flight), per kind, and when the longest-waiting one was due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// `(kind key, messages)`, only kinds with some.
    pub due: Vec<(String, u64)>,
    pub oldest_due: Option<DateTime<Utc>>,
}

impl Backlog {
    pub fn total(&self) -> u64 {
        self.due.iter().map(|(_, n)| n).sum()
    }
}

/// The [`Backlog`] at `now`, in one grouped query over the `(status, scheduled_at)` index: cheap
/// enough for every metrics scrape.
pub async fn backlog(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Backlog, CoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait as _};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Kind)
        .column_as(Expr::col(outbox_message::Column::Id).count(), "n")
        .column_as(
            Expr::col(outbox_message::Column::ScheduledAt).min(),
            "oldest",
        )
        .filter(
            outbox_message::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]),
        )
        .filter(outbox_message::Column::ScheduledAt.lte(now))
        .group_by(outbox_message::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut backlog = Backlog::default();
    for (kind, n, oldest) in rows {
        backlog
            .due
            .push((kind, u64::try_from(n).unwrap_or_default()));
        backlog.oldest_due = match (backlog.oldest_due, oldest) {
            (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
            (a, b) => a.or(b),
        };
    }
    backlog.due.sort();
    Ok(backlog)
}

/// Try a failed message again now. Only the counselor's own; anything else is not found.
pub async fn retry(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let res = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Pending),
        )
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::ScheduledAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::CounselorId.eq(counselor_id))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Failed))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        let exists = outbox_message::Entity::find_by_id(id)
            .filter(outbox_message::Column::CounselorId.eq(counselor_id))
            .one(db)
            .await?
            .is_some();
        return Err(if exists {
            CoreError::Conflict("Only a message that failed can be tried again.".into())
        } else {
            CoreError::NotFound
        });
    }
    Ok(())
}

/// Words for a message kind, for the counselor's outbox.
pub fn kind_label(kind: &str) -> &'static str {
    MessageKind::from_key(kind).map_or("Message", MessageKind::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enum stores, and the API shows, the strings the column always held.
    #[test]
    fn statuses_keep_their_stored_strings() {
        use sea_orm::{ActiveEnum, Iterable};
        let keys: Vec<_> = OutboxStatus::iter().map(OutboxStatus::key).collect();
        assert_eq!(keys, ["pending", "sending", "sent", "failed"]);
        for s in OutboxStatus::iter() {
            assert_eq!(s.to_value(), s.key());
            assert_eq!(serde_json::to_value(s).expect("json"), s.key());
        }
    }

    #[test]
    fn retries_back_off() {
        assert_eq!(retry_delay(0, 0), chrono::Duration::minutes(1));
        assert_eq!(retry_delay(3, 0), chrono::Duration::minutes(8));
        assert!(
            retry_delay(3, 10_000) <= chrono::Duration::minutes(12),
            "jitter is bounded"
        );
    }

    #[test]
    fn kinds_round_trip_and_only_reminders_are_reminders() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::from_key(k.key()), Some(k));
            assert_ne!(kind_label(k.key()), "Message");
        }
        assert_eq!(
            MessageKind::reminder_keys(),
            ["homework_due_soon", "homework_overdue", "session_reminder"]
        );
        assert!(!MessageKind::CounselorDigest.is_client());
        assert!(MessageKind::HomeworkAssigned.is_client());
        assert!(!MessageKind::HomeworkAssigned.is_reminder());
    }
}
