//! Sign-in throttling: per account and per IP address, `attempts` tries per three minutes,
//! refilled gradually (GCRA). Either limit answers 429 with `Retry-After`.
//! Codes of two-factor sign-in (the second step, confirming a signature, turning it off) have
//! buckets of their own with the same limits, so a wrong code never costs a password try.
//! The password that confirms a note signature shares the sign-in tries, but only wrong ones
//! count ([`SignInThrottle::password_missed`]): a counselor signing a day's notes is never
//! slowed, while guessing through the signature is limited exactly like guessing at sign-in.
//! Refused homework links count per address ([`SignInThrottle::link_missed`]); past their
//! allowance every link open from that address waits, real links too.
//!
//! Where the tries are counted ([`ThrottleStore`]) follows the database, chosen at start-up. On
//! SQLite one process serves the file and counts in its own memory (governor, `memory.rs`). On
//! PostgreSQL several instances may share the database, so the counts live in it
//! (`kintsugi_core::access::throttle_buckets`, one conditional upsert per try) and the limits
//! hold across instances: three instances give an attacker the tries of one.
//!
//! When the shared store fails (`docs/SECURITY.md`, point 4): a database that cannot be reached
//! at all answers 503 like every page that needs it (the password, code or link is read from it
//! next, so the request could not go on anyway, and waiting twice for the pool would only delay
//! that 503); a database that answers with an error has the try counted in this process's
//! memory instead, with a warning and `kintsugi_throttle_fallbacks_total`. Either way no try
//! gets through uncounted, and sign-in keeps working through a throttle that fails alone, at
//! the per-instance limit of before.

mod memory;

use std::net::IpAddr;
use std::time::Duration;

use kintsugi_core::CoreError;
use kintsugi_core::access::throttle_buckets::{self, Rate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use crate::error::AppError;

pub use memory::MemoryThrottle;

const WINDOW: Duration = Duration::from_secs(180);
/// Refused homework links allowed per address and window, as a multiple of the sign-in tries:
/// people mistype or reuse an old link now and then; guessing needs millions of tries.
const LINK_MISS_FACTOR: u32 = 3;

/// The limits, as the names in the shared store's keys.
const PASSWORD_ACCOUNT: &str = "password/account";
const PASSWORD_ADDRESS: &str = "password/address";
const CODE_ACCOUNT: &str = "code/account";
const CODE_ADDRESS: &str = "code/address";
const LINK_ADDRESS: &str = "link/address";

/// A throttle's answer: `Err(wait)` when the tries are used up (429 with `Retry-After`).
pub type Verdict = Result<(), Duration>;

/// Where the tries are counted.
pub enum ThrottleStore {
    /// In this process's memory: SQLite, served by one process.
    Memory,
    /// In the database's `throttle_bucket` table, shared by every instance: PostgreSQL.
    Database(DatabaseConnection),
}

impl ThrottleStore {
    /// The store for this database: shared on PostgreSQL, in memory otherwise.
    pub fn for_database(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Self::Database(db.clone()),
            _ => Self::Memory,
        }
    }
}

pub struct SignInThrottle {
    store: ThrottleStore,
    /// The counts of [`ThrottleStore::Memory`], and the fallback of the shared store.
    memory: MemoryThrottle,
    /// Password and code tries.
    tries: Rate,
    /// Refused homework links.
    link_misses: Rate,
}

impl SignInThrottle {
    pub fn new(attempts: u32, store: ThrottleStore) -> Self {
        let attempts = attempts.max(1);
        Self {
            store,
            memory: MemoryThrottle::new(attempts),
            tries: Rate::new(attempts, WINDOW),
            link_misses: Rate::new(attempts.saturating_mul(LINK_MISS_FACTOR), WINDOW),
        }
    }

    /// True when the tries are counted in the database, for every instance on it.
    pub fn is_shared(&self) -> bool {
        matches!(self.store, ThrottleStore::Database(_))
    }

    fn shared(&self) -> Option<&DatabaseConnection> {
        match &self.store {
            ThrottleStore::Database(db) => Some(db),
            ThrottleStore::Memory => None,
        }
    }

    /// Count one attempt. `Err(wait)` when the account or the address has used up its tries.
    pub async fn attempt(&self, email: &str, ip: Option<IpAddr>) -> Result<Verdict, AppError> {
        let Some(db) = self.shared() else {
            return Ok(self.memory.attempt(email, ip));
        };
        match take(db, self.tries, &password_keys(email, ip)).await {
            Ok(verdict) => Ok(verdict),
            Err(e) => {
                fall_back("password", e)?;
                Ok(self.memory.attempt(email, ip))
            }
        }
    }

    /// Count a wrong password given to confirm an action (a note signature) against the
    /// sign-in tries of the account and the address. `Err(wait)` when it was one too many.
    pub async fn password_missed(
        &self,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<Verdict, AppError> {
        self.attempt(email, ip).await
    }

    /// `Err(wait)` while the account or the address has no password try left, without using
    /// one: checked before a password whose wrong tries alone count.
    pub async fn password_blocked(
        &self,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<Verdict, AppError> {
        let Some(db) = self.shared() else {
            return Ok(self.memory.password_blocked(email, ip));
        };
        match throttle_buckets::blocked(db, self.tries, &password_keys(email, ip)).await {
            Ok(wait) => Ok(refused(wait)),
            Err(e) => {
                fall_back("password", e)?;
                Ok(self.memory.password_blocked(email, ip))
            }
        }
    }

    /// Count one TOTP or recovery code try of this counselor. `Err(wait)` when the account or
    /// the address has used up its tries.
    pub async fn attempt_code(
        &self,
        counselor_id: uuid::Uuid,
        ip: Option<IpAddr>,
    ) -> Result<Verdict, AppError> {
        let Some(db) = self.shared() else {
            return Ok(self.memory.attempt_code(counselor_id, ip));
        };
        let mut keys = vec![throttle_buckets::key(
            CODE_ACCOUNT,
            &counselor_id.to_string(),
        )];
        keys.extend(ip.map(|ip| throttle_buckets::key(CODE_ADDRESS, &ip.to_string())));
        match take(db, self.tries, &keys).await {
            Ok(verdict) => Ok(verdict),
            Err(e) => {
                fall_back("code", e)?;
                Ok(self.memory.attempt_code(counselor_id, ip))
            }
        }
    }

    /// `Err(wait)` while this address may open no homework link at all (it used up its refused
    /// links): valid and invalid links then get the same 429, so guessing learns nothing.
    pub async fn link_open(&self, ip: Option<IpAddr>) -> Result<Verdict, AppError> {
        let (Some(db), Some(address)) = (self.shared(), ip) else {
            return Ok(self.memory.link_open(ip));
        };
        match throttle_buckets::blocked(db, self.link_misses, &[link_key(address)]).await {
            Ok(wait) => Ok(refused(wait)),
            Err(e) => {
                fall_back("link", e)?;
                Ok(self.memory.link_open(ip))
            }
        }
    }

    /// Count a refused homework link from this address; past the limit, link opens from it
    /// are blocked until the window allows another.
    pub async fn link_missed(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let (Some(db), Some(address)) = (self.shared(), ip) else {
            self.memory.link_missed(ip);
            return Ok(());
        };
        // The refusal is recorded in the bucket, where `link_open` reads it.
        if let Err(e) = throttle_buckets::take(db, self.link_misses, &[link_key(address)]).await {
            fall_back("link", e)?;
            self.memory.link_missed(ip);
        }
        Ok(())
    }

    /// Drop what no longer limits anyone: the shared store's spent buckets and this process's
    /// idle keys. Called every few minutes by the server.
    pub async fn sweep(&self) {
        self.memory.sweep();
        if let Some(db) = self.shared() {
            match throttle_buckets::sweep(db).await {
                Ok(n) => tracing::debug!(buckets = n, "throttle buckets swept"),
                Err(e) => tracing::warn!(error = %e, "throttle sweep failed"),
            }
        }
    }
}

fn password_keys(email: &str, ip: Option<IpAddr>) -> Vec<String> {
    let mut keys = vec![throttle_buckets::key(
        PASSWORD_ACCOUNT,
        &email.trim().to_lowercase(),
    )];
    keys.extend(ip.map(|ip| throttle_buckets::key(PASSWORD_ADDRESS, &ip.to_string())));
    keys
}

fn link_key(ip: IpAddr) -> String {
    throttle_buckets::key(LINK_ADDRESS, &ip.to_string())
}

/// Count a try against every key; refused when any of them refuses, waiting for the longest.
async fn take(
    db: &impl ConnectionTrait,
    rate: Rate,
    keys: &[String],
) -> Result<Verdict, CoreError> {
    let verdicts = throttle_buckets::take(db, rate, keys).await?;
    Ok(refused(verdicts.into_iter().flatten().max()))
}

fn refused(wait: Option<Duration>) -> Verdict {
    match wait {
        Some(wait) => Err(wait.max(Duration::from_secs(1))),
        None => Ok(()),
    }
}

/// The shared store failed. A database that cannot be reached answers 503, as the rest of the
/// request would a moment later; one that answered with an error leaves the try to this
/// process's memory (`Ok`: the caller counts it there). No try goes through uncounted.
fn fall_back(limit: &'static str, error: CoreError) -> Result<(), AppError> {
    if error.is_unavailable() {
        return Err(error.into());
    }
    tracing::warn!(
        error = %error,
        limit,
        "the shared throttle failed; this try is counted in this process only"
    );
    metrics::counter!(crate::monitoring::THROTTLE_FALLBACKS, "limit" => limit).increment(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_database_the_tries_are_counted_in_memory() -> Result<(), AppError> {
        let t = SignInThrottle::new(2, ThrottleStore::Memory);
        assert!(!t.is_shared());
        let ip: IpAddr = [10, 0, 1, 1].into();
        assert!(t.attempt("a@x.org", Some(ip)).await?.is_ok());
        assert!(t.password_blocked("a@x.org", Some(ip)).await?.is_ok());
        assert!(t.password_missed("a@x.org", Some(ip)).await?.is_ok());
        let wait = t.attempt("a@x.org", None).await?.expect_err("used up");
        assert!(wait >= Duration::from_secs(1) && wait <= WINDOW);
        assert!(t.password_blocked("A@x.org ", None).await?.is_err());
        assert!(
            t.attempt_code(uuid::Uuid::new_v4(), Some(ip))
                .await?
                .is_ok()
        );
        for _ in 0..=(2 * LINK_MISS_FACTOR) {
            assert!(t.link_open(Some(ip)).await?.is_ok());
            t.link_missed(Some(ip)).await?;
        }
        assert!(t.link_open(Some(ip)).await?.is_err());
        t.sweep().await;
        assert!(
            t.link_open(Some(ip)).await?.is_err(),
            "a sweep forgets nothing live"
        );
        Ok(())
    }

    #[test]
    fn an_unreachable_database_answers_503_and_a_failing_one_falls_back() {
        let unreachable = CoreError::Db(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        ));
        assert!(matches!(
            fall_back("password", unreachable),
            Err(AppError::Unavailable)
        ));
        let failing = CoreError::Db(sea_orm::DbErr::Custom("no such table".into()));
        assert!(fall_back("password", failing).is_ok());
    }
}
