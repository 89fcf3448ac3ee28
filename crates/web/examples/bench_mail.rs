//! Mail benchmark (run by `scripts/bench-mail`, not a test): queue N due homework-link emails
//! in a fresh database, then drain them to an SMTP server with the real worker, the way
//! `kintsugi worker` does (one step after another while batches come back full), and print
//! messages per second.
//!
//! Arguments: `--smtp-url URL --maildir DIR [--count N] [--database-url URL] [--batch N]
//! [--concurrency N]` (the last two default to the worker's own settings). Without a
//! database URL a fresh SQLite file in a temporary folder is used; a PostgreSQL URL must name
//! an empty database (the script creates one).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kintsugi_core::SystemClock;
use kintsugi_core::clock::Clock;
use kintsugi_core::couples::{NewCouple, NewPartner};
use kintsugi_core::domain::{CoupleLabel, DisplayName, EmailAddress, Password, TimeZone};
use kintsugi_core::entities::practice;
use kintsugi_core::practice::{Role, counselors};
use kintsugi_core::reminders::outbox::{self, MessageKind, NewMessage};
use kintsugi_migrations::{Migrator, MigratorTrait};
use kintsugi_web::mail::{Transport, Worker};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let smtp_url = arg(&args, "--smtp-url").ok_or_else(|| anyhow::anyhow!("--smtp-url"))?;
    let maildir = std::path::PathBuf::from(
        arg(&args, "--maildir").ok_or_else(|| anyhow::anyhow!("--maildir"))?,
    );
    let count: usize = arg(&args, "--count")
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let database_url = arg(&args, "--database-url")
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let backend = if database_url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };

    let db = kintsugi_core::db::connect(&database_url).await?;
    Migrator::up(&db, None).await?;
    let clock = SystemClock;
    // Waking hours all day: the benchmark measures sending, not waiting for the morning.
    let p = kintsugi_core::practice::settings::ensure(&db, &clock).await?;
    practice::Entity::update_many()
        .col_expr(practice::Column::QuietHoursStart, Expr::value(0))
        .col_expr(practice::Column::QuietHoursEnd, Expr::value(0))
        .filter(practice::Column::Id.eq(p.id))
        .exec(&db)
        .await?;
    let counselor = counselors::create(
        &db,
        &clock,
        &kintsugi_core::audit::Actor::system(),
        counselors::NewCounselor {
            name: DisplayName::parse("Bench Counselor")?,
            email: EmailAddress::parse("bench@practice.example")?,
            password: Password::parse("a calm and long passphrase")?,
            role: Role::Counselor,
            timezone: TimeZone::parse("Europe/Berlin")?,
        },
    )
    .await?;
    let partner = |name: &str, email: &str| -> anyhow::Result<NewPartner> {
        Ok(NewPartner {
            name: DisplayName::parse(name)?,
            email: EmailAddress::parse(email)?,
            timezone: TimeZone::parse("Europe/Berlin")?,
        })
    };
    let couple = kintsugi_core::couples::store::create(
        &db,
        &clock,
        &kintsugi_core::audit::Actor::system(),
        counselor.id,
        NewCouple {
            label: CoupleLabel::parse("Bench Couple")?,
            open_agreement: false,
            intake_date: clock.now().date_naive(),
            disclosure_date: None,
            involved: partner("Alex", "alex@mail.example")?,
            hurt: partner("Sam", "sam@mail.example")?,
        },
    )
    .await?;

    let started = Instant::now();
    let now = clock.now();
    for i in 0..count {
        let (p, to) = if i % 2 == 0 {
            (couple.involved.id, "alex@mail.example")
        } else {
            (couple.hurt.id, "sam@mail.example")
        };
        outbox::enqueue(
            &db,
            now,
            NewMessage {
                kind: MessageKind::HomeworkLink,
                recipient: to.to_owned(),
                counselor_id: Some(counselor.id),
                partner_id: Some(p),
                couple_id: Some(couple.couple.id),
                payload: serde_json::json!({
                    "name": "Partner",
                    "link": format!("http://127.0.0.1:3000/h/{}", kintsugi_core::access::secrets::random_token(32)),
                }),
                scheduled_at: now,
                dedupe_key: format!("bench:{i}"),
            },
        )
        .await?;
    }
    let queued_in = started.elapsed();

    let mut config = kintsugi_web::Config::for_database(&database_url);
    config.smtp_url = Some(smtp_url.into());
    let mut worker = Worker::new(
        db.clone(),
        Arc::new(SystemClock),
        Arc::new(Transport::from_config(&config).map_err(anyhow::Error::msg)?),
        "Kintsugi <care@practice.example>".parse()?,
        "http://127.0.0.1:3000",
    );
    worker.digests = false;
    if let Some(n) = arg(&args, "--batch") {
        worker.batch = n.parse()?;
    }
    if let Some(n) = arg(&args, "--concurrency") {
        worker.concurrency = n.parse()?;
    }

    let started = Instant::now();
    let mut failed = 0;
    loop {
        let t = worker.run_once().await?;
        failed += t.retried + t.failed;
        if t.total() == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("not drained after 10 minutes");
        }
    }
    let drained_in = started.elapsed();
    let sent = kintsugi_core::entities::outbox_message::Entity::find()
        .filter(
            kintsugi_core::entities::outbox_message::Column::Status
                .eq(kintsugi_core::reminders::outbox::OutboxStatus::Sent),
        )
        .count(&db)
        .await?;
    let received = std::fs::read_dir(maildir.join("new"))?.count();
    let secs = drained_in.as_secs_f64();
    println!(
        "{backend}: queued {count} messages in {:.1} s; drained to SMTP in {secs:.1} s = {:.0} messages/s \
         (batch {}, {} at once; {sent} marked sent, {received} received, {failed} failed attempts)",
        queued_in.as_secs_f64(),
        count as f64 / secs,
        worker.batch,
        worker.concurrency,
    );
    if sent as usize != count || received != count {
        anyhow::bail!("expected {count} sent and received");
    }
    db.close().await?;
    Ok(())
}
