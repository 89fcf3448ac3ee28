//! Every SQL statement the application's connection runs, kept for tests that count queries
//! per page or ask PostgreSQL how it plans them. The statements come from sea-orm's metric
//! callback on the real pool: nothing is stubbed, the database answers every one.

use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, Statement};

#[derive(Clone, Default)]
pub struct QueryLog(Arc<Mutex<Vec<Statement>>>);

impl QueryLog {
    /// Record the statements of `db` (and of every clone of it made afterwards).
    pub fn install(&self, db: &mut DatabaseConnection) {
        let log = self.clone();
        db.set_metric_callback(move |info| {
            log.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(info.statement.clone());
        });
    }

    /// Forget what was recorded so far.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// What was recorded since the last `clear` or `take`.
    pub fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
