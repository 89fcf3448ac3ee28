//! Two-factor sign-in with TOTP: the practice's requirement, each counselor's pending secret
//! and last accepted time step, recovery codes (SHA-256 only) and sign-ins waiting for their
//! code. The enabled secret itself stays in `counselor.totp_secret` (sealed, see core).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to_counselor(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_counselor_id"))
        .from(table.to_owned(), "counselor_id")
        .to("counselor", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("practice")
                .add_column(string_len("totp_required", 16).default("none"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("counselor_totp")
                .col(uuid("counselor_id").primary_key())
                .col(text_null("pending_secret"))
                .col(timestamp_with_time_zone_null("pending_since"))
                .col(big_integer_null("last_step"))
                .col(timestamp_with_time_zone_null("enabled_at"))
                .foreign_key(&mut to_counselor("counselor_totp"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("totp_recovery_code")
                .col(uuid("id").primary_key())
                .col(uuid("counselor_id"))
                .col(string_len("code_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut to_counselor("totp_recovery_code"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_totp_recovery_code_lookup")
                .table("totp_recovery_code")
                .col("counselor_id")
                .col("code_hash")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("pending_login")
                .col(string_len("id", 64).primary_key())
                .col(uuid("counselor_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut to_counselor("pending_login"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_pending_login_expiry")
                .table("pending_login")
                .col("expires_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["pending_login", "totp_recovery_code", "counselor_totp"] {
            m.drop_table(Table::drop().table(table.to_owned()).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table("practice")
                .drop_column("totp_required")
                .to_owned(),
        )
        .await
    }
}
