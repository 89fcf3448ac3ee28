//! Connecting to SQLite or PostgreSQL, migrating, and write transactions that behave the same
//! on both.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait,
};
use sea_orm::{SqliteTransactionMode, TransactionOptions};

/// Open a pool of the default size. SQLite files are created on first use, in WAL mode with a
/// busy timeout and foreign keys on; the parent folder is created too.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_pool(url, None).await
}

/// [`connect`] with at most `max` connections (SQLite 8 and PostgreSQL 16 when `None`).
pub async fn connect_pool(url: &str, max: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5));
    if url.starts_with("sqlite:") {
        let parent = sqlite_path(url).and_then(|p| p.parent().map(|p| p.to_path_buf()));
        if let Some(parent) = parent.filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(&parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
        }
        opts.max_connections(max.unwrap_or(8)).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(max.unwrap_or(16)).min_connections(1);
    }
    Database::connect(opts).await
}

/// Rows SQLite's `ANALYZE` samples per index: enough to tell a status column (a few values
/// over millions of rows) from a foreign key, in tens of milliseconds at any size.
const SQLITE_ANALYSIS_LIMIT: u32 = 20_000;

/// Refresh the query planner's statistics. Without them SQLite guesses that `status = ?` is
/// selective and reads every submitted answer of the practice to count one counselor's (a
/// second on 10,000 couples, instead of a millisecond through the counselor's couples).
/// PostgreSQL keeps its own through autovacuum; this is for right after a bulk load.
pub async fn refresh_planner_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait as _;
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            format!("PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}; ANALYZE;")
        }
        _ => "ANALYZE".to_owned(),
    };
    db.execute_unprepared(&sql).await.map(drop)
}

/// How often a running server refreshes SQLite's statistics, so plans follow a practice that
/// grows from nothing.
pub const STATISTICS_EVERY: Duration = Duration::from_secs(60 * 60);

/// Log every statement slower than `threshold` at warn level, with its SQL and time: what an
/// operator needs to find a missing index. Only the SQL text is logged, never the bound
/// values, which may hold clinical text or secrets.
pub fn log_slow_queries(db: &mut DatabaseConnection, threshold: Duration) {
    db.set_metric_callback(move |info| {
        if info.elapsed >= threshold {
            tracing::warn!(
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                sql = %info.statement.sql,
                "slow query"
            );
        }
    });
}

/// The file behind a `sqlite://path?…` URL, if it names one.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// Start a transaction that may read and then write. On SQLite it takes the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`): a deferred transaction that upgrades later fails at once with
/// "database is locked", whatever the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Key of the PostgreSQL advisory lock held while an instance prepares the database.
const STARTUP_LOCK: i64 = 0x6b69_6e74_7375_6769; // "kintsugi"

/// Run `work` (migrations, built-in data, the data key check) while holding a PostgreSQL
/// advisory lock, so that instances started together prepare the database one after another
/// and the later ones find nothing left to do, instead of racing on `CREATE TABLE`. The lock
/// lives on one connection taken from the pool and ends with it, even if the process dies.
/// SQLite is one process's database here and needs no lock.
pub async fn one_instance_at_a_time<T, E>(
    db: &DatabaseConnection,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E>
where
    E: From<DbErr>,
{
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return work.await;
    }
    let failed = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("start-up lock: {e}"));
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(STARTUP_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(failed)?;
    let outcome = work.await;
    sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(STARTUP_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(failed)?;
    outcome
}

pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// The values of a hand-written statement, each placeholder spelled as the backend wants it
/// (`?` on SQLite, numbered by position; `$n` on PostgreSQL). Bind in the order the
/// placeholders appear in the text.
pub struct Params {
    backend: sea_orm::DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Params {
    pub fn new(backend: sea_orm::DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// The placeholder of one more value.
    pub fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            sea_orm::DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// Placeholders for a list, comma-separated (for `IN (...)`).
    pub fn list<V: Into<sea_orm::Value>>(&mut self, values: impl IntoIterator<Item = V>) -> String {
        values
            .into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn statement(self, sql: impl Into<String>) -> sea_orm::Statement {
        sea_orm::Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_path("sqlite://data/k.db?mode=rwc"),
            Some("data/k.db".into())
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
