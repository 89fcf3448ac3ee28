//! The `counseling_session` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "counseling_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub couple_id: Uuid,
    /// The couple's counselor, copied for the dashboard's day view (migration 070).
    pub counselor_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub duration_minutes: i32,
    pub location_kind: String,
    pub location_detail: Option<String>,
    pub attendance: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
