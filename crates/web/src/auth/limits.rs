//! The practice's rules every signed-in request needs: the idle limit of sessions (with the fixed
//! absolute limit) and who must use two-factor sign-in. Read from the database together at most
//! every 30 seconds per instance, by the application's clock, so a request pays for neither;
//! the instance where an admin saves the settings applies them at once, the others within 30
//! seconds.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use kintsugi_core::CoreError;
use kintsugi_core::access::sign_ins::SessionLimits;
use kintsugi_core::access::totp::TotpRequirement;
use kintsugi_core::access::totp_store;
use kintsugi_core::entities::counselor;
use kintsugi_core::practice::settings;
use sea_orm::DatabaseConnection;

const TTL: Duration = Duration::seconds(30);

#[derive(Debug, Clone, Copy)]
struct Rules {
    limits: SessionLimits,
    totp: TotpRequirement,
}

#[derive(Debug, Default)]
pub struct SessionLimitsCache {
    cached: Mutex<Option<(DateTime<Utc>, Rules)>>,
}

impl SessionLimitsCache {
    async fn rules(
        &self,
        db: &DatabaseConnection,
        clock: &dyn kintsugi_core::Clock,
    ) -> Result<Rules, CoreError> {
        let now = clock.now();
        if let Ok(guard) = self.cached.lock()
            && let Some((at, rules)) = *guard
            // A clock that went back (or a test moving it) reads again rather than trusting
            // an age below zero.
            && at <= now
            && now - at < TTL
        {
            return Ok(rules);
        }
        let practice = settings::ensure(db, clock).await?;
        let rules = Rules {
            limits: SessionLimits {
                idle: Duration::minutes(i64::from(practice.session_idle_minutes.clamp(5, 60))),
                ..SessionLimits::default()
            },
            totp: practice.totp_required,
        };
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((now, rules));
        }
        Ok(rules)
    }

    /// The session limits in force.
    pub async fn current(
        &self,
        db: &DatabaseConnection,
        clock: &dyn kintsugi_core::Clock,
    ) -> Result<SessionLimits, CoreError> {
        Ok(self.rules(db, clock).await?.limits)
    }

    /// True when the practice requires two-factor sign-in of this counselor and they have not
    /// set it up yet (no read at all for a counselor who has).
    pub async fn must_enrol(
        &self,
        db: &DatabaseConnection,
        clock: &dyn kintsugi_core::Clock,
        c: &counselor::Model,
    ) -> Result<bool, CoreError> {
        if totp_store::is_enabled(c) {
            return Ok(false);
        }
        Ok(totp_store::must_enrol(self.rules(db, clock).await?.totp, c))
    }

    /// The settings changed here: read them again on the next request.
    pub fn forget(&self) {
        if let Ok(mut guard) = self.cached.lock() {
            *guard = None;
        }
    }
}
