//! The `assignment` table.
use sea_orm::entity::prelude::*;

use crate::homework::{Recurrence, Visibility};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub couple_id: Uuid,
    pub exercise_id: Uuid,
    pub series_id: Option<Uuid>,
    pub due_at: DateTimeUtc,
    pub visibility: Visibility,
    pub recurrence: Option<Recurrence>,

    pub recurrence_until: Option<Date>,
    pub created_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The session in which it was assigned, if any.
    pub session_id: Option<Uuid>,

    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
