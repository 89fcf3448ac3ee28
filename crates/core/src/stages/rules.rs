//! The rules of the recovery model as pure code: what a couple's progress is, which changes
//! a counselor's action makes, and why an action is refused. No database here; the store
//! loads a [`Progress`], asks it, and writes the [`Change`]s it returns.
//!
//! - A stage is complete when every applicable marker is `consistent` and the counselor
//!   confirms it. Stages complete in order: earlier stages first.
//! - The current stage is the first stage that is not complete.
//! - Stages 4 to 6 are behind a gate that opens when stages 1 to 3 are complete, or when a
//!   counselor overrides it with a written reason. Nothing happens in a gated stage while the
//!   gate is closed (after a reopening of stage 1 to 3 it closes again unless overridden).
//! - A completed stage may be reopened with a written reason. History is never removed.
//! - `commitment_named` is not applicable exactly when the couple has an open-relationship
//!   agreement; changing that flag records the change as a rating.

use std::collections::BTreeMap;

use super::markers::{Marker, Rating};
use super::{Stage, StageStatus};
use crate::domain::{BoundedText, Invalid};

/// A written reason for an override or a reopening: 1 to 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(BoundedText<2000, true>);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        BoundedText::parse(raw).map(Reason).map_err(|e| match e {
            crate::domain::TextError::Empty => Invalid::new("must be written: say why"),
            other => other.into(),
        })
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// One recorded fact. The store persists each change as history (never overwritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Rated { marker: Marker, rating: Rating },
    Started(Stage),
    Completed(Stage),
    GateOverridden { reason: Reason },
    Reopened { stage: Stage, reason: Reason },
}

/// Why an action was refused, in words a counselor can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    GateClosed(Stage),
    MarkersNotConsistent { stage: Stage, markers: Vec<Marker> },
    EarlierStagesIncomplete { stage: Stage, stages: Vec<Stage> },
    AlreadyComplete(Stage),
    NotComplete(Stage),
    StageIsComplete { marker: Marker },
    NotApplicableNotAllowed(Marker),
    DoesNotApply(Marker),
    NotGated(Stage),
    GateAlreadyOpen,
    NothingToRate,
    RatedTwice(Marker),
}

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

impl Refusal {
    /// The keys of what blocks the action (markers or stages), for the API's problem details.
    pub fn blocking_keys(&self) -> Vec<String> {
        match self {
            Refusal::MarkersNotConsistent { markers, .. } => {
                markers.iter().map(|m| m.key().to_owned()).collect()
            }
            Refusal::EarlierStagesIncomplete { stages, .. } => {
                stages.iter().map(|s| s.key().to_owned()).collect()
            }
            Refusal::GateClosed(_) => ["admission", "validation", "openness"]
                .map(String::from)
                .to_vec(),
            _ => Vec::new(),
        }
    }

    /// Words for a counselor; `open_agreement` picks the marker names that fit the couple.
    pub fn explain(&self, open_agreement: bool) -> String {
        let stage_name = |s: &Stage| format!("{} ({})", s.number(), s.name());
        match self {
            Refusal::GateClosed(stage) => format!(
                "Stage {} is behind the gate: stages 1 to 3 must be complete first, or the gate overridden with a written reason.",
                stage_name(stage)
            ),
            Refusal::MarkersNotConsistent { stage, markers } => {
                let n = markers.len();
                let names = list(markers.iter().map(|m| m.title(open_agreement).to_owned()));
                if n == 1 {
                    format!(
                        "Stage {} cannot be completed yet: 1 marker is not yet consistent: {names}.",
                        stage.number()
                    )
                } else {
                    format!(
                        "Stage {} cannot be completed yet: {n} markers are not yet consistent: {names}.",
                        stage.number()
                    )
                }
            }
            Refusal::EarlierStagesIncomplete { stage, stages } => format!(
                "Stage {} can be completed only after the stages before it. Still open: {}.",
                stage.number(),
                list(stages.iter().map(stage_name))
            ),
            Refusal::AlreadyComplete(stage) => {
                format!("Stage {} is already complete.", stage_name(stage))
            }
            Refusal::NotComplete(stage) => format!(
                "Stage {} is not complete, so there is nothing to reopen.",
                stage_name(stage)
            ),
            Refusal::StageIsComplete { marker } => format!(
                "{} belongs to stage {}, which is complete. Reopen the stage first, with a reason, to rate it again.",
                marker.title(open_agreement),
                marker.stage().number()
            ),
            Refusal::NotApplicableNotAllowed(marker) => format!(
                "{} applies to this couple; rate it not yet, emerging or consistent.",
                marker.title(open_agreement)
            ),
            Refusal::DoesNotApply(marker) => format!(
                "{} does not apply to a couple with an open-relationship agreement.",
                marker.title(open_agreement)
            ),
            Refusal::NotGated(stage) => format!(
                "Stage {} is not behind the gate; there is nothing to override.",
                stage_name(stage)
            ),
            Refusal::GateAlreadyOpen => "The gate to stages 4 to 6 is already open.".into(),
            Refusal::NothingToRate => "Choose at least one marker rating.".into(),
            Refusal::RatedTwice(marker) => format!(
                "{} was rated twice in one go; rate each marker once.",
                marker.title(open_agreement)
            ),
        }
    }
}

/// A couple's progress now: what the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub open_agreement: bool,
    status: [StageStatus; 6],
    gate_overridden: bool,
    latest: BTreeMap<Marker, Rating>,
}

fn index(stage: Stage) -> usize {
    usize::from(stage.number() - 1)
}

impl Progress {
    /// A new couple: stage 1 in progress, nothing rated yet.
    pub fn new(open_agreement: bool) -> Self {
        let mut status = [StageStatus::NotStarted; 6];
        status[0] = StageStatus::InProgress;
        let mut p = Progress {
            open_agreement,
            status,
            gate_overridden: false,
            latest: BTreeMap::new(),
        };
        if open_agreement {
            p.latest
                .insert(Marker::CommitmentNamed, Rating::NotApplicable);
        }
        p
    }

    /// Rebuild from stored state.
    pub fn from_parts(
        open_agreement: bool,
        status: impl IntoIterator<Item = (Stage, StageStatus)>,
        gate_overridden: bool,
        latest: impl IntoIterator<Item = (Marker, Rating)>,
    ) -> Self {
        let mut p = Progress {
            open_agreement,
            status: [StageStatus::NotStarted; 6],
            gate_overridden,
            latest: latest.into_iter().collect(),
        };
        for (stage, s) in status {
            p.status[index(stage)] = s;
        }
        p
    }

    pub fn status(&self, stage: Stage) -> StageStatus {
        self.status[index(stage)]
    }

    pub fn is_complete(&self, stage: Stage) -> bool {
        self.status(stage) == StageStatus::Complete
    }

    pub fn gate_overridden(&self) -> bool {
        self.gate_overridden
    }

    /// Stages 4 to 6 may be worked on.
    pub fn gate_open(&self) -> bool {
        self.gate_overridden
            || [Stage::Admission, Stage::Validation, Stage::Openness]
                .iter()
                .all(|s| self.is_complete(*s))
    }

    pub fn current_stage(&self) -> Option<Stage> {
        super::current_stage(|s| self.is_complete(s))
    }

    /// The marker's standing rating: not applicable where it does not apply, else the latest
    /// rating, else not yet.
    pub fn rating(&self, marker: Marker) -> Rating {
        if !marker.applies(self.open_agreement) {
            return Rating::NotApplicable;
        }
        match self.latest.get(&marker) {
            Some(Rating::NotApplicable) | None => Rating::NotYet,
            Some(r) => *r,
        }
    }

    /// Applicable markers of a stage that are not yet consistent.
    pub fn missing(&self, stage: Stage) -> Vec<Marker> {
        stage
            .markers()
            .filter(|m| m.applies(self.open_agreement) && self.rating(*m) != Rating::Consistent)
            .collect()
    }

    fn accessible(&self, stage: Stage) -> Result<(), Refusal> {
        if stage.is_gated() && !self.gate_open() {
            return Err(Refusal::GateClosed(stage));
        }
        Ok(())
    }

    /// The stages that must be complete before `stage` can be.
    fn prerequisites(&self, stage: Stage) -> Vec<Stage> {
        Stage::ALL
            .into_iter()
            .filter(|s| *s < stage)
            .filter(|s| !(stage.is_gated() && !s.is_gated() && self.gate_overridden))
            .filter(|s| !self.is_complete(*s))
            .collect()
    }

    /// Rate several markers at once.
    pub fn rate(&self, ratings: &[(Marker, Rating)]) -> Result<Vec<Change>, Refusal> {
        if ratings.is_empty() {
            return Err(Refusal::NothingToRate);
        }
        let mut changes = Vec::new();
        let mut started = Vec::new();
        for (i, (marker, rating)) in ratings.iter().enumerate() {
            if ratings[..i].iter().any(|(m, _)| m == marker) {
                return Err(Refusal::RatedTwice(*marker));
            }
            // Only changes are recorded (page and API alike), so the history shows progress
            // rather than every form saved; a marker never rated reads as not yet.
            if self.rating(*marker) == *rating {
                continue;
            }
            let stage = marker.stage();
            self.accessible(stage)?;
            if self.is_complete(stage) {
                return Err(Refusal::StageIsComplete { marker: *marker });
            }
            if !marker.applies(self.open_agreement) {
                return Err(Refusal::DoesNotApply(*marker));
            }
            if *rating == Rating::NotApplicable {
                return Err(Refusal::NotApplicableNotAllowed(*marker));
            }
            if self.status(stage) == StageStatus::NotStarted && !started.contains(&stage) {
                started.push(stage);
                changes.push(Change::Started(stage));
            }
            changes.push(Change::Rated {
                marker: *marker,
                rating: *rating,
            });
        }
        Ok(changes)
    }

    /// The counselor confirms a stage is complete.
    pub fn complete(&self, stage: Stage) -> Result<Vec<Change>, Refusal> {
        if self.is_complete(stage) {
            return Err(Refusal::AlreadyComplete(stage));
        }
        self.accessible(stage)?;
        let earlier = self.prerequisites(stage);
        if !earlier.is_empty() {
            return Err(Refusal::EarlierStagesIncomplete {
                stage,
                stages: earlier,
            });
        }
        let missing = self.missing(stage);
        if !missing.is_empty() {
            return Err(Refusal::MarkersNotConsistent {
                stage,
                markers: missing,
            });
        }
        let mut changes = Vec::new();
        if self.status(stage) == StageStatus::NotStarted {
            changes.push(Change::Started(stage));
        }
        changes.push(Change::Completed(stage));
        // The next stage starts, if the gate lets it.
        let mut after = self.clone();
        for c in &changes {
            after.apply(c);
        }
        let next = after.current_stage().filter(|n| {
            after.status(*n) == StageStatus::NotStarted && after.accessible(*n).is_ok()
        });
        if let Some(next) = next {
            changes.push(Change::Started(next));
        }
        Ok(changes)
    }

    /// Open the gate to stages 4 to 6 before stages 1 to 3 are complete.
    pub fn override_gate(&self, stage: Stage, reason: Reason) -> Result<Vec<Change>, Refusal> {
        if !stage.is_gated() {
            return Err(Refusal::NotGated(stage));
        }
        if self.gate_open() {
            return Err(Refusal::GateAlreadyOpen);
        }
        let mut changes = vec![Change::GateOverridden { reason }];
        if self.status(Stage::BeforeTheAffair) == StageStatus::NotStarted {
            changes.push(Change::Started(Stage::BeforeTheAffair));
        }
        Ok(changes)
    }

    /// Reopen a completed stage (after a new disclosure, say).
    pub fn reopen(&self, stage: Stage, reason: Reason) -> Result<Vec<Change>, Refusal> {
        if !self.is_complete(stage) {
            return Err(Refusal::NotComplete(stage));
        }
        Ok(vec![Change::Reopened { stage, reason }])
    }

    /// The open-relationship flag changed: the commitment marker follows it.
    pub fn set_open_agreement(&self, open_agreement: bool) -> Vec<Change> {
        if open_agreement == self.open_agreement {
            return Vec::new();
        }
        let rating = if open_agreement {
            Rating::NotApplicable
        } else {
            Rating::NotYet
        };
        vec![Change::Rated {
            marker: Marker::CommitmentNamed,
            rating,
        }]
    }

    /// Record a change in this snapshot (the store does the same in the database).
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::Rated { marker, rating } => {
                if *marker == Marker::CommitmentNamed && matches!(rating, Rating::NotApplicable) {
                    self.open_agreement = true;
                } else if *marker == Marker::CommitmentNamed
                    && self.open_agreement
                    && *rating == Rating::NotYet
                {
                    self.open_agreement = false;
                }
                self.latest.insert(*marker, *rating);
            }
            Change::Started(stage) => self.status[index(*stage)] = StageStatus::InProgress,
            Change::Completed(stage) => self.status[index(*stage)] = StageStatus::Complete,
            Change::GateOverridden { .. } => self.gate_overridden = true,
            Change::Reopened { stage, .. } => self.status[index(*stage)] = StageStatus::InProgress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Marker::*;

    fn reason() -> Reason {
        Reason::parse("New disclosure in session").expect("reason")
    }

    fn apply_all(p: &mut Progress, changes: &[Change]) {
        for c in changes {
            p.apply(c);
        }
    }

    fn rate_stage(p: &mut Progress, stage: Stage, rating: Rating) {
        let ratings: Vec<(Marker, Rating)> = stage
            .markers()
            .filter(|m| m.applies(p.open_agreement))
            .map(|m| (m, rating))
            .collect();
        let changes = p.rate(&ratings).expect("rate");
        apply_all(p, &changes);
    }

    fn complete(p: &mut Progress, stage: Stage) {
        rate_stage(p, stage, Rating::Consistent);
        let changes = p.complete(stage).expect("complete");
        apply_all(p, &changes);
    }

    #[test]
    fn a_new_couple_starts_at_admission() {
        let p = Progress::new(false);
        assert_eq!(p.current_stage(), Some(Stage::Admission));
        assert_eq!(p.status(Stage::Admission), StageStatus::InProgress);
        assert!(!p.gate_open());
        assert_eq!(p.rating(FullAcknowledgement), Rating::NotYet);
    }

    #[test]
    fn only_ratings_that_change_are_recorded() {
        let mut p = Progress::new(false);
        let first = p
            .rate(&[
                (FullAcknowledgement, Rating::Emerging),
                (WrongWithoutExcuse, Rating::NotYet),
            ])
            .expect("rate");
        assert_eq!(
            first,
            [Change::Rated {
                marker: FullAcknowledgement,
                rating: Rating::Emerging
            }],
            "not yet is what an unrated marker already reads as"
        );
        apply_all(&mut p, &first);
        let again = p
            .rate(&[(FullAcknowledgement, Rating::Emerging)])
            .expect("rate");
        assert!(again.is_empty(), "the same rating again records nothing");
        // A refused rating is refused even when it would change nothing.
        assert_eq!(
            p.rate(&[
                (FullAcknowledgement, Rating::Emerging),
                (FullAcknowledgement, Rating::Emerging)
            ]),
            Err(Refusal::RatedTwice(FullAcknowledgement))
        );
    }

    #[test]
    fn completion_needs_every_applicable_marker_consistent() {
        let mut p = Progress::new(false);
        let changes = p
            .rate(&[
                (FullAcknowledgement, Rating::Consistent),
                (WrongWithoutExcuse, Rating::Emerging),
            ])
            .expect("rate");
        apply_all(&mut p, &changes);
        let refusal = p.complete(Stage::Admission).expect_err("not ready");
        assert_eq!(
            refusal,
            Refusal::MarkersNotConsistent {
                stage: Stage::Admission,
                markers: vec![WrongWithoutExcuse, CommitmentNamed, GenuineRemorse]
            }
        );
        assert_eq!(
            refusal.explain(false),
            "Stage 1 cannot be completed yet: 3 markers are not yet consistent: Wrong, without excuses, Broken commitment named, Remorse felt as genuine."
        );
        assert_eq!(
            refusal.blocking_keys(),
            [
                "wrong_without_excuse",
                "commitment_named",
                "genuine_remorse"
            ]
        );
        complete(&mut p, Stage::Admission);
        assert_eq!(p.current_stage(), Some(Stage::Validation));
        assert_eq!(
            p.status(Stage::Validation),
            StageStatus::InProgress,
            "the next stage starts"
        );
        assert_eq!(
            p.complete(Stage::Admission),
            Err(Refusal::AlreadyComplete(Stage::Admission))
        );
    }

    #[test]
    fn an_open_agreement_makes_the_commitment_marker_not_applicable() {
        let mut p = Progress::new(true);
        assert_eq!(p.rating(CommitmentNamed), Rating::NotApplicable);
        assert_eq!(
            p.missing(Stage::Admission),
            vec![FullAcknowledgement, WrongWithoutExcuse, GenuineRemorse]
        );
        assert_eq!(
            p.rate(&[(CommitmentNamed, Rating::Consistent)]),
            Err(Refusal::DoesNotApply(CommitmentNamed))
        );
        complete(&mut p, Stage::Admission);
        assert!(
            p.is_complete(Stage::Admission),
            "three consistent markers are enough"
        );
    }

    #[test]
    fn changing_the_flag_updates_the_commitment_marker() {
        let mut p = Progress::new(false);
        let changes = p.set_open_agreement(true);
        assert_eq!(
            changes,
            vec![Change::Rated {
                marker: CommitmentNamed,
                rating: Rating::NotApplicable
            }]
        );
        apply_all(&mut p, &changes);
        assert_eq!(p.rating(CommitmentNamed), Rating::NotApplicable);
        assert!(p.set_open_agreement(true).is_empty());
        let back = p.set_open_agreement(false);
        apply_all(&mut p, &back);
        assert!(!p.open_agreement);
        assert_eq!(
            p.rating(CommitmentNamed),
            Rating::NotYet,
            "shown as not yet, never as met"
        );
    }

    #[test]
    fn not_applicable_only_where_the_rule_allows() {
        let p = Progress::new(false);
        assert_eq!(
            p.rate(&[(GenuineRemorse, Rating::NotApplicable)]),
            Err(Refusal::NotApplicableNotAllowed(GenuineRemorse))
        );
        assert_eq!(
            p.rate(&[(CommitmentNamed, Rating::NotApplicable)]),
            Err(Refusal::NotApplicableNotAllowed(CommitmentNamed))
        );
        assert_eq!(p.rate(&[]), Err(Refusal::NothingToRate));
        assert_eq!(
            p.rate(&[
                (GenuineRemorse, Rating::Emerging),
                (GenuineRemorse, Rating::Consistent)
            ]),
            Err(Refusal::RatedTwice(GenuineRemorse))
        );
    }

    #[test]
    fn stages_complete_in_order() {
        let mut p = Progress::new(false);
        rate_stage(&mut p, Stage::Validation, Rating::Consistent);
        assert_eq!(
            p.status(Stage::Validation),
            StageStatus::InProgress,
            "rating a stage starts it"
        );
        assert_eq!(
            p.complete(Stage::Validation),
            Err(Refusal::EarlierStagesIncomplete {
                stage: Stage::Validation,
                stages: vec![Stage::Admission]
            })
        );
    }

    #[test]
    fn the_gate_holds_stages_four_to_six() {
        let mut p = Progress::new(false);
        complete(&mut p, Stage::Admission);
        complete(&mut p, Stage::Validation);
        assert_eq!(
            p.rate(&[(PreAffairReviewed, Rating::Emerging)]),
            Err(Refusal::GateClosed(Stage::BeforeTheAffair))
        );
        assert_eq!(
            p.complete(Stage::CurrentStruggles),
            Err(Refusal::GateClosed(Stage::CurrentStruggles))
        );
        assert!(
            Refusal::GateClosed(Stage::BeforeTheAffair)
                .explain(false)
                .contains("behind the gate")
        );
        complete(&mut p, Stage::Openness);
        assert!(p.gate_open());
        assert_eq!(
            p.status(Stage::BeforeTheAffair),
            StageStatus::InProgress,
            "stage 4 starts when the gate opens"
        );
        complete(&mut p, Stage::BeforeTheAffair);
        complete(&mut p, Stage::CurrentStruggles);
        complete(&mut p, Stage::SharedResponsibility);
        assert_eq!(p.current_stage(), None);
    }

    #[test]
    fn an_override_opens_the_gate_with_a_reason() {
        let mut p = Progress::new(false);
        assert_eq!(
            p.override_gate(Stage::Openness, reason()),
            Err(Refusal::NotGated(Stage::Openness))
        );
        let changes = p
            .override_gate(Stage::BeforeTheAffair, reason())
            .expect("override");
        assert_eq!(changes[1], Change::Started(Stage::BeforeTheAffair));
        apply_all(&mut p, &changes);
        assert!(p.gate_open());
        assert_eq!(
            p.override_gate(Stage::BeforeTheAffair, reason()),
            Err(Refusal::GateAlreadyOpen)
        );
        // With the gate overridden, stage 4 can be completed though stages 1 to 3 are not.
        complete(&mut p, Stage::BeforeTheAffair);
        assert_eq!(p.current_stage(), Some(Stage::Admission));
        assert!(Reason::parse("   ").is_err());
        assert!(Reason::parse(&"x".repeat(2001)).is_err());
    }

    #[test]
    fn reopening_needs_a_completed_stage_and_closes_the_gate_again() {
        let mut p = Progress::new(false);
        assert_eq!(
            p.reopen(Stage::Admission, reason()),
            Err(Refusal::NotComplete(Stage::Admission))
        );
        for s in [Stage::Admission, Stage::Validation, Stage::Openness] {
            complete(&mut p, s);
        }
        let changes = p.reopen(Stage::Admission, reason()).expect("reopen");
        apply_all(&mut p, &changes);
        assert_eq!(p.current_stage(), Some(Stage::Admission));
        assert!(!p.gate_open());
        assert_eq!(
            p.rate(&[(PreAffairReviewed, Rating::Emerging)]),
            Err(Refusal::GateClosed(Stage::BeforeTheAffair))
        );
        assert_eq!(
            p.rate(&[(NoRetribution, Rating::Emerging)]),
            Err(Refusal::StageIsComplete {
                marker: NoRetribution
            }),
            "a completed stage is rated again only after reopening it"
        );
    }
}

#[cfg(test)]
mod properties {
    //! Whatever a counselor does, in any order: nothing happens in stages 4 to 6 while stages
    //! 1 to 3 are incomplete unless an override is recorded, and history only grows.

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Rate(Vec<(Marker, Rating)>),
        /// Every marker of a stage at once, so long random runs really do reach later stages.
        RateStage(Stage, Rating),
        Complete(Stage),
        Override(Stage),
        Reopen(Stage),
        Flag(bool),
    }

    fn stage() -> impl Strategy<Value = Stage> {
        prop::sample::select(Stage::ALL.to_vec())
    }

    fn op() -> impl Strategy<Value = Op> {
        let rating = prop::sample::select(Rating::ALL.to_vec());
        let marker = prop::sample::select(Marker::ALL.to_vec());
        prop_oneof![
            3 => prop::collection::vec((marker, rating), 1..5).prop_map(Op::Rate),
            4 => (stage(), prop::sample::select(Rating::CHOOSABLE.to_vec())).prop_map(|(s, r)| Op::RateStage(s, r)),
            3 => stage().prop_map(Op::Complete),
            1 => stage().prop_map(Op::Override),
            1 => stage().prop_map(Op::Reopen),
            1 => any::<bool>().prop_map(Op::Flag),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn the_gate_holds_and_history_only_grows(open in any::<bool>(), ops in prop::collection::vec(op(), 0..120)) {
            let mut p = Progress::new(open);
            let mut history: Vec<Change> = Vec::new();
            for op in ops {
                let outcome = match op {
                    Op::Rate(r) => p.rate(&r),
                    Op::RateStage(s, r) => {
                        let all: Vec<(Marker, Rating)> = s.markers().filter(|m| m.applies(p.open_agreement)).map(|m| (m, r)).collect();
                        p.rate(&all)
                    }
                    Op::Complete(s) => p.complete(s),
                    Op::Override(s) => Reason::parse("clinical judgement").map_err(|_| Refusal::NothingToRate).and_then(|r| p.override_gate(s, r)),
                    Op::Reopen(s) => Reason::parse("new disclosure").map_err(|_| Refusal::NothingToRate).and_then(|r| p.reopen(s, r)),
                    Op::Flag(f) => Ok(p.set_open_agreement(f)),
                };
                let Ok(changes) = outcome else { continue };
                let before = history.len();
                for c in &changes {
                    let touches_gated = match c {
                        Change::Rated { marker, .. } => marker.stage().is_gated(),
                        Change::Started(s) | Change::Completed(s) => s.is_gated(),
                        _ => false,
                    };
                    if touches_gated {
                        let early_done = [Stage::Admission, Stage::Validation, Stage::Openness].iter().all(|s| p.is_complete(*s));
                        prop_assert!(early_done || p.gate_overridden(), "{c:?} happened behind a closed gate");
                    }
                    if let Change::Completed(s) = c {
                        prop_assert!(p.missing(*s).is_empty(), "{s:?} completed with markers missing");
                    }
                    p.apply(c);
                    history.push(c.clone());
                }
                prop_assert!(history.len() >= before);
            }
            // Invariant on the final state as well.
            for s in [Stage::BeforeTheAffair, Stage::CurrentStruggles, Stage::SharedResponsibility] {
                if p.status(s) != StageStatus::NotStarted {
                    let overridden = history.iter().any(|c| matches!(c, Change::GateOverridden { .. }));
                    let opened = history.iter().any(|c| matches!(c, Change::Completed(Stage::Openness)));
                    prop_assert!(overridden || opened, "{s:?} started without the gate ever opening");
                }
            }
        }
    }
}
