//! How long a counselor's browser session may sit unused before it ends: a practice setting
//! (30 minutes unless the practice chooses otherwise).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("practice")
                .add_column(integer("session_idle_minutes").default(30))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("practice")
                .drop_column("session_idle_minutes")
                .to_owned(),
        )
        .await
    }
}
