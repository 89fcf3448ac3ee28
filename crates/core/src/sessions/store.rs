//! Scheduling sessions and recording what happened. Every function takes the acting
//! counselor's id and only finds that counselor's sessions: anyone else's is "not found".
//! Each change is audited and brings the session's reminders in step in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{Attendance, NewSession, may_record};
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::couples::store as couples;
use crate::db::begin_write;
use crate::domain::TimeZone;
use crate::entities::{counseling_session, couple};
use crate::error::CoreError;
use crate::homework::assignments::local_to_utc;
use crate::reminders::session_reminders;

pub type Session = counseling_session::Model;

/// A session with the couple it belongs to.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub session: Session,
    pub couple: couple::Model,
}

/// One of the counselor's sessions (404 for anyone else's).
pub async fn get(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    session_id: Uuid,
) -> Result<SessionRecord, CoreError> {
    let session = counseling_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let couple = couple::Entity::find_by_id(session.couple_id)
        .filter(couple::Column::CounselorId.eq(counselor_id))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    Ok(SessionRecord { session, couple })
}

/// Every session of a couple, newest first. The caller has checked the couple.
pub async fn for_couple(
    db: &impl ConnectionTrait,
    couple_id: Uuid,
) -> Result<Vec<Session>, CoreError> {
    Ok(counseling_session::Entity::find()
        .filter(counseling_session::Column::CoupleId.eq(couple_id))
        .order_by_desc(counseling_session::Column::StartsAt)
        .all(db)
        .await?)
}

/// Sessions of a couple that started within `[from, to)`, oldest first.
pub async fn for_couple_between(
    db: &impl ConnectionTrait,
    couple_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Session>, CoreError> {
    Ok(counseling_session::Entity::find()
        .filter(counseling_session::Column::CoupleId.eq(couple_id))
        .filter(counseling_session::Column::StartsAt.gte(from))
        .filter(counseling_session::Column::StartsAt.lt(to))
        .order_by_asc(counseling_session::Column::StartsAt)
        .all(db)
        .await?)
}

/// One of the day's sessions, with what the day plan shows beside it.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct DaySession {
    #[sea_orm(nested)]
    pub session: Session,
    pub couple_label: String,
    /// The note's status, if a note was started.
    pub note_status: Option<crate::sessions::notes::NoteStatus>,
}

/// The counselor's sessions on their local calendar day containing `now` (cancelled ones too:
/// the day plan shows them struck out), earliest first, at most `limit`, each with its couple's
/// label and its note's status: one range of the (counselor, start) index, one row a session.
pub async fn today(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    zone: TimeZone,
    now: DateTime<Utc>,
    limit: Option<u64>,
) -> Result<Vec<DaySession>, CoreError> {
    use sea_orm::{JoinType, QuerySelect};
    let day = now.with_timezone(&zone.tz()).date_naive();
    let start = local_to_utc(zone, day.and_time(NaiveTime::MIN));
    let end = local_to_utc(zone, (day + Duration::days(1)).and_time(NaiveTime::MIN));
    let to_couple: sea_orm::RelationDef = counseling_session::Entity::belongs_to(couple::Entity)
        .from(counseling_session::Column::CoupleId)
        .to(couple::Column::Id)
        .into();
    let to_note: sea_orm::RelationDef =
        crate::entities::note::Entity::belongs_to(counseling_session::Entity)
            .from(crate::entities::note::Column::SessionId)
            .to(counseling_session::Column::Id)
            .into();
    Ok(counseling_session::Entity::find()
        .column_as(couple::Column::Label, "couple_label")
        .column_as(crate::entities::note::Column::Status, "note_status")
        .join(JoinType::InnerJoin, to_couple)
        .join(JoinType::LeftJoin, to_note.rev())
        .filter(counseling_session::Column::CounselorId.eq(counselor_id))
        .filter(counseling_session::Column::StartsAt.gte(start))
        .filter(counseling_session::Column::StartsAt.lt(end))
        .order_by_asc(counseling_session::Column::StartsAt)
        .order_by_asc(counseling_session::Column::Id)
        .limit(limit)
        .into_model::<DaySession>()
        .all(db)
        .await?)
}

/// The next scheduled session from `now` on of each of these couples (one query for a page of
/// the caseload). The caller passes only its own couples' ids.
pub async fn next_by_couple(
    db: &impl ConnectionTrait,
    couple_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, DateTime<Utc>>, CoreError> {
    if couple_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let upcoming = counseling_session::Entity::find()
        .filter(counseling_session::Column::CoupleId.is_in(couple_ids.iter().copied()))
        .filter(counseling_session::Column::StartsAt.gte(now))
        .filter(counseling_session::Column::Attendance.is_null())
        .order_by_asc(counseling_session::Column::StartsAt)
        .all(db)
        .await?;
    let mut next = HashMap::new();
    for s in upcoming {
        next.entry(s.couple_id).or_insert(s.starts_at);
    }
    Ok(next)
}

/// Book a session for one of the counselor's couples.
pub async fn schedule(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    new: NewSession,
) -> Result<Session, CoreError> {
    couples::get(db, counselor_id, couple_id).await?;
    let now = clock.now();
    let tx = begin_write(db).await?;
    let session = counseling_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        couple_id: Set(couple_id),
        counselor_id: Set(counselor_id),
        starts_at: Set(new.starts_at),
        duration_minutes: Set(new.duration_minutes),
        location_kind: Set(new.location.kind().to_owned()),
        location_detail: Set(new.location.detail().map(str::to_owned)),
        attendance: Set(None),
        cancelled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    session_reminders::sync(&tx, clock, &session).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::SessionScheduled,
        Some(Record::session(session.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Move a session that has not happened yet (a recorded one keeps its time).
pub async fn reschedule(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    session_id: Uuid,
    new: NewSession,
) -> Result<Session, CoreError> {
    let tx = begin_write(db).await?;
    let found = get(&tx, counselor_id, session_id).await?;
    if let Some(a) = found.session.attendance.as_deref() {
        let label = Attendance::from_key(a).map_or("recorded", |a| a.label());
        return Err(CoreError::Conflict(format!(
            "This session is already marked {}; schedule a new session instead.",
            label.to_lowercase()
        )));
    }
    let mut active = found.session.into_active_model();
    active.starts_at = Set(new.starts_at);
    active.duration_minutes = Set(new.duration_minutes);
    active.location_kind = Set(new.location.kind().to_owned());
    active.location_detail = Set(new.location.detail().map(str::to_owned));
    active.updated_at = Set(clock.now());
    let session = active.update(&tx).await?;
    session_reminders::sync(&tx, clock, &session).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::SessionRescheduled,
        Some(Record::session(session.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Record attendance: attended, cancelled or no-show. Attended and no-show wait for the start;
/// a cancelled session stays cancelled; attendance can be corrected between attended and
/// no-show.
pub async fn record_attendance(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    session_id: Uuid,
    attendance: Attendance,
) -> Result<Session, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    let found = get(&tx, counselor_id, session_id).await?;
    let current = found
        .session
        .attendance
        .as_deref()
        .and_then(Attendance::from_key);
    if current == Some(Attendance::Cancelled) {
        return Err(CoreError::Conflict(
            "This session was cancelled; schedule a new session instead.".into(),
        ));
    }
    if current.is_some() && attendance == Attendance::Cancelled {
        return Err(CoreError::Conflict(
            "Attendance is already recorded for this session, so it cannot be cancelled.".into(),
        ));
    }
    if !may_record(attendance, found.session.starts_at, now) {
        return Err(CoreError::invalid(
            "attendance",
            "can be recorded once the session has started",
        ));
    }
    let mut active = found.session.into_active_model();
    active.attendance = Set(Some(attendance.key().to_owned()));
    if attendance == Attendance::Cancelled {
        active.cancelled_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    let session = active.update(&tx).await?;
    session_reminders::sync(&tx, clock, &session).await?;
    audit::record_with_detail(
        &tx,
        clock,
        actor,
        Action::SessionAttendance,
        Some(Record::session(session.id)),
        Some(attendance.key()),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}
