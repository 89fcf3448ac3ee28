//! Homework: the exercise library, assignments to partners, their responses, and the personal
//! homework links through which partners reach them.

pub mod assignments;
pub mod builtins;
pub mod checkins;
pub mod input;
pub mod library;
pub mod link_visits;
pub mod links;
pub mod open_work;
pub mod prompts;
pub mod responses;

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

/// Who may read a response besides the counselor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the counselor ever reads it.
    #[sea_orm(string_value = "counselor_only")]
    CounselorOnly,
    /// The client may choose, when submitting, to let their partner read it.
    #[sea_orm(string_value = "shareable")]
    Shareable,
}

impl Visibility {
    pub fn key(self) -> &'static str {
        match self {
            Visibility::CounselorOnly => "counselor_only",
            Visibility::Shareable => "shareable",
        }
    }
    pub fn from_key(key: &str) -> Option<Self> {
        [Visibility::CounselorOnly, Visibility::Shareable]
            .into_iter()
            .find(|v| v.key() == key)
    }
}

/// How often an assignment repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    #[sea_orm(string_value = "daily")]
    Daily,
    #[sea_orm(string_value = "weekly")]
    Weekly,
}

impl Recurrence {
    pub fn key(self) -> &'static str {
        match self {
            Recurrence::Daily => "daily",
            Recurrence::Weekly => "weekly",
        }
    }
    pub fn from_key(key: &str) -> Option<Self> {
        [Recurrence::Daily, Recurrence::Weekly]
            .into_iter()
            .find(|r| r.key() == key)
    }
    pub fn step(self) -> chrono::Duration {
        match self {
            Recurrence::Daily => chrono::Duration::days(1),
            Recurrence::Weekly => chrono::Duration::weeks(1),
        }
    }
}

/// Where one assignee's response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    #[sea_orm(string_value = "assigned")]
    Assigned,
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "reviewed")]
    Reviewed,
}

impl ResponseStatus {
    pub fn key(self) -> &'static str {
        match self {
            ResponseStatus::Assigned => "assigned",
            ResponseStatus::Draft => "draft",
            ResponseStatus::Submitted => "submitted",
            ResponseStatus::Reviewed => "reviewed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ResponseStatus::Assigned => "Not started",
            ResponseStatus::Draft => "Draft saved",
            ResponseStatus::Submitted => "Submitted",
            ResponseStatus::Reviewed => "Reviewed",
        }
    }
    /// Submitted or reviewed: the client can no longer change it.
    pub fn is_final(self) -> bool {
        matches!(self, ResponseStatus::Submitted | ResponseStatus::Reviewed)
    }
}

/// May `reader` (a partner) read a response that `author` (a partner of the same couple) wrote?
/// Their own, always; the other partner's only once submitted, on a shareable assignment, and
/// when the author chose to share it. Counselors read every response of their couples.
pub fn partner_may_read(
    reader: uuid::Uuid,
    author: uuid::Uuid,
    visibility: Visibility,
    status: ResponseStatus,
    shared_by_author: bool,
) -> bool {
    reader == author
        || (visibility == Visibility::Shareable && status.is_final() && shared_by_author)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_read_only_what_was_shared_with_them() {
        let (me, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        use ResponseStatus::*;
        use Visibility::*;
        assert!(
            partner_may_read(me, me, CounselorOnly, Draft, false),
            "my own draft"
        );
        assert!(
            !partner_may_read(me, other, CounselorOnly, Submitted, true),
            "counselor only"
        );
        assert!(
            !partner_may_read(me, other, Shareable, Submitted, false),
            "not shared"
        );
        assert!(
            !partner_may_read(me, other, Shareable, Draft, true),
            "drafts never"
        );
        assert!(!partner_may_read(me, other, Shareable, Assigned, true));
        assert!(partner_may_read(me, other, Shareable, Submitted, true));
        assert!(partner_may_read(me, other, Shareable, Reviewed, true));
    }

    #[test]
    fn recipients_include_the_right_partners() {
        assert!(Recipient::Both.includes(PartnerRole::Hurt));
        assert!(!Recipient::Involved.includes(PartnerRole::Hurt));
    }
}
