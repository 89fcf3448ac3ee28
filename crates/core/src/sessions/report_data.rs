//! Reads that the PDF documents need and the pages do not: a couple's full marker-rating
//! history, a session's marker changes, the names of the counselors who signed, and the stage
//! a couple was in at a given moment. Callers have checked that the couple or session is the
//! counselor's.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::{counselor, marker_rating, stage_event};
use crate::error::CoreError;
use crate::stages::{Marker, Rating, Stage, StageEventKind, current_stage};

/// Every marker rating of a couple, oldest first.
pub async fn marker_history(
    db: &impl ConnectionTrait,
    couple_id: Uuid,
) -> Result<Vec<marker_rating::Model>, CoreError> {
    Ok(marker_rating::Entity::find()
        .filter(marker_rating::Column::CoupleId.eq(couple_id))
        .order_by_asc(marker_rating::Column::RatedAt)
        .all(db)
        .await?)
}

/// One marker as rated in a session: the rating before the session (`None`: never rated) and
/// the last rating given in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerChange {
    pub marker: Marker,
    pub before: Option<Rating>,
    pub after: Rating,
}

/// The markers rated in one session, in the order they were first rated there. `history` is
/// the couple's whole rating history, oldest first.
pub fn changes_in_session(history: &[marker_rating::Model], session_id: Uuid) -> Vec<MarkerChange> {
    let mut latest: HashMap<Marker, Rating> = HashMap::new();
    let mut changes: Vec<MarkerChange> = Vec::new();
    for r in history {
        if r.session_id == Some(session_id) {
            match changes.iter_mut().find(|c| c.marker == r.marker) {
                Some(c) => c.after = r.rating,
                None => changes.push(MarkerChange {
                    marker: r.marker,
                    before: latest.get(&r.marker).copied(),
                    after: r.rating,
                }),
            }
        }
        latest.insert(r.marker, r.rating);
    }
    changes
}

/// The latest rating of each marker given before `until`.
pub fn ratings_at(
    history: &[marker_rating::Model],
    until: DateTime<Utc>,
) -> HashMap<Marker, marker_rating::Model> {
    history
        .iter()
        .filter(|r| r.rated_at < until)
        .map(|r| (r.marker, r.clone()))
        .collect()
}

/// The stages complete at `at`, replaying the completions and reopenings that came before
/// (`events` oldest first).
pub fn complete_at(events: &[stage_event::Model], at: DateTime<Utc>) -> HashSet<Stage> {
    let mut complete: HashSet<Stage> = HashSet::new();
    for e in events.iter().filter(|e| e.at <= at) {
        match e.kind {
            StageEventKind::Completed => {
                complete.insert(e.stage);
            }
            StageEventKind::Reopened => {
                complete.remove(&e.stage);
            }
            StageEventKind::Started | StageEventKind::GateOverride => {}
        }
    }
    complete
}

/// Which stage was current at `at` (`events` oldest first). `None`: all six were complete.
pub fn stage_at(events: &[stage_event::Model], at: DateTime<Utc>) -> Option<Stage> {
    let complete = complete_at(events, at);
    current_stage(|s| complete.contains(&s))
}

/// Counselors' names by id (signers of notes and addenda), whatever their practice role.
pub async fn counselor_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, CoreError> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(counselor::Entity::find()
        .filter(counselor::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-03-{day:02}T10:00:00Z").parse().expect("time")
    }

    fn rating(
        marker: Marker,
        rating: Rating,
        day: u32,
        session: Option<Uuid>,
    ) -> marker_rating::Model {
        marker_rating::Model {
            id: Uuid::new_v4(),
            couple_id: Uuid::nil(),
            stage: marker.stage(),
            marker,
            rating,
            session_id: session,
            rated_by: None,
            rated_at: at(day),
        }
    }

    fn event(stage: Stage, kind: StageEventKind, day: u32) -> stage_event::Model {
        stage_event::Model {
            id: Uuid::new_v4(),
            couple_id: Uuid::nil(),
            stage,
            kind,
            reason: None,
            actor_id: None,
            at: at(day),
        }
    }

    #[test]
    fn a_session_change_is_compared_with_the_rating_before_it() {
        let s = Uuid::from_u128(7);
        let markers: Vec<Marker> = Stage::Admission.markers().collect();
        let (m1, m2) = (markers[0], markers[1]);
        let history = vec![
            rating(m1, Rating::NotYet, 1, None),
            rating(m1, Rating::Emerging, 5, Some(s)),
            rating(m2, Rating::Emerging, 5, Some(s)),
            rating(m2, Rating::Consistent, 5, Some(s)),
            rating(m1, Rating::Consistent, 9, None),
        ];
        let changes = changes_in_session(&history, s);
        assert_eq!(
            changes,
            vec![
                MarkerChange {
                    marker: m1,
                    before: Some(Rating::NotYet),
                    after: Rating::Emerging
                },
                MarkerChange {
                    marker: m2,
                    before: None,
                    after: Rating::Consistent
                },
            ]
        );
        assert_eq!(ratings_at(&history, at(6))[&m1].rating, Rating::Emerging);
        assert!(changes_in_session(&history, Uuid::nil()).is_empty());
    }

    #[test]
    fn the_stage_at_a_time_follows_completions_and_reopenings() {
        let events = vec![
            event(Stage::Admission, StageEventKind::Started, 1),
            event(Stage::Admission, StageEventKind::Completed, 3),
            event(Stage::Validation, StageEventKind::Started, 3),
            event(Stage::Admission, StageEventKind::Reopened, 8),
        ];
        assert_eq!(stage_at(&events, at(2)), Some(Stage::Admission));
        assert_eq!(stage_at(&events, at(4)), Some(Stage::Validation));
        assert_eq!(stage_at(&events, at(9)), Some(Stage::Admission));
        assert_eq!(stage_at(&[], at(9)), Some(Stage::Admission));
    }
}
