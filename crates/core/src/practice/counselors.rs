//! Counselor accounts: created by an admin (page or command line), signed in with email and
//! password, deactivated rather than deleted so their records keep an author.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::{Role, passwords, settings};
use crate::access::{api_tokens, sign_ins};
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::domain::{DisplayName, EmailAddress, Password, TimeZone};
use crate::entities::counselor;
use crate::error::{CoreError, is_unique_violation};

pub use counselor::Model as Counselor;

#[derive(Debug, Clone)]
pub struct NewCounselor {
    pub name: DisplayName,
    pub email: EmailAddress,
    pub password: Password,
    pub role: Role,
    pub timezone: TimeZone,
}

/// A new counselor account, audited in the same transaction.
pub async fn create(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    new: NewCounselor,
) -> Result<Counselor, CoreError> {
    let practice = settings::ensure(db, clock).await?;
    let now = clock.now();
    // Hashing takes tens of milliseconds: before the transaction, not while holding it.
    let password_hash = passwords::hash(&new.password)?;
    let model = counselor::ActiveModel {
        id: Set(Uuid::new_v4()),
        practice_id: Set(practice.id),
        name: Set(new.name.into_inner()),
        email_normalized: Set(new.email.normalized()),
        email: Set(new.email),
        password_hash: Set(password_hash),
        role: Set(new.role),
        timezone: Set(new.timezone),
        totp_secret: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let tx = begin_write(db).await?;
    let created = model.insert(&tx).await.map_err(|e| {
        if is_unique_violation(&e) {
            CoreError::invalid("email", "is already used by another counselor")
        } else {
            CoreError::from(e)
        }
    })?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::CounselorCreated,
        Some(Record::counselor(created.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Counselor>, CoreError> {
    Ok(counselor::Entity::find()
        .filter(counselor::Column::EmailNormalized.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Counselor, CoreError> {
    counselor::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The counselor these credentials belong to, if they match an active account. Unknown
/// emails cost a password verification too, so timing does not tell which part was wrong.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<Option<Counselor>, CoreError> {
    let found = find_by_email(db, email).await?;
    let hash = found
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| passwords::decoy_hash().to_owned());
    let password = password.to_owned();
    // Hashing takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || passwords::verify(&password, &hash))
        .await
        .map_err(|e| CoreError::Internal(format!("password check failed: {e}")))?;
    Ok(found.filter(|c| matches && c.active))
}

/// True when `candidate` is the password of this active counselor (for confirmations while
/// signed in: signing a note, changing the password). Hashing runs off the async workers.
pub async fn password_matches(
    db: &impl ConnectionTrait,
    id: Uuid,
    candidate: &str,
) -> Result<bool, CoreError> {
    let Some(found) = counselor::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| c.active)
    else {
        return Ok(false);
    };
    let (candidate, hash) = (candidate.to_owned(), found.password_hash);
    tokio::task::spawn_blocking(move || passwords::verify(&candidate, &hash))
        .await
        .map_err(|e| CoreError::Internal(format!("password check failed: {e}")))
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Counselor>, CoreError> {
    Ok(counselor::Entity::find()
        .order_by_asc(counselor::Column::Name)
        .all(db)
        .await?)
}

/// Deactivate or reactivate. Deactivation ends every browser session and revokes every API
/// token of that counselor at once: one transaction with its audit event, so an account is
/// never left half-deactivated.
pub async fn set_active(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> Result<Counselor, CoreError> {
    let tx = begin_write(db).await?;
    let found = get(&tx, id).await?;
    let mut model: counselor::ActiveModel = found.into();
    model.active = Set(active);
    model.updated_at = Set(clock.now());
    let updated = model.update(&tx).await?;
    if !active {
        sign_ins::end_all_for(&tx, id).await?;
        api_tokens::revoke_all_for(&tx, clock, id).await?;
    }
    let action = if active {
        Action::CounselorReactivated
    } else {
        Action::CounselorDeactivated
    };
    audit::record(&tx, clock, actor, action, Some(Record::counselor(id))).await?;
    tx.commit().await?;
    Ok(updated)
}

/// A new password; every browser session of the counselor ends with it, in the same
/// transaction as the audit event.
pub async fn set_password(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    password: &Password,
) -> Result<(), CoreError> {
    let password_hash = passwords::hash(password)?;
    let tx = begin_write(db).await?;
    let found = get(&tx, id).await?;
    let mut model: counselor::ActiveModel = found.into();
    model.password_hash = Set(password_hash);
    model.updated_at = Set(clock.now());
    model.update(&tx).await?;
    sign_ins::end_all_for(&tx, id).await?;
    audit::record(&tx, clock, actor, Action::PasswordChanged, None).await?;
    tx.commit().await?;
    Ok(())
}
