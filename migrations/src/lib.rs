//! Kintsugi's schema, as versioned migrations that run unchanged on SQLite and PostgreSQL.
//! An applied migration is never edited: change the schema with a new one.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261129_000002_couple_current_stage;
mod m20261129_000003_client_sessions;
mod m20261129_000004_session_homework;
mod m20261129_000005_reminders;
mod m20261129_000010_session_idle;
mod m20261129_000011_audit_append_only;
mod m20261129_000020_totp;
mod m20261129_000040_scale_indexes;
mod m20261129_000050_data_key_state;
mod m20261129_000060_open_homework;
mod m20261129_000070_session_counselor;
mod m20261207_000080_throttle_buckets;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_couple_current_stage::Migration),
            Box::new(m20261129_000003_client_sessions::Migration),
            Box::new(m20261129_000004_session_homework::Migration),
            Box::new(m20261129_000005_reminders::Migration),
            Box::new(m20261129_000010_session_idle::Migration),
            Box::new(m20261129_000011_audit_append_only::Migration),
            Box::new(m20261129_000020_totp::Migration),
            Box::new(m20261129_000040_scale_indexes::Migration),
            Box::new(m20261129_000050_data_key_state::Migration),
            Box::new(m20261129_000060_open_homework::Migration),
            Box::new(m20261129_000070_session_counselor::Migration),
            Box::new(m20261207_000080_throttle_buckets::Migration),
        ]
    }
}
