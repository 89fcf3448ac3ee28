//! The `counselor_totp` table: per counselor, the secret waiting for its first code (sealed,
//! like `counselor.totp_secret`) and the last time step accepted, which no code may repeat.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "counselor_totp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub counselor_id: Uuid,
    pub pending_secret: Option<String>,
    pub pending_since: Option<DateTimeUtc>,
    pub last_step: Option<i64>,
    pub enabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
