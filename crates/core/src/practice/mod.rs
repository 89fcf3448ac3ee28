//! The practice, its counselors, their roles and passwords.

pub mod counselors;
pub mod passwords;
pub mod settings;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a counselor may do beyond their own caseload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages counselors, practice settings and the audit log; sees clinical records only of
    /// couples assigned to them, like everyone else.
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "counselor")]
    Counselor,
}
