//! `data_key_state`: which data key every sealed value is under, recorded once a start-up or a
//! key rotation has checked the whole database. Start-up then compares the configured key with
//! one row instead of reading every sealed column (seconds on a large practice).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("data_key_state")
                .if_not_exists()
                .col(integer("id").primary_key())
                .col(string_len("key_id", 16))
                .col(timestamp_with_time_zone("checked_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("data_key_state").to_owned())
            .await
    }
}
