//! Bearer tokens for the JSON API. A token is shown once when created; the table keeps its
//! SHA-256. Tokens of a deactivated counselor stop working at once.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::secrets;
use crate::audit::{self, Action, Actor};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entities::{api_token, counselor};
use crate::error::CoreError;

/// Tokens start with this, so that secret scanners and people can recognise them.
pub const PREFIX: &str = "kgi_";

/// A new token for this counselor, audited in the same transaction (never the token itself).
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    name: &str,
) -> Result<String, CoreError> {
    let token = format!("{PREFIX}{}", secrets::random_token(32));
    let tx = begin_write(db).await?;
    api_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        counselor_id: Set(counselor_id),
        name: Set(name.to_owned()),
        token_hash: Set(secrets::fingerprint(&token)),
        created_at: Set(clock.now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, clock, actor, Action::ApiTokenCreated, None).await?;
    tx.commit().await?;
    Ok(token)
}

/// The active counselor a presented token belongs to.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<counselor::Model>, CoreError> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let Some(found) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secrets::fingerprint(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let counselor = counselor::Entity::find_by_id(found.counselor_id)
        .one(db)
        .await?;
    Ok(counselor.filter(|c| c.active))
}

pub async fn revoke_all_for(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    counselor_id: Uuid,
) -> Result<u64, CoreError> {
    let res = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(clock.now()))
        .filter(api_token::Column::CounselorId.eq(counselor_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
