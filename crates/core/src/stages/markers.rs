//! Markers: the observable signs a counselor rates after a session, four per stage (two in
//! stage 5), and the ratings they can have.

use serde::{Deserialize, Serialize};

use super::Stage;

/// A stored key that names no marker or rating (the database was edited by hand).
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown key {0:?}")]
pub struct UnknownKey(pub String);

/// One marker of the recovery model.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sea_orm::DeriveValueType,
)]
#[sea_orm(
    value_type = "String",
    from_str = "Marker::parse_key",
    to_str = "Marker::key_of"
)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    FullAcknowledgement,
    WrongWithoutExcuse,
    CommitmentNamed,
    GenuineRemorse,
    FeelingsInvited,
    ListensWithoutDefending,
    FeelingsVoiced,
    PainValidated,
    NoRetribution,
    SeeksCare,
    AngerCooling,
    EmpathyReceived,
    PreAffairReviewed,
    OwnPartNamedInvolved,
    OwnPartNamedHurt,
    ChoiceOwned,
    StrugglesListed,
    PlanAgreed,
    BothResponsible,
    CommunicationBetter,
    EverydayCare,
    ConnectionCloser,
}

use Marker::*;

impl Marker {
    pub const ALL: [Marker; 22] = [
        FullAcknowledgement,
        WrongWithoutExcuse,
        CommitmentNamed,
        GenuineRemorse,
        FeelingsInvited,
        ListensWithoutDefending,
        FeelingsVoiced,
        PainValidated,
        NoRetribution,
        SeeksCare,
        AngerCooling,
        EmpathyReceived,
        PreAffairReviewed,
        OwnPartNamedInvolved,
        OwnPartNamedHurt,
        ChoiceOwned,
        StrugglesListed,
        PlanAgreed,
        BothResponsible,
        CommunicationBetter,
        EverydayCare,
        ConnectionCloser,
    ];

    pub fn stage(self) -> Stage {
        match self {
            FullAcknowledgement | WrongWithoutExcuse | CommitmentNamed | GenuineRemorse => {
                Stage::Admission
            }
            FeelingsInvited | ListensWithoutDefending | FeelingsVoiced | PainValidated => {
                Stage::Validation
            }
            NoRetribution | SeeksCare | AngerCooling | EmpathyReceived => Stage::Openness,
            PreAffairReviewed | OwnPartNamedInvolved | OwnPartNamedHurt | ChoiceOwned => {
                Stage::BeforeTheAffair
            }
            StrugglesListed | PlanAgreed => Stage::CurrentStruggles,
            BothResponsible | CommunicationBetter | EverydayCare | ConnectionCloser => {
                Stage::SharedResponsibility
            }
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            FullAcknowledgement => "full_acknowledgement",
            WrongWithoutExcuse => "wrong_without_excuse",
            CommitmentNamed => "commitment_named",
            GenuineRemorse => "genuine_remorse",
            FeelingsInvited => "feelings_invited",
            ListensWithoutDefending => "listens_without_defending",
            FeelingsVoiced => "feelings_voiced",
            PainValidated => "pain_validated",
            NoRetribution => "no_retribution",
            SeeksCare => "seeks_care",
            AngerCooling => "anger_cooling",
            EmpathyReceived => "empathy_received",
            PreAffairReviewed => "pre_affair_reviewed",
            OwnPartNamedInvolved => "own_part_named_involved",
            OwnPartNamedHurt => "own_part_named_hurt",
            ChoiceOwned => "choice_owned",
            StrugglesListed => "struggles_listed",
            PlanAgreed => "plan_agreed",
            BothResponsible => "both_responsible",
            CommunicationBetter => "communication_better",
            EverydayCare => "everyday_care",
            ConnectionCloser => "connection_closer",
        }
    }

    pub fn from_key(key: &str) -> Option<Marker> {
        Marker::ALL.into_iter().find(|m| m.key() == key)
    }

    fn parse_key(key: &str) -> Result<Marker, UnknownKey> {
        Marker::from_key(key).ok_or_else(|| UnknownKey(key.to_owned()))
    }

    fn key_of(&self) -> &'static str {
        self.key()
    }

    /// A short name for lists and tables.
    pub fn title(self, open_agreement: bool) -> &'static str {
        match self {
            FullAcknowledgement => "Full acknowledgement",
            WrongWithoutExcuse => "Wrong, without excuses",
            CommitmentNamed if open_agreement => "Broken agreement named",
            CommitmentNamed => "Broken commitment named",
            GenuineRemorse => "Remorse felt as genuine",
            FeelingsInvited => "Feelings invited",
            ListensWithoutDefending => "Listens without defending",
            FeelingsVoiced => "Feelings voiced",
            PainValidated => "Pain validated",
            NoRetribution => "Not seeking to get even",
            SeeksCare => "Asks for care",
            AngerCooling => "Anger cooling",
            EmpathyReceived => "Empathy received",
            PreAffairReviewed => "Earlier marriage reviewed",
            OwnPartNamedInvolved => "Involved partner names their part",
            OwnPartNamedHurt => "Hurt partner names their part",
            ChoiceOwned => "The affair stays a choice",
            StrugglesListed => "Struggles listed",
            PlanAgreed => "Plan agreed",
            BothResponsible => "Both take responsibility",
            CommunicationBetter => "Communication better",
            EverydayCare => "Everyday care",
            ConnectionCloser => "Closer connection",
        }
    }

    /// What the counselor looks for, in the product's own words.
    pub fn description(self, open_agreement: bool) -> &'static str {
        match self {
            FullAcknowledgement => {
                "The involved partner has told the whole story of the affair and no longer plays any part of it down."
            }
            WrongWithoutExcuse => {
                "The involved partner calls the affair wrong without qualifying it, and without laying any of it at the hurt partner's door."
            }
            CommitmentNamed if open_agreement => {
                "The involved partner says plainly which part of the couple's agreement was broken."
            }
            CommitmentNamed => {
                "The involved partner says plainly which promise of the marriage was broken."
            }
            GenuineRemorse => {
                "The hurt partner says the involved partner's remorse feels real to them, not performed."
            }
            FeelingsInvited => {
                "The involved partner asks the hurt partner how they feel, and keeps asking."
            }
            ListensWithoutDefending => {
                "While the hurt partner speaks, the involved partner stays with them: no defending, explaining or changing the subject."
            }
            FeelingsVoiced => {
                "The hurt partner has put their hurt, sense of betrayal, sadness and anger into words, as often as they needed."
            }
            PainValidated => {
                "The involved partner mirrors the pain back in their own words and apologises for having caused it."
            }
            NoRetribution => {
                "The hurt partner is no longer looking for ways to punish or get even."
            }
            SeeksCare => {
                "The hurt partner asks for understanding and caring responses rather than payback."
            }
            AngerCooling => {
                "In your judgement the hurt partner's anger is easing over time; compare with the trend of their check-in ratings."
            }
            EmpathyReceived => {
                "The hurt partner experiences the involved partner's empathy as real."
            }
            PreAffairReviewed => {
                "Together the couple has looked honestly at how the marriage was before the affair."
            }
            OwnPartNamedInvolved => {
                "The involved partner names their own share in the problems the marriage already had."
            }
            OwnPartNamedHurt => {
                "The hurt partner names their own share in the problems the marriage already had."
            }
            ChoiceOwned => {
                "Earlier problems are held as context only: the decision to have the affair remains the involved partner's."
            }
            StrugglesListed => {
                "The couple has listed, together, what is hard for them now and what keeps coming back."
            }
            PlanAgreed => {
                "For each struggle on the list the couple has agreed how they will work on it."
            }
            BothResponsible => {
                "Each partner takes responsibility for how the marriage feels from here on."
            }
            CommunicationBetter => {
                "Both partners say they talk and listen to each other better than before."
            }
            EverydayCare => {
                "Each partner pays attention to and cares about the other's ordinary days."
            }
            ConnectionCloser => {
                "Both partners report feeling closer, and their connection check-ins agree."
            }
        }
    }

    /// A marker that does not apply to this couple is shown as "not applicable", never "not met".
    pub fn applies(self, open_agreement: bool) -> bool {
        !(self == CommitmentNamed && open_agreement)
    }
}

impl Stage {
    pub fn markers(self) -> impl Iterator<Item = Marker> {
        Marker::ALL.into_iter().filter(move |m| m.stage() == self)
    }
}

/// A counselor's rating of one marker.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Default,
    sea_orm::DeriveValueType,
)]
#[sea_orm(
    value_type = "String",
    from_str = "Rating::parse_key",
    to_str = "Rating::key_of"
)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    #[default]
    NotYet,
    Emerging,
    Consistent,
    /// Only where a rule allows it (the commitment marker with an open-relationship agreement).
    NotApplicable,
}

impl Rating {
    pub const ALL: [Rating; 4] = [
        Rating::NotYet,
        Rating::Emerging,
        Rating::Consistent,
        Rating::NotApplicable,
    ];
    /// The ratings a counselor chooses from; "not applicable" follows from the couple's record.
    pub const CHOOSABLE: [Rating; 3] = [Rating::NotYet, Rating::Emerging, Rating::Consistent];

    pub fn key(self) -> &'static str {
        match self {
            Rating::NotYet => "not_yet",
            Rating::Emerging => "emerging",
            Rating::Consistent => "consistent",
            Rating::NotApplicable => "not_applicable",
        }
    }

    pub fn from_key(key: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.key() == key)
    }

    fn parse_key(key: &str) -> Result<Rating, UnknownKey> {
        Rating::from_key(key).ok_or_else(|| UnknownKey(key.to_owned()))
    }

    fn key_of(&self) -> &'static str {
        self.key()
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::NotYet => "Not yet",
            Rating::Emerging => "Emerging",
            Rating::Consistent => "Consistent",
            Rating::NotApplicable => "Not applicable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_has_its_markers() {
        let counts: Vec<usize> = Stage::ALL.iter().map(|s| s.markers().count()).collect();
        assert_eq!(counts, [4, 4, 4, 4, 2, 4]);
        for m in Marker::ALL {
            assert_eq!(Marker::from_key(m.key()), Some(m));
            assert!(!m.description(false).is_empty());
        }
        assert_eq!(Marker::from_key("made_up"), None);
    }

    #[test]
    fn commitment_does_not_apply_with_an_open_agreement() {
        assert!(CommitmentNamed.applies(false));
        assert!(!CommitmentNamed.applies(true));
        assert!(
            Marker::ALL
                .iter()
                .filter(|m| **m != CommitmentNamed)
                .all(|m| m.applies(true))
        );
        assert!(CommitmentNamed.description(true).contains("agreement"));
    }

    #[test]
    fn ratings_round_trip() {
        for r in Rating::ALL {
            assert_eq!(Rating::from_key(r.key()), Some(r));
        }
        assert_eq!(Rating::from_key("great"), None);
    }
}
