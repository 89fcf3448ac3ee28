//! The `partner` table.
use crate::couples::PartnerRole;
use crate::domain::{EmailAddress, TimeZone};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub couple_id: Uuid,
    pub role: PartnerRole,
    pub name: String,
    pub email: EmailAddress,
    pub timezone: TimeZone,
    pub reminders_opt_out: bool,
    pub pin_required: bool,
    pub pin_hash: Option<String>,
    pub pin_failures: i32,
    pub pin_paused_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
