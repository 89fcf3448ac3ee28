//! `kintsugi serve`: migrate, then serve until Ctrl-C or SIGTERM.

use std::sync::Arc;

use clap::Args;
use kintsugi_core::SystemClock;
use sea_orm::DatabaseConnection;

use super::connect_and_migrate;
use crate::app::{AppState, Server, shutdown_signal};
use crate::config::Config;

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Load the demo practice first if the database has none (for trying Kintsugi out).
    #[arg(long)]
    demo: bool,
    /// Do not run the email worker in this process (when `kintsugi worker` runs elsewhere).
    #[arg(long)]
    no_worker: bool,
}

pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let db = connect_and_migrate(&config).await?;
    let statistics = sqlite_statistics(&db).await;
    let clock = Arc::new(SystemClock);
    if args.demo {
        super::demo::load_and_print(&db, &config).await?;
    }
    let (stop_worker, stopped) = tokio::sync::watch::channel(false);
    let worker = if args.no_worker {
        None
    } else {
        let worker = super::worker::build(&db, clock.clone(), &config)?;
        Some(tokio::spawn(worker.run(stopped)))
    };
    let bind = config.bind;
    let base_url = config.base_url.clone();
    let state = AppState::new(db.clone(), clock, config);
    let server = Server::bind(bind, state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind} (KINTSUGI_BIND): {e}"))?;
    let addr = server.local_addr()?;
    tracing::info!(%addr, "kintsugi is listening");
    println!("Kintsugi is running at {base_url} (listening on {addr}). Press Ctrl-C to stop.");
    server.run(shutdown_signal()).await?;
    let _ = stop_worker.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    if let Some(task) = statistics {
        task.abort();
    }
    db.close().await?;

    println!("Kintsugi stopped.");
    Ok(())
}

/// On SQLite, fresh planner statistics now and every hour (tens of milliseconds each): the
/// planner has no other source, and without them it picks slow plans on a large practice.
async fn sqlite_statistics(db: &DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    let refresh = |db: DatabaseConnection| async move {
        if let Err(e) = kintsugi_core::db::refresh_planner_statistics(&db).await {
            tracing::warn!(error = %e, "refreshing the query planner's statistics failed");
        }
    };
    refresh(db.clone()).await;
    let db = db.clone();
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(kintsugi_core::db::STATISTICS_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            refresh(db.clone()).await;
        }
    }))
}
