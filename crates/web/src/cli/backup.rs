//! `kintsugi backup PATH` and `kintsugi restore PATH`.
//!
//! - SQLite: `VACUUM INTO` copies the database inside one read transaction, so the copy is
//!   consistent while the server goes on writing (WAL mode lets both run at once). The copy is
//!   made under a temporary name, checked (`PRAGMA integrity_check`), then renamed into place.
//! - PostgreSQL: `pg_dump --format=custom` (a consistent snapshot) and `pg_restore`, when the
//!   PostgreSQL client tools are installed.
//!
//! Both show their progress on standard error ([`super::progress`]): the copy's size as it
//! grows, or, for the PostgreSQL tools, that they still run.
//!
//! A backup holds the clinical text as it is stored: encrypted. It is useless without the data
//! key, which is never part of it: keep a copy of the key apart from the backups.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use super::progress::Progress;
use crate::config::Config;

/// How often a running copy is looked at for its progress.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist yet.
    path: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `kintsugi backup`.
    path: PathBuf,
    /// Replace a database that already holds records (stop the servers first).
    #[arg(long)]
    force: bool,
}

fn is_sqlite(config: &Config) -> bool {
    config.database_url.starts_with("sqlite:")
}

fn sqlite_file(config: &Config) -> anyhow::Result<PathBuf> {
    kintsugi_core::db::sqlite_path(&config.database_url)
        .ok_or_else(|| anyhow!("KINTSUGI_DATABASE_URL names no SQLite file to back up or restore"))
}

fn partial(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

pub async fn backup(config: Config, args: BackupArgs) -> anyhow::Result<()> {
    if args.path.exists() {
        bail!(
            "{} exists already; a backup never replaces a file, choose a new name",
            args.path.display()
        );
    }
    let tmp = partial(&args.path);
    let _ = std::fs::remove_file(&tmp);
    if is_sqlite(&config) {
        let file = sqlite_file(&config)?;
        if !file.exists() {
            bail!("there is no database at {} to back up", file.display());
        }
        let db = kintsugi_core::db::connect(&config.database_url)
            .await
            .context("cannot open the database (KINTSUGI_DATABASE_URL)")?;
        let progress = Progress::bytes("backup", sqlite_size(&db).await);
        let copy = db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "VACUUM INTO ?",
            [tmp.to_string_lossy().into_owned().into()],
        ));
        // The copy grows in its file while the statement runs: its size is the progress.
        let result = watch(copy, || progress.set(file_size(&tmp))).await;
        db.close().await?;
        if result.is_ok() {
            progress.finish();
        }
        result.with_context(|| format!("the backup to {} failed", args.path.display()))?;
        let check = integrity(&tmp).await;
        if let Err(e) = check {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    } else {
        tool_available("pg_dump").await?;
        let progress = Progress::bytes("backup", 0);
        let dump = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
            .arg(&tmp)
            .arg("--dbname")
            .arg(&config.database_url)
            .stdin(Stdio::null())
            .output();
        let out = watch(dump, || progress.set(file_size(&tmp))).await?;
        if out.status.success() {
            progress.finish();
        }
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp);
            bail!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &args.path)?;
    let size = std::fs::metadata(&args.path)?.len();
    println!(
        "Backup written to {} ({size} bytes). The clinical text in it is encrypted: keep the data key apart from it.",
        args.path.display()
    );
    Ok(())
}

/// Await `work`, calling `poll` every [`POLL`] until it is done.
async fn watch<T>(work: impl Future<Output = T>, poll: impl Fn()) -> T {
    tokio::pin!(work);
    let mut every = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = every.tick() => poll(),
        }
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The live database's size in bytes (pages in use times page size); 0 if SQLite will not say.
async fn sqlite_size(db: &DatabaseConnection) -> u64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()",
        ))
        .await;
    match row {
        Ok(Some(row)) => row
            .try_get::<i64>("", "n")
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or_default(),
        _ => 0,
    }
}

/// Copy `from` to `to` in chunks, showing the bytes copied.
fn copy_with_progress(from: &Path, to: &Path, label: &str) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let mut input = std::fs::File::open(from)?;
    let meta = input.metadata()?;
    let progress = Progress::bytes(label, meta.len());
    let mut output = std::fs::File::create(to)?;
    // As `fs::copy` would: the copy is no more readable than the backup was.
    output.set_permissions(meta.permissions())?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        output.write_all(&buf[..n])?;
        progress.inc(n as u64);
    }
    output.sync_all()?;
    progress.finish();
    Ok(())
}

/// `PRAGMA integrity_check` of a SQLite file, opened read-only.
async fn integrity(path: &Path) -> anyhow::Result<()> {
    let db = open_read_only(path).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await;
    db.close().await.ok();
    let lines: Vec<String> = rows?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if lines != ["ok"] {
        bail!(
            "{} fails SQLite's integrity check: {}",
            path.display(),
            lines.join("; ")
        );
    }
    Ok(())
}

async fn open_read_only(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    Database::connect(url.as_str())
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))
}

/// Counselors and couples in a database; zero when it has no tables yet.
async fn records(db: &impl ConnectionTrait) -> u64 {
    let mut n = 0;
    for table in ["counselor", "couple"] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await;
        if let Ok(Some(row)) = row {
            n += row
                .try_get::<i64>("", "n")
                .ok()
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or_default();
        }
    }
    n
}

fn refuse_non_empty(n: u64, force: bool) -> anyhow::Result<()> {
    if n > 0 && !force {
        bail!(
            "the database of KINTSUGI_DATABASE_URL already holds records ({n} counselors and couples); \
             restoring replaces them: stop Kintsugi and add --force to go ahead"
        );
    }
    Ok(())
}

pub async fn restore(config: Config, args: RestoreArgs) -> anyhow::Result<()> {
    if !args.path.is_file() {
        bail!("there is no backup file at {}", args.path.display());
    }
    if is_sqlite(&config) {
        restore_sqlite(&config, &args).await?;
    } else {
        restore_postgres(&config, &args).await?;
    }
    println!(
        "Restored {} into the database of KINTSUGI_DATABASE_URL. Start Kintsugi with the data key the backup was made with.",
        args.path.display()
    );
    Ok(())
}

async fn restore_sqlite(config: &Config, args: &RestoreArgs) -> anyhow::Result<()> {
    integrity(&args.path).await?;
    let backup = open_read_only(&args.path).await?;
    let is_kintsugi = backup
        .query_one_raw(Statement::from_string(
            backup.get_database_backend(),
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        ))
        .await?
        .is_some();
    backup.close().await.ok();
    if !is_kintsugi {
        bail!("{} is not a Kintsugi backup", args.path.display());
    }
    let target = sqlite_file(config)?;
    if target.exists() {
        let db = open_read_only(&target).await?;
        let n = records(&db).await;
        db.close().await.ok();
        refuse_non_empty(n, args.force)?;
    } else if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Copied beside the target, then renamed over it: the target is either the old database
    // or the whole backup, never half of one. The old write-ahead log must go first, or SQLite
    // would replay it onto the restored file.
    let tmp = partial(&target);
    copy_with_progress(&args.path, &tmp, "restore")?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    std::fs::rename(&tmp, &target)?;
    Ok(())
}

async fn restore_postgres(config: &Config, args: &RestoreArgs) -> anyhow::Result<()> {
    tool_available("pg_restore").await?;
    let db = kintsugi_core::db::connect(&config.database_url)
        .await
        .context("cannot open the database (KINTSUGI_DATABASE_URL)")?;
    let n = records(&db).await;
    db.close().await.ok();
    refuse_non_empty(n, args.force)?;
    let mut cmd = tokio::process::Command::new("pg_restore");
    cmd.args([
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]);
    if args.force {
        cmd.args(["--clean", "--if-exists"]);
    }
    let progress = Progress::spinner("restore");
    let restore = cmd
        .arg("--dbname")
        .arg(&config.database_url)
        .arg(&args.path)
        .stdin(Stdio::null())
        .output();
    let out = watch(restore, || progress.tick()).await?;
    if out.status.success() {
        progress.finish();
    } else {
        bail!(
            "pg_restore failed (nothing was changed): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A clear line when a PostgreSQL client tool is missing.
async fn tool_available(tool: &str) -> anyhow::Result<()> {
    match tokio::process::Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
    {
        Ok(out) if out.status.success() => Ok(()),
        _ => bail!(
            "{tool} was not found: install the PostgreSQL client tools of the server's version \
             (Debian: apt-get install postgresql-client) to back up or restore PostgreSQL"
        ),
    }
}
