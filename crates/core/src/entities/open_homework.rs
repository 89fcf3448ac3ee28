//! The `open_homework` table: responses that still wait for the partner or the counselor,
//! with what the caseload's counts filter on copied beside them (see `homework::open_work`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "open_homework")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: Uuid,
    pub counselor_id: Uuid,
    pub couple_id: Uuid,
    pub due_at: DateTimeUtc,
    pub submitted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
