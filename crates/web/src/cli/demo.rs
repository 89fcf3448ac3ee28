//! `kintsugi demo`: load the demo practice.

use kintsugi_core::SystemClock;
use kintsugi_core::demo::{self, DEMO_PASSWORD};
use sea_orm::DatabaseConnection;

use super::connect_and_migrate;
use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = connect_and_migrate(&config).await?;
    load_and_print(&db, &config).await?;
    db.close().await?;
    Ok(())
}

pub async fn load_and_print(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    let summary = demo::load(db, &SystemClock).await?;
    if summary.already_loaded {
        println!("The demo practice is already loaded.");
    } else {
        println!("Loaded the demo practice: {} couples.", summary.couples);
    }
    println!();
    println!(
        "  Open {} and sign in as any of these (password: {DEMO_PASSWORD}):",
        config.base_url
    );
    for (name, email, role) in &summary.accounts {
        let role = match role {
            kintsugi_core::practice::Role::Admin => "practice admin",
            kintsugi_core::practice::Role::Counselor => "counselor",
        };
        println!("    {email:<42} {name} ({role})");
    }
    println!();
    Ok(())
}
