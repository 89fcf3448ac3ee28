//! The stage tracker on the couple page: stages, markers, the gate, history and the timeline,
//! prepared from a couple's stage history.

use chrono::{DateTime, NaiveDate, Utc};
use kintsugi_core::entities::stage_event;
use kintsugi_core::stages::store::StageHistory;
use kintsugi_core::stages::{LedBy, Marker, Rating, Stage, StageEventKind, StageStatus};
use kintsugi_reports::visuals::{Lane, Mark, MarkKind, Timeline};

use super::dashboard::Choice;

#[derive(Debug, Clone)]
pub struct MarkerRow {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub applies: bool,
    pub rating_key: &'static str,
    pub rating_label: &'static str,
    pub rated_on: Option<String>,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub date: String,
    pub text: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StageCard {
    pub key: &'static str,
    pub number: u8,
    pub name: &'static str,
    pub led_by: &'static str,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub current: bool,
    pub complete: bool,
    pub started: Option<String>,
    pub completed: Option<String>,
    /// Behind the closed gate: nothing can be done here yet.
    pub gated_closed: bool,
    pub can_rate: bool,
    /// Why completion is not possible yet, if it is not.
    pub not_ready: Option<String>,
    pub markers: Vec<MarkerRow>,
    pub events: Vec<EventRow>,
    /// A reason the counselor typed that was not accepted, shown again.
    pub kept_reason: String,
    /// Open this stage's details on the page.
    pub expanded: bool,
}

#[derive(Debug, Clone)]
pub struct GateView {
    pub open: bool,
    pub overridden: bool,
    pub override_on: Option<String>,
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TrackerView {
    pub stages: Vec<StageCard>,
    pub gate: GateView,
    pub current_label: Option<String>,
    pub timeline_svg: String,
    pub timeline_text: Vec<String>,
}

fn day(at: DateTime<Utc>) -> String {
    super::format_date(at.date_naive())
}

fn led_by(stage: Stage) -> &'static str {
    match stage.led_by() {
        LedBy::Involved => "Led by the involved partner",
        LedBy::Hurt => "Led by the hurt partner",
        LedBy::Both => "Joint work of both partners",
    }
}

pub fn event_text(e: &stage_event::Model) -> String {
    match e.kind {
        StageEventKind::Started => format!("Stage {} started", e.stage.number()),
        StageEventKind::Completed => format!("Stage {} confirmed complete", e.stage.number()),
        StageEventKind::Reopened => format!("Stage {} reopened", e.stage.number()),
        StageEventKind::GateOverride => "Gate to stages 4 to 6 overridden".to_owned(),
    }
}

/// Which stage a kept reason belongs to, and its text.
pub type KeptReason = Option<(Stage, String)>;

pub fn tracker(
    history: &StageHistory,
    today: NaiveDate,
    kept: &KeptReason,
    focus: Option<Stage>,
) -> TrackerView {
    let p = &history.progress;
    let open = p.open_agreement;
    let current = p.current_stage();
    let gate_event = history
        .events
        .iter()
        .find(|e| e.kind == StageEventKind::GateOverride);
    let stages = Stage::ALL
        .iter()
        .map(|&stage| {
            let row = history.row(stage);
            let status = p.status(stage);
            let (status_key, status_label) = match status {
                StageStatus::NotStarted => ("not-started", "Not started"),
                StageStatus::InProgress => ("in-progress", "In progress"),
                StageStatus::Complete => ("complete", "Complete"),
            };
            let gated_closed = stage.is_gated() && !p.gate_open();
            let complete = status == StageStatus::Complete;
            let markers = stage
                .markers()
                .map(|m: Marker| {
                    let rating = p.rating(m);
                    let rated_on = history.latest.get(&m).map(|r| day(r.rated_at));
                    MarkerRow {
                        key: m.key(),
                        title: m.title(open),
                        description: m.description(open),
                        applies: m.applies(open),
                        rating_key: rating.key(),
                        rating_label: rating.label(),
                        rated_on,
                        options: Rating::CHOOSABLE
                            .iter()
                            .map(|r| Choice {
                                key: r.key(),
                                label: r.label(),
                                selected: *r == rating,
                            })
                            .collect(),
                    }
                })
                .collect();
            let not_ready = if complete || gated_closed {
                None
            } else {
                p.complete(stage).err().map(|refusal| refusal.explain(open))
            };
            let events = history
                .events
                .iter()
                .filter(|e| e.stage == stage && e.kind != StageEventKind::GateOverride)
                .map(|e| EventRow {
                    date: day(e.at),
                    text: event_text(e),
                    reason: e.reason.clone(),
                })
                .collect();
            StageCard {
                key: stage.key(),
                number: stage.number(),
                name: stage.name(),
                led_by: led_by(stage),
                status_key,
                status_label,
                current: current == Some(stage),
                complete,
                started: row.and_then(|r| r.started_at).map(day),
                completed: row.and_then(|r| r.completed_at).map(day),
                gated_closed,
                can_rate: !gated_closed && !complete,
                not_ready,
                markers,
                events,
                kept_reason: kept
                    .as_ref()
                    .filter(|(s, _)| *s == stage)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_default(),
                expanded: focus.map_or(current == Some(stage), |f| f == stage),
            }
        })
        .collect();
    let (timeline_svg, timeline_text) = timeline(history, today, current);
    TrackerView {
        stages,
        gate: GateView {
            open: p.gate_open(),
            overridden: p.gate_overridden(),
            override_on: gate_event.map(|e| day(e.at)),
            override_reason: gate_event.and_then(|e| e.reason.clone()),
        },
        current_label: current.map(|s| format!("{} · {}", s.number(), s.name())),
        timeline_svg,
        timeline_text,
    }
}

/// The timeline model (shared with the PDF progress report) and its text alternative.
pub fn timeline_model(
    history: &StageHistory,
    today: NaiveDate,
    current: Option<Stage>,
) -> Timeline {
    let start = history
        .events
        .first()
        .map(|e| e.at.date_naive())
        .unwrap_or(today)
        .min(today);
    let end = today.max(start + chrono::Days::new(28));
    Timeline {
        start,
        end,
        lanes: lanes(history, start, today, current),
    }
}

/// The timeline of the days `from` to `to` (the progress report's period): what happened
/// later is left out, bars begun earlier start at the left edge, and bars still open run to
/// `to`.
pub fn timeline_between(
    history: &StageHistory,
    from: NaiveDate,
    to: NaiveDate,
    current: Option<Stage>,
) -> Timeline {
    Timeline {
        start: from,
        end: to.max(from + chrono::Days::new(1)),
        lanes: lanes(history, from, to, current),
    }
}

/// One lane per stage from the events up to `until`, keeping only marks and bars from `from` on.
fn lanes(
    history: &StageHistory,
    from: NaiveDate,
    until: NaiveDate,
    current: Option<Stage>,
) -> Vec<Lane> {
    Stage::ALL
        .iter()
        .map(|&stage| {
            let marks = history
                .events
                .iter()
                .filter(|e| e.stage == stage && e.at.date_naive() <= until)
                .map(|e| Mark {
                    at: e.at.date_naive(),
                    kind: match e.kind {
                        StageEventKind::Started => MarkKind::Started,
                        StageEventKind::Completed => MarkKind::Completed,
                        StageEventKind::Reopened => MarkKind::Reopened,
                        StageEventKind::GateOverride => MarkKind::GateOverride,
                    },
                })
                .collect();
            let mut lane = Lane::from_events(
                format!("{} {}", stage.number(), stage.short_name()),
                marks,
                until,
                current == Some(stage),
            );
            lane.marks.retain(|m| m.at >= from);
            lane.spans.retain(|s| s.to >= from);
            lane
        })
        .collect()
}

fn timeline(
    history: &StageHistory,
    today: NaiveDate,
    current: Option<Stage>,
) -> (String, Vec<String>) {
    let model = timeline_model(history, today, current);
    let svg = model.to_svg("Stage timeline: when each stage was started, completed, reopened, and when the gate was overridden");
    let text = history
        .events
        .iter()
        .map(|e| {
            let mut line = format!("{}: {}", day(e.at), event_text(e));
            if e.kind != StageEventKind::GateOverride {
                line.push_str(&format!(" ({})", e.stage.name()));
            }
            line
        })
        .collect();
    (svg, text)
}
