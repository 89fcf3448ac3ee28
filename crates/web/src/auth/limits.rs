//! The session limits in force: the practice's idle limit (a setting) and the fixed absolute
//! limit. Read from the database at most every 30 seconds per instance, so every signed-in
//! request does not pay for it; the instance where an admin saves the setting applies it at
//! once, the others within 30 seconds.

use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use kintsugi_core::CoreError;
use kintsugi_core::access::browser_sessions::SessionLimits;
use kintsugi_core::practice::settings;
use sea_orm::DatabaseConnection;

const TTL: StdDuration = StdDuration::from_secs(30);

#[derive(Debug, Default)]
pub struct SessionLimitsCache {
    cached: Mutex<Option<(Instant, SessionLimits)>>,
}

impl SessionLimitsCache {
    pub async fn current(
        &self,
        db: &DatabaseConnection,
        clock: &dyn kintsugi_core::Clock,
    ) -> Result<SessionLimits, CoreError> {
        if let Ok(guard) = self.cached.lock()
            && let Some((at, limits)) = *guard
            && at.elapsed() < TTL
        {
            return Ok(limits);
        }
        let practice = settings::ensure(db, clock).await?;
        let limits = SessionLimits {
            idle: Duration::minutes(i64::from(practice.session_idle_minutes.clamp(5, 60))),
            ..SessionLimits::default()
        };
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((Instant::now(), limits));
        }
        Ok(limits)
    }

    /// The setting changed here: read it again on the next request.
    pub fn forget(&self) {
        if let Ok(mut guard) = self.cached.lock() {
            *guard = None;
        }
    }
}
