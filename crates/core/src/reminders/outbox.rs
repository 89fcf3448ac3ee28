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
