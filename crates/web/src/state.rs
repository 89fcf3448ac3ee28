//! What every handler shares: the database, the clock, the configuration, the throttles, the
//! session-limit cache and the audit writer for views. Routes and extractors import it from
//! here, not from the router's file.

use std::sync::Arc;

use kintsugi_core::clock::SharedClock;
use sea_orm::DatabaseConnection;

use crate::auth::throttle::{SignInThrottle, ThrottleStore};
use crate::config::Config;

/// Everything a handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub throttle: Arc<SignInThrottle>,
    pub session_limits: Arc<crate::auth::limits::SessionLimitsCache>,
    /// Views and refused accesses go to the audit trail through one batching writer.
    pub views: kintsugi_core::audit::ViewLog,
}

impl AppState {
    pub fn new(db: DatabaseConnection, clock: SharedClock, config: Config) -> Self {
        // Shared by every instance on PostgreSQL; in this process on SQLite.
        let throttle = Arc::new(SignInThrottle::new(
            config.sign_in_attempts,
            ThrottleStore::for_database(&db),
        ));
        Self {
            views: kintsugi_core::audit::ViewLog::start(db.clone()),
            db,
            clock,
            config: Arc::new(config),
            throttle,
            session_limits: Arc::default(),
        }
    }

    pub fn clock(&self) -> &dyn kintsugi_core::Clock {
        self.clock.as_ref()
    }
}
