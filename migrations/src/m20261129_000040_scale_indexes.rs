//! Indexes for large practices: every filter and sort the caseload and the audit log offer
//! reads through an index (the query-count test explains each of them on PostgreSQL).
//! - The caseload by intake date, newest first with ties by id: the index read backwards is
//!   the page's whole order.
//! - The audit log newest first by time, filtered by action, by kind of record or by record:
//!   each filter reads its own events in time order instead of sorting every match, and the
//!   action and record-kind choices are read by skipping through these indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 4] = [
    (
        "couple",
        "ix_couple_caseload_intake",
        &["counselor_id", "intake_date", "id"],
    ),
    ("audit_event", "ix_audit_event_action_at", &["action", "at"]),
    (
        "audit_event",
        "ix_audit_event_kind_at",
        &["record_kind", "at"],
    ),
    (
        "audit_event",
        "ix_audit_event_record_at",
        &["record_id", "at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(*column);
            }
            m.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
