//! The `note` table.
use crate::sessions::notes::{NoteFormat, NoteStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "note")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub format: NoteFormat,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub status: NoteStatus,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTimeUtc>,
    pub content_hash: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
