//! The mail worker: queues the counselors' daily digests when their morning comes, claims due
//! outbox messages, sends them (several at once), marks them sent, or schedules a retry with
//! backoff, marking them failed after the last attempt. One step is [`Worker::run_once`], which
//! tests call directly instead of sleeping.
//!
//! Delivery is at least once, recognisably: a message is marked sent only after the SMTP
//! server accepted it (the messages of a batch together, in one transaction, once the batch is
//! done). A worker that dies in between leaves them claimed; when its lease
//! ([`outbox::LEASE`], 5 minutes) runs out another worker sends them again with the same
//! Message-ID, so the receiving side can recognise the copy. Only messages of the batch in
//! flight at the moment of the crash can be sent twice.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kintsugi_core::clock::SharedClock;
use kintsugi_core::entities::outbox_message;
use kintsugi_core::homework::links;
use kintsugi_core::reminders::delivery::{Decision, Deliveries};
use kintsugi_core::reminders::digest;
use kintsugi_core::reminders::outbox::{self, MessageKind};
use lettre::message::Mailbox;
use rand::Rng;
use sea_orm::DatabaseConnection;

use super::messages::{self, Context};
use super::{Transport, messages::build};

#[derive(Clone)]
pub struct Worker {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub transport: Arc<Transport>,
    pub from: Mailbox,
    /// `KINTSUGI_BASE_URL`: homework and opt-out links in emails are built from it.
    pub base_url: String,
    /// Messages claimed per step.
    pub batch: u64,
    /// Messages sent at the same time within a step.
    pub concurrency: usize,
    /// Queue the counselors' daily digests (on in every real worker; tests about other
    /// messages turn it off).
    pub digests: bool,
}

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Held until the recipient's waking hours.
    pub held: usize,
    /// No longer wanted (submitted, cancelled, opted out).
    pub dropped: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent(_) => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Held => self.held += 1,
            Outcome::Dropped => self.dropped += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.sent + self.retried + self.failed + self.held + self.dropped
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// Accepted by the server; marked sent with the rest of the batch.
    Sent(uuid::Uuid),
    Retried,
    Failed,
    Held,
    Dropped,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        transport: Arc<Transport>,
        from: Mailbox,
        base_url: impl Into<String>,
    ) -> Self {
        Self {
            db,
            clock,
            transport,
            from,
            base_url: base_url.into(),
            batch: 50,
            concurrency: 16,
            digests: true,
        }
    }

    /// Queue due digests, then send what is due now.
    pub async fn run_once(&self) -> Result<Tally, kintsugi_core::CoreError> {
        if self.digests
            && let Err(e) = digest::schedule_due(&self.db, self.clock.now()).await
        {
            tracing::warn!(error = %e, "queueing daily digests failed");
        }
        let mut tally = Tally::default();
        let due = outbox::claim_due(&self.db, self.clock.now(), self.batch).await?;
        if due.is_empty() {
            return Ok(tally);
        }
        let deliveries = Deliveries::load(&self.db, self.clock.as_ref(), &due).await?;
        let deliveries = &deliveries;
        // Owned messages in, so that the future is `Send` for any lifetime (a spawned worker).
        let outcomes: Vec<Result<Outcome, kintsugi_core::CoreError>> =
            futures_util::stream::iter(due)
                .map(|m| async move { self.deliver(&m, deliveries).await })
                .buffer_unordered(self.concurrency.max(1))
                .collect()
                .await;
        let mut sent = Vec::new();
        let mut error = None;
        for outcome in outcomes {
            match outcome {
                Ok(o) => {
                    if let Outcome::Sent(id) = o {
                        sent.push((id, messages::message_id(id)));
                    }
                    tally.add(o);
                }
                Err(e) => error = Some(e),
            }
        }
        // Marked even when another message of the batch hit a database error.
        outbox::mark_sent_many(&self.db, &sent, self.clock.now()).await?;
        crate::monitoring::record_mail(&tally);
        match error {
            Some(e) => Err(e),
            None => Ok(tally),
        }
    }

    async fn deliver(
        &self,
        m: &outbox_message::Model,
        deliveries: &Deliveries,
    ) -> Result<Outcome, kintsugi_core::CoreError> {
        let now = self.clock.now();
        let (zone, partner) = match deliveries.decide(m, now) {
            Decision::Hold(until) => {
                outbox::hold_until(&self.db, m.id, until).await?;
                return Ok(Outcome::Held);
            }
            Decision::Drop(why) => {
                tracing::info!(outbox_id = %m.id, kind = %m.kind, reason = why, "message no longer wanted");
                outbox::drop_claimed(&self.db, m.id).await?;
                return Ok(Outcome::Dropped);
            }
            Decision::Send { zone, partner } => (zone, partner),
        };
        let result = self.compose(m, zone, partner, deliveries).await;
        let result = match result {
            Ok(message) => self.transport.send(message).await,
            Err(e) => Err(e),
        };
        let now = self.clock.now();
        match result {
            Ok(()) => Ok(Outcome::Sent(m.id)),
            Err(error) => {
                tracing::warn!(outbox_id = %m.id, kind = %m.kind, attempt = m.attempts + 1, error = %error, "sending failed");
                let jitter = rand::rng().random_range(0..30);
                Ok(
                    if outbox::mark_attempt_failed(&self.db, m, &error, now, jitter).await? {
                        Outcome::Failed
                    } else {
                        Outcome::Retried
                    },
                )
            }
        }
    }

    async fn compose(
        &self,
        m: &outbox_message::Model,
        zone: chrono_tz::Tz,
        partner: Option<uuid::Uuid>,
        deliveries: &Deliveries,
    ) -> Result<lettre::Message, String> {
        let kind = MessageKind::from_key(&m.kind)
            .ok_or_else(|| format!("unknown message kind {}", m.kind))?;
        let payload: serde_json::Value = serde_json::from_str(&m.payload).unwrap_or_default();
        let opt_out_url = partner.map(|p| {
            format!(
                "{}/reminders/opt-out/{}",
                self.base_url,
                deliveries.opt_out_token(p)
            )
        });
        // A reminder carries a link minted as it goes out: the one from the first email may
        // have expired or been rotated meanwhile.
        let link = match (kind, partner) {
            (MessageKind::HomeworkDueSoon | MessageKind::HomeworkOverdue, Some(p)) => {
                let secret = links::mint(
                    &self.db,
                    self.clock.as_ref(),
                    p,
                    deliveries.settings.link_expiry,
                )
                .await
                .map_err(|e| format!("a homework link could not be made: {e}"))?;
                Some(format!("{}/h/{}", self.base_url, secret.expose()))
            }
            _ => None,
        };
        let ctx = Context {
            base_url: &self.base_url,
            opt_out_url,
            link,
            zone,
            now: self.clock.now(),
        };
        build(kind, m.id, &self.from, &m.recipient, &payload, &ctx)
    }

    /// Run until `stop` says so. A full batch means more may be waiting: go on at once;
    /// otherwise look again every few seconds.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            let mut busy = false;
            match self.run_once().await {
                Ok(t) if t.total() > 0 => {
                    busy = t.total() as u64 >= self.batch;
                    tracing::info!(
                        sent = t.sent,
                        retried = t.retried,
                        failed = t.failed,
                        held = t.held,
                        dropped = t.dropped,
                        "mail worker step"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail worker step failed"),
            }
            if *stop.borrow() {
                return;
            }
            if busy {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
