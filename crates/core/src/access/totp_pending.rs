//! Sign-ins between the password and the TOTP code. After a correct password, a counselor with
//! two-factor sign-in gets a short-lived cookie instead of a session: its random secret is
//! known only to the browser, the table keeps its SHA-256 and the counselor it belongs to, and
//! it works for five minutes and once. Only the completed second step starts a session.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::secrets;
use crate::clock::Clock;
use crate::entities::{counselor, pending_login};
use crate::error::CoreError;

/// How long the second step may take.
pub const LIFETIME: Duration = Duration::minutes(5);

/// Record a pending sign-in for this counselor; the returned secret goes into the cookie.
/// Expired pending sign-ins of anyone are cleared on the way.
pub async fn start(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    counselor_id: Uuid,
) -> Result<String, CoreError> {
    let now = clock.now();
    pending_login::Entity::delete_many()
        .filter(pending_login::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let secret = secrets::random_token(32);
    pending_login::ActiveModel {
        id: Set(secrets::fingerprint(&secret)),
        counselor_id: Set(counselor_id),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
    }
    .insert(db)
    .await?;
    Ok(secret)
}

/// The active counselor a pending sign-in belongs to, while it is still valid.
pub async fn find(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    secret: &str,
) -> Result<Option<counselor::Model>, CoreError> {
    let Some(pending) = pending_login::Entity::find_by_id(secrets::fingerprint(secret))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if pending.expires_at <= clock.now() {
        return Ok(None);
    }
    Ok(counselor::Entity::find_by_id(pending.counselor_id)
        .one(db)
        .await?
        .filter(|c| c.active))
}

/// Use the pending sign-in up: true only for the one caller that removed a still valid row
/// of this counselor (a second request with the same cookie gets false).
pub async fn take(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    secret: &str,
    counselor_id: Uuid,
) -> Result<bool, CoreError> {
    let res = pending_login::Entity::delete_many()
        .filter(pending_login::Column::Id.eq(secrets::fingerprint(secret)))
        .filter(pending_login::Column::CounselorId.eq(counselor_id))
        .filter(pending_login::Column::ExpiresAt.gt(clock.now()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Forget a pending sign-in (the counselor went back to the password form).
pub async fn end(db: &impl ConnectionTrait, secret: &str) -> Result<(), CoreError> {
    pending_login::Entity::delete_by_id(secrets::fingerprint(secret))
        .exec(db)
        .await?;
    Ok(())
}
