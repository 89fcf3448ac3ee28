//! `kintsugi rotate-key`: encrypt every sealed value again with a new data key.
//!
//! Stop the servers and workers first: they seal with the key they started with. The walk is
//! batched in transactions and skips what is already under the new key, so an interrupted run
//! is finished by running the same command again. The new key comes from `--new-key-file` (read
//! if the file exists, made there otherwise), from `KINTSUGI_NEW_DATA_KEY`, or is made in
//! `<key file>.next` (when the key is kept in the key file), which stays until the key file
//! holds the new key.

use std::path::PathBuf;

use clap::Args;
use kintsugi_core::crypto::{DataKey, Keyring};
use kintsugi_core::crypto::{checked, reseal};
use secrecy::{ExposeSecret as _, SecretString};

use super::keys::{self, KeySource};
use crate::config::{Config, ConfigError};

#[derive(Debug, Default, Args)]
pub struct RotateKeyArgs {
    /// The new key's file: read when it exists, made there (mode 0600) when it does not.
    #[arg(long, value_name = "PATH")]
    new_key_file: Option<PathBuf>,
    /// The new key itself, base64 of 32 bytes (better given in the environment than on the
    /// command line, where other users may see it).
    #[arg(long, env = "KINTSUGI_NEW_DATA_KEY", hide_env_values = true, value_parser = secret)]
    new_key: Option<SecretString>,
}

fn secret(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text.to_owned()))
}

fn problem(var: &'static str, problem: impl Into<String>) -> anyhow::Error {
    ConfigError {
        var,
        problem: problem.into(),
    }
    .into()
}

/// Where the new key was found or made.
enum NewKey {
    Given,
    File(PathBuf),
    Pending(PathBuf),
}

pub async fn run(config: Config, args: RotateKeyArgs) -> anyhow::Result<()> {
    let db = super::connect_and_migrate_only(&config).await?;
    let Some((current, source)) = keys::configured(&config)? else {
        return Err(problem(
            "KINTSUGI_DATA_KEY",
            format!(
                "is not set and there is no key file at {}: there is no key to rotate from",
                config.data_key_file.display()
            ),
        ));
    };
    let pending = keys::pending_key_file(&config);
    let (new, from) = if let Some(text) = &args.new_key {
        let key = DataKey::from_base64(text.expose_secret())
            .map_err(|e| problem("KINTSUGI_NEW_DATA_KEY", e.to_string()))?;
        (key, NewKey::Given)
    } else {
        let (path, var, made) = match &args.new_key_file {
            Some(path) => (path.clone(), "--new-key-file", NewKey::File(path.clone())),
            None if source == KeySource::Environment => {
                return Err(problem(
                    "KINTSUGI_NEW_DATA_KEY",
                    "is needed (or --new-key-file) when the key comes from KINTSUGI_DATA_KEY",
                ));
            }
            None => (
                pending.clone(),
                "KINTSUGI_DATA_KEY_FILE",
                NewKey::Pending(pending.clone()),
            ),
        };
        let key = match keys::read_key_file(&path, var)? {
            Some(key) => key,
            None => {
                let key = DataKey::generate();
                keys::create_key_file(&path, &key).map_err(|e| {
                    problem(var, format!("cannot be written at {}: {e}", path.display()))
                })?;
                println!("Made a new data key {} in {}.", key.id(), path.display());
                key
            }
        };
        (key, made)
    };

    if new.id() == current.id() {
        // A rotation into this key already finished (the key file was replaced, then the run
        // stopped): only the pending file is left to tidy.
        if let (NewKey::Pending(path), KeySource::File(_)) = (&from, &source) {
            std::fs::remove_file(path)?;
            println!("The rotation to data key {} was already done.", new.id());
            return Ok(());
        }
        return Err(problem(
            source.var(),
            format!(
                "already holds data key {}: give a different new key",
                new.id()
            ),
        ));
    }

    let keyring = Keyring::new(new.clone()).with_older(current.clone());
    let usage = reseal::key_use(&db).await?;
    let unknown: Vec<String> = usage
        .sealed_with
        .iter()
        .filter(|id| !keyring.knows(**id))
        .map(ToString::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(problem(
            source.var(),
            format!(
                "holds data key {}, but some clinical text was encrypted with data key {}",
                current.id(),
                unknown.join(", ")
            ),
        ));
    }

    println!(
        "Encrypting the clinical text again: data key {} to {}.",
        current.id(),
        new.id()
    );
    // Until the walk is done the values are under two keys: the next start must check them all.
    checked::forget(&db).await?;
    let summary = reseal::reseal_all(&db, &keyring, keys::progress_printer()).await?;
    checked::record(&db, new.id(), chrono::Utc::now()).await?;
    db.close().await?;
    println!(
        "{} values checked, {} encrypted with data key {}.",
        summary.seen,
        summary.changed,
        new.id()
    );

    match &source {
        KeySource::File(path) => {
            keys::replace_key_file(path, &new)?;
            if let NewKey::Pending(p) = &from {
                std::fs::remove_file(p)?;
            }
            println!(
                "The key file {} now holds data key {}; the old key opens nothing any more.",
                path.display(),
                new.id()
            );
        }
        KeySource::Environment => {
            let where_ = match &from {
                NewKey::Given => "KINTSUGI_NEW_DATA_KEY".to_owned(),
                NewKey::File(p) | NewKey::Pending(p) => p.display().to_string(),
            };
            println!(
                "Set KINTSUGI_DATA_KEY to the new key (from {where_}) before starting Kintsugi again; the old key opens nothing any more."
            );
        }
    }
    Ok(())
}
