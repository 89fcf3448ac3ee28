//! Personal homework links. A link is `/h/{secret}`: 32 random bytes, base64url. Only the
//! secret's SHA-256 is stored, so a link can never be shown or sent again: every email that
//! carries a link mints a fresh secret. Several secrets of one partner may be live at once;
//! each expires on its own after a period without use. Rotating or revoking kills them all.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::access::secrets;
use crate::clock::Clock;
use crate::entities::{homework_link, partner};
use crate::error::CoreError;

/// A link secret as it appears in a URL: exactly 43 characters of base64url (32 bytes).
/// Anything else cannot be a link, and is refused before the database is asked.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkSecret(String);

impl LinkSecret {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| LinkSecret(raw.to_owned()))
    }

    fn mint() -> Self {
        LinkSecret(secrets::random_token(32))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn fingerprint(&self) -> String {
        secrets::fingerprint(&self.0)
    }
}

/// Never print a secret, even by accident in a debug log.
impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(…)")
    }
}

/// Why a presented link does not open. The client sees the same kind page for each; the
/// distinction is for the counselor's view and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Unknown,
    Revoked,
    Expired,
}

/// Mint a new live secret for a partner. `expiry` is the time without use after which it dies.
pub async fn mint(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    partner_id: Uuid,
    expiry: Duration,
) -> Result<LinkSecret, CoreError> {
    let secret = LinkSecret::mint();
    let now = clock.now();
    homework_link::ActiveModel {
        id: Set(Uuid::new_v4()),
        partner_id: Set(partner_id),
        secret_hash: Set(secret.fingerprint()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(now + expiry),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(secret)
}

/// The live link and its partner behind a secret. Reading never changes anything (mail
/// scanners open links too); use [`touch`] when the partner really uses it.
pub async fn verify(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    secret: &LinkSecret,
) -> Result<Result<(homework_link::Model, partner::Model), LinkRefusal>, CoreError> {
    let Some(link) = homework_link::Entity::find()
        .filter(homework_link::Column::SecretHash.eq(secret.fingerprint()))
        .one(db)
        .await?
    else {
        return Ok(Err(LinkRefusal::Unknown));
    };
    if link.revoked_at.is_some() {
        return Ok(Err(LinkRefusal::Revoked));
    }
    if clock.now() >= link.expires_at {
        return Ok(Err(LinkRefusal::Expired));
    }
    let partner = partner::Entity::find_by_id(link.partner_id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    Ok(Ok((link, partner)))
}

/// The partner used the link: push its expiry out by `expiry` from now.
pub async fn touch(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    link_id: Uuid,
    expiry: Duration,
) -> Result<(), CoreError> {
    let now = clock.now();
    let live = homework_link::Entity::find_by_id(link_id)
        .one(db)
        .await?
        .filter(|l| l.revoked_at.is_none());
    if let Some(link) = live {
        let mut m = link.into_active_model();
        m.last_used_at = Set(Some(now));
        m.expires_at = Set(now + expiry);
        m.update(db).await?;
    }

    Ok(())
}

/// Kill every live secret of a partner at once (revoke; rotate = revoke, then mint).
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    partner_id: Uuid,
) -> Result<u64, CoreError> {
    let res = homework_link::Entity::update_many()
        .col_expr(homework_link::Column::RevokedAt, Expr::value(clock.now()))
        .filter(homework_link::Column::PartnerId.eq(partner_id))
        .filter(homework_link::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    crate::homework::link_visits::end_all_for(db, partner_id).await?;
    Ok(res.rows_affected)
}

/// How many live (unrevoked, unexpired) secrets a partner has, for the couple page.
pub async fn live_count(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    partner_id: Uuid,
) -> Result<u64, CoreError> {
    use sea_orm::PaginatorTrait;
    Ok(homework_link::Entity::find()
        .filter(homework_link::Column::PartnerId.eq(partner_id))
        .filter(homework_link::Column::RevokedAt.is_null())
        .filter(homework_link::Column::ExpiresAt.gt(now))
        .count(db)
        .await?)
}

/// Default time without use after which a link dies, when the practice sets none.
pub const DEFAULT_EXPIRY_DAYS: i64 = 90;

/// The practice's link expiry (time without use), or the default of 90 days.
pub async fn expiry_for_practice(
    db: &impl ConnectionTrait,
    practice_id: Uuid,
) -> Result<Duration, CoreError> {
    let practice = crate::entities::practice::Entity::find_by_id(practice_id)
        .one(db)
        .await?;
    Ok(expiry_of(practice.as_ref()))
}

/// The link expiry a practice's settings give (the default when there are none).
pub fn expiry_of(practice: Option<&crate::entities::practice::Model>) -> Duration {
    let days = practice
        .map(|p| i64::from(p.link_expiry_days))
        .filter(|d| *d > 0)
        .unwrap_or(DEFAULT_EXPIRY_DAYS)
        .clamp(1, 3650);
    Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_secrets_parse() {
        let s = LinkSecret::mint();
        assert_eq!(LinkSecret::parse(s.expose()), Some(s.clone()));
        assert!(LinkSecret::parse("short").is_none());
        assert!(LinkSecret::parse(&"a".repeat(44)).is_none());
        assert!(LinkSecret::parse(&format!("{}=", &"a".repeat(42))).is_none());
        assert_eq!(format!("{s:?}"), "LinkSecret(…)", "never printed");
    }
}

/// A request to email a partner their link.
#[derive(Debug, Clone)]
pub struct SendLink<'a> {
    pub counselor_id: Uuid,
    pub couple_id: Uuid,
    pub role: crate::couples::PartnerRole,
    /// `KINTSUGI_BASE_URL`: links are never built from a request's Host header.
    pub base_url: &'a str,
    /// Time without use after which the new secret dies.
    pub expiry: Duration,
    /// Kill every earlier secret of that partner first.
    pub rotate: bool,
}

/// Send a partner a fresh link by email (queued in the same transaction as the new secret).
pub async fn send(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &crate::audit::Actor,
    request: SendLink<'_>,
) -> Result<(), CoreError> {
    use crate::reminders::outbox::{self, MessageKind, NewMessage};
    let SendLink {
        counselor_id,
        couple_id,
        role,
        base_url,
        expiry,
        rotate,
    } = request;

    let couple = crate::couples::store::get(db, counselor_id, couple_id).await?;
    let partner = couple.partner(role).clone();
    let tx = crate::db::begin_write(db).await?;
    if rotate {
        revoke_all(&tx, clock, partner.id).await?;
    }
    let secret = mint(&tx, clock, partner.id, expiry).await?;
    let now = clock.now();
    outbox::enqueue(
        &tx,
        now,
        NewMessage {
            kind: MessageKind::HomeworkLink,
            recipient: partner.email.to_string(),
            counselor_id: Some(counselor_id),
            partner_id: Some(partner.id),
            couple_id: Some(couple_id),
            payload: serde_json::json!({ "name": partner.name, "link": format!("{base_url}/h/{}", secret.expose()) }),
            scheduled_at: now,
            // Every send is its own message (a new secret each time).
            dedupe_key: format!("homework_link:{}:{}", partner.id, Uuid::new_v4()),
        },
    )
    .await?;
    crate::audit::record(
        &tx,
        clock,
        actor,
        crate::audit::Action::LinkSent,
        Some(crate::audit::Record::couple(couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revoke every live link of a partner of one of the counselor's couples.
pub async fn revoke(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &crate::audit::Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    role: crate::couples::PartnerRole,
) -> Result<u64, CoreError> {
    let couple = crate::couples::store::get(db, counselor_id, couple_id).await?;
    let tx = crate::db::begin_write(db).await?;
    let n = revoke_all(&tx, clock, couple.partner(role).id).await?;
    crate::audit::record(
        &tx,
        clock,
        actor,
        crate::audit::Action::LinkRevoked,
        Some(crate::audit::Record::couple(couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
