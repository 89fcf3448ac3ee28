//! The built-in exercises the generator assigns, with their prompts, read once per run.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::exercise;
use crate::error::CoreError;
use crate::homework::Recipient;
use crate::homework::builtins::{CONNECTION_CHECKIN, builtins};
use crate::homework::prompts::Prompt;
use crate::stages::Stage;

#[derive(Debug, Clone)]
pub struct CatalogExercise {
    pub id: Uuid,
    pub stage: Stage,
    pub recipient: Recipient,
    pub prompts: Vec<Prompt>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Stage work (every built-in but the check-ins), in clinical order.
    pub exercises: Vec<CatalogExercise>,
    pub connection_checkin: Option<CatalogExercise>,
}

impl Catalog {
    /// The installed built-ins (the command line installs them before anything runs).
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, CoreError> {
        let installed = exercise::Entity::find()
            .filter(exercise::Column::BuiltinKey.is_not_null())
            .all(db)
            .await?;
        let mut catalog = Catalog::default();
        for b in builtins() {
            let Some(row) = installed
                .iter()
                .find(|e| e.builtin_key.as_deref() == Some(b.key))
            else {
                continue;
            };
            let entry = CatalogExercise {
                id: row.id,
                stage: b.stage,
                recipient: b.recipient,
                prompts: b.prompts,
            };
            if b.key == CONNECTION_CHECKIN {
                catalog.connection_checkin = Some(entry);
            } else if !b.key.ends_with("checkin") {
                catalog.exercises.push(entry);
            }
        }
        catalog.exercises.sort_by_key(|e| e.stage);
        Ok(catalog)
    }
}
