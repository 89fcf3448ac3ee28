//! Check-in ratings over time: every 0-10 prompt a couple answered in submitted responses, as
//! dated points per partner (for the couple page's charts and the progress report), and the
//! rule that flags diverging trust ratings.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::ResponseStatus;
use super::builtins::CONNECTION_CHECKIN;
use super::library;
use super::prompts::Answer;
use super::responses::decode;
use crate::couples::PartnerRole;
use crate::couples::store::CoupleRecord;
use crate::entities::{assignment, exercise, response};
use crate::error::CoreError;

/// How far apart (in points on the 0-10 scale) the partners' trust ratings must be, in each of
/// their last two check-ins, to be flagged.
pub const DIVERGENCE_POINTS: u8 = 4;

/// The prompt of the connection check-in whose divergence is flagged.
pub const TRUST_PROMPT: &str = "trust";

/// One rating one partner gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinPoint {
    pub role: PartnerRole,
    /// The occurrence it answers (both partners of one occurrence answer the same assignment).
    pub assignment_id: Uuid,
    pub due_at: DateTime<Utc>,
    /// When the partner submitted it.
    pub at: DateTime<Utc>,
    pub value: u8,
}

/// Every rating of one 0-10 prompt of one exercise, oldest first.
#[derive(Debug, Clone)]
pub struct ScaleSeries {
    pub exercise_id: Uuid,
    pub exercise_title: String,
    /// The built-in connection check-in, or a copy of it.
    pub connection_checkin: bool,
    pub prompt_key: String,
    pub prompt_label: String,
    pub points: Vec<CheckinPoint>,
}

impl ScaleSeries {
    /// The values of one partner, oldest first.
    pub fn values_of(&self, role: PartnerRole) -> Vec<&CheckinPoint> {
        self.points.iter().filter(|p| p.role == role).collect()
    }

    /// Whether this series is the connection check-in's trust prompt and the partners'
    /// ratings diverge (see [`trust_diverges`]).
    pub fn trust_flag(&self) -> bool {
        self.connection_checkin
            && self.prompt_key == TRUST_PROMPT
            && trust_diverges(&pair_by_occurrence(&self.points))
    }
}

/// The (involved, hurt) ratings of each occurrence both partners answered, in due order.
pub fn pair_by_occurrence(points: &[CheckinPoint]) -> Vec<(u8, u8)> {
    // (due, assignment) -> (involved, hurt)
    type Occurrence = (DateTime<Utc>, Uuid);
    let mut by_occurrence: BTreeMap<Occurrence, (Option<u8>, Option<u8>)> = BTreeMap::new();
    for p in points {
        let slot = by_occurrence
            .entry((p.due_at, p.assignment_id))
            .or_default();
        match p.role {
            PartnerRole::Involved => slot.0 = Some(p.value),
            PartnerRole::Hurt => slot.1 = Some(p.value),
        }
    }
    by_occurrence
        .into_values()
        .filter_map(|(a, b)| a.zip(b))
        .collect()
}

/// The partners' trust ratings diverge when, in each of the last two check-ins both of them
/// answered, their ratings are [`DIVERGENCE_POINTS`] or more apart. One wide gap alone is not
/// flagged (a single hard week), nor is anything before both have checked in twice.
/// `pairs` are (involved, hurt) ratings, oldest first.
pub fn trust_diverges(pairs: &[(u8, u8)]) -> bool {
    pairs.len() >= 2
        && pairs[pairs.len() - 2..]
            .iter()
            .all(|(a, b)| a.abs_diff(*b) >= DIVERGENCE_POINTS)
}

/// Every 0-10 prompt answered in this couple's submitted (or reviewed) responses, grouped per
/// exercise and prompt: check-ins first, then by stage and title. The caller has checked the
/// couple is the counselor's.
pub async fn scale_series(
    db: &impl ConnectionTrait,
    couple: &CoupleRecord,
) -> Result<Vec<ScaleSeries>, CoreError> {
    let responses = response::Entity::find()
        .filter(response::Column::PartnerId.is_in([couple.involved.id, couple.hurt.id]))
        .filter(
            response::Column::Status.is_in([ResponseStatus::Submitted, ResponseStatus::Reviewed]),
        )
        .all(db)
        .await?;
    let responses = crate::crypto::records::all(responses, crate::crypto::records::response)?;
    if responses.is_empty() {
        return Ok(Vec::new());
    }
    let mut assignment_ids: Vec<Uuid> = responses.iter().map(|r| r.assignment_id).collect();
    assignment_ids.sort();
    assignment_ids.dedup();
    let assignments: HashMap<Uuid, assignment::Model> = assignment::Entity::find()
        .filter(assignment::Column::Id.is_in(assignment_ids))
        .filter(assignment::Column::CoupleId.eq(couple.couple.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut exercise_ids: Vec<Uuid> = assignments.values().map(|a| a.exercise_id).collect();
    exercise_ids.sort();
    exercise_ids.dedup();
    let exercises = library::get_many(db, &exercise_ids).await?;
    let connection_id = exercise::Entity::find()
        .filter(exercise::Column::BuiltinKey.eq(CONNECTION_CHECKIN))
        .one(db)
        .await?
        .map(|e| e.id);

    let mut series: Vec<ScaleSeries> = Vec::new();
    let mut index: HashMap<(Uuid, String), usize> = HashMap::new();
    for r in &responses {
        let Some(a) = assignments.get(&r.assignment_id) else {
            continue;
        };
        let Some(e) = exercises.get(&a.exercise_id) else {
            continue;
        };
        let role = if r.partner_id == couple.involved.id {
            PartnerRole::Involved
        } else {
            PartnerRole::Hurt
        };
        let answers = decode(r.answers.as_deref());
        for prompt in e.prompts.iter().filter(|p| p.kind.is_scale()) {
            let Some(Answer::Number(value)) = answers.get(&prompt.key) else {
                continue;
            };
            let key = (e.model.id, prompt.key.clone());
            let i = *index.entry(key).or_insert_with(|| {
                let is_connection = e.model.builtin_key.as_deref() == Some(CONNECTION_CHECKIN)
                    || (e.model.copied_from_id.is_some()
                        && e.model.copied_from_id == connection_id);
                series.push(ScaleSeries {
                    exercise_id: e.model.id,
                    exercise_title: e.model.title.clone(),
                    connection_checkin: is_connection,
                    prompt_key: prompt.key.clone(),
                    prompt_label: prompt.label.clone(),
                    points: Vec::new(),
                });
                series.len() - 1
            });
            series[i].points.push(CheckinPoint {
                role,
                assignment_id: a.id,
                due_at: a.due_at,
                at: r.submitted_at.unwrap_or(r.updated_at),
                value: (*value).min(10),
            });
        }
    }
    for s in &mut series {
        s.points.sort_by_key(|p| (p.at, p.due_at));
    }
    // Check-ins first, then by stage and title, prompts in their exercise's order.
    let position = |s: &ScaleSeries| {
        let e = exercises.get(&s.exercise_id);
        let prompt_pos = e
            .and_then(|e| e.prompts.iter().position(|p| p.key == s.prompt_key))
            .unwrap_or(usize::MAX);
        (
            !s.connection_checkin,
            e.map(|e| e.model.stage),
            s.exercise_title.clone(),
            s.exercise_id,
            prompt_pos,
        )
    };
    series.sort_by_cached_key(position);
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(role: PartnerRole, week: i64, value: u8) -> CheckinPoint {
        let due =
            DateTime::<Utc>::from_timestamp(1_767_225_600 + week * 7 * 86_400, 0).expect("time");
        CheckinPoint {
            role,
            assignment_id: Uuid::from_u128(week as u128 + 1),
            due_at: due,
            at: due,
            value,
        }
    }

    #[test]
    fn divergence_needs_a_wide_gap_in_each_of_the_last_two_check_ins() {
        assert!(trust_diverges(&[(8, 3), (7, 2)]));
        assert!(
            trust_diverges(&[(2, 2), (8, 4), (1, 5)]),
            "either direction"
        );
        assert!(!trust_diverges(&[(8, 3), (7, 4)]), "3 apart is not 4");
        assert!(!trust_diverges(&[(8, 2), (6, 5)]), "only an older gap");
        assert!(!trust_diverges(&[(6, 5), (9, 2)]), "only the latest gap");
        assert!(!trust_diverges(&[(10, 0)]), "one check-in is not enough");
        assert!(!trust_diverges(&[]));
        assert!(trust_diverges(&[(0, 4), (10, 6)]), "exactly 4 counts");
    }

    #[test]
    fn only_occurrences_both_partners_answered_are_paired() {
        use PartnerRole::*;
        let points = vec![
            point(Involved, 0, 8),
            point(Hurt, 0, 2),
            // Week 1: only the involved partner checked in.
            point(Involved, 1, 9),
            point(Hurt, 2, 3),
            point(Involved, 2, 7),
        ];
        assert_eq!(pair_by_occurrence(&points), vec![(8, 2), (7, 3)]);
        assert!(trust_diverges(&pair_by_occurrence(&points)));
    }
}
