//! Loading a couple's progress, carrying out a counselor's stage action, and reading the
//! history the tracker and the timeline show. Every change is appended (ratings, stage events)
//! and audited in the same transaction; nothing is overwritten or deleted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::rules::{Change, Progress, Reason, Refusal};
use super::{Marker, Rating, Stage, StageEventKind, StageStatus};
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entities::{counseling_session, couple, marker_rating, stage_event, stage_progress};
use crate::error::CoreError;

/// What a counselor asks for.
#[derive(Debug, Clone)]
pub enum StageAction {
    Rate {
        ratings: Vec<(Marker, Rating)>,
        session_id: Option<Uuid>,
    },
    Complete(Stage),
    OverrideGate {
        stage: Stage,
        reason: Reason,
    },
    Reopen {
        stage: Stage,
        reason: Reason,
    },
}

fn refused(refusal: Refusal, open_agreement: bool) -> CoreError {
    CoreError::Refused {
        message: refusal.explain(open_agreement),
        blocking: refusal.blocking_keys(),
    }
}

/// The couple's progress as the rules see it.
pub async fn load(
    db: &impl ConnectionTrait,
    couple: &couple::Model,
) -> Result<Progress, CoreError> {
    let rows = stage_progress::Entity::find()
        .filter(stage_progress::Column::CoupleId.eq(couple.id))
        .all(db)
        .await?;
    let overridden = stage_event::Entity::find()
        .filter(stage_event::Column::CoupleId.eq(couple.id))
        .filter(stage_event::Column::Kind.eq(StageEventKind::GateOverride))
        .one(db)
        .await?
        .is_some();
    let latest = latest_ratings(db, couple.id).await?;
    Ok(Progress::from_parts(
        couple.open_agreement,
        rows.into_iter().map(|r| (r.stage, r.status)),
        overridden,
        latest.into_iter().map(|(m, r)| (m, r.rating)),
    ))
}

/// The newest rating of each marker that has been rated.
pub async fn latest_ratings(
    db: &impl ConnectionTrait,
    couple_id: Uuid,
) -> Result<BTreeMap<Marker, marker_rating::Model>, CoreError> {
    let all = marker_rating::Entity::find()
        .filter(marker_rating::Column::CoupleId.eq(couple_id))
        .order_by_asc(marker_rating::Column::RatedAt)
        .all(db)
        .await?;
    Ok(all.into_iter().map(|r| (r.marker, r)).collect())
}

/// What a stage action did: the progress after it, and how many changes it recorded (none when
/// every rating given was already the current one).
#[derive(Debug)]
pub struct Acted {
    pub progress: Progress,
    pub recorded: usize,
}

/// Carry out a stage action for one of the counselor's couples. Refusals come back as
/// `CoreError::Refused` with words for the counselor and the keys of what blocks.
pub async fn act(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    action: StageAction,
) -> Result<Acted, CoreError> {
    let tx = begin_write(db).await?;
    // Lock the couple row (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
    let couple = couple::Entity::find_by_id(couple_id)
        .filter(couple::Column::CounselorId.eq(counselor_id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut progress = load(&tx, &couple).await?;
    let open = couple.open_agreement;
    let (changes, session_id) = match action {
        StageAction::Rate {
            ratings,
            session_id,
        } => {
            if let Some(session) = session_id {
                let belongs = counseling_session::Entity::find_by_id(session)
                    .filter(counseling_session::Column::CoupleId.eq(couple_id))
                    .one(&tx)
                    .await?
                    .is_some();
                if !belongs {
                    return Err(CoreError::invalid(
                        "session_id",
                        "is not a session of this couple",
                    ));
                }
            }
            (
                progress.rate(&ratings).map_err(|r| refused(r, open))?,
                session_id,
            )
        }
        StageAction::Complete(stage) => (
            progress.complete(stage).map_err(|r| refused(r, open))?,
            None,
        ),
        StageAction::OverrideGate { stage, reason } => (
            progress
                .override_gate(stage, reason)
                .map_err(|r| refused(r, open))?,
            None,
        ),
        StageAction::Reopen { stage, reason } => (
            progress
                .reopen(stage, reason)
                .map_err(|r| refused(r, open))?,
            None,
        ),
    };
    record(
        &tx,
        clock,
        actor,
        &couple,
        &changes,
        session_id,
        Some(counselor_id),
    )
    .await?;
    for c in &changes {
        progress.apply(c);
    }
    set_current_stage(&tx, clock, couple_id, progress.current_stage()).await?;
    tx.commit().await?;
    Ok(Acted {
        progress,
        recorded: changes.len(),
    })
}

/// The couple's open-relationship flag changed: record what follows for the commitment
/// marker. Called inside the transaction that changes the flag.
pub async fn open_agreement_changed(
    tx: &impl ConnectionTrait,
    clock: &dyn Clock,
    actor: &Actor,
    couple: &couple::Model,
    open_agreement: bool,
) -> Result<(), CoreError> {
    let progress = load(tx, couple).await?;
    let changes = progress.set_open_agreement(open_agreement);
    record(tx, clock, actor, couple, &changes, None, None).await
}

async fn record(
    tx: &impl ConnectionTrait,
    clock: &dyn Clock,
    actor: &Actor,
    couple: &couple::Model,
    changes: &[Change],
    session_id: Option<Uuid>,
    counselor_id: Option<Uuid>,
) -> Result<(), CoreError> {
    let now = clock.now();
    for change in changes {
        match change {
            Change::Rated { marker, rating } => {
                marker_rating::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    couple_id: Set(couple.id),
                    stage: Set(marker.stage()),
                    marker: Set(*marker),
                    rating: Set(*rating),
                    session_id: Set(session_id),
                    rated_by: Set(counselor_id),
                    rated_at: Set(now),
                }
                .insert(tx)
                .await?;
                audit::record_with_detail(
                    tx,
                    clock,
                    actor,
                    Action::MarkerRated,
                    Some(Record::couple(couple.id)),
                    Some(marker.key()),
                )
                .await?;
            }
            Change::Started(stage) => {
                update_stage(tx, couple.id, *stage, StageStatus::InProgress, now, |q| q).await?;
                // The first start is the one the tracker shows; a later restart keeps it.
                stage_progress::Entity::update_many()
                    .col_expr(stage_progress::Column::StartedAt, Expr::value(now))
                    .filter(stage_progress::Column::CoupleId.eq(couple.id))
                    .filter(stage_progress::Column::Stage.eq(*stage))
                    .filter(stage_progress::Column::StartedAt.is_null())
                    .exec(tx)
                    .await?;
                event(
                    tx,
                    couple.id,
                    *stage,
                    StageEventKind::Started,
                    None,
                    counselor_id,
                    now,
                )
                .await?;
            }
            Change::Completed(stage) => {
                update_stage(tx, couple.id, *stage, StageStatus::Complete, now, |q| {
                    q.col_expr(stage_progress::Column::CompletedAt, Expr::value(now))
                        .col_expr(
                            stage_progress::Column::CompletedBy,
                            Expr::value(counselor_id),
                        )
                })
                .await?;
                event(
                    tx,
                    couple.id,
                    *stage,
                    StageEventKind::Completed,
                    None,
                    counselor_id,
                    now,
                )
                .await?;
                audit::record_with_detail(
                    tx,
                    clock,
                    actor,
                    Action::StageCompleted,
                    Some(Record::couple(couple.id)),
                    Some(stage.key()),
                )
                .await?;
            }
            Change::GateOverridden { reason } => {
                event(
                    tx,
                    couple.id,
                    Stage::BeforeTheAffair,
                    StageEventKind::GateOverride,
                    Some(reason),
                    counselor_id,
                    now,
                )
                .await?;
                audit::record(
                    tx,
                    clock,
                    actor,
                    Action::GateOverridden,
                    Some(Record::couple(couple.id)),
                )
                .await?;
            }
            Change::Reopened { stage, reason } => {
                update_stage(tx, couple.id, *stage, StageStatus::InProgress, now, |q| {
                    q.col_expr(
                        stage_progress::Column::CompletedAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .col_expr(
                        stage_progress::Column::CompletedBy,
                        Expr::value(Option::<Uuid>::None),
                    )
                })
                .await?;
                event(
                    tx,
                    couple.id,
                    *stage,
                    StageEventKind::Reopened,
                    Some(reason),
                    counselor_id,
                    now,
                )
                .await?;
                audit::record_with_detail(
                    tx,
                    clock,
                    actor,
                    Action::StageReopened,
                    Some(Record::couple(couple.id)),
                    Some(stage.key()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn update_stage(
    tx: &impl ConnectionTrait,
    couple_id: Uuid,
    stage: Stage,
    status: StageStatus,
    now: DateTime<Utc>,
    extra: impl FnOnce(
        sea_orm::UpdateMany<stage_progress::Entity>,
    ) -> sea_orm::UpdateMany<stage_progress::Entity>,
) -> Result<(), CoreError> {
    let query = stage_progress::Entity::update_many()
        .col_expr(stage_progress::Column::Status, Expr::value(status))
        .col_expr(stage_progress::Column::UpdatedAt, Expr::value(now))
        .filter(stage_progress::Column::CoupleId.eq(couple_id))
        .filter(stage_progress::Column::Stage.eq(stage));
    extra(query).exec(tx).await?;
    Ok(())
}

async fn event(
    tx: &impl ConnectionTrait,
    couple_id: Uuid,
    stage: Stage,
    kind: StageEventKind,
    reason: Option<&Reason>,
    actor_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), CoreError> {
    let id = Uuid::new_v4();
    stage_event::ActiveModel {
        id: Set(id),
        couple_id: Set(couple_id),
        stage: Set(stage),
        kind: Set(kind),
        reason: Set(crate::crypto::seal_opt(
            crate::crypto::Field::StageEventReason,
            id,
            reason.map(Reason::as_str),
        )?),
        actor_id: Set(actor_id),
        at: Set(at),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Keep the couple's denormalised current stage in step.
pub async fn set_current_stage(
    tx: &impl ConnectionTrait,
    clock: &dyn Clock,
    couple_id: Uuid,
    stage: Option<Stage>,
) -> Result<(), CoreError> {
    couple::Entity::update_many()
        .col_expr(
            couple::Column::CurrentStage,
            Expr::value(stage.map(|s| s.key())),
        )
        .col_expr(couple::Column::UpdatedAt, Expr::value(clock.now()))
        .filter(couple::Column::Id.eq(couple_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Everything the stage tracker shows.
#[derive(Debug, Clone)]
pub struct StageHistory {
    pub progress: Progress,
    pub rows: Vec<stage_progress::Model>,
    pub latest: BTreeMap<Marker, marker_rating::Model>,
    /// Oldest first.
    pub events: Vec<stage_event::Model>,
}

impl StageHistory {
    pub fn row(&self, stage: Stage) -> Option<&stage_progress::Model> {
        self.rows.iter().find(|r| r.stage == stage)
    }
}

/// The tracker's data for one of this counselor's couples.
pub async fn history(
    db: &impl ConnectionTrait,
    couple: &couple::Model,
) -> Result<StageHistory, CoreError> {
    let rows = stage_progress::Entity::find()
        .filter(stage_progress::Column::CoupleId.eq(couple.id))
        .all(db)
        .await?;
    let latest = latest_ratings(db, couple.id).await?;
    let events = stage_event::Entity::find()
        .filter(stage_event::Column::CoupleId.eq(couple.id))
        .order_by_asc(stage_event::Column::At)
        .all(db)
        .await?;
    let events = crate::crypto::records::all(events, crate::crypto::records::stage_event)?;
    let overridden = events
        .iter()
        .any(|e| e.kind == StageEventKind::GateOverride);
    let progress = Progress::from_parts(
        couple.open_agreement,
        rows.iter().map(|r| (r.stage, r.status)),
        overridden,
        latest.iter().map(|(m, r)| (*m, r.rating)),
    );
    Ok(StageHistory {
        progress,
        rows,
        latest,
        events,
    })
}
