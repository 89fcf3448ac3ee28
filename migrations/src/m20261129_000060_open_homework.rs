//! `open_homework`: one row per response of a live assignment that still waits for someone,
//! the partner (not yet submitted) or the counselor (submitted, not yet reviewed), with the
//! counselor, couple and due time copied beside it. The dashboard and the daily digest count
//! a caseload's submissions to review and overdue homework from one index range of this
//! narrow table, instead of joining every open response of the caseload to its partner,
//! couple and assignment on each view (40 ms at 1,000 couples). The rows are rewritten per
//! couple in every transaction that changes what they copy (kintsugi_core::homework::open_work).
//! Unsubmitted homework of a closed couple is left out: it is not overdue.
//!
//! This migration fills the table from the records as they are, with the rule as it stands
//! today (a migration is never edited; the rule in code may move on).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_open_homework_{column}"))
        .from("open_homework", column.to_owned())
        .to(target.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("open_homework")
                .col(pk_uuid("response_id"))
                .col(uuid("counselor_id"))
                .col(uuid("couple_id"))
                .col(timestamp_with_time_zone("due_at"))
                .col(boolean("submitted"))
                .foreign_key(&mut fk("response_id", "response"))
                .foreign_key(&mut fk("couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        // The caseload's counts: submitted ones, and unsubmitted ones due before now.
        m.create_index(
            Index::create()
                .name("ix_open_homework_caseload")
                .table("open_homework")
                .col("counselor_id")
                .col("submitted")
                .col("due_at")
                .to_owned(),
        )
        .await?;
        // A page of couples' badges, and rewriting one couple's rows.
        m.create_index(
            Index::create()
                .name("ix_open_homework_couple")
                .table("open_homework")
                .col("couple_id")
                .col("submitted")
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO open_homework (response_id, counselor_id, couple_id, due_at, submitted) \
                 SELECT r.id, c.counselor_id, c.id, a.due_at, \
                        CASE WHEN r.status = 'submitted' THEN TRUE ELSE FALSE END \
                 FROM response r \
                 JOIN assignment a ON a.id = r.assignment_id \
                 JOIN couple c ON c.id = a.couple_id \
                 WHERE a.cancelled_at IS NULL \
                   AND (r.status = 'submitted' \
                        OR (r.status IN ('assigned', 'draft') AND c.status <> 'closed'))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("open_homework").to_owned())
            .await
    }
}
