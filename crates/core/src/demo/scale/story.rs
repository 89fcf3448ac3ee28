//! One generated couple's year in care, as rows: the couple and partners, stage progress with
//! the marker ratings and stage events that got it there (worked out by the same pure rules the
//! stage service uses), forty attended sessions with signed notes, twenty exercises and a year
//! of weekly connection check-ins with both partners' responses.
//!
//! Clinical text is sealed with the installed data key and each note carries its content hash,
//! exactly as the stores write them, so pages open and verify what the generator wrote.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::catalog::{Catalog, CatalogExercise};
use super::words;
use crate::couples::{CoupleStatus, PartnerRole};
use crate::crypto::{self, Field};
use crate::domain::{EmailAddress, TimeZone};
use crate::entities::{
    assignment, counseling_session, couple, marker_rating, note, note_addendum, partner, response,
    stage_event, stage_progress,
};
use crate::error::CoreError;
use crate::homework::assignments::local_to_utc;
use crate::homework::prompts::{Answer, Prompt, PromptKind};
use crate::homework::{Recurrence, ResponseStatus, Visibility};
use crate::sessions::notes::{AddendumText, NoteContent, NoteStatus};
use crate::stages::{Change, Marker, Progress, Rating, Stage, StageEventKind, StageStatus};

/// Attended sessions with a signed note, per couple.
pub const SESSIONS: usize = 40;
/// Exercises assigned per couple (besides the check-ins).
pub const EXERCISES: usize = 20;
/// Weekly connection check-ins per couple.
pub const CHECKINS: usize = 52;

/// The rows of a batch of couples, in the order they are written.
#[derive(Debug, Default)]
pub struct Rows {
    pub couples: Vec<couple::Model>,
    pub partners: Vec<partner::Model>,
    pub stages: Vec<stage_progress::Model>,
    pub events: Vec<stage_event::Model>,
    pub ratings: Vec<marker_rating::Model>,
    pub sessions: Vec<counseling_session::Model>,
    pub notes: Vec<note::Model>,
    pub addenda: Vec<note_addendum::Model>,
    pub assignments: Vec<assignment::Model>,
    pub responses: Vec<response::Model>,
}

/// Who the couples belong to and when "now" is.
#[derive(Debug, Clone)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub counselor_id: Uuid,
    /// Numbers the partners' email addresses, so that caseloads do not share them.
    pub counselor_number: usize,
    pub time_zone: TimeZone,
    /// Decides everything about the couples but their ids: the same seed and index give the
    /// same couple.
    pub seed: u64,
}

/// Fresh ids in the time-ordered UUID layout (version 7): the run's start time, then a
/// sequence shared by every batch, then random bits. Each batch's rows then land at the end of
/// every index instead of all over it, which is what lets millions of rows go in quickly;
/// readers treat ids as opaque either way.
pub struct Ids {
    started_ms: u64,
    sequence: Arc<AtomicU64>,
    random: StdRng,
}

impl Ids {
    pub fn new(started: DateTime<Utc>, sequence: Arc<AtomicU64>) -> Self {
        Self {
            started_ms: u64::try_from(started.timestamp_millis()).unwrap_or(0),
            sequence,
            random: StdRng::from_os_rng(),
        }
    }

    fn next(&mut self) -> Uuid {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let mut bytes: [u8; 10] = self.random.random();
        // 34 bits of sequence where the layout keeps them: 12 in the first two bytes (after the
        // version nibble), 6 in the third (after the variant bits), 16 in the next two.
        bytes[0] = ((n >> 30) & 0x0f) as u8;
        bytes[1] = (n >> 22) as u8;
        bytes[2] = ((n >> 16) & 0x3f) as u8;
        bytes[3] = (n >> 8) as u8;
        bytes[4] = n as u8;
        uuid::Builder::from_unix_timestamp_millis(self.started_ms, &bytes).into_uuid()
    }
}

/// A couple's own generator: splitmix64 of the seed and index, so that neighbours differ.
fn couple_rng(seed: u64, index: usize) -> StdRng {
    let mut z = seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Two or three different sentences from a bank, as one paragraph.
fn paragraph(rng: &mut StdRng, bank: &[&str]) -> String {
    let n = rng.random_range(2..=3).min(bank.len());
    let start = rng.random_range(0..bank.len());
    let step = rng.random_range(1..bank.len());
    (0..n)
        .map(|i| bank[(start + i * step) % bank.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn email(local: &str) -> Result<EmailAddress, CoreError> {
    EmailAddress::parse(&format!("{local}@clients.scale.kintsugi.example"))
        .map_err(|e| CoreError::Internal(e.0))
}

/// How far along a couple is: the stages complete after a year (0 to 6).
fn stages_completed(rng: &mut StdRng) -> usize {
    // Most couples are somewhere in the middle; a few have just begun or finished.
    const WEIGHTS: [u32; 7] = [8, 14, 20, 20, 16, 13, 9];
    let mut roll = rng.random_range(0..WEIGHTS.iter().sum::<u32>());
    for (completed, w) in WEIGHTS.iter().enumerate() {
        if roll < *w {
            return completed;
        }
        roll -= w;
    }
    6
}

/// Build couple number `index` (0-based) of the caseload into `rows`.
pub fn build(
    ctx: &Context,
    catalog: &Catalog,
    index: usize,
    ids: &mut Ids,
    rows: &mut Rows,
) -> Result<(), CoreError> {
    let mut rng = couple_rng(ctx.seed, index);
    let zone = ctx.time_zone;
    let today = ctx.now.with_timezone(&zone.tz()).date_naive();
    let intake_date = today - Duration::days(rng.random_range(53 * 7..64 * 7));
    // As the couple service does: stage 1 began at the intake date.
    let intake = Ord::min(intake_date.and_time(NaiveTime::MIN).and_utc(), ctx.now);
    // Status and today's sessions follow the index, so that any caseload's first couples are
    // alike (tests compare caseloads of different sizes): one couple in six paused or closed.
    let status = match index % 12 {
        5 => CoupleStatus::Paused,
        11 => CoupleStatus::Closed,
        _ => CoupleStatus::Active,
    };
    let open_agreement = rng.random_bool(0.08);

    let couple_id = ids.next();
    let (a, b) = (
        *pick(&mut rng, &words::FIRST_NAMES),
        *pick(&mut rng, &words::FIRST_NAMES),
    );
    let surname = *pick(&mut rng, &words::LAST_NAMES);
    let label = format!("{a} & {b}");
    let number = format!("c{:03}-{:05}", ctx.counselor_number, index + 1);
    for (role, first) in [(PartnerRole::Involved, a), (PartnerRole::Hurt, b)] {
        rows.partners.push(partner::Model {
            id: ids.next(),
            couple_id,
            role,
            name: format!("{first} {surname}"),
            email: email(&format!("{number}-{}", role.key()))?,
            timezone: zone,
            reminders_opt_out: rng.random_bool(0.03),
            pin_required: false,
            pin_hash: None,
            pin_failures: 0,
            pin_paused_until: None,
            created_at: intake,
            updated_at: intake,
        });
    }
    let (involved, hurt) = (
        rows.partners[rows.partners.len() - 2].id,
        rows.partners[rows.partners.len() - 1].id,
    );

    let today = index.is_multiple_of(8);
    let sessions = sessions(
        ctx,
        &mut rng,
        ids,
        couple_id,
        intake_date,
        status,
        today,
        rows,
    )?;
    let progress = stages(
        ctx,
        &mut rng,
        ids,
        couple_id,
        intake,
        open_agreement,
        &sessions,
        rows,
    )?;
    let partners = Partners { involved, hurt };
    exercises(
        ctx, catalog, &mut rng, ids, couple_id, intake, &partners, &progress, &sessions, rows,
    )?;
    checkins(ctx, catalog, &mut rng, ids, couple_id, partners, rows)?;

    let last_session = sessions.last().map_or(intake, |s| s.updated_at);
    rows.couples.push(couple::Model {
        id: couple_id,
        counselor_id: ctx.counselor_id,
        label_normalized: label.to_lowercase(),
        label,
        status,
        open_agreement,
        intake_date,
        disclosure_date: Some(intake_date - Duration::days(rng.random_range(10..150))),
        current_stage: progress.current_stage(),
        version: if status == CoupleStatus::Active { 1 } else { 2 },
        created_at: intake,
        updated_at: Ord::min(
            last_session + Duration::hours(rng.random_range(1..200)),
            ctx.now,
        ),
    });
    Ok(())
}

/// A past session's start and id, for the stage work and homework that happened in it.
struct Held {
    id: Uuid,
    starts_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Clone, Copy)]
struct Partners {
    involved: Uuid,
    hurt: Uuid,
}

impl Partners {
    fn of(&self, role: PartnerRole) -> Uuid {
        match role {
            PartnerRole::Involved => self.involved,
            PartnerRole::Hurt => self.hurt,
        }
    }
}

fn at_local(zone: TimeZone, day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    local_to_utc(zone, day.and_time(time))
}

/// Forty weekly sessions over the year (a few weeks skipped), each attended with a signed note,
/// one with an addendum; the next one booked for couples still in care, and for some one
/// today as well, so that the dashboard's day plan is full.
#[allow(clippy::too_many_arguments)]
fn sessions(
    ctx: &Context,
    rng: &mut StdRng,
    ids: &mut Ids,
    couple_id: Uuid,
    intake_date: NaiveDate,
    status: CoupleStatus,
    today: bool,
    rows: &mut Rows,
) -> Result<Vec<Held>, CoreError> {
    let zone = ctx.time_zone;
    let hour = rng.random_range(9..19);
    let minute = if rng.random_bool(0.5) { 0 } else { 30 };
    let mut weeks: Vec<i64> = (1..)
        .take_while(|w| {
            at_local(zone, intake_date + Duration::weeks(*w), hour, minute)
                < ctx.now - Duration::days(1)
        })
        .collect();
    // Holidays and illness: drop random weeks until forty remain.
    while weeks.len() > SESSIONS {
        let drop = rng.random_range(0..weeks.len() - 1);
        weeks.remove(drop);
    }
    let video = rng.random_bool(0.3);
    let location = |n: usize| {
        if video || n % 6 == 5 {
            (
                "video".to_owned(),
                Some(format!(
                    "https://video.scale.kintsugi.example/room/{}",
                    n % 12 + 1
                )),
            )
        } else {
            ("office".to_owned(), Some(format!("Room {}", n % 4 + 1)))
        }
    };
    let mut held = Vec::with_capacity(weeks.len());
    for (n, w) in weeks.iter().enumerate() {
        let starts_at = at_local(zone, intake_date + Duration::weeks(*w), hour, minute);
        let ends_at = starts_at + Duration::minutes(50);
        let id = ids.next();
        let (kind, detail) = location(n);
        rows.sessions.push(counseling_session::Model {
            id,
            couple_id,
            counselor_id: ctx.counselor_id,
            starts_at,
            duration_minutes: 50,
            location_kind: kind,
            location_detail: detail,
            attendance: Some("attended".to_owned()),
            cancelled_at: None,
            created_at: starts_at - Duration::days(7),
            updated_at: ends_at + Duration::minutes(5),
        });
        let signed_at = ends_at + Duration::minutes(rng.random_range(20..240));
        rows.notes.push(signed_note(
            rng,
            ids.next(),
            id,
            ctx.counselor_id,
            ends_at,
            signed_at,
        )?);
        held.push(Held {
            id,
            starts_at,
            updated_at: ends_at + Duration::minutes(5),
        });
    }
    // One addendum, on one of the recent notes.
    let recent = rows.notes.len().saturating_sub(held.len().min(10));
    if let Some(n) = rows
        .notes
        .get(rng.random_range(recent..rows.notes.len().max(recent + 1)))
    {
        let written_at = Ord::min(n.signed_at.unwrap_or(ctx.now) + Duration::days(2), ctx.now);
        let text = AddendumText::parse(pick::<&str>(rng, &words::ADDENDA))?;
        let id = ids.next();
        let note_id = n.id;
        rows.addenda.push(note_addendum::Model {
            id,
            note_id,
            body: crypto::seal(Field::AddendumBody, id, text.as_str())?,
            signed_by: ctx.counselor_id,
            signed_at: written_at,
            content_hash: text.content_hash(note_id, written_at),
        });
    }
    if status == CoupleStatus::Active {
        let (kind, detail) = location(held.len());
        let mut next = vec![today_plus(ctx, rng.random_range(3..8), hour, minute)];
        if today {
            next.push(today_plus(ctx, 0, rng.random_range(8..20), minute));
        }
        for starts_at in next {
            rows.sessions.push(counseling_session::Model {
                id: ids.next(),
                couple_id,
                counselor_id: ctx.counselor_id,
                starts_at,
                duration_minutes: 50,
                location_kind: kind.clone(),
                location_detail: detail.clone(),
                attendance: None,
                cancelled_at: None,
                created_at: ctx.now - Duration::days(3),
                updated_at: ctx.now - Duration::days(3),
            });
        }
    }
    Ok(held)
}

fn today_plus(ctx: &Context, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let today = ctx.now.with_timezone(&ctx.time_zone.tz()).date_naive();
    at_local(ctx.time_zone, today + Duration::days(days), hour, minute)
}

fn signed_note(
    rng: &mut StdRng,
    id: Uuid,
    session_id: Uuid,
    counselor_id: Uuid,
    ends_at: DateTime<Utc>,
    signed_at: DateTime<Utc>,
) -> Result<note::Model, CoreError> {
    let soap = rng.random_bool(0.2);
    let sections: Vec<(&str, String)> = if soap {
        vec![
            ("subjective", paragraph(rng, &words::OBSERVED)),
            ("objective", paragraph(rng, &words::OBSERVED)),
            ("assessment", paragraph(rng, &words::ASSESSED)),
            ("plan", paragraph(rng, &words::PLANNED)),
        ]
    } else {
        vec![
            ("data", paragraph(rng, &words::OBSERVED)),
            ("assessment", paragraph(rng, &words::ASSESSED)),
            ("plan", paragraph(rng, &words::PLANNED)),
        ]
    };
    let format = if soap { "SOAP" } else { "DAP" };
    let content = NoteContent::parse(format, |key| {
        sections
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, t)| t.as_str())
    })?;
    Ok(note::Model {
        id,
        session_id,
        format: content.format(),
        body: crypto::seal(Field::NoteBody, id, &content.to_body())?,
        status: NoteStatus::Signed,
        signed_by: Some(counselor_id),
        signed_at: Some(signed_at),
        content_hash: Some(content.content_hash(session_id)),
        // Saved once as a draft, then signed.
        version: 2,
        created_at: ends_at + Duration::minutes(5),
        updated_at: signed_at,
    })
}

/// Stage work spread over the sessions: each completed stage rated twice (mixed, then
/// consistent) and confirmed; the current stage rated once. The pure rules decide what each
/// step changes, as they do for the stage service.
#[allow(clippy::too_many_arguments)]
fn stages(
    ctx: &Context,
    rng: &mut StdRng,
    ids: &mut Ids,
    couple_id: Uuid,
    intake: DateTime<Utc>,
    open_agreement: bool,
    sessions: &[Held],
    rows: &mut Rows,
) -> Result<Progress, CoreError> {
    let counselor = Some(ctx.counselor_id);
    let mut progress = Progress::new(false);
    let mut state: BTreeMap<Stage, stage_progress::Model> = Stage::ALL
        .into_iter()
        .map(|stage| {
            let first = stage == Stage::Admission;
            let row = stage_progress::Model {
                id: ids.next(),
                couple_id,
                stage,
                status: if first {
                    StageStatus::InProgress
                } else {
                    StageStatus::NotStarted
                },
                started_at: first.then_some(intake),
                completed_at: None,
                completed_by: None,
                updated_at: intake,
            };
            (stage, row)
        })
        .collect();
    rows.events.push(stage_event::Model {
        id: ids.next(),
        couple_id,
        stage: Stage::Admission,
        kind: StageEventKind::Started,
        reason: None,
        actor_id: counselor,
        at: intake,
    });
    let mut apply = |changes: Vec<Change>,
                     progress: &mut Progress,
                     at: DateTime<Utc>,
                     session: Option<Uuid>,
                     by: Option<Uuid>|
     -> Result<(), CoreError> {
        for change in &changes {
            match change {
                Change::Rated { marker, rating } => rows.ratings.push(marker_rating::Model {
                    id: ids.next(),
                    couple_id,
                    stage: marker.stage(),
                    marker: *marker,
                    rating: *rating,
                    session_id: session,
                    rated_by: by,
                    rated_at: at,
                }),
                Change::Started(stage) | Change::Completed(stage) => {
                    let done = matches!(change, Change::Completed(_));
                    let row = state
                        .get_mut(stage)
                        .ok_or_else(|| CoreError::Internal("a stage row is missing".into()))?;
                    row.updated_at = at;
                    if done {
                        row.status = StageStatus::Complete;
                        row.completed_at = Some(at);
                        row.completed_by = by;
                    } else {
                        row.status = StageStatus::InProgress;
                        row.started_at.get_or_insert(at);
                    }
                    rows.events.push(stage_event::Model {
                        id: ids.next(),
                        couple_id,
                        stage: *stage,
                        kind: if done {
                            StageEventKind::Completed
                        } else {
                            StageEventKind::Started
                        },
                        reason: None,
                        actor_id: by,
                        at,
                    });
                }
                // The generator overrides no gate and reopens nothing.
                Change::GateOverridden { .. } | Change::Reopened { .. } => {}
            }
            progress.apply(change);
        }
        Ok(())
    };
    // As the couple service records an open agreement at creation.
    let agreed = progress.set_open_agreement(open_agreement);
    apply(agreed, &mut progress, intake, None, None)?;

    let completed = stages_completed(rng);
    let mut steps: Vec<(Stage, bool)> = Vec::new();
    for stage in Stage::ALL.into_iter().take(completed) {
        steps.push((stage, false));
        steps.push((stage, true));
    }
    if let Some(current) = Stage::ALL.get(completed) {
        steps.push((*current, false));
    }
    let refused = |r: crate::stages::Refusal| CoreError::Internal(format!("{r:?}"));
    for (n, (stage, finish)) in steps.iter().enumerate() {
        let Some(session) = sessions.get((n + 1) * sessions.len() / (steps.len() + 1)) else {
            break;
        };
        let at = session.starts_at + Duration::minutes(45);
        let ratings: Vec<(Marker, Rating)> = stage
            .markers()
            .filter(|m| m.applies(progress.open_agreement))
            .map(|m| {
                let rating = if *finish {
                    Rating::Consistent
                } else {
                    *pick(
                        rng,
                        &[
                            Rating::NotYet,
                            Rating::Emerging,
                            Rating::Emerging,
                            Rating::Consistent,
                        ],
                    )
                };
                (m, rating)
            })
            .collect();
        let changes = progress.rate(&ratings).map_err(refused)?;
        apply(changes, &mut progress, at, Some(session.id), counselor)?;
        if *finish {
            let changes = progress.complete(*stage).map_err(refused)?;
            apply(
                changes,
                &mut progress,
                at + Duration::minutes(2),
                None,
                counselor,
            )?;
        }
    }
    rows.stages.extend(state.into_values());
    Ok(progress)
}

/// A client's answer to one prompt.
fn answer(rng: &mut StdRng, prompt: &Prompt) -> Answer {
    match &prompt.kind {
        PromptKind::LongText => Answer::Text(paragraph(rng, &words::ANSWERS)),
        PromptKind::ShortText => Answer::Text((*pick(rng, &words::SHORT_ANSWERS)).to_owned()),
        PromptKind::Scale { .. } => Answer::Number(rng.random_range(2..=9)),
        PromptKind::SingleChoice { options } => Answer::Text(pick(rng, options).clone()),
        PromptKind::Checklist { options } => {
            let n = rng.random_range(1..=options.len().min(3));
            let start = rng.random_range(0..options.len());
            let mut chosen: Vec<usize> = (0..n).map(|i| (start + i) % options.len()).collect();
            chosen.sort_unstable();
            Answer::Choices(chosen.into_iter().map(|i| options[i].clone()).collect())
        }
    }
}

/// Stored answers (JSON by prompt key, as the response store writes them), sealed.
fn sealed_answers(
    response_id: Uuid,
    answers: &BTreeMap<String, Answer>,
) -> Result<String, CoreError> {
    let json = serde_json::to_string(answers).map_err(|e| CoreError::Internal(e.to_string()))?;
    crypto::seal(Field::ResponseAnswers, response_id, &json)
}

struct Answered {
    status: ResponseStatus,
    answers: Option<BTreeMap<String, Answer>>,
    shared: bool,
    submitted_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    comment: Option<&'static str>,
}

fn response_row(
    id: Uuid,
    assignment: &assignment::Model,
    partner_id: Uuid,
    a: Answered,
) -> Result<response::Model, CoreError> {
    let version = match a.status {
        ResponseStatus::Assigned => 1,
        ResponseStatus::Draft => 2,
        ResponseStatus::Submitted | ResponseStatus::Reviewed => 3,
    };
    let updated_at = a
        .reviewed_at
        .or(a.submitted_at)
        .unwrap_or(assignment.created_at);
    Ok(response::Model {
        id,
        assignment_id: assignment.id,
        partner_id,
        status: a.status,
        answers: a
            .answers
            .map(|answers| sealed_answers(id, &answers))
            .transpose()?,
        shared_with_partner: a.shared,
        submitted_at: a.submitted_at,
        reviewed_at: a.reviewed_at,
        counselor_comment: crypto::seal_opt(Field::ResponseComment, id, a.comment)?,
        idempotency_key: None,
        version,
        created_at: assignment.created_at,
        updated_at,
    })
}

/// The latest session at or before `at` (homework is given in session).
fn session_before(sessions: &[Held], at: DateTime<Utc>) -> Option<&Held> {
    let n = sessions.partition_point(|s| s.starts_at <= at);
    n.checked_sub(1).and_then(|i| sessions.get(i))
}

/// Twenty exercises of the stages the couple has reached, spread over the year: most
/// submitted (the older ones reviewed), a few overdue or left as drafts, the last two still
/// ahead.
#[allow(clippy::too_many_arguments)]
fn exercises(
    ctx: &Context,
    catalog: &Catalog,
    rng: &mut StdRng,
    ids: &mut Ids,
    couple_id: Uuid,
    intake: DateTime<Utc>,
    partners: &Partners,
    progress: &Progress,
    sessions: &[Held],
    rows: &mut Rows,
) -> Result<(), CoreError> {
    let reached = progress.current_stage().map_or(6, |s| s.number());
    let mut open: Vec<&CatalogExercise> = catalog
        .exercises
        .iter()
        .filter(|e| e.stage.number() <= reached)
        .collect();
    if open.len() < 3 {
        open = catalog.exercises.iter().collect();
    }
    if open.is_empty() {
        return Ok(());
    }
    let first_due = intake + Duration::days(14);
    let last_past = ctx.now - Duration::days(5);
    for j in 0..EXERCISES {
        let exercise = open[(j * 7 + rng.random_range(0..3)) % open.len()];
        let due_instant = match j {
            18 => ctx.now + Duration::days(rng.random_range(2..5)),
            19 => ctx.now + Duration::days(rng.random_range(6..12)),
            _ => first_due + (last_past - first_due) * (j as i32) / 17,
        };
        let due_day = due_instant.with_timezone(&ctx.time_zone.tz()).date_naive();
        let due_at = at_local(ctx.time_zone, due_day, 20, 0);
        let created_at = Ord::max(due_at - Duration::days(7), intake);
        let session = session_before(sessions, created_at)
            .filter(|s| created_at - s.starts_at < Duration::days(8));
        let assignment = assignment::Model {
            id: ids.next(),
            couple_id,
            exercise_id: exercise.id,
            series_id: None,
            due_at,
            visibility: Visibility::Shareable,
            recurrence: None,
            recurrence_until: None,
            created_by: Some(ctx.counselor_id),
            cancelled_at: None,
            session_id: session.map(|s| s.id),
            created_at: session.map_or(created_at, |s| s.updated_at),
            updated_at: session.map_or(created_at, |s| s.updated_at),
        };
        for role in PartnerRole::BOTH {
            if !exercise.recipient.includes(role) {
                continue;
            }
            let full = |rng: &mut StdRng| -> BTreeMap<String, Answer> {
                exercise
                    .prompts
                    .iter()
                    .map(|p| (p.key.clone(), answer(rng, p)))
                    .collect()
            };
            let draft = |rng: &mut StdRng| -> BTreeMap<String, Answer> {
                exercise
                    .prompts
                    .iter()
                    .take(1)
                    .map(|p| (p.key.clone(), answer(rng, p)))
                    .collect()
            };
            let answered = if due_at > ctx.now {
                if rng.random_bool(0.3) {
                    Answered::draft(draft(rng))
                } else {
                    Answered::nothing()
                }
            } else {
                match rng.random_range(0..100) {
                    0..6 => Answered::nothing(),
                    6..10 => Answered::draft(draft(rng)),
                    _ => {
                        let submitted_at = Ord::max(
                            due_at - Duration::hours(rng.random_range(2..72)),
                            assignment.created_at + Duration::hours(1),
                        );
                        let reviewed =
                            due_at < ctx.now - Duration::days(21) || rng.random_bool(0.5);
                        let reviewed_at = Ord::min(
                            submitted_at + Duration::days(rng.random_range(1..5)),
                            ctx.now,
                        );
                        Answered {
                            status: if reviewed {
                                ResponseStatus::Reviewed
                            } else {
                                ResponseStatus::Submitted
                            },
                            answers: Some(full(rng)),
                            shared: rng.random_bool(0.4),
                            submitted_at: Some(submitted_at),
                            reviewed_at: reviewed.then_some(reviewed_at),
                            comment: (reviewed && rng.random_bool(0.5))
                                .then(|| *pick(rng, &words::COMMENTS)),
                        }
                    }
                }
            };
            rows.responses.push(response_row(
                ids.next(),
                &assignment,
                partners.of(role),
                answered,
            )?);
        }
        rows.assignments.push(assignment);
    }
    Ok(())
}

impl Answered {
    fn nothing() -> Self {
        Self {
            status: ResponseStatus::Assigned,
            answers: None,
            shared: false,
            submitted_at: None,
            reviewed_at: None,
            comment: None,
        }
    }

    fn draft(answers: BTreeMap<String, Answer>) -> Self {
        Self {
            status: ResponseStatus::Draft,
            answers: Some(answers),
            ..Self::nothing()
        }
    }
}

/// A year of weekly connection check-ins for both partners, the latest still ahead. Ratings
/// rise over the year with some noise; for a few couples the partners' trust drifts apart in
/// the last weeks, so the couple page's divergence flag shows.
fn checkins(
    ctx: &Context,
    catalog: &Catalog,
    rng: &mut StdRng,
    ids: &mut Ids,
    couple_id: Uuid,
    partners: Partners,
    rows: &mut Rows,
) -> Result<(), CoreError> {
    let Some(checkin) = &catalog.connection_checkin else {
        return Ok(());
    };
    let zone = ctx.time_zone;
    let today = ctx.now.with_timezone(&zone.tz()).date_naive();
    let last_day = today + Duration::days(rng.random_range(1..7));
    let first_day = last_day - Duration::weeks(CHECKINS as i64 - 1);
    let created_at = at_local(zone, first_day, 9, 0) - Duration::days(3);
    let series = ids.next();
    let start: f64 = rng.random_range(2.0..5.0);
    let gain: f64 = rng.random_range(1.5..5.0);
    let diverging = rng.random_bool(0.08);
    for w in 0..CHECKINS {
        let due_at = at_local(zone, first_day + Duration::weeks(w as i64), 20, 0);
        let assignment = assignment::Model {
            id: ids.next(),
            couple_id,
            exercise_id: checkin.id,
            series_id: Some(series),
            due_at,
            visibility: Visibility::CounselorOnly,
            recurrence: Some(Recurrence::Weekly),
            recurrence_until: Some(last_day),
            created_by: Some(ctx.counselor_id),
            cancelled_at: None,
            session_id: None,
            created_at,
            updated_at: created_at,
        };
        let progress = w as f64 / (CHECKINS - 1) as f64;
        for role in PartnerRole::BOTH {
            let answered = if due_at > ctx.now || rng.random_bool(0.04) {
                Answered::nothing()
            } else {
                let lag = if role == PartnerRole::Hurt { 1.0 } else { 0.0 };
                let late = diverging && w + 4 >= CHECKINS;
                let answers = checkin
                    .prompts
                    .iter()
                    .filter_map(|p| {
                        let value = match (&p.kind, late, role) {
                            (PromptKind::Scale { .. }, true, PartnerRole::Involved) => 9.0,
                            (PromptKind::Scale { .. }, true, PartnerRole::Hurt) => 3.0,
                            (PromptKind::Scale { .. }, false, _) => {
                                start + gain * progress - lag + rng.random_range(-1.0..1.0)
                            }
                            _ if rng.random_bool(0.25) => {
                                return Some((p.key.clone(), answer(rng, p)));
                            }
                            _ => return None,
                        };
                        let n = value.round().clamp(0.0, 10.0) as u8;
                        Some((p.key.clone(), Answer::Number(n)))
                    })
                    .collect();
                // The counselor reads check-ins as they come; the last fortnight's wait.
                let submitted_at = due_at - Duration::hours(rng.random_range(1..30));
                let reviewed = submitted_at < ctx.now - Duration::days(14);
                Answered {
                    status: if reviewed {
                        ResponseStatus::Reviewed
                    } else {
                        ResponseStatus::Submitted
                    },
                    answers: Some(answers),
                    shared: false,
                    submitted_at: Some(submitted_at),
                    reviewed_at: reviewed.then(|| submitted_at + Duration::days(2)),
                    comment: None,
                }
            };
            rows.responses.push(response_row(
                ids.next(),
                &assignment,
                partners.of(role),
                answered,
            )?);
        }
        rows.assignments.push(assignment);
    }
    Ok(())
}
