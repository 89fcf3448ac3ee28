//! The command line: `serve` (the default), `migrate`, `create-counselor`, `api-token`, `demo`,
//! `worker`, `backup`, `restore`, `rotate-key`. Each command is a thin wrapper over the same
//! core functions the pages use.

mod accounts;
mod backup;
mod demo;
pub mod keys;
pub mod progress;
mod rotate;
mod serve;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kintsugi_migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "kintsugi",
    version,
    about = "Session management for counselors helping couples rebuild trust after an affair."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations, then serve the web application (the default).
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Create a counselor account. The password is read from a prompt, or from standard input
    /// with --password-stdin.
    CreateCounselor(accounts::CreateCounselorArgs),
    /// Print a new API token for a counselor (shown once; only its hash is stored).
    ApiToken(accounts::ApiTokenArgs),
    /// Load the demo practice: an admin, two counselors and couples at every stage. With
    /// --scale N, generate a large practice instead (N counselors, --couples each).
    Demo(demo::DemoArgs),
    /// Run the mail worker alone (for deployments with several web instances).
    Worker,
    /// Write a consistent copy of the database to PATH, also while Kintsugi runs (SQLite:
    /// online backup; PostgreSQL: pg_dump). Clinical text stays encrypted in it.
    Backup(backup::BackupArgs),
    /// Restore a backup into the configured database (refuses to replace records without
    /// --force). Stop Kintsugi first.
    Restore(backup::RestoreArgs),
    /// Encrypt all clinical text again with a new data key. Stop Kintsugi first; safe to run
    /// again after an interruption.
    RotateKey(rotate::RotateKeyArgs),
}

/// Run the command line; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        // A key that is missing or does not fit the data is configuration, found only once the
        // database is open: the same one line and exit code as any other bad setting.
        Err(e) if e.downcast_ref::<crate::config::ConfigError>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli
        .command
        .unwrap_or(Command::Serve(serve::ServeArgs::default()))
    {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Migrate => {
            let db = connect_and_migrate(&config).await?;
            db.close().await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::CreateCounselor(args) => accounts::create_counselor(config, args).await,
        Command::ApiToken(args) => accounts::api_token(config, args).await,
        Command::Demo(args) => demo::run(config, args).await,
        Command::Worker => worker::run(config).await,
        Command::Backup(args) => backup::backup(config, args).await,
        Command::Restore(args) => backup::restore(config, args).await,
        Command::RotateKey(args) => rotate::run(config, args).await,
    }
}

/// Connect to the configured database, bring its schema up to date, and load the data key
/// (checked against the data, installed for this process: see [`keys::prepare`]).
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config).await?;
    kintsugi_core::db::one_instance_at_a_time(&db, async {
        migrate(&db).await?;
        keys::prepare(config, &db).await.map(drop)
    })
    .await?;
    Ok(db)
}

/// [`connect_and_migrate`] without the data key (for `rotate-key`, which brings its own).
pub async fn connect_and_migrate_only(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config).await?;
    kintsugi_core::db::one_instance_at_a_time(&db, migrate(&db)).await?;
    Ok(db)
}

async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let mut db = kintsugi_core::db::connect_pool(&config.database_url, config.database_pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database (KINTSUGI_DATABASE_URL): {e}"))?;
    if let Some(threshold) = config.slow_query {
        kintsugi_core::db::log_slow_queries(&mut db, threshold);
    }
    Ok(db)
}

/// The schema and the built-in exercise library, brought up to date.
async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    kintsugi_core::homework::library::install_builtins(db)
        .await
        .map_err(|e| anyhow::anyhow!("installing the built-in exercises failed: {e}"))?;
    Ok(())
}
