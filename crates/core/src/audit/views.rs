//! Views of clinical records are audited like changes, but a view changes nothing else: its
//! event need not share a transaction with anything. Writing each one as it happens made every
//! page view a write, and on SQLite writes take one lock in turn, so a busy practice's pages
//! queued behind each other's audit rows. Here one writer task per process collects view
//! events from a bounded queue and writes them as one multi-row `INSERT` every few tens of
//! milliseconds. A request only waits when the queue is full (back-pressure, never loss), and
//! the server flushes the queue when it shuts down. What a crash can lose is documented in
//! docs/SECURITY.md (the audit trail).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Action, Actor, Record, event};
use crate::clock::Clock;
use crate::entities::audit_event;
use crate::error::CoreError;

/// Events waiting to be written, at most; a request waits for room beyond this.
const QUEUE: usize = 4096;
/// Rows in one `INSERT` (8 values each: far below either database's limit on parameters).
const MOST_PER_STATEMENT: usize = 500;
/// How long the writer waits for more events before writing what it has.
const LINGER: Duration = Duration::from_millis(25);
/// Tries to write one batch before it is given up (and an error logged).
const TRIES: u32 = 5;

enum Entry {
    Event(Box<audit_event::ActiveModel>),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The process's queue of view events. Cheap to clone; every clone feeds the same writer.
#[derive(Clone)]
pub struct ViewLog {
    queue: mpsc::Sender<Entry>,
    db: DatabaseConnection,
    /// Events given up after [`TRIES`] (shown on `/metrics`: it should stay 0).
    lost: Arc<AtomicU64>,
}

impl ViewLog {
    /// Start the writer on the current Tokio runtime. It ends when the last clone is dropped,
    /// after writing what is queued.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, entries) = mpsc::channel(QUEUE);
        let lost = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_batches(db.clone(), entries, Arc::clone(&lost)));
        Self { queue, db, lost }
    }

    /// Events waiting to be written now.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Events given up since start-up because the database refused them [`TRIES`] times.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Queue the event of a view. Stamped now; written within [`LINGER`] or at the next flush.
    pub async fn record(
        &self,
        clock: &dyn Clock,
        actor: &Actor,
        action: Action,
        record: Option<Record>,
    ) -> Result<(), CoreError> {
        self.record_with_detail(clock, actor, action, record, None)
            .await
    }

    /// As [`record`](Self::record), with the same rule for `detail` as
    /// [`super::record_with_detail`]: never clinical text.
    pub async fn record_with_detail(
        &self,
        clock: &dyn Clock,
        actor: &Actor,
        action: Action,
        record: Option<Record>,
        detail: Option<&str>,
    ) -> Result<(), CoreError> {
        let row = event(clock, actor, action, record, detail);
        // The writer is gone only when the runtime stops: then the event is written directly.
        if let Err(mpsc::error::SendError(Entry::Event(row))) =
            self.queue.send(Entry::Event(Box::new(row))).await
        {
            row.insert(&self.db).await?;
        }
        Ok(())
    }

    /// Wait until every event queued before this call is in the database: at shutdown, and
    /// before anything reads the trail of this process's own views.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Entry::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_batches(
    db: DatabaseConnection,
    mut entries: mpsc::Receiver<Entry>,
    lost: Arc<AtomicU64>,
) {
    let mut batch: Vec<audit_event::ActiveModel> = Vec::new();
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = entries.recv().await {
        take(first, &mut batch, &mut flushes);
        // Gather what arrives in the next moments so a burst of views shares one statement;
        // a flush stops the wait.
        let until = Instant::now() + LINGER;
        while flushes.is_empty() && batch.len() < MOST_PER_STATEMENT {
            match tokio::time::timeout_at(until, entries.recv()).await {
                Ok(Some(entry)) => take(entry, &mut batch, &mut flushes),
                Ok(None) | Err(_) => break,
            }
        }
        while batch.len() > MOST_PER_STATEMENT {
            let rest = batch.split_off(MOST_PER_STATEMENT);
            write(&db, std::mem::replace(&mut batch, rest), &lost).await;
        }
        write(&db, std::mem::take(&mut batch), &lost).await;
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

fn take(
    entry: Entry,
    batch: &mut Vec<audit_event::ActiveModel>,
    flushes: &mut Vec<oneshot::Sender<()>>,
) {
    match entry {
        Entry::Event(row) => batch.push(*row),
        Entry::Flush(done) => flushes.push(done),
    }
}

/// One statement for the batch, tried again with growing pauses when the database refuses
/// (a restart, a full disk being cleared). The events hold ids and actions only, so the log
/// line for a lost batch holds its size alone.
async fn write(db: &DatabaseConnection, batch: Vec<audit_event::ActiveModel>, lost: &AtomicU64) {
    if batch.is_empty() {
        return;
    }
    let mut pause = Duration::from_millis(100);
    for attempt in 1..=TRIES {
        match audit_event::Entity::insert_many(batch.clone())
            .exec_without_returning(db)
            .await
        {
            Ok(_) => return,
            Err(e) if attempt < TRIES => {
                tracing::warn!(error = %e, attempt, events = batch.len(), "view events not written yet; trying again");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(e) => {
                lost.fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::error!(error = %e, events = batch.len(), "view events lost: the audit trail refused them");
            }
        }
    }
}
