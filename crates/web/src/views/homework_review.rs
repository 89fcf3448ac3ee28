//! Homework as the counselor sees it: the homework section of the couple page (assign form,
//! assignments with each assignee's status, homework links, check-in charts) and the page that
//! shows one assignment's responses for review. Built from core records into plain values.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, NaiveDate, Utc};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store::CoupleRecord;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::{partner, response};
use kintsugi_core::homework::assignments::{AssignmentDetail, is_overdue};
use kintsugi_core::homework::checkins::{CheckinPoint, ScaleSeries};
use kintsugi_core::homework::library::Exercise;
use kintsugi_core::homework::prompts::{Answer, PromptKind};
use kintsugi_core::homework::responses::decode;
use kintsugi_core::homework::{Recurrence, ResponseStatus, Visibility};
use kintsugi_core::stages::Stage;
use kintsugi_reports::visuals::{LineChart, Series, YAxis};

use super::{Chrome, Errors};

pub use crate::time_format::{local_inputs, short as when};

fn partner_line(p: &partner::Model) -> String {
    format!("{} ({})", p.name, p.role.label().to_lowercase())
}

/// An assignee's status, with overdue standing in for "not submitted after the due time".
pub fn status_of(
    status: ResponseStatus,
    due_at: DateTime<Utc>,
    cancelled: bool,
    now: DateTime<Utc>,
) -> (&'static str, &'static str) {
    if is_overdue(status, due_at, cancelled, now) {
        return (
            "overdue",
            if status == ResponseStatus::Draft {
                "Overdue (draft saved)"
            } else {
                "Overdue"
            },
        );
    }
    match status {
        ResponseStatus::Assigned => ("assigned", "Assigned"),
        ResponseStatus::Draft => ("draft", "Draft saved"),
        ResponseStatus::Submitted => ("submitted", "Submitted"),
        ResponseStatus::Reviewed => ("reviewed", "Reviewed"),
    }
}

fn visibility_label(v: Visibility) -> &'static str {
    match v {
        Visibility::CounselorOnly => "Only you read the answers",
        Visibility::Shareable => "Each partner may choose to share",
    }
}

fn recurrence_label(r: Option<Recurrence>, until: Option<NaiveDate>) -> Option<String> {
    let every = match r? {
        Recurrence::Daily => "Daily",
        Recurrence::Weekly => "Weekly",
    };
    Some(match until {
        Some(u) => format!("{every} until {}", super::format_date(u)),
        None => every.to_owned(),
    })
}

// ---------------------------------------------------------------------------------------------
// The assign form.

/// The assign form as typed: every field a string, so what was typed is shown again.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AssignFormValues {
    pub exercise_id: String,
    /// `exercise` (as the exercise is written), `involved`, `hurt` or `both`.
    pub assignees: String,
    pub due_date: String,
    pub due_time: String,
    pub visibility: String,
    /// Empty (once), `daily` or `weekly`.
    pub recurrence: String,
    pub recurrence_until: String,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub key: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct ExerciseGroup {
    pub label: String,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub struct AssignForm {
    pub values: AssignFormValues,
    pub errors: Errors,
    pub groups: Vec<ExerciseGroup>,
    pub assignees: Vec<Choice>,
    pub visibilities: Vec<Choice>,
    pub recurrences: Vec<Choice>,
    pub time_zone: &'static str,
}

/// The library for the assign form: one group per stage, the couple's current stage first.
pub fn exercise_groups(
    exercises: &[Exercise],
    current: Option<Stage>,
    selected: &str,
) -> Vec<ExerciseGroup> {
    let mut stages: Vec<Stage> = Stage::ALL.to_vec();
    if let Some(c) = current {
        stages.retain(|s| *s != c);
        stages.insert(0, c);
    }
    stages
        .into_iter()
        .filter_map(|stage| {
            let options: Vec<Choice> = exercises
                .iter()
                .filter(|e| e.model.stage == stage)
                .map(|e| Choice {
                    key: e.model.id.to_string(),
                    label: format!(
                        "{} · {}{}",
                        e.model.title,
                        e.model.recipient.label().to_lowercase(),
                        if e.is_builtin() { "" } else { " · yours" }
                    ),
                    selected: e.model.id.to_string() == selected.trim(),
                })
                .collect();
            (!options.is_empty()).then(|| ExerciseGroup {
                label: format!(
                    "Stage {} · {}{}",
                    stage.number(),
                    stage.name(),
                    if Some(stage) == current {
                        " (current stage)"
                    } else {
                        ""
                    }
                ),
                options,
            })
        })
        .collect()
}

fn choices(list: &[(&str, &str)], selected: &str) -> Vec<Choice> {
    list.iter()
        .map(|(k, l)| Choice {
            key: (*k).to_owned(),
            label: (*l).to_owned(),
            selected: *k == selected,
        })
        .collect()
}

pub fn assign_form(
    values: AssignFormValues,
    errors: Errors,
    exercises: &[Exercise],
    current: Option<Stage>,
    tz: TimeZone,
) -> AssignForm {
    AssignForm {
        groups: exercise_groups(exercises, current, &values.exercise_id),
        assignees: choices(
            &[
                ("exercise", "As the exercise is written"),
                ("involved", "Involved partner"),
                ("hurt", "Hurt partner"),
                ("both", "Both partners"),
            ],
            &values.assignees,
        ),
        visibilities: choices(
            &[
                ("counselor_only", "Only I read the answers"),
                (
                    "shareable",
                    "Each partner may choose to share their answers with the other",
                ),
            ],
            &values.visibility,
        ),
        recurrences: choices(
            &[
                ("", "Once"),
                ("daily", "Every day"),
                ("weekly", "Every week"),
            ],
            &values.recurrence,
        ),
        values,
        errors,
        time_zone: tz.name(),
    }
}

// ---------------------------------------------------------------------------------------------
// Assignments on the couple page.

#[derive(Debug, Clone)]
pub struct AssigneeStatus {
    pub name: String,
    pub role_label: &'static str,
    pub status_key: &'static str,
    pub status_label: &'static str,
}

#[derive(Debug, Clone)]
pub struct AssignmentRow {
    pub id: String,
    pub title: String,
    pub due: String,
    pub due_date: String,
    pub due_time: String,
    pub visibility_label: &'static str,
    pub recurrence: Option<String>,
    pub assignees: Vec<AssigneeStatus>,
    pub cancelled: Option<String>,
    /// Submitted responses not yet reviewed.
    pub to_review: usize,
    /// For the first upcoming occurrence of a series: how many more follow.
    pub more: usize,
}

#[derive(Debug, Clone)]
pub struct HomeworkSection {
    pub assign: AssignForm,
    pub upcoming: Vec<AssignmentRow>,
    /// The latest past assignments (all of them when asked for).
    pub past: Vec<AssignmentRow>,
    /// Earlier past assignments left off the page.
    pub past_hidden: usize,
    pub cancelled: Vec<AssignmentRow>,
}

impl HomeworkSection {
    pub fn is_empty(&self) -> bool {
        self.upcoming.is_empty() && self.past.is_empty() && self.cancelled.is_empty()
    }
}

fn row(
    d: &AssignmentDetail,
    record: &CoupleRecord,
    tz: TimeZone,
    now: DateTime<Utc>,
) -> AssignmentRow {
    let a = &d.assignment;
    let cancelled = a.cancelled_at.is_some();
    let (due_date, due_time) = local_inputs(a.due_at, tz);
    AssignmentRow {
        id: a.id.to_string(),
        title: d.exercise.model.title.clone(),
        due: when(a.due_at, tz),
        due_date,
        due_time,
        visibility_label: visibility_label(a.visibility),
        recurrence: recurrence_label(a.recurrence, a.recurrence_until),
        assignees: d
            .responses
            .iter()
            .map(|(role, r)| {
                let (status_key, status_label) = status_of(r.status, a.due_at, cancelled, now);
                AssigneeStatus {
                    name: record.partner(*role).name.clone(),
                    role_label: role.label(),
                    status_key,
                    status_label,
                }
            })
            .collect(),
        cancelled: a.cancelled_at.map(|t| when(t, tz)),
        to_review: d
            .responses
            .iter()
            .filter(|(_, r)| r.status == ResponseStatus::Submitted)
            .count(),
        more: 0,
    }
}

/// Assignments split into upcoming (soonest first; a series shows its next occurrence and how
/// many follow), past due dates (newest first) and cancelled ones.
pub fn homework_lists(
    details: &[AssignmentDetail],
    record: &CoupleRecord,
    tz: TimeZone,
    now: DateTime<Utc>,
) -> (Vec<AssignmentRow>, Vec<AssignmentRow>, Vec<AssignmentRow>) {
    let mut upcoming_details: Vec<&AssignmentDetail> = details
        .iter()
        .filter(|d| d.assignment.cancelled_at.is_none() && d.assignment.due_at >= now)
        .collect();
    upcoming_details.sort_by_key(|d| d.assignment.due_at);
    let mut upcoming: Vec<AssignmentRow> = Vec::new();
    let mut series_rows: BTreeMap<uuid::Uuid, usize> = BTreeMap::new();
    for d in upcoming_details {
        if let Some(series) = d.assignment.series_id {
            if let Some(i) = series_rows.get(&series) {
                upcoming[*i].more += 1;
                continue;
            }
            series_rows.insert(series, upcoming.len());
        }
        upcoming.push(row(d, record, tz, now));
    }
    let mut past_details: Vec<&AssignmentDetail> = details
        .iter()
        .filter(|d| d.assignment.cancelled_at.is_none() && d.assignment.due_at < now)
        .collect();
    past_details.sort_by_key(|d| std::cmp::Reverse(d.assignment.due_at));
    let past = past_details
        .into_iter()
        .map(|d| row(d, record, tz, now))
        .collect();
    let mut cancelled: Vec<&AssignmentDetail> = details
        .iter()
        .filter(|d| d.assignment.cancelled_at.is_some())
        .collect();
    cancelled.sort_by_key(|d| std::cmp::Reverse(d.assignment.due_at));
    let cancelled = cancelled
        .into_iter()
        .map(|d| row(d, record, tz, now))
        .collect();
    (upcoming, past, cancelled)
}

// ---------------------------------------------------------------------------------------------
// Homework links.

#[derive(Debug, Clone)]
pub struct LinkPanel {
    pub role_key: &'static str,
    pub role_label: &'static str,
    pub name: String,
    pub live: u64,
    pub reminders_opt_out: bool,
    pub pin_required: bool,
    pub pin_set: bool,
    /// "paused after wrong PINs until HH:MM", in the counselor's zone.
    pub paused_until: Option<String>,
}

pub fn link_panel(
    role: PartnerRole,
    p: &partner::Model,
    live: u64,
    paused_until: Option<DateTime<Utc>>,
    tz: TimeZone,
) -> LinkPanel {
    LinkPanel {
        role_key: role.key(),
        role_label: role.label(),
        name: p.name.clone(),
        live,
        reminders_opt_out: p.reminders_opt_out,
        pin_required: p.pin_required,
        pin_set: p.pin_hash.is_some(),
        paused_until: paused_until.map(|t| t.with_timezone(&tz.tz()).format("%H:%M").to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Check-in charts.

pub const TRUST_FLAG: &str =
    "Trust ratings diverge by 4 or more points over the last two check-ins";

#[derive(Debug, Clone)]
pub struct ChartView {
    /// The chart without its flag: the page shows the flag as text above it.
    pub svg: String,
    pub text: Vec<String>,
    pub title: String,
    /// The question, as the partners read it.
    pub question: String,
    pub flag: Option<String>,
}

fn humanize(key: &str) -> String {
    key.replace('_', " ")
}

/// The chart of one 0-10 prompt: both partners on one chart where both answered.
pub fn chart(series: &ScaleSeries, record: &CoupleRecord, tz: TimeZone) -> LineChart {
    let mut chart = LineChart::new(format!(
        "{}: {}",
        series.exercise_title,
        humanize(&series.prompt_key)
    ));
    chart.y = YAxis {
        label: Some("Rating (0–10)".into()),
        ..YAxis::default()
    };
    for role in PartnerRole::BOTH {
        let points: Vec<(NaiveDate, f64)> = series
            .values_of(role)
            .iter()
            .map(|p| (checkin_day(p, tz), f64::from(p.value)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let style = match role {
            PartnerRole::Involved => Series::INVOLVED,
            PartnerRole::Hurt => Series::HURT,
        };
        chart.series.push(Series::new(
            partner_line(record.partner(role)),
            style,
            points,
        ));
    }
    if series.trust_flag() {
        chart.flag = Some(TRUST_FLAG.into());
    }
    chart
}

/// The day a check-in is charted on: when it was done, or its due date when it was done late
/// (catching up on missed weeks does not pile every rating onto one day).
fn checkin_day(p: &CheckinPoint, tz: TimeZone) -> NaiveDate {
    p.at.min(p.due_at).with_timezone(&tz.tz()).date_naive()
}

/// The chart of one prompt over the days `from` to `to` (the progress report's period), with
/// the divergence flag as it stood at the end of the period; `None` when nothing was rated then.
pub fn chart_between(
    series: &ScaleSeries,
    record: &CoupleRecord,
    tz: TimeZone,
    from: NaiveDate,
    to: NaiveDate,
) -> Option<LineChart> {
    let mut within = series.clone();
    within
        .points
        .retain(|p| (from..=to).contains(&checkin_day(p, tz)));
    if within.points.is_empty() {
        return None;
    }
    let mut c = chart(&within, record, tz);
    c.x_range = Some((from, to));
    Some(c)
}

pub fn chart_views(series: &[ScaleSeries], record: &CoupleRecord, tz: TimeZone) -> Vec<ChartView> {
    series
        .iter()
        .map(|s| {
            let mut c = chart(s, record, tz);
            let text = c.text_alternative();
            let flag = c.flag.take();
            ChartView {
                svg: c.to_svg(),
                text,
                title: c.title.clone(),
                question: s.prompt_label.clone(),
                flag,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The review page of one assignment.

#[derive(Debug, Clone)]
pub struct AnswerView {
    pub label: String,
    /// Text, or the chosen items joined; empty when not answered.
    pub text: String,
    pub items: Vec<String>,
    /// A 0-10 rating.
    pub number: Option<u8>,
    pub low: String,
    pub high: String,
    pub answered: bool,
}

#[derive(Debug, Clone)]
pub struct ResponseView {
    pub id: String,
    pub name: String,
    pub role_label: &'static str,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub submitted: Option<String>,
    pub reviewed: Option<String>,
    pub final_: bool,
    pub shared: bool,
    pub answers: Vec<AnswerView>,
    pub comment: String,
    pub comment_error: Option<String>,
}

fn answer_view(label: &str, kind: Option<&PromptKind>, answer: Option<&Answer>) -> AnswerView {
    let (low, high) = match kind {
        Some(PromptKind::Scale {
            low_label,
            high_label,
        }) => (low_label.clone(), high_label.clone()),
        _ => (String::new(), String::new()),
    };
    let mut view = AnswerView {
        label: label.to_owned(),
        text: String::new(),
        items: Vec::new(),
        number: None,
        low,
        high,
        answered: answer.is_some(),
    };
    match answer {
        Some(Answer::Number(n)) => view.number = Some(*n),
        Some(Answer::Text(t)) => view.text = t.clone(),
        Some(Answer::Choices(c)) => view.items = c.clone(),
        None => {}
    }
    view
}

/// Every prompt with its answer, in order; answers to prompts no longer in the exercise (it
/// was edited since) follow under their short names, so nothing written is hidden.
pub fn answers(exercise: &Exercise, r: &response::Model) -> Vec<AnswerView> {
    let given = decode(r.answers.as_deref());
    let mut out: Vec<AnswerView> = exercise
        .prompts
        .iter()
        .map(|p| answer_view(&p.label, Some(&p.kind), given.get(&p.key)))
        .collect();
    for (key, a) in &given {
        if !exercise.prompts.iter().any(|p| &p.key == key) {
            out.push(answer_view(&humanize(key), None, Some(a)));
        }
    }
    out
}

/// What a refused review or due change keeps, to show it again beside its field.
#[derive(Debug, Clone, Default)]
pub struct ReviewKept {
    pub response_id: Option<uuid::Uuid>,
    pub comment: String,
    pub comment_error: Option<String>,
    pub due_date: Option<String>,
    pub due_time: Option<String>,
    pub due_errors: Errors,
    pub alert: Option<String>,
}

pub fn response_views(
    d: &AssignmentDetail,
    record: &CoupleRecord,
    tz: TimeZone,
    now: DateTime<Utc>,
    kept: &ReviewKept,
) -> Vec<ResponseView> {
    let a = &d.assignment;
    d.responses
        .iter()
        .map(|(role, r)| {
            let (status_key, status_label) =
                status_of(r.status, a.due_at, a.cancelled_at.is_some(), now);
            let this = kept.response_id == Some(r.id);
            ResponseView {
                id: r.id.to_string(),
                name: record.partner(*role).name.clone(),
                role_label: role.label(),
                status_key,
                status_label,
                submitted: r.submitted_at.map(|t| when(t, tz)),
                reviewed: r.reviewed_at.map(|t| when(t, tz)),
                final_: r.status.is_final(),
                shared: r.shared_with_partner,
                answers: if r.status.is_final() {
                    answers(&d.exercise, r)
                } else {
                    Vec::new()
                },
                comment: if this {
                    kept.comment.clone()
                } else {
                    r.counselor_comment.clone().unwrap_or_default()
                },
                comment_error: if this {
                    kept.comment_error.clone()
                } else {
                    None
                },
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "couples/homework.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub couple_id: String,
    pub couple_label: String,
    pub id: String,
    pub title: String,
    pub exercise_id: String,
    pub due: String,
    pub due_date: String,
    pub due_time: String,
    pub due_errors: Errors,
    pub time_zone: &'static str,
    pub visibility_label: &'static str,
    pub shareable: bool,
    pub recurrence: Option<String>,
    pub cancelled: Option<String>,
    pub responses: Vec<ResponseView>,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_replaces_an_unsubmitted_status_after_the_due_time() {
        let now = Utc::now();
        let past = now - chrono::Duration::hours(1);
        assert_eq!(
            status_of(ResponseStatus::Assigned, past, false, now).0,
            "overdue"
        );
        assert_eq!(
            status_of(ResponseStatus::Draft, past, false, now).1,
            "Overdue (draft saved)"
        );
        assert_eq!(
            status_of(ResponseStatus::Submitted, past, false, now).0,
            "submitted"
        );
        assert_eq!(
            status_of(ResponseStatus::Assigned, past, true, now).0,
            "assigned",
            "cancelled homework is never overdue"
        );
    }

    #[test]
    fn times_are_shown_in_the_counselors_zone() {
        let at = DateTime::parse_from_rfc3339("2026-03-29T17:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let berlin = TimeZone::parse("Europe/Berlin").expect("tz");
        assert_eq!(when(at, berlin), "Sun 29 Mar 2026, 19:00");
        assert_eq!(
            local_inputs(at, berlin),
            ("2026-03-29".to_owned(), "19:00".to_owned())
        );
    }
}

/// Everything about homework on the couple page.
#[derive(Debug, Clone)]
pub struct CoupleHomework {
    pub section: HomeworkSection,
    pub links: Vec<LinkPanel>,
    pub charts: Vec<ChartView>,
}
