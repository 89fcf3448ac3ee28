//! The command line: `serve` (the default), `migrate`, `create-counselor`, `api-token`, `demo`.
//! Each command is a thin wrapper over the same core functions the pages use.

mod accounts;
mod demo;
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
    /// Load the demo practice: an admin, two counselors and couples at every stage.
    Demo,
    /// Run the mail worker alone (for deployments with several web instances).
    Worker,
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
        Command::Demo => demo::run(config).await,
        Command::Worker => worker::run(config).await,
    }
}

/// Connect to the configured database and bring its schema up to date.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = kintsugi_core::db::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database (KINTSUGI_DATABASE_URL): {e}"))?;
    Migrator::up(&db, None)
        .await
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    kintsugi_core::homework::library::install_builtins(&db)
        .await
        .map_err(|e| anyhow::anyhow!("installing the built-in exercises failed: {e}"))?;
    Ok(db)
}
