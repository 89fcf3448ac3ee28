//! The `outbox_message` table.
use crate::reminders::outbox::OutboxStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_message")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub counselor_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub couple_id: Option<Uuid>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub scheduled_at: DateTimeUtc,
    pub status: OutboxStatus,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub dedupe_key: String,
    pub claimed_until: Option<DateTimeUtc>,
    pub message_id: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
