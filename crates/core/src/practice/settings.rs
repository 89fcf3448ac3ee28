//! The practice record: one per installation, created on first need.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::TimeZone;
use crate::entities::practice;
use crate::error::CoreError;

pub const DEFAULT_NAME: &str = "Kintsugi practice";

/// The practice, creating it with sane defaults when the database is new.
pub async fn ensure(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
) -> Result<practice::Model, CoreError> {
    if let Some(p) = practice::Entity::find()
        .order_by_asc(practice::Column::CreatedAt)
        .one(db)
        .await?
    {
        return Ok(p);
    }
    let model = practice::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(DEFAULT_NAME.to_owned()),
        timezone: Set(TimeZone::default()),
        reminder_hours_before: Set(24),
        quiet_hours_start: Set(8),
        quiet_hours_end: Set(21),
        link_expiry_days: Set(90),
        note_format: Set("DAP".to_owned()),
        paper_size: Set("a4".to_owned()),
        created_at: Set(clock.now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn rename(
    db: &impl ConnectionTrait,
    practice: practice::Model,
    name: &str,
    timezone: TimeZone,
) -> Result<practice::Model, CoreError> {
    let mut active: practice::ActiveModel = practice.into();
    active.name = Set(name.to_owned());
    active.timezone = Set(timezone);
    Ok(active.update(db).await?)
}
