//! The data key at start-up: where it comes from, a first key made on first run, the check
//! that it opens what the database holds, and the sealing of plain text left from before
//! encryption. Every command that opens the database for the application goes through
//! [`prepare`] before it touches clinical text.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use kintsugi_core::crypto::reseal::{self, Progress};
use kintsugi_core::crypto::{self, DataKey, KeyId, Keyring, checked};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret as _;

use crate::config::{Config, ConfigError};

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `KINTSUGI_DATA_KEY`.
    Environment,
    /// The key file (`KINTSUGI_DATA_KEY_FILE` or its default).
    File(PathBuf),
}

impl KeySource {
    /// The variable to name when this key is wrong.
    pub fn var(&self) -> &'static str {
        match self {
            KeySource::Environment => "KINTSUGI_DATA_KEY",
            KeySource::File(_) => "KINTSUGI_DATA_KEY_FILE",
        }
    }
}

fn problem(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

/// The configured key, if there is one: `KINTSUGI_DATA_KEY`, else the key file if it exists.
pub fn configured(config: &Config) -> Result<Option<(DataKey, KeySource)>, ConfigError> {
    if let Some(text) = &config.data_key {
        let key = DataKey::from_base64(text.expose_secret())
            .map_err(|e| problem("KINTSUGI_DATA_KEY", e.to_string()))?;
        return Ok(Some((key, KeySource::Environment)));
    }
    let path = &config.data_key_file;
    match read_key_file(path, "KINTSUGI_DATA_KEY_FILE")? {
        Some(key) => Ok(Some((key, KeySource::File(path.clone())))),
        None => Ok(None),
    }
}

/// The key in a file, `None` when there is no such file.
pub fn read_key_file(path: &Path, var: &'static str) -> Result<Option<DataKey>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(problem(
                var,
                format!("names {} which cannot be read: {e}", path.display()),
            ));
        }
    };
    warn_if_readable_by_others(path);
    DataKey::from_base64(&text)
        .map(Some)
        .map_err(|e| problem(var, format!("names {} which {e}", path.display())))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "the data key file can be read by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Write a new key file readable by its owner only (0600). Refuses to replace a file.
pub fn create_key_file(path: &Path, key: &DataKey) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.to_base64())?;
    file.sync_all()
}

/// Replace a key file in one step (a new 0600 file renamed over the old one).
pub fn replace_key_file(path: &Path, key: &DataKey) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    create_key_file(&tmp, key)?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The new key of a rotation that `rotate-key` made itself, until the rotation is finished:
/// `<key file>.next`.
pub fn pending_key_file(config: &Config) -> PathBuf {
    let mut path = config.data_key_file.as_os_str().to_owned();
    path.push(".next");
    PathBuf::from(path)
}

fn list(ids: &[KeyId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Find or make the key, check it against the data, install it for this process and seal any
/// plain text from before encryption. Problems come back as one [`ConfigError`] line.
pub async fn prepare(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Keyring> {
    // The usual start: the last full check found everything under the configured key.
    if let Some(recorded) = checked::recorded(db).await?
        && let Some((key, _)) = configured(config)?
        && key.id() == recorded
    {
        let keyring = Keyring::new(key);
        crypto::install(keyring.clone())?;
        return Ok(keyring);
    }
    // Otherwise read every sealed column: it finds plain text to seal, and explains a key that
    // does not match the data.
    let usage = reseal::key_use(db).await?;
    let pending = pending_key_file(config);
    let unfinished = || {
        if pending.exists() {
            format!(
                "; a key rotation is unfinished ({} exists): run `kintsugi rotate-key` again to finish it",
                pending.display()
            )
        } else {
            String::new()
        }
    };
    let (key, source) = match configured(config)? {
        Some(found) => found,
        None if !usage.sealed_with.is_empty() => {
            let ids: Vec<KeyId> = usage.sealed_with.iter().copied().collect();
            return Err(problem(
                "KINTSUGI_DATA_KEY",
                format!(
                    "is not set and there is no key file at {}, but the database holds clinical text encrypted with data key {}; set the key that encrypted it",
                    config.data_key_file.display(),
                    list(&ids)
                ),
            )
            .into());
        }
        None => {
            let key = DataKey::generate();
            create_key_file(&config.data_key_file, &key).map_err(|e| {
                problem(
                    "KINTSUGI_DATA_KEY_FILE",
                    format!(
                        "cannot be created at {}: {e}",
                        config.data_key_file.display()
                    ),
                )
            })?;
            tracing::warn!(
                file = %config.data_key_file.display(),
                key_id = %key.id(),
                "made a new data key; keep a copy apart from the database backups: without it the clinical text cannot be read"
            );
            let path = config.data_key_file.clone();
            (key, KeySource::File(path))
        }
    };
    let unknown: Vec<KeyId> = usage
        .sealed_with
        .iter()
        .copied()
        .filter(|id| *id != key.id())
        .collect();
    if !unknown.is_empty() {
        return Err(problem(
            source.var(),
            format!(
                "holds data key {}, but the stored clinical text was encrypted with data key {}{}",
                key.id(),
                list(&unknown),
                unfinished()
            ),
        )
        .into());
    }
    let keyring = Keyring::new(key);
    crypto::install(keyring.clone())?;
    if usage.has_plain_text {
        let summary = reseal::reseal_all(db, &keyring, progress_printer()).await?;
        tracing::info!(
            sealed = summary.changed,
            "encrypted the clinical text written before encryption at rest"
        );
    }
    checked::record(db, keyring.primary_id(), chrono::Utc::now()).await?;
    Ok(keyring)
}

/// Shows each column's progress on standard error (see [`super::progress`]): a bar on a
/// terminal, plain lines otherwise (logs, pipes).
pub fn progress_printer() -> impl FnMut(Progress) {
    let mut current: Option<(crypto::Field, super::progress::Progress)> = None;
    move |p: Progress| {
        if current.as_ref().map(|(field, _)| *field) != Some(p.field) {
            if let Some((_, done)) = current.take() {
                done.finish();
            }
            let column = format!("{}.{}", p.field.table(), p.field.column());
            current = Some((p.field, super::progress::Progress::new(column, p.total)));
        }
        if let Some((_, bar)) = &current {
            bar.set(p.seen);
            if p.seen >= p.total {
                bar.finish();
            }
        }
    }
}
