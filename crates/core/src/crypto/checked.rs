//! The record of the last full check of the sealed columns: "every sealed value is under key
//! K". Start-up trusts it instead of reading every sealed column again, which on a large
//! practice takes seconds. It is written only after a check or a rotation that covered the
//! whole database, and forgotten when a rotation starts, so an interrupted rotation is found by
//! the full check at the next start.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::KeyId;
use crate::entities::data_key_state;
use crate::error::CoreError;

/// The table's one row.
const ROW: i32 = 1;

/// The key the whole database was last found to be under, if a check recorded one.
pub async fn recorded(db: &impl ConnectionTrait) -> Result<Option<KeyId>, CoreError> {
    let row = data_key_state::Entity::find_by_id(ROW).one(db).await?;
    Ok(row.and_then(|r| KeyId::parse(&r.key_id)))
}

/// Every sealed value is under `key` (the caller has just made sure of it).
pub async fn record(
    db: &impl ConnectionTrait,
    key: KeyId,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    data_key_state::Entity::insert(data_key_state::ActiveModel {
        id: Set(ROW),
        key_id: Set(key.to_string()),
        checked_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(data_key_state::Column::Id)
            .update_columns([
                data_key_state::Column::KeyId,
                data_key_state::Column::CheckedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Values are about to move between keys: nothing may be trusted until a full check again.
pub async fn forget(db: &impl ConnectionTrait) -> Result<(), CoreError> {
    data_key_state::Entity::delete_by_id(ROW).exec(db).await?;
    Ok(())
}
