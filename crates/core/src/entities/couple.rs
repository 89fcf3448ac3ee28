//! The `couple` table.
use crate::couples::CoupleStatus;
use crate::stages::Stage;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "couple")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub counselor_id: Uuid,
    pub label: String,
    pub label_normalized: String,
    pub status: CoupleStatus,
    pub open_agreement: bool,
    pub intake_date: Date,
    pub disclosure_date: Option<Date>,
    /// The first stage not complete (None once all six are); kept in step with the stage
    /// progress rows so the caseload can filter and count by stage in the database.
    pub current_stage: Option<Stage>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
