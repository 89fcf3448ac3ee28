//! `kintsugi create-counselor` and `kintsugi api-token`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Args;
use kintsugi_core::SystemClock;
use kintsugi_core::access::api_tokens;
use kintsugi_core::audit::Actor;
use kintsugi_core::domain::{DisplayName, EmailAddress, Password, TimeZone};
use kintsugi_core::practice::{Role, counselors};

use super::connect_and_migrate;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct CreateCounselorArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// Make this counselor a practice admin.
    #[arg(long)]
    admin: bool,
    /// IANA time zone name.
    #[arg(long, default_value = "UTC")]
    timezone: String,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    password_stdin: bool,
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password again: ")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

pub async fn create_counselor(config: Config, args: CreateCounselorArgs) -> anyhow::Result<()> {
    let name = DisplayName::parse(&args.name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let email = EmailAddress::parse(&args.email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let timezone =
        TimeZone::parse(&args.timezone).map_err(|e| anyhow::anyhow!("--timezone {e}"))?;
    let password = Password::parse(&read_password(args.password_stdin)?)
        .map_err(|e| anyhow::anyhow!("password {e}"))?;
    let role = if args.admin {
        Role::Admin
    } else {
        Role::Counselor
    };
    let db = connect_and_migrate(&config).await?;
    let created = counselors::create(
        &db,
        &SystemClock,
        &Actor::system(),
        counselors::NewCounselor {
            name,
            email,
            password,
            role,
            timezone,
        },
    )
    .await
    .map_err(|e| match e {
        kintsugi_core::CoreError::Invalid(errors) => {
            let text: Vec<String> = errors.iter().map(|(f, m)| format!("--{f} {m}")).collect();
            anyhow::anyhow!(text.join("; "))
        }
        other => other.into(),
    })?;
    println!(
        "Created {} <{}>{}.",
        created.name,
        created.email,
        if args.admin { " as practice admin" } else { "" }
    );
    db.close().await?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct ApiTokenArgs {
    #[arg(long)]
    email: String,
    /// A name to recognise the token by.
    #[arg(long, default_value = "command line")]
    name: String,
}

pub async fn api_token(config: Config, args: ApiTokenArgs) -> anyhow::Result<()> {
    let db = connect_and_migrate(&config).await?;
    let counselor = counselors::find_by_email(&db, &args.email)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| anyhow::anyhow!("no active counselor has the email {}", args.email))?;
    let token = api_tokens::create(
        &db,
        &SystemClock,
        &Actor::system(),
        counselor.id,
        &args.name,
    )
    .await?;
    println!("{token}");
    db.close().await?;
    Ok(())
}
