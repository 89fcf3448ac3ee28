//! Throttle buckets in the database (PostgreSQL), shared by every web instance on it: the same
//! GCRA as governor's, one row per key in `throttle_bucket`.
//!
//! A bucket holds its theoretical arrival time (`tat`): a try is allowed when
//! `tat - tolerance <= now`, and then moves `tat` to `max(tat, now) + interval`; a refused try
//! leaves `tat` alone and must wait until `tat - tolerance`. Each try is ONE
//! `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: PostgreSQL locks the row and evaluates the
//! update against its latest version, so tries arriving at the same moment on several instances
//! are counted one after the other and cannot slip past the limit together. Time is the
//! database's (`now()`), one clock for all instances, in microseconds since the Unix epoch.
//!
//! Keys name the limit and a SHA-256 of whom it counts ([`key`]): no email, address or secret
//! is stored in clear.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend};

use super::secrets::fingerprint;
use crate::CoreError;
use crate::db::Params;

/// The database's clock, in microseconds since the Unix epoch. `now()` is fixed for the
/// statement (its transaction), so every use in one statement reads the same instant.
const NOW_US: &str = "CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)";

/// A limit's shape, as governor's quota of `burst` tries per `window`: one try costs
/// `interval`, and the arrival time may run up to `burst - 1` intervals ahead of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    interval_us: i64,
    tolerance_us: i64,
}

impl Rate {
    /// `burst` tries per `window`, refilled one every `window / burst`.
    pub fn new(burst: u32, window: Duration) -> Self {
        let burst = burst.max(1);
        let interval_us = i64::try_from((window / burst).as_micros())
            .unwrap_or(i64::MAX)
            .max(1);
        Self {
            interval_us,
            tolerance_us: interval_us.saturating_mul(i64::from(burst - 1)),
        }
    }
}

/// The stored key of a bucket: the limit's name and 128 bits of a SHA-256 of whom it counts
/// (a normalised email, a counselor id, an address).
pub fn key(limit: &str, who: &str) -> String {
    let digest = fingerprint(&format!("{limit}\n{who}"));
    format!("{limit}:{}", &digest[..32])
}

fn postgres_only(db: &impl ConnectionTrait) -> Result<(), CoreError> {
    match db.get_database_backend() {
        DbBackend::Postgres => Ok(()),
        other => Err(CoreError::Internal(format!(
            "throttle buckets are kept on PostgreSQL only, not {other:?}"
        ))),
    }
}

fn wait(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// Count one try against each of `keys` (all in one statement). For each key, in the order
/// given: `None` when allowed, `Some(wait)` when refused (its bucket is then marked refused).
/// Every key is counted whatever the others answer, as governor's separate checks do.
pub async fn take(
    db: &impl ConnectionTrait,
    rate: Rate,
    keys: &[String],
) -> Result<Vec<Option<Duration>>, CoreError> {
    postgres_only(db)?;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::new(DbBackend::Postgres);
    let t = p.bind(rate.interval_us);
    let tau = p.bind(rate.tolerance_us);
    let rows = keys
        .iter()
        .map(|k| format!("({}, {NOW_US} + {t}, FALSE)", p.bind(k.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    // The SET expressions all read the row as it was: `refused` is this try's verdict.
    let sql = format!(
        "INSERT INTO throttle_bucket AS b (key, tat, refused) VALUES {rows} \
         ON CONFLICT (key) DO UPDATE SET \
         tat = CASE WHEN b.tat - {tau} <= {NOW_US} THEN GREATEST(b.tat, {NOW_US}) + {t} ELSE b.tat END, \
         refused = b.tat - {tau} > {NOW_US} \
         RETURNING b.key AS key, b.refused AS refused, b.tat - {tau} - {NOW_US} AS wait_us"
    );
    let returned = db.query_all_raw(p.statement(sql)).await?;
    let mut verdicts = Vec::with_capacity(returned.len());
    for row in &returned {
        let key: String = row.try_get("", "key")?;
        let refused: bool = row.try_get("", "refused")?;
        let wait_us: i64 = row.try_get("", "wait_us")?;
        verdicts.push((key, refused.then(|| wait(wait_us))));
    }
    keys.iter()
        .map(|k| {
            verdicts
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, verdict)| *verdict)
                .ok_or_else(|| CoreError::Internal("a throttle bucket was not returned".into()))
        })
        .collect()
}

/// `Some(wait)` while one of `keys` refused its last try and still has none to give, without
/// counting a try: how a check whose wrong answers alone count refuses before checking.
pub async fn blocked(
    db: &impl ConnectionTrait,
    rate: Rate,
    keys: &[String],
) -> Result<Option<Duration>, CoreError> {
    postgres_only(db)?;
    if keys.is_empty() {
        return Ok(None);
    }
    let mut p = Params::new(DbBackend::Postgres);
    let tau = p.bind(rate.tolerance_us);
    let list = p.list(keys.iter().map(String::as_str));
    let sql = format!(
        "SELECT MAX(tat - {tau} - {NOW_US}) AS wait_us FROM throttle_bucket \
         WHERE key IN ({list}) AND refused AND tat - {tau} > {NOW_US}"
    );
    let row = db.query_one_raw(p.statement(sql)).await?;
    let wait_us: Option<i64> = match row {
        Some(row) => row.try_get("", "wait_us")?,
        None => None,
    };
    Ok(wait_us.map(wait))
}

/// Delete the buckets whose arrival time has passed: they mean the same as no bucket.
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, CoreError> {
    postgres_only(db)?;
    let done = db
        .execute_unprepared(&format!("DELETE FROM throttle_bucket WHERE tat < {NOW_US}"))
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_governors_quotas() {
        let r = Rate::new(10, Duration::from_secs(180));
        assert_eq!(r.interval_us, 18_000_000);
        assert_eq!(r.tolerance_us, 9 * 18_000_000);
        let one = Rate::new(0, Duration::from_secs(180));
        assert_eq!((one.interval_us, one.tolerance_us), (180_000_000, 0));
    }

    #[test]
    fn keys_name_the_limit_but_not_whom() {
        let k = key("password/account", "a@x.org");
        assert!(k.starts_with("password/account:"), "{k}");
        assert!(!k.contains("a@x.org"));
        assert_eq!(k.len(), "password/account:".len() + 32);
        assert_ne!(k, key("code/account", "a@x.org"));
        assert_eq!(k, key("password/account", "a@x.org"));
    }
}
