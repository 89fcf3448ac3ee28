//! `kintsugi worker`: the mail worker alone, for deployments with several web instances.

use std::sync::Arc;

use kintsugi_core::SystemClock;
use kintsugi_core::clock::SharedClock;
use sea_orm::DatabaseConnection;

use super::connect_and_migrate;
use crate::app::shutdown_signal;
use crate::config::Config;
use crate::mail::{Transport, Worker};

/// The worker for this configuration (a bad SMTP URL or sender stops start-up).
pub fn build(
    db: &DatabaseConnection,
    clock: SharedClock,
    config: &Config,
) -> anyhow::Result<Worker> {
    let transport = Transport::from_config(config).map_err(anyhow::Error::msg)?;
    let from = config.mail_from.parse().map_err(|e| {
        anyhow::anyhow!("configuration error: KINTSUGI_MAIL_FROM is not a valid sender: {e}")
    })?;
    Ok(Worker::new(
        db.clone(),
        clock,
        Arc::new(transport),
        from,
        config.base_url.clone(),
    ))
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = connect_and_migrate(&config).await?;
    let worker = build(&db, Arc::new(SystemClock), &config)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(worker.run(stopped));
    println!("Kintsugi mail worker is running. Press Ctrl-C to stop.");
    shutdown_signal().await;
    let _ = stop.send(true);
    let _ = task.await;
    db.close().await?;
    Ok(())
}
