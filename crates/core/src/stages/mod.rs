//! The recovery model: six stages in order. The first three are the involved partner's steps and
//! the hurt partner's openness that answers them; the last three are the couple's joint work.

pub mod markers;
pub mod rules;
pub mod store;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

pub use markers::{Marker, Rating};
pub use rules::{Change, Progress, Reason, Refusal};

/// A recovery stage, in clinical order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[sea_orm(string_value = "admission")]
    Admission,
    #[sea_orm(string_value = "validation")]
    Validation,
    #[sea_orm(string_value = "openness")]
    Openness,
    #[sea_orm(string_value = "before_the_affair")]
    BeforeTheAffair,
    #[sea_orm(string_value = "current_struggles")]
    CurrentStruggles,
    #[sea_orm(string_value = "shared_responsibility")]
    SharedResponsibility,
}

/// Who leads the work of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedBy {
    Involved,
    Hurt,
    Both,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Admission,
        Stage::Validation,
        Stage::Openness,
        Stage::BeforeTheAffair,
        Stage::CurrentStruggles,
        Stage::SharedResponsibility,
    ];

    /// 1 to 6.
    pub fn number(self) -> u8 {
        match self {
            Stage::Admission => 1,
            Stage::Validation => 2,
            Stage::Openness => 3,
            Stage::BeforeTheAffair => 4,
            Stage::CurrentStruggles => 5,
            Stage::SharedResponsibility => 6,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Stage::Admission => "admission",
            Stage::Validation => "validation",
            Stage::Openness => "openness",
            Stage::BeforeTheAffair => "before_the_affair",
            Stage::CurrentStruggles => "current_struggles",
            Stage::SharedResponsibility => "shared_responsibility",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }

    /// A stage named in an address (`/couples/{id}/stages/{stage}/...`), pages and API alike:
    /// an address naming no stage names nothing there, so it is not found.
    pub fn from_path(key: &str) -> Result<Stage, crate::CoreError> {
        Self::from_key(key).ok_or(crate::CoreError::NotFound)
    }

    pub fn name(self) -> &'static str {
        match self {
            Stage::Admission => "Admission and remorse",
            Stage::Validation => "Validating the pain",
            Stage::Openness => "Openness to healing",
            Stage::BeforeTheAffair => "Understanding the marriage before",
            Stage::CurrentStruggles => "Current and ongoing struggles",
            Stage::SharedResponsibility => "Shared responsibility and reconnection",
        }
    }

    /// A short name for charts and badges.
    pub fn short_name(self) -> &'static str {
        match self {
            Stage::Admission => "Admission",
            Stage::Validation => "Validation",
            Stage::Openness => "Openness",
            Stage::BeforeTheAffair => "Before the affair",
            Stage::CurrentStruggles => "Current struggles",
            Stage::SharedResponsibility => "Shared responsibility",
        }
    }

    pub fn led_by(self) -> LedBy {
        match self {
            Stage::Admission | Stage::Validation => LedBy::Involved,
            Stage::Openness => LedBy::Hurt,
            _ => LedBy::Both,
        }
    }

    /// Stages 4 to 6 open only once stages 1 to 3 are complete (or the gate is overridden).
    pub fn is_gated(self) -> bool {
        self.number() >= 4
    }
}

/// Where a couple stands in one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "complete")]
    Complete,
}

/// What happened to a stage, as kept in its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum StageEventKind {
    #[sea_orm(string_value = "started")]
    Started,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "gate_override")]
    GateOverride,
    #[sea_orm(string_value = "reopened")]
    Reopened,
}

/// The current stage: the first stage that is not complete. `None` once all six are complete.
pub fn current_stage(is_complete: impl Fn(Stage) -> bool) -> Option<Stage> {
    Stage::ALL.into_iter().find(|s| !is_complete(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_ordered_and_keyed() {
        for (i, s) in Stage::ALL.iter().enumerate() {
            assert_eq!(usize::from(s.number()), i + 1);
            assert_eq!(Stage::from_key(s.key()), Some(*s));
        }
        assert_eq!(Stage::from_key("nope"), None);
        assert!(!Stage::Openness.is_gated());
        assert!(Stage::BeforeTheAffair.is_gated());
    }

    #[test]
    fn current_stage_is_first_incomplete() {
        assert_eq!(current_stage(|_| false), Some(Stage::Admission));
        assert_eq!(
            current_stage(|s| s == Stage::Admission),
            Some(Stage::Validation)
        );
        // A reopened earlier stage is current again even if later ones were completed.
        assert_eq!(
            current_stage(|s| s != Stage::Validation),
            Some(Stage::Validation)
        );
        assert_eq!(current_stage(|_| true), None);
    }
}

pub mod progress {
    //! Reading a couple's stage progress rows.

    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
    use uuid::Uuid;

    use crate::entities::stage_progress;
    use crate::error::CoreError;

    /// The couple's six stage rows. Callers have already checked the couple is theirs.
    pub async fn for_couple(
        db: &impl ConnectionTrait,
        couple_id: Uuid,
    ) -> Result<Vec<stage_progress::Model>, CoreError> {
        Ok(stage_progress::Entity::find()
            .filter(stage_progress::Column::CoupleId.eq(couple_id))
            .all(db)
            .await?)
    }
}
