//! `counseling_session.counselor_id`: the counselor of the session's couple, copied onto the
//! session with an index on (counselor, start). The dashboard's "Today's sessions" then reads
//! one index range instead of looking into each of the caseload's couples (1,000 lookups at
//! 1,000 couples). Couples never move between counselors, so the copy cannot go stale; every
//! new session sets it. The column is nullable only because SQLite cannot add a NOT NULL
//! column without a default: this migration fills it for every existing session.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("counseling_session")
                .add_column(uuid_null("counselor_id"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE counseling_session SET counselor_id = \
                 (SELECT counselor_id FROM couple WHERE couple.id = counseling_session.couple_id)",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_counseling_session_counselor_start")
                .table("counseling_session")
                .col("counselor_id")
                .col("starts_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_counseling_session_counselor_start")
                .table("counseling_session")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("counseling_session")
                .drop_column("counselor_id")
                .to_owned(),
        )
        .await
    }
}
