//! The couple's current stage, kept on the couple row so the caseload filters, sorts and
//! counts by stage with an index instead of reading every couple's stage rows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("couple")
                .add_column(string_null("current_stage"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_couple_caseload_stage")
                .table("couple")
                .col("counselor_id")
                .col("current_stage")
                .to_owned(),
        )
        .await?;
        // Existing couples: the first stage, in clinical order, that is not complete.
        m.get_connection()
            .execute_unprepared(
                "UPDATE couple SET current_stage = (
                    SELECT sp.stage FROM stage_progress sp
                    WHERE sp.couple_id = couple.id AND sp.status <> 'complete'
                    ORDER BY CASE sp.stage
                        WHEN 'admission' THEN 1 WHEN 'validation' THEN 2 WHEN 'openness' THEN 3
                        WHEN 'before_the_affair' THEN 4 WHEN 'current_struggles' THEN 5
                        WHEN 'shared_responsibility' THEN 6 END
                    LIMIT 1)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_couple_caseload_stage")
                .table("couple")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("couple")
                .drop_column("current_stage")
                .to_owned(),
        )
        .await
    }
}
