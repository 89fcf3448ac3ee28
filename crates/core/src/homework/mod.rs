//! Homework: the exercise library, assignments to partners, their responses, and the personal
//! homework links through which partners reach them.

pub mod builtins;
pub mod prompts;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::couples::PartnerRole;

/// Whom an exercise is written for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    #[sea_orm(string_value = "involved")]
    Involved,
    #[sea_orm(string_value = "hurt")]
    Hurt,
    #[sea_orm(string_value = "both")]
    Both,
}

impl Recipient {
    pub const ALL: [Recipient; 3] = [Recipient::Involved, Recipient::Hurt, Recipient::Both];

    pub fn key(self) -> &'static str {
        match self {
            Recipient::Involved => "involved",
            Recipient::Hurt => "hurt",
            Recipient::Both => "both",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Recipient::Involved => "Involved partner",
            Recipient::Hurt => "Hurt partner",
            Recipient::Both => "Both partners",
        }
    }

    pub fn includes(self, role: PartnerRole) -> bool {
        matches!(
            (self, role),
            (Recipient::Both, _)
                | (Recipient::Involved, PartnerRole::Involved)
                | (Recipient::Hurt, PartnerRole::Hurt)
        )
    }
}
