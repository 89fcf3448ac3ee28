//! Browser sign-ins: the server-side sessions of signed-in counselors (not counseling
//! sessions, which are `crate::sessions`, nor homework-link visits, which are
//! `crate::homework::link_visits`). The cookie carries a 256-bit random secret; the table
//! keeps its SHA-256, the counselor, a CSRF token and the times that enforce the idle and
//! absolute limits. Rows live in the application's own database, so sessions survive restarts and are
//! shared by every instance.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use uuid::Uuid;

use super::secrets;
use crate::clock::Clock;
use crate::entities::{browser_session, counselor};
use crate::error::CoreError;

/// Limits that end a session on the server, whatever the cookie says.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// A freshly started session: the cookie value is shown once, here.
#[derive(Debug)]
pub struct Started {
    pub cookie_secret: String,
    pub csrf_token: String,
}

/// A valid session and who it belongs to.
#[derive(Debug, Clone)]
pub struct Active {
    pub id: String,
    pub counselor: counselor::Model,
    pub csrf_token: String,
}

pub async fn start(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    limits: SessionLimits,
    counselor_id: Uuid,
) -> Result<Started, CoreError> {
    let cookie_secret = secrets::random_token(32);
    let csrf_token = secrets::random_token(32);
    let now = clock.now();
    browser_session::ActiveModel {
        id: Set(secrets::fingerprint(&cookie_secret)),
        counselor_id: Set(counselor_id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + limits.absolute),
    }
    .insert(db)
    .await?;
    Ok(Started {
        cookie_secret,
        csrf_token,
    })
}

/// The session behind a cookie, if it is still valid and its counselor is active. Touches
/// `last_seen_at` at most once a minute, so reads stay reads.
pub async fn resume(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    limits: SessionLimits,
    cookie_secret: &str,
) -> Result<Option<Active>, CoreError> {
    let id = secrets::fingerprint(cookie_secret);
    let Some(session) = browser_session::Entity::find_by_id(id.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(counselor) = counselor::Entity::find_by_id(session.counselor_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = clock.now();
    if !is_live(&session, now, limits) || !counselor.active {
        browser_session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    let csrf_token = session.csrf_token.clone();
    if now - session.last_seen_at > Duration::minutes(1) {
        let mut model = session.into_active_model();
        model.last_seen_at = Set(now);
        model.update(db).await?;
    }
    Ok(Some(Active {
        id,
        counselor,
        csrf_token,
    }))
}

fn is_live(session: &browser_session::Model, now: DateTime<Utc>, limits: SessionLimits) -> bool {
    now < session.expires_at && now - session.last_seen_at < limits.idle
}

pub async fn end(db: &impl ConnectionTrait, session_id: &str) -> Result<(), CoreError> {
    browser_session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Sign a counselor out everywhere.
pub async fn end_all_for(db: &impl ConnectionTrait, counselor_id: Uuid) -> Result<u64, CoreError> {
    let res = browser_session::Entity::delete_many()
        .filter(browser_session::Column::CounselorId.eq(counselor_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// "Sign out everywhere": every browser session of the counselor ends, audited in the same
/// transaction.
pub async fn sign_out_everywhere(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &crate::audit::Actor,
    counselor_id: Uuid,
) -> Result<u64, CoreError> {
    let tx = crate::db::begin_write(db).await?;
    let ended = end_all_for(&tx, counselor_id).await?;
    crate::audit::record(
        &tx,
        clock,
        actor,
        crate::audit::Action::SignedOutEverywhere,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// End every session of a counselor but `keep` (the one making a change to how they sign in:
/// the other browsers must sign in again under the new rule).
pub async fn end_others_for(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    keep: &str,
) -> Result<u64, CoreError> {
    let res = browser_session::Entity::delete_many()
        .filter(browser_session::Column::CounselorId.eq(counselor_id))
        .filter(browser_session::Column::Id.ne(keep))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Delete sessions past their absolute expiry (idle ones are removed when next presented).
pub async fn sweep(db: &impl ConnectionTrait, clock: &dyn Clock) -> Result<u64, CoreError> {
    let res = browser_session::Entity::delete_many()
        .filter(browser_session::Column::ExpiresAt.lte(clock.now()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
