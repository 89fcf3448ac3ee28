//! Reminders: a server key for signing opt-out links (one row, shared by every instance and
//! worker on the database), and indexes the reminder bookkeeping reads by (the pending messages
//! about one response or session, and about one partner).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("signing_key")
                .col(string("purpose").primary_key())
                .col(string("secret"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_message_subject")
                .table("outbox_message")
                .col("subject_kind")
                .col("subject_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_message_partner")
                .table("outbox_message")
                .col("partner_id")
                .col("status")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_outbox_message_partner")
                .table("outbox_message")
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_outbox_message_subject")
                .table("outbox_message")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("signing_key").to_owned())
            .await
    }
}
