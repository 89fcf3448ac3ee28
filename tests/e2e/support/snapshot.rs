//! The whole database as text, table by table, to show that a request changed nothing.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, Statement};

use super::{Backend, TestApp};

// ---------------------------------------------------------------------------------------------
// Database snapshots.

/// Tables whose rows legitimately change on reads: the audit log (every read of a clinical
/// record is recorded) and the session and token tables (last-seen times). Only their row
/// counts are compared, except the audit log, which is left out.
pub const TOUCHED_ON_READ: &[&str] = &[
    "browser_session",
    "client_session",
    "api_token",
    "homework_link",
];

/// Every row of every table, as text, per table (sorted), read from the database's catalogue
/// so that a new table is covered too.
pub async fn snapshot(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let db = &app.db;
    let backend = db.get_database_backend();
    let list = match app.backend {
        Backend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String>("", "t").expect("name"))
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        let select = match app.backend {
            Backend::Sqlite => {
                let cols: Vec<String> = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name AS c FROM pragma_table_info('{t}')"),
                    ))
                    .await
                    .expect("columns")
                    .iter()
                    .map(|r| {
                        format!(
                            "quote(\"{}\")",
                            r.try_get::<String>("", "c").expect("column")
                        )
                    })
                    .collect();
                format!("SELECT {} AS r FROM \"{t}\"", cols.join(" || '|' || "))
            }
            Backend::Postgres => format!("SELECT x::text AS r FROM \"{t}\" x"),
        };
        let mut rows: Vec<String> = db
            .query_all_raw(Statement::from_string(backend, select))
            .await
            .expect("rows")
            .iter()
            .map(|r| r.try_get::<String>("", "r").expect("row"))
            .collect();
        rows.sort();
        out.insert(t, rows);
    }
    assert!(out.len() > 10, "tables: {:?}", out.keys());
    out
}

/// The snapshot with reads' legitimate traces taken out.
pub fn without_read_traces(mut s: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    s.remove("audit_event");
    // Keys are generated on first use (the reminder opt-out links' signing key): a one-time
    // initialisation of the server, not a change to anyone's records.
    s.remove("signing_key");
    // Refused links and sign-in tries are counted there on PostgreSQL (the shared throttle):
    // a trace of who tried, never a record.
    s.remove("throttle_bucket");
    for t in TOUCHED_ON_READ {
        if let Some(rows) = s.get_mut(*t) {
            let n = rows.len();
            *rows = vec![format!("{n} rows")];
        }
    }
    s
}

pub fn assert_same(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
    what: &str,
) {
    for (t, rows) in before {
        let other = after.get(t).cloned().unwrap_or_default();
        if *rows != other {
            let gone: Vec<&String> = rows.iter().filter(|r| !other.contains(r)).collect();
            let new: Vec<&String> = other.iter().filter(|r| !rows.contains(r)).collect();
            panic!("{what} changed table {t}:\n  before: {gone:?}\n  after: {new:?}");
        }
    }
    assert_eq!(before.len(), after.len(), "{what}: tables");
}
