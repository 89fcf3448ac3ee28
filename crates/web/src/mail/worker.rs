//! The mail worker: claims due outbox messages, sends them, marks them sent, or schedules a
//! retry with backoff, marking them failed after the last attempt. One step is
//! [`Worker::run_once`], which tests call directly instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use kintsugi_core::clock::SharedClock;
use kintsugi_core::reminders::outbox;
use lettre::message::Mailbox;
use rand::Rng;
use sea_orm::DatabaseConnection;

use super::{Transport, messages};

#[derive(Clone)]
pub struct Worker {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub transport: Arc<Transport>,
    pub from: Mailbox,
}

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Worker {
    /// Send what is due now.
    pub async fn run_once(&self) -> Result<Tally, kintsugi_core::CoreError> {
        let mut tally = Tally::default();
        let due = outbox::claim_due(&self.db, self.clock.now(), 50).await?;
        for m in due {
            let payload: serde_json::Value = serde_json::from_str(&m.payload).unwrap_or_default();
            let result = match messages::build(&m.kind, m.id, &self.from, &m.recipient, &payload) {
                Ok(message) => self.transport.send(message).await,
                Err(e) => Err(e),
            };
            let now = self.clock.now();
            match result {
                Ok(()) => {
                    outbox::mark_sent(&self.db, m.id, &messages::message_id(m.id), now).await?;
                    tally.sent += 1;
                }
                Err(error) => {
                    tracing::warn!(outbox_id = %m.id, kind = %m.kind, attempt = m.attempts + 1, error = %error, "sending failed");
                    let jitter = rand::rng().random_range(0..30);
                    if outbox::mark_attempt_failed(&self.db, &m, &error, now, jitter).await? {
                        tally.failed += 1;
                    } else {
                        tally.retried += 1;
                    }
                }
            }
        }
        Ok(tally)
    }

    /// Run until `stop` says so, checking for due messages every few seconds.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.run_once().await {
                Ok(t) if t.sent + t.retried + t.failed > 0 => {
                    tracing::info!(
                        sent = t.sent,
                        retried = t.retried,
                        failed = t.failed,
                        "mail worker step"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail worker step failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
