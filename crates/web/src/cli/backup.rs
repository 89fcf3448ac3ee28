//! `kintsugi backup PATH` and `kintsugi restore PATH`.
//!
//! - SQLite: `VACUUM INTO` copies the database inside one read transaction, so the copy is
//!   consistent while the server goes on writing (WAL mode lets both run at once). The copy is
//!   made under a temporary name, checked (`PRAGMA integrity_check`), then renamed into place.
//! - PostgreSQL: `pg_dump --format=custom` (a consistent snapshot) and `pg_restore`, when the
//!   PostgreSQL client tools are installed.
//!
//! A backup holds the clinical text as it is stored: encrypted. It is useless without the data
//! key, which is never part of it: keep a copy of the key apart from the backups.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::config::Config;

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
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "VACUUM INTO ?",
                [tmp.to_string_lossy().into_owned().into()],
            ))
            .await;
        db.close().await?;
        result.with_context(|| format!("the backup to {} failed", args.path.display()))?;
        let check = integrity(&tmp).await;
        if let Err(e) = check {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    } else {
        tool_available("pg_dump").await?;
        let out = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
            .arg(&tmp)
            .arg("--dbname")
            .arg(&config.database_url)
            .stdin(Stdio::null())
            .output()
            .await?;
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
    std::fs::copy(&args.path, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
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
    let out = cmd
        .arg("--dbname")
        .arg(&config.database_url)
        .arg(&args.path)
        .stdin(Stdio::null())
        .output()
        .await?;
    if !out.status.success() {
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
