//! `throttle_bucket`: the sign-in, code and link-guessing limits counted in the database, so
//! that several web instances on one PostgreSQL share them (an attacker spreading tries over
//! three instances would otherwise get three times the tries). One row per key: the key names
//! the limit and a SHA-256 of whom it counts (an account's email, a counselor, an address; never
//! a secret), `tat` is the GCRA's theoretical arrival time in microseconds since the Unix epoch
//! by the database's clock, `refused` says the last try was refused (a blocked account or
//! address is refused before its password or link is even checked). A row whose `tat` has
//! passed means the same as no row, so the sweep deletes those and the table stays small.
//!
//! SQLite gets the table too (the same migrations run everywhere) but leaves it empty: one
//! process serves a SQLite file and counts in its own memory.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // No index on `tat`: the sweep reads a table of recent tries only, and an index would
        // turn every try's update into a non-HOT one.
        m.create_table(
            Table::create()
                .table("throttle_bucket")
                .if_not_exists()
                .col(string_len("key", 64).primary_key())
                .col(big_integer("tat"))
                .col(boolean("refused").default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("throttle_bucket").to_owned())
            .await
    }
}
