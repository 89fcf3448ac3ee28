//! Homework given during a session remembers that session, so the session note can list what
//! was assigned in it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("assignment")
                .add_column(uuid_null("session_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_assignment_session")
                .table("assignment")
                .col("session_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_assignment_session")
                .table("assignment")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("assignment")
                .drop_column("session_id")
                .to_owned(),
        )
        .await
    }
}
