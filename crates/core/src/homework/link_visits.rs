//! Homework-link visits: a partner's visit behind their homework link (not a counseling
//! session, nor a counselor's sign-in). The link's secret is exchanged for a random
//! session cookie on the first visit; the session ends after 30 minutes without activity
//! (and then the PIN, where one is required, is asked again) and after 12 hours at most.
//!
//! PINs: a counselor can require one. The partner sets it on the first visit; wrong PINs are
//! counted, and after five the link pauses for fifteen minutes (the counselor sees that).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use uuid::Uuid;

use crate::access::secrets;
use crate::clock::Clock;
use crate::entities::{client_session, partner};
use crate::error::CoreError;
use crate::practice::passwords;

pub const IDLE: Duration = Duration::minutes(30);
pub const ABSOLUTE: Duration = Duration::hours(12);
pub const PIN_TRIES: i32 = 5;
pub const PIN_PAUSE: Duration = Duration::minutes(15);

#[derive(Debug)]
pub struct Started {
    pub cookie_secret: String,
}

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct LinkVisit {
    pub id: String,
    pub partner: partner::Model,
    pub link_id: Uuid,
    pub csrf_token: String,
    pub pin_verified: bool,
}

impl LinkVisit {
    /// The partner must enter (or first set) a PIN before seeing anything.
    pub fn needs_pin(&self) -> bool {
        self.partner.pin_required && !self.pin_verified
    }
}

pub async fn start(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    partner_id: Uuid,
    link_id: Uuid,
) -> Result<Started, CoreError> {
    let cookie_secret = secrets::random_token(32);
    let now = clock.now();
    client_session::ActiveModel {
        id: Set(secrets::fingerprint(&cookie_secret)),
        partner_id: Set(partner_id),
        link_id: Set(link_id),
        csrf_token: Set(secrets::random_token(32)),
        pin_verified_at: Set(None),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE),
    }
    .insert(db)
    .await?;
    Ok(Started { cookie_secret })
}

fn live(s: &client_session::Model, now: DateTime<Utc>) -> bool {
    now < s.expires_at && now - s.last_seen_at < IDLE
}

/// The session behind a cookie, touched (at most once a minute) when it is live.
pub async fn resume(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    cookie_secret: &str,
) -> Result<Option<LinkVisit>, CoreError> {
    let id = secrets::fingerprint(cookie_secret);
    let Some(session) = client_session::Entity::find_by_id(id.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = clock.now();
    if !live(&session, now) {
        client_session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    let Some(partner) = partner::Entity::find_by_id(session.partner_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let out = LinkVisit {
        id,
        partner,
        link_id: session.link_id,
        csrf_token: session.csrf_token.clone(),
        pin_verified: session.pin_verified_at.is_some(),
    };
    if now - session.last_seen_at > Duration::minutes(1) {
        let mut m = session.into_active_model();
        m.last_seen_at = Set(now);
        m.update(db).await?;
    }
    Ok(Some(out))
}

pub async fn end(db: &impl ConnectionTrait, id: &str) -> Result<(), CoreError> {
    client_session::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn end_all_for(db: &impl ConnectionTrait, partner_id: Uuid) -> Result<(), CoreError> {
    client_session::Entity::delete_many()
        .filter(client_session::Column::PartnerId.eq(partner_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A PIN: 4 to 8 digits.
#[derive(Clone)]
pub struct Pin(String);

impl Pin {
    pub fn parse(raw: &str) -> Result<Pin, String> {
        let raw = raw.trim();
        if (4..=8).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(raw.to_owned()))
        } else {
            Err("must be 4 to 8 digits".into())
        }
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(…)")
    }
}

/// What happened to a PIN attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOutcome {
    Accepted,
    Wrong {
        tries_left: i32,
    },
    /// Too many wrong tries: the link is paused until then.
    Paused {
        until: DateTime<Utc>,
    },
}

/// When the partner's link is paused after wrong PINs, until when.
pub fn paused_until(partner: &partner::Model, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    partner.pin_paused_until.filter(|until| *until > now)
}

/// Set the partner's PIN on the first visit (only when none is set yet) and verify the session.
pub async fn set_pin(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    session: &LinkVisit,
    pin: &Pin,
) -> Result<bool, CoreError> {
    let fresh = partner::Entity::find_by_id(session.partner.id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    if fresh.pin_hash.is_some() {
        return Ok(false);
    }
    let hash = passwords::hash_secret(&pin.0)?;
    let mut p = fresh.into_active_model();
    p.pin_hash = Set(Some(hash));
    p.pin_failures = Set(0);
    p.updated_at = Set(clock.now());
    p.update(db).await?;
    mark_verified(db, clock, &session.id).await?;
    Ok(true)
}

/// Check a PIN, counting wrong tries and pausing the link after too many.
pub async fn check_pin(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    session: &LinkVisit,
    pin: &str,
) -> Result<PinOutcome, CoreError> {
    let now = clock.now();
    let fresh = partner::Entity::find_by_id(session.partner.id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    if let Some(until) = paused_until(&fresh, now) {
        return Ok(PinOutcome::Paused { until });
    }
    let stored = fresh.pin_hash.clone().unwrap_or_default();
    let candidate = pin.trim().to_owned();
    let matches = !stored.is_empty()
        && tokio::task::spawn_blocking(move || passwords::verify(&candidate, &stored))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
    let failures = fresh.pin_failures;
    let mut p = fresh.into_active_model();
    let outcome = if matches {
        p.pin_failures = Set(0);
        p.pin_paused_until = Set(None);
        PinOutcome::Accepted
    } else if failures + 1 >= PIN_TRIES {
        p.pin_failures = Set(0);
        p.pin_paused_until = Set(Some(now + PIN_PAUSE));
        PinOutcome::Paused {
            until: now + PIN_PAUSE,
        }
    } else {
        p.pin_failures = Set(failures + 1);
        PinOutcome::Wrong {
            tries_left: PIN_TRIES - failures - 1,
        }
    };
    p.updated_at = Set(now);
    p.update(db).await?;
    if outcome == PinOutcome::Accepted {
        mark_verified(db, clock, &session.id).await?;
    }
    Ok(outcome)
}

async fn mark_verified(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    session_id: &str,
) -> Result<(), CoreError> {
    if let Some(s) = client_session::Entity::find_by_id(session_id.to_owned())
        .one(db)
        .await?
    {
        let mut m = s.into_active_model();
        m.pin_verified_at = Set(Some(clock.now()));
        m.update(db).await?;
    }
    Ok(())
}

/// Require a PIN for a partner's link, or stop requiring one, for one of the counselor's
/// couples. Turning it off forgets the PIN (only its hash was stored) and any pause, so that
/// turning it on again later makes the partner choose a new one.
pub async fn set_pin_required(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &crate::audit::Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    role: crate::couples::PartnerRole,
    required: bool,
) -> Result<(), CoreError> {
    let couple = crate::couples::store::get(db, counselor_id, couple_id).await?;
    let partner = couple.partner(role).clone();
    if partner.pin_required == required {
        return Ok(());
    }
    let tx = crate::db::begin_write(db).await?;
    let mut p = partner.into_active_model();
    p.pin_required = Set(required);
    if !required {
        p.pin_hash = Set(None);
        p.pin_failures = Set(0);
        p.pin_paused_until = Set(None);
    }
    p.updated_at = Set(clock.now());
    p.update(&tx).await?;
    crate::audit::record(
        &tx,
        clock,
        actor,
        crate::audit::Action::CoupleUpdated,
        Some(crate::audit::Record::couple(couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_four_to_eight_digits() {
        assert!(Pin::parse("1234").is_ok());
        assert!(Pin::parse("12345678").is_ok());
        for bad in ["123", "123456789", "12a4", "", "１２３４"] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").ok()), "Some(Pin(…))");
    }
}
