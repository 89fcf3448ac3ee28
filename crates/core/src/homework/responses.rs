//! A partner's side of homework: what they have to do, their drafts and submissions, and what
//! the other partner chose to share. Every function takes the partner's id and only ever finds
//! that partner's own responses (or responses shared with them): anything else is not found.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::library::{self, Exercise};
use super::prompts::{Answer, CheckedAnswers, RawAnswer, check_answers};
use super::{ResponseStatus, partner_may_read};
use crate::clock::Clock;
use crate::crypto::{self, Field};
use crate::db::begin_write;
use crate::entities::{assignment, partner, response};
use crate::error::CoreError;
use crate::short_list::ShortList;

/// One piece of homework as its partner sees it.
#[derive(Debug, Clone)]
pub struct Homework {
    pub response: response::Model,
    pub assignment: assignment::Model,
    pub exercise: Exercise,
}

impl Homework {
    pub fn answers(&self) -> BTreeMap<String, Answer> {
        decode(self.response.answers.as_deref())
    }
}

pub fn decode(answers: Option<&str>) -> BTreeMap<String, Answer> {
    answers
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default()
}

fn encode(answers: &[(String, Answer)]) -> Result<String, CoreError> {
    let map: BTreeMap<&str, &Answer> = answers.iter().map(|(k, v)| (k.as_str(), v)).collect();
    serde_json::to_string(&map).map_err(|e| CoreError::Internal(e.to_string()))
}

async fn load(
    db: &impl ConnectionTrait,
    responses: Vec<response::Model>,
) -> Result<Vec<Homework>, CoreError> {
    let responses = crypto::records::all(responses, crypto::records::response)?;
    let ids: Vec<Uuid> = responses.iter().map(|r| r.assignment_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let assignments: BTreeMap<Uuid, assignment::Model> = assignment::Entity::find()
        .filter(assignment::Column::Id.is_in(ids))
        .filter(assignment::Column::CancelledAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut exercise_ids: Vec<Uuid> = assignments.values().map(|a| a.exercise_id).collect();
    exercise_ids.sort();
    exercise_ids.dedup();
    let exercises = library::get_many(db, &exercise_ids).await?;
    let mut out: Vec<Homework> = responses
        .into_iter()
        .filter_map(|r| {
            let a = assignments.get(&r.assignment_id)?.clone();
            let e = exercises.get(&a.exercise_id)?.clone();
            Some(Homework {
                response: r,
                assignment: a,
                exercise: e,
            })
        })
        .collect();
    out.sort_by_key(|h| h.assignment.due_at);
    Ok(out)
}

/// A partner's homework: to do (not yet submitted) and done.
#[derive(Debug, Clone, Default)]
pub struct PartnerHomework {
    pub open: Vec<Homework>,
    /// Newest due first; at most the number asked for.
    pub done: Vec<Homework>,
    /// More is done than `done` holds.
    pub done_more: bool,
    /// Responses the other partner submitted and chose to share.
    pub shared_with_me: Vec<Homework>,
}

/// What a partner's page lists: everything still to do, the latest done as `done` says (a
/// year of weekly check-ins is fifty), and what the other partner shared.
pub async fn for_partner(
    db: &impl ConnectionTrait,
    partner: &partner::Model,
    done: ShortList,
) -> Result<PartnerHomework, CoreError> {
    use sea_orm::{JoinType, QuerySelect};
    let mine = || response::Entity::find().filter(response::Column::PartnerId.eq(partner.id));
    let open_rows = mine()
        .filter(response::Column::Status.is_in([ResponseStatus::Assigned, ResponseStatus::Draft]))
        .all(db)
        .await?;
    let open = load(db, open_rows).await?;
    let done_rows = mine()
        .join(
            JoinType::InnerJoin,
            response::Entity::belongs_to(assignment::Entity)
                .from(response::Column::AssignmentId)
                .to(assignment::Column::Id)
                .into(),
        )
        .filter(
            response::Column::Status.is_in([ResponseStatus::Submitted, ResponseStatus::Reviewed]),
        )
        .filter(assignment::Column::CancelledAt.is_null())
        .order_by_desc(assignment::Column::DueAt)
        .order_by_desc(response::Column::Id)
        .limit(done.query_limit())
        .all(db)
        .await?;
    let (done_rows, hidden) = done.cut(done_rows);
    // `load` orders by due time, earliest first; the page lists the newest first.
    let mut done = load(db, done_rows).await?;
    done.reverse();
    let other = partner::Entity::find()
        .filter(partner::Column::CoupleId.eq(partner.couple_id))
        .filter(partner::Column::Id.ne(partner.id))
        .one(db)
        .await?;
    let shared_with_me = match other {
        None => Vec::new(),
        Some(other) => {
            let theirs = response::Entity::find()
                .filter(response::Column::PartnerId.eq(other.id))
                .filter(response::Column::SharedWithPartner.eq(true))
                .all(db)
                .await?;
            load(db, theirs)
                .await?
                .into_iter()
                .filter(|h| {
                    partner_may_read(
                        partner.id,
                        other.id,
                        h.assignment.visibility,
                        h.response.status,
                        h.response.shared_with_partner,
                    )
                })
                .collect()
        }
    };
    Ok(PartnerHomework {
        open,
        done,
        done_more: hidden > 0,
        shared_with_me,
    })
}

/// One response the partner may read: their own, or one shared with them. `own_only` refuses
/// the other partner's even when shared (for the answer form).
pub async fn get_for_partner(
    db: &impl ConnectionTrait,
    partner: &partner::Model,
    response_id: Uuid,
    own_only: bool,
) -> Result<Homework, CoreError> {
    let r = response::Entity::find_by_id(response_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let author = partner::Entity::find_by_id(r.partner_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    if author.couple_id != partner.couple_id || (own_only && author.id != partner.id) {
        return Err(CoreError::NotFound);
    }
    let h = load(db, vec![r]).await?.pop().ok_or(CoreError::NotFound)?;
    if !partner_may_read(
        partner.id,
        author.id,
        h.assignment.visibility,
        h.response.status,
        h.response.shared_with_partner,
    ) {
        return Err(CoreError::NotFound);
    }
    Ok(h)
}

/// What became of a save or a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Stored. For a submit: now final.
    Done,
    /// Some answers are not valid; the valid ones of a draft were kept.
    Problems(Vec<(String, String)>),
    /// It was already submitted (a repeated submit with the same key is `Done`).
    AlreadySubmitted,
}

/// Save a draft: every valid answer is kept, invalid ones are reported.
pub async fn save_draft(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    partner: &partner::Model,
    response_id: Uuid,
    raw: &[(String, RawAnswer)],
) -> Result<Saved, CoreError> {
    let h = get_for_partner(db, partner, response_id, true).await?;
    if h.response.status.is_final() {
        return Ok(Saved::AlreadySubmitted);
    }
    let checked: CheckedAnswers = check_answers(&h.exercise.prompts, raw, false);
    let sealed = crypto::seal(
        Field::ResponseAnswers,
        response_id,
        &encode(&checked.answers)?,
    )?;
    let tx = begin_write(db).await?;
    let res = response::Entity::update_many()
        .col_expr(response::Column::Answers, Expr::value(sealed))
        .col_expr(response::Column::Status, Expr::value(ResponseStatus::Draft))
        .col_expr(response::Column::UpdatedAt, Expr::value(clock.now()))
        .col_expr(
            response::Column::Version,
            Expr::col(response::Column::Version).add(1),
        )
        .filter(response::Column::Id.eq(response_id))
        .filter(response::Column::Status.is_in([ResponseStatus::Assigned, ResponseStatus::Draft]))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    if res.rows_affected == 0 {
        return Ok(Saved::AlreadySubmitted);
    }
    Ok(if checked.problems.is_empty() {
        Saved::Done
    } else {
        Saved::Problems(checked.problems)
    })
}

/// Submit: every answer must be valid and every required prompt answered. Works once: of two
/// simultaneous submits exactly one wins; repeating a submit with the same `idempotency_key`
/// is a no-op that reports success.
pub async fn submit(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    partner: &partner::Model,
    response_id: Uuid,
    raw: &[(String, RawAnswer)],
    share: bool,
    idempotency_key: Option<&str>,
) -> Result<Saved, CoreError> {
    let h = get_for_partner(db, partner, response_id, true).await?;
    if h.response.status.is_final() {
        let same =
            idempotency_key.is_some() && h.response.idempotency_key.as_deref() == idempotency_key;
        return Ok(if same {
            Saved::Done
        } else {
            Saved::AlreadySubmitted
        });
    }
    let checked = check_answers(&h.exercise.prompts, raw, true);
    if !checked.problems.is_empty() {
        return Ok(Saved::Problems(checked.problems));
    }
    let shareable = h.assignment.visibility == super::Visibility::Shareable;
    let now: DateTime<Utc> = clock.now();
    let sealed = crypto::seal(
        Field::ResponseAnswers,
        response_id,
        &encode(&checked.answers)?,
    )?;
    let tx = begin_write(db).await?;
    // Conditional on the status, so that only one of several simultaneous submits wins.
    let res = response::Entity::update_many()
        .col_expr(response::Column::Answers, Expr::value(sealed))
        .col_expr(
            response::Column::Status,
            Expr::value(ResponseStatus::Submitted),
        )
        .col_expr(
            response::Column::SharedWithPartner,
            Expr::value(shareable && share),
        )
        .col_expr(response::Column::SubmittedAt, Expr::value(now))
        .col_expr(
            response::Column::IdempotencyKey,
            Expr::value(idempotency_key.map(|k| k.chars().take(100).collect::<String>())),
        )
        .col_expr(response::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            response::Column::Version,
            Expr::col(response::Column::Version).add(1),
        )
        .filter(response::Column::Id.eq(response_id))
        .filter(response::Column::Status.is_in([ResponseStatus::Assigned, ResponseStatus::Draft]))
        .exec(&tx)
        .await?;
    if res.rows_affected == 1 {
        crate::reminders::homework_reminders::submitted(&tx, response_id).await?;
        super::open_work::sync_couples(&tx, &[h.assignment.couple_id]).await?;
    }
    tx.commit().await?;
    if res.rows_affected == 1 {
        return Ok(Saved::Done);
    }
    let now_stored = get_for_partner(db, partner, response_id, true).await?;
    let same = idempotency_key.is_some()
        && now_stored.response.idempotency_key.as_deref() == idempotency_key;
    Ok(if same {
        Saved::Done
    } else {
        Saved::AlreadySubmitted
    })
}
