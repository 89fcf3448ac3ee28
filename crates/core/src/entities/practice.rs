//! The `practice` table.
use crate::access::totp::TotpRequirement;
use crate::domain::TimeZone;
use crate::practice::settings::PaperSize;
use crate::sessions::notes::NoteFormat;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub timezone: TimeZone,
    pub reminder_hours_before: i32,
    pub quiet_hours_start: i32,
    pub quiet_hours_end: i32,
    pub link_expiry_days: i32,
    pub note_format: NoteFormat,
    pub paper_size: PaperSize,
    /// Minutes a counselor's browser session may sit unused before it ends.
    pub session_idle_minutes: i32,
    /// Who must sign in with a TOTP code: `none`, `admins` or `everyone`.
    pub totp_required: TotpRequirement,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
