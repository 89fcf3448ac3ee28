//! The `exercise` table.
use crate::homework::Recipient;
use crate::stages::Stage;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub counselor_id: Option<Uuid>,
    pub builtin_key: Option<String>,
    pub copied_from_id: Option<Uuid>,
    pub stage: Stage,
    pub recipient: Recipient,

    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub instructions: String,
    pub archived: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
