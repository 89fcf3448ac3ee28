//! A large practice, for measuring how Kintsugi behaves with a real caseload: N counselors,
//! each with a caseload of couples a year into their work (weekly check-ins, forty sessions
//! with signed notes, twenty exercises, the marker history of their stages).
//!
//! The small demo goes through the services one action at a time, which is right for a dozen
//! couples and far too slow for ten thousand. Here every couple is built in memory (the
//! content decided by a seeded generator, the stage history by the pure stage rules), clinical
//! text sealed and notes hashed exactly as the stores do it, and the rows written with
//! multi-row inserts, a batch of couples per transaction. While one batch is written the next
//! is built on a blocking thread, so both cores work.

mod catalog;
mod story;
mod words;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel,
    Iterable,
};
use uuid::Uuid;

pub use story::{CHECKINS, EXERCISES, SESSIONS};

use crate::clock::Clock;
use crate::db::begin_write;
use crate::domain::{EmailAddress, Password, TimeZone};
use crate::entities::{
    assignment, counseling_session, counselor, couple, marker_rating, note, note_addendum, partner,
    response, stage_event, stage_progress,
};
use crate::error::CoreError;
use crate::practice::{Role, counselors, passwords, settings};
use catalog::Catalog;
use story::{Context, Ids, Rows};

/// The password of every generated counselor.
pub const SCALE_PASSWORD: &str = "kintsugi-scale-2026";
/// Couples per counselor unless told otherwise.
pub const DEFAULT_COUPLES: usize = 200;
/// Couples built and written together, in one transaction.
const BATCH_COUPLES: usize = 25;
/// Bound parameters one statement may carry: SQLite's default limit and PostgreSQL's.
const SQLITE_PARAMS: usize = 32_766;
const POSTGRES_PARAMS: usize = 65_535;
/// Rows per `INSERT`, whatever the limits allow: longer statements gain nothing more.
const MAX_ROWS_PER_INSERT: usize = 2_000;

/// The sign-in address of generated counselor `number` (1-based; number 1 is the admin).
pub fn counselor_email(number: usize) -> String {
    format!("counselor{number:03}@scale.kintsugi.example")
}

/// How large a practice to generate.
#[derive(Debug, Clone, Copy)]
pub struct PracticePlan {
    pub counselors: usize,
    pub couples_per_counselor: usize,
    /// The same seed gives the same practice (all but the ids and the sealed bytes).
    pub seed: u64,
}

/// Rows written, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub counselors: u64,
    pub couples: u64,
    pub partners: u64,
    pub stage_rows: u64,
    pub stage_events: u64,
    pub marker_ratings: u64,
    pub sessions: u64,
    pub notes: u64,
    pub addenda: u64,
    pub assignments: u64,
    pub responses: u64,
}

impl RowCounts {
    fn of(rows: &Rows) -> Self {
        let n = |len: usize| len as u64;
        Self {
            counselors: 0,
            couples: n(rows.couples.len()),
            partners: n(rows.partners.len()),
            stage_rows: n(rows.stages.len()),
            stage_events: n(rows.events.len()),
            marker_ratings: n(rows.ratings.len()),
            sessions: n(rows.sessions.len()),
            notes: n(rows.notes.len()),
            addenda: n(rows.addenda.len()),
            assignments: n(rows.assignments.len()),
            responses: n(rows.responses.len()),
        }
    }

    /// Each table's name and count, in the order they are written.
    pub fn tables(&self) -> [(&'static str, u64); 11] {
        [
            ("counselor", self.counselors),
            ("couple", self.couples),
            ("partner", self.partners),
            ("stage_progress", self.stage_rows),
            ("stage_event", self.stage_events),
            ("marker_rating", self.marker_ratings),
            ("counseling_session", self.sessions),
            ("note", self.notes),
            ("note_addendum", self.addenda),
            ("assignment", self.assignments),
            ("response", self.responses),
        ]
    }

    pub fn total(&self) -> u64 {
        self.tables().iter().map(|(_, n)| n).sum()
    }

    fn add(&mut self, other: RowCounts) {
        self.counselors += other.counselors;
        self.couples += other.couples;
        self.partners += other.partners;
        self.stage_rows += other.stage_rows;
        self.stage_events += other.stage_events;
        self.marker_ratings += other.marker_ratings;
        self.sessions += other.sessions;
        self.notes += other.notes;
        self.addenda += other.addenda;
        self.assignments += other.assignments;
        self.responses += other.responses;
    }
}

/// What was generated, for the command line to print.
#[derive(Debug)]
pub struct ScaleSummary {
    /// The practice's first counselor already existed: nothing was written.
    pub already_loaded: bool,
    /// (name, email, role) of every generated counselor.
    pub accounts: Vec<(String, String, Role)>,
    pub rows: RowCounts,
}

/// One counselor's caseload to generate.
#[derive(Debug, Clone)]
pub struct CaseloadSpec {
    pub counselor_id: Uuid,
    /// Numbers the partners' email addresses.
    pub counselor_number: usize,
    /// The counselor's zone: sessions and due times fall at sensible local hours in it.
    pub time_zone: TimeZone,
    pub couples: usize,
    /// The same seed gives the same couples.
    pub seed: u64,
}

/// Generate a practice of `plan.counselors` counselors (the first an admin), all with the
/// password [`SCALE_PASSWORD`], each with `plan.couples_per_counselor` couples.
/// `on_couples` hears how many couples each written batch held.
pub async fn generate(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    plan: &PracticePlan,
    on_couples: &(dyn Fn(u64) + Sync),
) -> Result<ScaleSummary, CoreError> {
    let accounts: Vec<(String, String, Role)> = (1..=plan.counselors)
        .map(|n| {
            let role = if n == 1 { Role::Admin } else { Role::Counselor };
            (counselor_name(n), counselor_email(n), role)
        })
        .collect();
    if counselors::find_by_email(db, &counselor_email(1))
        .await?
        .is_some()
    {
        return Ok(ScaleSummary {
            already_loaded: true,
            accounts,
            rows: RowCounts::default(),
        });
    }
    let now = whole_seconds(clock.now());
    let practice = settings::ensure(db, clock).await?;
    // Argon2 is slow on purpose: hash once, and every counselor signs in with the same password.
    let password = Password::parse(SCALE_PASSWORD).map_err(|e| CoreError::Internal(e.0))?;
    let hash = passwords::hash(&password)?;
    let mut rows = Vec::with_capacity(accounts.len());
    let mut specs = Vec::with_capacity(accounts.len());
    for (n, (name, email, role)) in accounts.iter().enumerate() {
        let number = n + 1;
        let email = EmailAddress::parse(email).map_err(|e| CoreError::Internal(e.0))?;
        let zone = words::COUNSELOR_ZONES[n % words::COUNSELOR_ZONES.len()];
        let time_zone = TimeZone::parse(zone).map_err(|e| CoreError::Internal(e.0))?;
        let id = Uuid::new_v4();
        rows.push(counselor::Model {
            id,
            practice_id: practice.id,
            name: name.clone(),
            email_normalized: email.normalized(),
            email,
            password_hash: hash.clone(),
            role: *role,
            timezone: time_zone,
            totp_secret: None,
            active: true,
            created_at: now,
            updated_at: now,
        });
        specs.push(CaseloadSpec {
            counselor_id: id,
            counselor_number: number,
            time_zone,
            couples: plan.couples_per_counselor,
            seed: plan.seed ^ (number as u64).wrapping_mul(0xa24b_aed4_963e_e407),
        });
    }
    let tx = begin_write(db).await?;
    insert_rows::<counselor::ActiveModel, _>(&tx, rows).await?;
    tx.commit().await?;
    let mut written = write_caseloads(db, now, &specs, on_couples).await?;
    written.counselors = accounts.len() as u64;
    // Fresh statistics, so that the first pages are planned with the real row counts instead
    // of guesses (SQLite) or waiting for autovacuum (PostgreSQL).
    crate::db::refresh_planner_statistics(db).await?;
    Ok(ScaleSummary {
        already_loaded: false,
        accounts,
        rows: written,
    })
}

fn counselor_name(number: usize) -> String {
    let first = words::FIRST_NAMES[(number * 7 + 3) % words::FIRST_NAMES.len()];
    let last = words::LAST_NAMES[(number * 5 + 1) % words::LAST_NAMES.len()];
    format!("{first} {last}")
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Write the caseloads of existing counselors, as of `now`. Tests use this to give one
/// counselor a caseload of a chosen size.
pub async fn write_caseloads(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    specs: &[CaseloadSpec],
    on_couples: &(dyn Fn(u64) + Sync),
) -> Result<RowCounts, CoreError> {
    let now = whole_seconds(now);
    let catalog = Arc::new(Catalog::load(db).await?);
    let sequence = Arc::new(AtomicU64::new(0));
    // The ids carry when they were made (not the history's clock), so runs never share ids.
    let made = Utc::now();
    let mut batches = specs.iter().flat_map(|spec| {
        (0..spec.couples).step_by(BATCH_COUPLES).map(move |start| {
            (
                spec.clone(),
                start..(start + BATCH_COUPLES).min(spec.couples),
            )
        })
    });
    let start_building = |(spec, range): (CaseloadSpec, std::ops::Range<usize>)| {
        let catalog = Arc::clone(&catalog);
        let ids = Ids::new(made, Arc::clone(&sequence));
        tokio::task::spawn_blocking(move || build_batch(&spec, now, &catalog, ids, range))
    };
    // PostgreSQL writes two batches at once on two connections (a server process each);
    // SQLite has one writer at a time anyway.
    let writers = match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    };
    let mut written = RowCounts::default();
    let mut couple_ids = Vec::new();
    let mut writing = tokio::task::JoinSet::new();
    let mut building = batches.next().map(start_building);
    while let Some(task) = building.take() {
        let rows = task
            .await
            .map_err(|e| CoreError::Internal(format!("building a batch failed: {e}")))??;
        // Build the next batch while this one is written.
        building = batches.next().map(start_building);
        while writing.len() >= writers {
            if let Some(done) = writing.join_next().await {
                written.add(finished(done, on_couples)?);
            }
        }
        couple_ids.extend(rows.couples.iter().map(|c| c.id));
        writing.spawn(write(db.clone(), rows));
    }
    while let Some(done) = writing.join_next().await {
        written.add(finished(done, on_couples)?);
    }
    // The new couples' open homework, in one pass once every batch is in and the planner
    // knows the tables' real sizes: during the load its statistics say they are nearly empty,
    // and it would read every response once per batch.
    crate::db::refresh_planner_statistics(db).await?;
    let tx = begin_write(db).await?;
    crate::homework::open_work::sync_couples(&tx, &couple_ids).await?;
    tx.commit().await?;
    Ok(written)
}

fn finished(
    done: Result<Result<RowCounts, CoreError>, tokio::task::JoinError>,
    on_couples: &(dyn Fn(u64) + Sync),
) -> Result<RowCounts, CoreError> {
    let counts =
        done.map_err(|e| CoreError::Internal(format!("writing a batch failed: {e}")))??;
    on_couples(counts.couples);
    Ok(counts)
}

fn build_batch(
    spec: &CaseloadSpec,
    now: DateTime<Utc>,
    catalog: &Catalog,
    mut ids: Ids,
    range: std::ops::Range<usize>,
) -> Result<Rows, CoreError> {
    let ctx = Context {
        now,
        counselor_id: spec.counselor_id,
        counselor_number: spec.counselor_number,
        time_zone: spec.time_zone,
        seed: spec.seed,
    };
    let mut rows = Rows::default();
    for index in range {
        story::build(&ctx, catalog, index, &mut ids, &mut rows)?;
    }
    Ok(rows)
}

/// One batch in one transaction, parents before children.
async fn write(db: DatabaseConnection, rows: Rows) -> Result<RowCounts, CoreError> {
    let counts = RowCounts::of(&rows);
    let tx = begin_write(&db).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // Random ids land all over each index: a page cache of 256 MiB (the default is 2 MiB)
        // keeps the hot pages in memory instead of spilling them to the WAL again and again.
        tx.execute_unprepared("PRAGMA cache_size = -262144").await?;
    }
    insert_rows::<couple::ActiveModel, _>(&tx, rows.couples).await?;
    insert_rows::<partner::ActiveModel, _>(&tx, rows.partners).await?;
    insert_rows::<stage_progress::ActiveModel, _>(&tx, rows.stages).await?;
    insert_rows::<stage_event::ActiveModel, _>(&tx, rows.events).await?;
    insert_rows::<marker_rating::ActiveModel, _>(&tx, rows.ratings).await?;
    insert_rows::<counseling_session::ActiveModel, _>(&tx, rows.sessions).await?;
    insert_rows::<note::ActiveModel, _>(&tx, rows.notes).await?;
    insert_rows::<note_addendum::ActiveModel, _>(&tx, rows.addenda).await?;
    insert_rows::<assignment::ActiveModel, _>(&tx, rows.assignments).await?;
    insert_rows::<response::ActiveModel, _>(&tx, rows.responses).await?;
    tx.commit().await?;
    Ok(counts)
}

/// Multi-row inserts, as many rows per statement as the database's limit on bound parameters
/// allows for this table's columns.
async fn insert_rows<A, M>(db: &impl ConnectionTrait, rows: Vec<M>) -> Result<(), CoreError>
where
    A: ActiveModelTrait + Send,
    M: IntoActiveModel<A>,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter()
        .count()
        .max(1);
    let limit = match db.get_database_backend() {
        DbBackend::Sqlite => SQLITE_PARAMS,
        _ => POSTGRES_PARAMS,
    };
    let per_insert = (limit / columns).clamp(1, MAX_ROWS_PER_INSERT);
    let mut rows = rows
        .into_iter()
        .map(IntoActiveModel::into_active_model)
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_insert).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
