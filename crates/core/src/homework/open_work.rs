//! Homework still waiting for someone: the partner (not yet submitted) or the counselor
//! (submitted, not yet reviewed). The dashboard and the daily digest count a caseload's
//! submissions to review and its overdue homework on every view; joining every open response
//! of the caseload to its partner, couple and assignment for that took 40 ms at 1,000 couples.
//! So the `open_homework` table keeps one narrow row per waiting response, with the counselor,
//! couple and due time beside it, and the counts read one index range of it.
//!
//! The rows of a couple are written again from its records, in the same transaction, by every
//! change to what they copy: assigning, moving a due time, cancelling, submitting, reviewing,
//! and closing or reopening the couple ([`sync_couples`]). Rewriting (rather than adding and
//! subtracting) keeps the table equal to its records whatever order changes come in.
//! Deleting a response or a couple deletes its rows (foreign keys with cascade).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum as _, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::ResponseStatus;
use crate::couples::CoupleStatus;
use crate::db::Params;
use crate::entities::open_homework;
use crate::error::CoreError;

/// Couples per statement when many are written at once (the generator's batches).
const COUPLES_PER_STATEMENT: usize = 500;

/// What waits for a counselor across their caseload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HomeworkCounts {
    /// Responses submitted and not yet reviewed.
    pub to_review: u64,
    /// Responses past their due time and not submitted (closed couples left out).
    pub overdue: u64,
}

/// Write the rows of these couples again from their records. Call it inside the transaction
/// that changed them, after the change. On PostgreSQL the couples' rows are locked first, so
/// that two transactions changing one couple rewrite its rows one after the other, each from
/// what the other committed; SQLite's write transactions already run one at a time.
pub async fn sync_couples(db: &impl ConnectionTrait, couple_ids: &[Uuid]) -> Result<(), CoreError> {
    let backend = db.get_database_backend();
    for chunk in couple_ids.chunks(COUPLES_PER_STATEMENT) {
        if backend == DbBackend::Postgres {
            let mut p = Params::new(backend);
            let ids = p.list(chunk.iter().copied());
            db.query_all_raw(p.statement(format!(
                "SELECT id FROM couple WHERE id IN ({ids}) ORDER BY id FOR UPDATE"
            )))
            .await?;
        }
        let mut p = Params::new(backend);
        let ids = p.list(chunk.iter().copied());
        db.execute_raw(p.statement(format!(
            "DELETE FROM open_homework WHERE couple_id IN ({ids})"
        )))
        .await?;

        // From the couples by id, to their assignments, to their responses: well under a
        // millisecond a couple. On SQLite `CROSS JOIN` holds that order whatever the planner's
        // statistics say; PostgreSQL finds it from its statistics (kept by autovacuum; while a
        // bulk load runs they lag, so the generator refreshes them before it gets here).
        let join = match backend {
            DbBackend::Sqlite => "CROSS JOIN",
            _ => "JOIN",
        };
        let mut p = Params::new(backend);
        let submitted = p.bind(ResponseStatus::Submitted.to_value());
        let submitted_again = p.bind(ResponseStatus::Submitted.to_value());
        let unsubmitted = p.list([
            ResponseStatus::Assigned.to_value(),
            ResponseStatus::Draft.to_value(),
        ]);
        let closed = p.bind(CoupleStatus::Closed.to_value());
        let ids = p.list(chunk.iter().copied());
        db.execute_raw(p.statement(format!(
            "INSERT INTO open_homework (response_id, counselor_id, couple_id, due_at, submitted) \
             SELECT r.id, c.counselor_id, c.id, a.due_at, \
                    CASE WHEN r.status = {submitted} THEN TRUE ELSE FALSE END \
             FROM couple c \
             {join} assignment a ON a.couple_id = c.id \
             {join} response r ON r.assignment_id = a.id \
             WHERE a.cancelled_at IS NULL \
               AND (r.status = {submitted_again} \
                    OR (r.status IN ({unsubmitted}) AND c.status <> {closed})) \
               AND c.id IN ({ids})"
        )))
        .await?;
    }
    Ok(())
}

/// Submissions to review and overdue homework across a counselor's caseload: two counts, each
/// over one range of the (counselor, submitted, due time) index, in one statement.
pub async fn caseload_counts(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    now: DateTime<Utc>,
) -> Result<HomeworkCounts, CoreError> {
    let mut p = Params::new(db.get_database_backend());
    let (counselor, submitted) = (p.bind(counselor_id), p.bind(true));
    let (counselor_again, unsubmitted, due_before) =
        (p.bind(counselor_id), p.bind(false), p.bind(now));
    let row = db
        .query_one_raw(p.statement(format!(
            "SELECT \
               (SELECT COUNT(*) FROM open_homework \
                WHERE counselor_id = {counselor} AND submitted = {submitted}), \
               (SELECT COUNT(*) FROM open_homework \
                WHERE counselor_id = {counselor_again} AND submitted = {unsubmitted} \
                  AND due_at < {due_before})"
        )))
        .await?;
    let count = |i: usize| -> Result<u64, CoreError> {
        let n: i64 = match &row {
            Some(row) => row.try_get_by_index(i)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(HomeworkCounts {
        to_review: count(0)?,
        overdue: count(1)?,
    })
}

/// Submissions to review per couple, for the given couples of the counselor (one query).
pub async fn to_review_by_couple(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    couple_ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>, CoreError> {
    if couple_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, i64)> = open_homework::Entity::find()
        .filter(open_homework::Column::CoupleId.is_in(couple_ids.iter().copied()))
        .filter(open_homework::Column::Submitted.eq(true))
        .filter(open_homework::Column::CounselorId.eq(counselor_id))
        .select_only()
        .column(open_homework::Column::CoupleId)
        .column_as(open_homework::Column::ResponseId.count(), "n")
        .group_by(open_homework::Column::CoupleId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}
