//! One-click opt-out from reminders. Every client email carries a link
//! `/reminders/opt-out/{token}`, where the token is the partner's id and an HMAC-SHA-256 of it
//! under a server key (kept in the database, so that every instance and worker signs alike).
//! Nothing is stored per email, a token cannot be forged or turned to another partner, and it
//! keeps working as long as the key does (an opt-out link must not expire).
//!
//! Opening the link changes nothing (mail scanners open links); the page it shows asks for a
//! POST, which is also what RFC 8058 one-click unsubscribe sends.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use sha2::Sha256;
use uuid::Uuid;

use crate::access::secrets;
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entities::partner;
use crate::error::CoreError;

/// The `signing_key` table: one random secret per purpose.
pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_key")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub purpose: String,
        pub secret: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const PURPOSE: &str = "reminder_opt_out";
/// Bytes of the MAC kept in a token (128 bits).
const MAC_BYTES: usize = 16;

/// The server key for opt-out links. Never printed.
#[derive(Clone)]
pub struct OptOutKey(Vec<u8>);

impl std::fmt::Debug for OptOutKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OptOutKey(…)")
    }
}

impl OptOutKey {
    /// A key from raw bytes (tests).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    fn mac(&self, partner_id: Uuid) -> Hmac<Sha256> {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"kintsugi reminder opt-out v1:");
        mac.update(partner_id.as_bytes());
        mac
    }

    /// The token in a partner's opt-out link: 43 characters of base64url.
    pub fn token(&self, partner_id: Uuid) -> String {
        let tag = self.mac(partner_id).finalize().into_bytes();
        let mut raw = partner_id.as_bytes().to_vec();
        raw.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The partner a token was made for, if it is genuine.
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        if token.len() != 43 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != 16 + MAC_BYTES {
            return None;
        }
        let id = Uuid::from_slice(&raw[..16]).ok()?;
        self.mac(id).verify_truncated_left(&raw[16..]).ok()?;
        Some(id)
    }
}

/// The opt-out key, made on first use. Two processes racing to make it both end up with the
/// one that was stored first.
pub async fn key(db: &impl ConnectionTrait, clock: &dyn Clock) -> Result<OptOutKey, CoreError> {
    if let Some(k) = stored(db).await? {
        return Ok(k);
    }
    let fresh = signing_key::ActiveModel {
        purpose: Set(PURPOSE.to_owned()),
        secret: Set(secrets::random_token(32)),
        created_at: Set(clock.now()),
    };
    signing_key::Entity::insert(fresh)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    stored(db)
        .await?
        .ok_or_else(|| CoreError::Internal("the opt-out key could not be stored".into()))
}

async fn stored(db: &impl ConnectionTrait) -> Result<Option<OptOutKey>, CoreError> {
    Ok(signing_key::Entity::find_by_id(PURPOSE.to_owned())
        .one(db)
        .await?
        .map(|k| OptOutKey(k.secret.into_bytes())))
}

/// The partner behind an opt-out token, if the token is genuine and the partner exists.
pub async fn partner_for(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<partner::Model>, CoreError> {
    let Some(id) = key(db, clock).await?.verify(token) else {
        return Ok(None);
    };
    Ok(partner::Entity::find_by_id(id).one(db).await?)
}

/// Turn a partner's reminders off: the flag the couple page shows, and every pending reminder
/// to them withdrawn, in one transaction. Returns false when they were already off.
pub async fn opt_out(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    partner_id: Uuid,
    ip: Option<String>,
) -> Result<bool, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    let changed = partner::Entity::update_many()
        .col_expr(partner::Column::RemindersOptOut, Expr::value(true))
        .col_expr(partner::Column::UpdatedAt, Expr::value(now))
        .filter(partner::Column::Id.eq(partner_id))
        .filter(partner::Column::RemindersOptOut.eq(false))
        .exec(&tx)
        .await?
        .rows_affected
        == 1;
    super::outbox::withdraw_partner_reminders(&tx, partner_id).await?;
    if changed {
        let couple_id = partner::Entity::find_by_id(partner_id)
            .one(&tx)
            .await?
            .map(|p| p.couple_id);
        // Audited as the partner's own change, on their couple's record.
        crate::audit::record(
            &tx,
            clock,
            &crate::audit::Actor::partner(partner_id, ip),
            crate::audit::Action::RemindersOptedOut,
            couple_id.map(crate::audit::Record::couple),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Turn a partner's reminders back on (from the same signed link): the flag cleared, and the
/// reminders of their open homework and the couple's coming sessions queued again. Returns
/// false when they were already on.
pub async fn opt_in(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    partner_id: Uuid,
    ip: Option<String>,
) -> Result<bool, CoreError> {
    use crate::entities::{counseling_session, response};
    let now = clock.now();
    let tx = begin_write(db).await?;
    let changed = partner::Entity::update_many()
        .col_expr(partner::Column::RemindersOptOut, Expr::value(false))
        .col_expr(partner::Column::UpdatedAt, Expr::value(now))
        .filter(partner::Column::Id.eq(partner_id))
        .filter(partner::Column::RemindersOptOut.eq(true))
        .exec(&tx)
        .await?
        .rows_affected
        == 1;
    if changed {
        let open: Vec<Uuid> = response::Entity::find()
            .filter(response::Column::PartnerId.eq(partner_id))
            .all(&tx)
            .await?
            .into_iter()
            .filter(|r| !r.status.is_final())
            .map(|r| r.assignment_id)
            .collect();
        super::homework_reminders::sync_assignments(&tx, now, &open).await?;
        let couple_id = partner::Entity::find_by_id(partner_id)
            .one(&tx)
            .await?
            .map(|p| p.couple_id);
        if let Some(couple_id) = couple_id {
            let coming = counseling_session::Entity::find()
                .filter(counseling_session::Column::CoupleId.eq(couple_id))
                .filter(counseling_session::Column::StartsAt.gt(now))
                .all(&tx)
                .await?;
            for s in coming {
                super::session_reminders::sync(&tx, clock, &s).await?;
            }
        }
        crate::audit::record(
            &tx,
            clock,
            &crate::audit::Actor::partner(partner_id, ip),
            crate::audit::Action::RemindersOptedIn,
            couple_id.map(crate::audit::Record::couple),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_partner_and_key() {
        let key = OptOutKey::from_bytes(b"a server key of some length");
        let other_key = OptOutKey::from_bytes(b"another server key");
        let id = Uuid::new_v4();
        let token = key.token(id);
        assert_eq!(token.len(), 43);
        assert_eq!(key.verify(&token), Some(id));
        assert_eq!(other_key.verify(&token), None, "another key");
        // Another partner's id with this MAC does not pass.
        let mut raw = URL_SAFE_NO_PAD.decode(&token).expect("b64");
        raw[0] ^= 1;
        assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(&raw)), None);
        // Nor does a changed MAC, a short token or garbage.
        let mut raw = URL_SAFE_NO_PAD.decode(&token).expect("b64");
        raw[31] ^= 1;
        assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(&raw)), None);
        assert_eq!(key.verify(&token[..42]), None);
        assert_eq!(key.verify(&"!".repeat(43)), None);
        assert_eq!(format!("{key:?}"), "OptOutKey(…)");
    }
}
