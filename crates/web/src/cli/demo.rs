//! `kintsugi demo`: load the demo practice, or with `--scale N` generate a large one.

use std::time::Instant;

use kintsugi_core::SystemClock;
use kintsugi_core::demo::scale::{self, PracticePlan, SCALE_PASSWORD};
use kintsugi_core::demo::{self, DEMO_PASSWORD};
use kintsugi_core::practice::Role;
use sea_orm::DatabaseConnection;

use super::connect_and_migrate;
use super::progress::Progress;
use crate::config::Config;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Instead of the small demo, generate a large practice of N counselors (the first an
    /// admin), each with a year of history for every couple: for load and scale tests.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    scale: Option<u32>,
    /// Couples per counselor with --scale.
    #[arg(long, value_name = "COUPLES", default_value_t = scale::DEFAULT_COUPLES as u32,
          value_parser = clap::value_parser!(u32).range(1..=100_000), requires = "scale")]
    couples: u32,
    /// Seed of the generated content with --scale: the same seed gives the same practice.
    #[arg(long, default_value_t = 2026, requires = "scale")]
    seed: u64,
}

pub async fn run(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let db = connect_and_migrate(&config).await?;
    match args.scale {
        Some(counselors) => generate(&db, &config, &args, counselors as usize).await?,
        None => load_and_print(&db, &config).await?,
    }
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
        println!("    {email:<42} {name} ({})", role_label(*role));
    }
    println!();
    Ok(())
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "practice admin",
        Role::Counselor => "counselor",
    }
}

async fn generate(
    db: &DatabaseConnection,
    config: &Config,
    args: &DemoArgs,
    counselors: usize,
) -> anyhow::Result<()> {
    let plan = PracticePlan {
        counselors,
        couples_per_counselor: args.couples as usize,
        seed: args.seed,
    };
    let couples = (plan.counselors * plan.couples_per_counselor) as u64;
    println!(
        "Generating a practice of {} counselors with {} couples each ({couples} couples).",
        plan.counselors, plan.couples_per_counselor
    );
    let started = Instant::now();
    let progress = Progress::new("couples", couples);
    let summary = scale::generate(db, &SystemClock, &plan, &|n| progress.inc(n)).await?;
    if summary.already_loaded {
        println!(
            "A generated practice is already in this database ({} exists); use a fresh database for another.",
            scale::counselor_email(1)
        );
    } else {
        progress.finish();
        let secs = started.elapsed().as_secs_f64();
        let rows = summary.rows.total();
        println!(
            "Wrote {rows} rows in {secs:.1} s ({:.0} rows a second):",
            rows as f64 / secs.max(0.001)
        );
        for (table, n) in summary.rows.tables() {
            println!("    {table:<20} {n:>10}");
        }
    }
    println!();
    println!(
        "  Open {} and sign in as any of these (password: {SCALE_PASSWORD}):",
        config.base_url
    );
    // The first few by name; the rest follow the same pattern.
    const SHOWN: usize = 5;
    for (name, email, role) in summary.accounts.iter().take(SHOWN) {
        println!("    {email:<42} {name} ({})", role_label(*role));
    }
    if summary.accounts.len() > SHOWN {
        println!(
            "    ... through {} ({} counselors in all)",
            scale::counselor_email(summary.accounts.len()),
            summary.accounts.len()
        );
    }
    println!();
    Ok(())
}
