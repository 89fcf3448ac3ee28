//! The outbox: durable, deduplicated messages waiting to be sent by the mail worker.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
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
}

impl MessageKind {
    pub fn key(self) -> &'static str {
        match self {
            MessageKind::HomeworkLink => "homework_link",
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
/// is a no-op (returns false).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    message: NewMessage,
) -> Result<bool, CoreError> {
    let inserted = outbox_message::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(message.kind.key().to_owned()),
        recipient: Set(message.recipient),
        counselor_id: Set(message.counselor_id),
        partner_id: Set(message.partner_id),
        couple_id: Set(message.couple_id),
        subject_kind: Set(None),
        subject_id: Set(None),
        payload: Set(message.payload.to_string()),
        scheduled_at: Set(message.scheduled_at),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        dedupe_key: Set(message.dedupe_key),
        claimed_until: Set(None),
        message_id: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How long a worker owns a claimed message before another may take it over (a crashed
/// worker's claim expires).
pub const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Attempts before a message is marked failed and shown to the counselor.
pub const MAX_ATTEMPTS: i32 = 6;

/// Claim up to `limit` due messages. Each claim is one conditional UPDATE whose row count
/// says whether this worker won it, so several workers (on several machines, on either
/// database) never take the same message.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox_message::Model>, CoreError> {
    use sea_orm::{
        ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
    };
    let claimable = Condition::any()
        .add(outbox_message::Column::Status.eq("pending"))
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq("sending"))
                .add(outbox_message::Column::ClaimedUntil.lt(now)),
        );
    let candidates = outbox_message::Entity::find()
        .filter(claimable.clone())
        .filter(outbox_message::Column::ScheduledAt.lte(now))
        .order_by_asc(outbox_message::Column::ScheduledAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for m in candidates {
        let res = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::Status, Expr::value("sending"))
            .col_expr(
                outbox_message::Column::ClaimedUntil,
                Expr::value(now + LEASE),
            )
            .filter(outbox_message::Column::Id.eq(m.id))
            .filter(claimable.clone())
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(m);
        }
    }
    Ok(claimed)
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
        .col_expr(outbox_message::Column::Status, Expr::value("sent"))
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
            Expr::value(if gave_up { "failed" } else { "pending" }),
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
        .filter(outbox_message::Column::Status.eq("failed"))
        .count(db)
        .await?)
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
        .col_expr(outbox_message::Column::Status, Expr::value("pending"))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::ScheduledAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::CounselorId.eq(counselor_id))
        .filter(outbox_message::Column::Status.eq("failed"))
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
    match kind {
        "homework_link" => "Homework link",
        _ => "Message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off() {
        assert_eq!(retry_delay(0, 0), chrono::Duration::minutes(1));
        assert_eq!(retry_delay(3, 0), chrono::Duration::minutes(8));
        assert!(
            retry_delay(3, 10_000) <= chrono::Duration::minutes(12),
            "jitter is bounded"
        );
    }
}
