//! Two-factor sign-in records: enrolment (a pending secret kept here until the counselor
//! proves it with a code), checking codes with replay refused, recovery codes, turning it off,
//! and the practice's requirement. The arithmetic is in [`super::totp`].
//!
//! Where things are kept: the enabled secret in `counselor.totp_secret`, the pending one and
//! the last accepted time step in `counselor_totp`, both sealed with the data key like clinical
//! text ([`crate::crypto`]: `Field::TotpSecret`, `Field::PendingTotpSecret`); recovery codes as
//! SHA-256 in `totp_recovery_code`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::sign_ins;
use super::totp::{
    self, RECOVERY_CODES, TotpRequirement, TotpSecret, Unreadable, needs_sealing,
    new_recovery_code, normalise_recovery_code, open_secret, recovery_fingerprint, seal_secret,
};
use crate::audit::{self, Action, Actor};
use crate::clock::Clock;
use crate::crypto::{self, Field};
use crate::db::begin_write;
use crate::entities::{counselor, counselor_totp, totp_recovery_code};
use crate::error::CoreError;

/// How long a new secret waits for its first code. A set-up left open (a QR code on a screen
/// someone walked away from) is not a standing invitation: after this, it starts again.
pub const PENDING_LIFETIME: Duration = Duration::minutes(15);

/// True while a secret set aside at `since` may still be confirmed.
fn pending_is_live(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    since.is_some_and(|since| now < since + PENDING_LIFETIME)
}

/// True when the counselor signs in with a code.
pub fn is_enabled(c: &counselor::Model) -> bool {
    c.totp_secret.is_some()
}

/// True when the practice's `requirement` applies to this counselor and they have not set
/// two-factor sign-in up yet: until they do, their session reaches only the enrolment page and
/// their API tokens nothing. (The web crate reads the requirement through its short-lived
/// cache of the practice's rules.)
pub fn must_enrol(requirement: TotpRequirement, c: &counselor::Model) -> bool {
    !is_enabled(c) && requirement.applies_to(c.role)
}

/// What the settings page shows.
#[derive(Debug, Clone)]
pub struct Status {
    pub enabled: bool,
    /// A secret waiting for its first code.
    pub pending: Option<TotpSecret>,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
}

/// Seal a secret for one of the two columns, with the installed data key.
fn seal(field: Field, counselor_id: Uuid, secret: &TotpSecret) -> Result<String, CoreError> {
    seal_secret(crypto::installed()?, field, counselor_id, secret)
}

/// Open a stored secret with the installed data key.
fn open(
    field: Field,
    counselor_id: Uuid,
    stored: &str,
) -> Result<Result<TotpSecret, Unreadable>, CoreError> {
    Ok(open_secret(
        crypto::installed()?,
        field,
        counselor_id,
        stored,
    ))
}

pub async fn status(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    c: &counselor::Model,
) -> Result<Status, CoreError> {
    let row = counselor_totp::Entity::find_by_id(c.id)
        .one(db)
        .await?
        .filter(|r| pending_is_live(r.pending_since, clock.now()));
    // A pending secret that expired or cannot be read is as good as none: the set-up starts
    // again.
    let pending = match row.and_then(|r| r.pending_secret) {
        Some(stored) if !is_enabled(c) => open(Field::PendingTotpSecret, c.id, &stored)?.ok(),
        _ => None,
    };
    Ok(Status {
        enabled: is_enabled(c),
        pending,
        recovery_codes_left: recovery_codes_left(db, c.id).await?,
    })
}

pub async fn recovery_codes_left(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
) -> Result<u64, CoreError> {
    Ok(totp_recovery_code::Entity::find()
        .filter(totp_recovery_code::Column::CounselorId.eq(counselor_id))
        .filter(totp_recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// Start (or start over) setting up: a new secret, kept here until a code proves the app has
/// it. Refused while two-factor sign-in is on (turn it off first).
pub async fn begin_enrolment(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    counselor_id: Uuid,
) -> Result<TotpSecret, CoreError> {
    let tx = begin_write(db).await?;
    let c = counselor::Entity::find_by_id(counselor_id)
        .one(&tx)
        .await?
        .ok_or(CoreError::NotFound)?;
    if is_enabled(&c) {
        return Err(CoreError::Conflict(
            "Two-factor sign-in is already on. Turn it off first to set up a new app.".into(),
        ));
    }
    let secret = TotpSecret::generate();
    let sealed = seal(Field::PendingTotpSecret, counselor_id, &secret)?;
    let now = clock.now();
    match counselor_totp::Entity::find_by_id(counselor_id)
        .one(&tx)
        .await?
    {
        Some(row) => {
            let mut row: counselor_totp::ActiveModel = row.into();
            row.pending_secret = Set(Some(sealed));
            row.pending_since = Set(Some(now));
            row.update(&tx).await?;
        }
        None => {
            counselor_totp::ActiveModel {
                counselor_id: Set(counselor_id),
                pending_secret: Set(Some(sealed)),
                pending_since: Set(Some(now)),
                last_step: Set(None),
                enabled_at: Set(None),
            }
            .insert(&tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(secret)
}

/// Switch two-factor sign-in on with the pending secret, if `code` is right for it now.
/// Returns the new recovery codes, in clear this once; only their hashes are kept.
/// Confirm the pending secret with a code: two-factor sign-in goes on, the counselor's other
/// browser sessions (signed in with the password alone) end, and the event is audited, all in
/// one transaction.
pub async fn confirm_enrolment(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    code: &str,
    keep_session: &str,
) -> Result<Vec<String>, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    let c = counselor::Entity::find_by_id(counselor_id)
        .one(&tx)
        .await?
        .ok_or(CoreError::NotFound)?;
    if is_enabled(&c) {
        return Err(CoreError::Conflict(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    let Some(row) = counselor_totp::Entity::find_by_id(counselor_id)
        .one(&tx)
        .await?
    else {
        return Err(CoreError::invalid(
            "code",
            "has no set-up to confirm: start again",
        ));
    };
    let Some(stored) = row.pending_secret.clone() else {
        return Err(CoreError::invalid(
            "code",
            "has no set-up to confirm: start again",
        ));
    };
    if !pending_is_live(row.pending_since, now) {
        // Too late: the secret is dropped, and only a new set-up can turn it on.
        let mut row: counselor_totp::ActiveModel = row.into();
        row.pending_secret = Set(None);
        row.pending_since = Set(None);
        row.update(&tx).await?;
        tx.commit().await?;
        return Err(CoreError::invalid(
            "code",
            "came too late: a set-up key works for 15 minutes. Start again for a new one",
        ));
    }
    let Ok(secret) = open(Field::PendingTotpSecret, counselor_id, &stored)? else {
        return Err(CoreError::invalid(
            "code",
            "has no set-up to confirm: start again",
        ));
    };
    let Some(step) = secret.matching_step(code, now, None) else {
        return Err(CoreError::invalid(
            "code",
            "does not match: type the six digits your app shows now",
        ));
    };
    counselor::Entity::update_many()
        .col_expr(
            counselor::Column::TotpSecret,
            Expr::value(Some(seal(Field::TotpSecret, counselor_id, &secret)?)),
        )
        .col_expr(counselor::Column::UpdatedAt, Expr::value(now))
        .filter(counselor::Column::Id.eq(counselor_id))
        .exec(&tx)
        .await?;
    let mut row: counselor_totp::ActiveModel = row.into();
    row.pending_secret = Set(None);
    row.pending_since = Set(None);
    row.last_step = Set(Some(step));
    row.enabled_at = Set(Some(now));
    row.update(&tx).await?;
    let codes = replace_recovery_codes(&tx, clock, counselor_id).await?;
    sign_ins::end_others_for(&tx, counselor_id, keep_session).await?;
    audit::record(&tx, clock, actor, Action::TotpEnabled, None).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    counselor_id: Uuid,
) -> Result<Vec<String>, CoreError> {
    totp_recovery_code::Entity::delete_many()
        .filter(totp_recovery_code::Column::CounselorId.eq(counselor_id))
        .exec(db)
        .await?;
    let now = clock.now();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = new_recovery_code();
        let Some(canonical) = normalise_recovery_code(&code) else {
            continue;
        };
        if codes.contains(&code) {
            continue;
        }
        totp_recovery_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            counselor_id: Set(counselor_id),
            code_hash: Set(recovery_fingerprint(&canonical)),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// New recovery codes for a counselor with two-factor sign-in on; the old ones stop working.
pub async fn regenerate_recovery_codes(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
) -> Result<Vec<String>, CoreError> {
    let tx = begin_write(db).await?;
    let c = counselor::Entity::find_by_id(counselor_id)
        .one(&tx)
        .await?
        .ok_or(CoreError::NotFound)?;
    if !is_enabled(&c) {
        return Err(CoreError::Conflict("Two-factor sign-in is off.".into()));
    }
    let codes = replace_recovery_codes(&tx, clock, counselor_id).await?;
    audit::record(&tx, clock, actor, Action::RecoveryCodesRenewed, None).await?;
    tx.commit().await?;
    Ok(codes)
}

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A code from the app, for this time step.
    Code { step: i64 },
    /// A recovery code, now used up; `left` remain.
    RecoveryCode { left: u64 },
}

/// The outcome of checking a typed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Accepted(Accepted),
    /// Right for a time step that was already used (the same code twice, or an older one).
    Reused,
    Wrong,
    /// The stored secret cannot be read (see [`Unreadable`]): no app code can be checked;
    /// recovery codes still work.
    Unreadable,
}

/// Check a code from the app (and, when `recovery` is true, a recovery code) for a counselor
/// with two-factor sign-in on. An accepted app code records its time step, conditionally, so
/// that of two requests with the same code only one succeeds.
pub async fn check(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    counselor_id: Uuid,
    typed: &str,
    recovery: bool,
) -> Result<Check, CoreError> {
    let Some(c) = counselor::Entity::find_by_id(counselor_id)
        .one(db)
        .await?
        .filter(|c| c.active)
    else {
        return Ok(Check::Wrong);
    };
    let Some(stored) = c.totp_secret.clone() else {
        return Ok(Check::Wrong);
    };
    if totp::normalise_code(typed).is_some() {
        let now = clock.now();
        let Ok(secret) = open(Field::TotpSecret, counselor_id, &stored)? else {
            return Ok(Check::Unreadable);
        };
        let last = counselor_totp::Entity::find_by_id(counselor_id)
            .one(db)
            .await?
            .and_then(|r| r.last_step);
        let Some(step) = secret.matching_step(typed, now, last) else {
            return Ok(if secret.matching_step(typed, now, None).is_some() {
                Check::Reused
            } else {
                Check::Wrong
            });
        };
        if !record_step(db, counselor_id, step).await? {
            // Another request took this step (or a later one) in the meantime.
            return Ok(Check::Reused);
        }
        if needs_sealing(&stored) {
            let sealed = seal(Field::TotpSecret, counselor_id, &secret)?;
            counselor::Entity::update_many()
                .col_expr(counselor::Column::TotpSecret, Expr::value(Some(sealed)))
                .filter(counselor::Column::Id.eq(counselor_id))
                .exec(db)
                .await?;
        }
        return Ok(Check::Accepted(Accepted::Code { step }));
    }
    if recovery && let Some(canonical) = normalise_recovery_code(typed) {
        let used = totp_recovery_code::Entity::update_many()
            .col_expr(
                totp_recovery_code::Column::UsedAt,
                Expr::value(Some(clock.now())),
            )
            .filter(totp_recovery_code::Column::CounselorId.eq(counselor_id))
            .filter(totp_recovery_code::Column::CodeHash.eq(recovery_fingerprint(&canonical)))
            .filter(totp_recovery_code::Column::UsedAt.is_null())
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if used {
            let left = recovery_codes_left(db, counselor_id).await?;
            return Ok(Check::Accepted(Accepted::RecoveryCode { left }));
        }
    }
    Ok(Check::Wrong)
}

/// Record `step` as the last one used, only if it is later than the one recorded.
async fn record_step(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    step: i64,
) -> Result<bool, CoreError> {
    let res = counselor_totp::Entity::update_many()
        .col_expr(counselor_totp::Column::LastStep, Expr::value(Some(step)))
        .filter(counselor_totp::Column::CounselorId.eq(counselor_id))
        .filter(
            Condition::any()
                .add(counselor_totp::Column::LastStep.is_null())
                .add(counselor_totp::Column::LastStep.lt(step)),
        )
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        return Ok(true);
    }
    // No row yet (a secret set before this table existed): create it with this step.
    if counselor_totp::Entity::find_by_id(counselor_id)
        .one(db)
        .await?
        .is_none()
    {
        counselor_totp::ActiveModel {
            counselor_id: Set(counselor_id),
            pending_secret: Set(None),
            pending_since: Set(None),
            last_step: Set(Some(step)),
            enabled_at: Set(None),
        }
        .insert(db)
        .await?;
        return Ok(true);
    }
    Ok(false)
}

/// Turn two-factor sign-in off: the secret, the pending one and every recovery code go.
/// (The caller has checked the password and a code.)
/// Turn two-factor sign-in off. Like a password change, whoever else is signed in (perhaps
/// with a lost phone's codes) is signed out, in the same transaction as the audit event.
pub async fn disable(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    keep_session: &str,
) -> Result<(), CoreError> {
    let tx = begin_write(db).await?;
    counselor::Entity::update_many()
        .col_expr(
            counselor::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(counselor::Column::UpdatedAt, Expr::value(clock.now()))
        .filter(counselor::Column::Id.eq(counselor_id))
        .exec(&tx)
        .await?;
    counselor_totp::Entity::delete_by_id(counselor_id)
        .exec(&tx)
        .await?;
    totp_recovery_code::Entity::delete_many()
        .filter(totp_recovery_code::Column::CounselorId.eq(counselor_id))
        .exec(&tx)
        .await?;
    sign_ins::end_others_for(&tx, counselor_id, keep_session).await?;
    audit::record(&tx, clock, actor, Action::TotpDisabled, None).await?;
    tx.commit().await?;
    Ok(())
}
