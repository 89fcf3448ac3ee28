//! Partners' browser sessions behind a homework link: the link's secret is exchanged for a
//! short-lived cookie on the first visit, so the secret leaves the address bar at once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("client_session")
                .col(string("id").primary_key())
                .col(uuid("partner_id"))
                .col(uuid("link_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone_null("pin_verified_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_session_partner_id")
                        .from("client_session", "partner_id")
                        .to("partner", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_client_session_partner")
                .table("client_session")
                .col("partner_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_response_status")
                .table("response")
                .col("status")
                .col("submitted_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_response_status")
                .table("response")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("client_session").to_owned())
            .await
    }
}
