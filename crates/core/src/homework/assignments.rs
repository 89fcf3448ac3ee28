//! Assignments: an exercise given to one or both partners of a couple, due at a time the
//! counselor chose in their own time zone, once or repeating daily or weekly until an end date
//! (each occurrence its own assignment, due date and responses).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::input::DueAt;
use super::library::{self, Exercise};
use super::{Recurrence, ResponseStatus, Visibility};
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::couples::{PartnerRole, store as couples};
use crate::db::begin_write;
use crate::domain::{BoundedText, TimeZone};
use crate::entities::{assignment, response};
use crate::error::CoreError;
use sea_orm::sea_query::Expr;

/// Most occurrences one recurring assignment may create.
pub const MAX_OCCURRENCES: usize = 120;

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub exercise_id: Uuid,
    pub assignees: Vec<PartnerRole>,
    /// The due time as the counselor typed it, in `time_zone`.
    pub due_local: NaiveDateTime,
    pub time_zone: TimeZone,
    pub visibility: Visibility,
    pub recurrence: Option<(Recurrence, NaiveDate)>,
}

/// A local wall-clock time in a zone, as an instant. In a spring-forward gap the time does not
/// exist: take the moment the clocks jump to; in the autumn overlap take the first.
pub fn local_to_utc(tz: TimeZone, local: NaiveDateTime) -> DateTime<Utc> {
    let zone = tz.tz();
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => zone
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc()),
    }
}

/// The due instants of every occurrence, stepping in local time so that a weekly 19:00 stays
/// 19:00 across daylight-saving changes.
pub fn occurrences(new: &NewAssignment) -> Result<Vec<DateTime<Utc>>, CoreError> {
    let Some((recurrence, until)) = new.recurrence else {
        return Ok(vec![local_to_utc(new.time_zone, new.due_local)]);
    };
    if until < new.due_local.date() {
        return Err(CoreError::invalid(
            "recurrence_until",
            "must be on or after the first due date",
        ));
    }
    let mut out = Vec::new();
    let mut local = new.due_local;
    while local.date() <= until {
        if out.len() == MAX_OCCURRENCES {
            return Err(CoreError::invalid(
                "recurrence_until",
                format!(
                    "would make more than {MAX_OCCURRENCES} occurrences; choose an earlier end date"
                ),
            ));
        }
        out.push(local_to_utc(new.time_zone, local));
        local += recurrence.step();
    }
    Ok(out)
}

/// Assign an exercise to partners of one of the counselor's couples. Returns the new
/// assignments (one per occurrence).
pub async fn assign(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    new: NewAssignment,
) -> Result<Vec<Uuid>, CoreError> {
    assign_in_session(db, clock, actor, counselor_id, couple_id, new, None).await
}

/// [`assign`], remembering the session it was given in (the session note lists it).
pub async fn assign_in_session(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    new: NewAssignment,
    session_id: Option<Uuid>,
) -> Result<Vec<Uuid>, CoreError> {
    let couple = couples::get(db, counselor_id, couple_id).await?;
    if let Some(session) = session_id {
        let belongs = crate::entities::counseling_session::Entity::find_by_id(session)
            .filter(crate::entities::counseling_session::Column::CoupleId.eq(couple_id))
            .one(db)
            .await?
            .is_some();
        if !belongs {
            return Err(CoreError::NotFound);
        }
    }
    library::get(db, counselor_id, new.exercise_id)
        .await
        .map_err(|e| match e {
            CoreError::NotFound => {
                CoreError::invalid("exercise_id", "is not an exercise in your library")
            }
            other => other,
        })?;
    let mut assignees = new.assignees.clone();
    assignees.sort_by_key(|r| r.key());
    assignees.dedup();
    if assignees.is_empty() {
        return Err(CoreError::invalid(
            "assignees",
            "choose the involved partner, the hurt partner or both",
        ));
    }
    let dues = occurrences(&new)?;
    let now = clock.now();
    let series = (dues.len() > 1).then(Uuid::new_v4);
    let tx = begin_write(db).await?;
    let mut ids = Vec::new();
    for due in dues {
        let id = Uuid::new_v4();
        assignment::ActiveModel {
            id: Set(id),
            couple_id: Set(couple_id),
            exercise_id: Set(new.exercise_id),
            series_id: Set(series),
            due_at: Set(due),
            visibility: Set(new.visibility),
            recurrence: Set(new.recurrence.map(|(r, _)| r)),
            recurrence_until: Set(new.recurrence.map(|(_, u)| u)),
            created_by: Set(Some(counselor_id)),
            cancelled_at: Set(None),
            session_id: Set(session_id),

            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await?;
        for role in &assignees {
            response::ActiveModel {
                id: Set(Uuid::new_v4()),
                assignment_id: Set(id),
                partner_id: Set(couple.partner(*role).id),
                status: Set(ResponseStatus::Assigned),
                answers: Set(None),
                shared_with_partner: Set(false),
                submitted_at: Set(None),
                reviewed_at: Set(None),
                counselor_comment: Set(None),
                idempotency_key: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&tx)
            .await?;
        }
        ids.push(id);
    }
    crate::reminders::homework_reminders::assigned(&tx, clock, &ids).await?;
    super::open_work::sync_couples(&tx, &[couple_id]).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::HomeworkAssigned,
        Some(Record::couple(couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// An assignment with its exercise and each assignee's response.
#[derive(Debug, Clone)]
pub struct AssignmentDetail {
    pub assignment: assignment::Model,
    pub exercise: Exercise,
    pub responses: Vec<(PartnerRole, response::Model)>,
}

/// Every assignment of a couple (newest due first), with responses. The caller has checked the
/// couple is the counselor's.
pub async fn for_couple(
    db: &impl ConnectionTrait,
    couple: &couples::CoupleRecord,
) -> Result<Vec<AssignmentDetail>, CoreError> {
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::CoupleId.eq(couple.couple.id))
        .order_by_desc(assignment::Column::DueAt)
        .all(db)
        .await?;
    details(db, couple, assignments).await
}

async fn details(
    db: &impl ConnectionTrait,
    couple: &couples::CoupleRecord,
    assignments: Vec<assignment::Model>,
) -> Result<Vec<AssignmentDetail>, CoreError> {
    let ids: Vec<Uuid> = assignments.iter().map(|a| a.id).collect();
    let mut exercise_ids: Vec<Uuid> = assignments.iter().map(|a| a.exercise_id).collect();
    exercise_ids.sort();
    exercise_ids.dedup();
    let exercises = library::get_many(db, &exercise_ids).await?;
    let responses = if ids.is_empty() {
        Vec::new()
    } else {
        let rows = response::Entity::find()
            .filter(response::Column::AssignmentId.is_in(ids))
            .all(db)
            .await?;
        crate::crypto::records::all(rows, crate::crypto::records::response)?
    };
    let mut by_assignment: HashMap<Uuid, Vec<(PartnerRole, response::Model)>> = HashMap::new();
    for r in responses {
        let role = if r.partner_id == couple.involved.id {
            PartnerRole::Involved
        } else {
            PartnerRole::Hurt
        };
        by_assignment
            .entry(r.assignment_id)
            .or_default()
            .push((role, r));
    }
    assignments
        .into_iter()
        .map(|a| {
            let exercise = exercises
                .get(&a.exercise_id)
                .cloned()
                .ok_or(CoreError::NotFound)?;
            let mut responses = by_assignment.remove(&a.id).unwrap_or_default();
            responses.sort_by_key(|(role, _)| role.key() != "involved");
            Ok(AssignmentDetail {
                assignment: a,
                exercise,
                responses,
            })
        })
        .collect()
}

/// One assignment of one of the counselor's couples.
pub async fn get(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    assignment_id: Uuid,
) -> Result<AssignmentDetail, CoreError> {
    let a = assignment::Entity::find_by_id(assignment_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let couple = couples::get(db, counselor_id, a.couple_id).await?;
    details(db, &couple, vec![a])
        .await?
        .pop()
        .ok_or(CoreError::NotFound)
}

const CANCELLED_CANNOT_MOVE: &str = "This assignment was cancelled, so its due time can no longer change. Assign the exercise again instead.";

/// Move an assignment's due time. A cancelled assignment cannot move: the rule is part of the
/// conditional UPDATE, so a cancel racing a move cannot slip past it.
pub async fn change_due(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    assignment_id: Uuid,
    due: DueAt,
) -> Result<(), CoreError> {
    let detail = get(db, counselor_id, assignment_id).await?;
    let tx = begin_write(db).await?;
    let moved = assignment::Entity::update_many()
        .col_expr(assignment::Column::DueAt, Expr::value(due.instant()))
        .col_expr(assignment::Column::UpdatedAt, Expr::value(clock.now()))
        .filter(assignment::Column::Id.eq(assignment_id))
        .filter(assignment::Column::CancelledAt.is_null())
        .exec(&tx)
        .await?;
    if moved.rows_affected == 0 {
        return Err(CoreError::Conflict(CANCELLED_CANNOT_MOVE.into()));
    }
    crate::reminders::homework_reminders::sync_assignments(&tx, clock.now(), &[assignment_id])
        .await?;
    super::open_work::sync_couples(&tx, &[detail.assignment.couple_id]).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::HomeworkChanged,
        Some(Record::couple(detail.assignment.couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancel an assignment: clients no longer see it; what they wrote is kept for the record.
pub async fn cancel(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    assignment_id: Uuid,
) -> Result<(), CoreError> {
    let detail = get(db, counselor_id, assignment_id).await?;
    let tx = begin_write(db).await?;
    // Conditional, so two cancels at once record one cancellation.
    let cancelled = assignment::Entity::update_many()
        .col_expr(
            assignment::Column::CancelledAt,
            Expr::value(Some(clock.now())),
        )
        .col_expr(assignment::Column::UpdatedAt, Expr::value(clock.now()))
        .filter(assignment::Column::Id.eq(assignment_id))
        .filter(assignment::Column::CancelledAt.is_null())
        .exec(&tx)
        .await?;
    if cancelled.rows_affected == 0 {
        return Ok(());
    }
    crate::reminders::homework_reminders::sync_assignments(&tx, clock.now(), &[assignment_id])
        .await?;
    super::open_work::sync_couples(&tx, &[detail.assignment.couple_id]).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::HomeworkCancelled,
        Some(Record::couple(detail.assignment.couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The counselor has read a submitted response; an optional comment goes back to the client.
pub async fn review(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    response_id: Uuid,
    comment: &str,
) -> Result<(), CoreError> {
    let r = response::Entity::find_by_id(response_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let detail = get(db, counselor_id, r.assignment_id).await?;
    if !r.status.is_final() {
        return Err(CoreError::Conflict(
            "This response has not been submitted yet, so there is nothing to review.".into(),
        ));
    }
    let comment = comment.trim();
    let comment = if comment.is_empty() {
        None
    } else {
        Some(
            BoundedText::<4000, true>::parse(comment)
                .map_err(|e| CoreError::invalid("comment", e.to_string()))?
                .into_inner(),
        )
    };
    let sealed = crate::crypto::seal_opt(
        crate::crypto::Field::ResponseComment,
        r.id,
        comment.as_deref(),
    )?;
    let tx = begin_write(db).await?;
    let mut m = r.into_active_model();
    m.status = Set(ResponseStatus::Reviewed);
    m.reviewed_at = Set(Some(clock.now()));
    m.counselor_comment = Set(sealed);
    m.updated_at = Set(clock.now());
    m.update(&tx).await?;
    super::open_work::sync_couples(&tx, &[detail.assignment.couple_id]).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::ResponseReviewed,
        Some(Record::couple(detail.assignment.couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an assignee's homework is overdue: the due time has passed and it is not submitted
/// (a cancelled assignment is never overdue).
pub fn is_overdue(
    status: ResponseStatus,
    due_at: DateTime<Utc>,
    cancelled: bool,
    now: DateTime<Utc>,
) -> bool {
    !cancelled && !status.is_final() && due_at < now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(due: &str, tz: &str, recurrence: Option<(Recurrence, &str)>) -> NewAssignment {
        NewAssignment {
            exercise_id: Uuid::nil(),
            assignees: vec![PartnerRole::Hurt],
            due_local: NaiveDateTime::parse_from_str(due, "%Y-%m-%d %H:%M").expect("due"),
            time_zone: TimeZone::parse(tz).expect("tz"),
            visibility: Visibility::Shareable,
            recurrence: recurrence.map(|(r, until)| {
                (
                    r,
                    NaiveDate::parse_from_str(until, "%Y-%m-%d").expect("until"),
                )
            }),
        }
    }

    #[test]
    fn weekly_occurrences_keep_the_local_time_across_daylight_saving() {
        // Berlin moves to summer time on 29 March 2026.
        let dues = occurrences(&new(
            "2026-03-22 19:00",
            "Europe/Berlin",
            Some((Recurrence::Weekly, "2026-04-05")),
        ))
        .expect("dues");
        let utc: Vec<String> = dues
            .iter()
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .collect();
        assert_eq!(
            utc,
            ["2026-03-22 18:00", "2026-03-29 17:00", "2026-04-05 17:00"]
        );
    }

    #[test]
    fn daily_occurrences_run_to_the_end_date_inclusive() {
        let dues = occurrences(&new(
            "2026-05-01 08:00",
            "UTC",
            Some((Recurrence::Daily, "2026-05-07")),
        ))
        .expect("dues");
        assert_eq!(dues.len(), 7);
        assert!(
            occurrences(&new(
                "2026-05-01 08:00",
                "UTC",
                Some((Recurrence::Daily, "2026-04-30"))
            ))
            .is_err()
        );
        assert!(
            occurrences(&new(
                "2026-05-01 08:00",
                "UTC",
                Some((Recurrence::Daily, "2027-05-01"))
            ))
            .is_err(),
            "too many"
        );
    }

    #[test]
    fn overdue_means_due_passed_and_not_submitted() {
        let now = Utc::now();
        let past = now - chrono::Duration::minutes(1);
        let later = now + chrono::Duration::minutes(1);
        use ResponseStatus::*;
        assert!(is_overdue(Assigned, past, false, now));
        assert!(is_overdue(Draft, past, false, now));
        assert!(!is_overdue(Submitted, past, false, now));
        assert!(!is_overdue(Reviewed, past, false, now));
        assert!(!is_overdue(Assigned, later, false, now));
        assert!(!is_overdue(Assigned, past, true, now), "cancelled");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward() {
        // 02:30 does not exist in New York on 8 March 2026.
        let dues = occurrences(&new("2026-03-08 02:30", "America/New_York", None)).expect("dues");
        assert_eq!(dues[0].format("%H:%M").to_string(), "07:30");
    }
}
