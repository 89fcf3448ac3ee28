//! Couples on a counselor's caseload and their two partners.

pub mod caseload;
pub mod input;
pub mod store;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

pub use input::{CoupleInput, NewCouple, NewPartner, PartnerInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum CoupleStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl CoupleStatus {
    pub const ALL: [CoupleStatus; 3] = [
        CoupleStatus::Active,
        CoupleStatus::Paused,
        CoupleStatus::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CoupleStatus::Active => "active",
            CoupleStatus::Paused => "paused",
            CoupleStatus::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            CoupleStatus::Active => "Active",
            CoupleStatus::Paused => "Paused",
            CoupleStatus::Closed => "Closed",
        }
    }
}

/// Which partner: the one who had the affair, or the one who was betrayed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum PartnerRole {
    #[sea_orm(string_value = "involved")]
    Involved,
    #[sea_orm(string_value = "hurt")]
    Hurt,
}

impl PartnerRole {
    pub const BOTH: [PartnerRole; 2] = [PartnerRole::Involved, PartnerRole::Hurt];

    pub fn key(self) -> &'static str {
        match self {
            PartnerRole::Involved => "involved",
            PartnerRole::Hurt => "hurt",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::BOTH.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            PartnerRole::Involved => "Involved partner",
            PartnerRole::Hurt => "Hurt partner",
        }
    }
}
