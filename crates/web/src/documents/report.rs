//! The progress report document for a period: the stage timeline, gate overrides and
//! reopenings with their reasons, the marker ratings as they stood at the end of the period,
//! homework completion per partner, sessions by attendance and the check-in charts. The
//! timeline and charts come from the couple page's own builders.

use chrono::{Days, NaiveDate, NaiveTime};
use kintsugi_core::FieldErrors;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store as couples;
use kintsugi_core::entities::counselor;
use kintsugi_core::homework::ResponseStatus;
use kintsugi_core::homework::assignments::{self, local_to_utc};
use kintsugi_core::homework::checkins;
use kintsugi_core::practice::settings;
use kintsugi_core::sessions::report_data::{self, complete_at, ratings_at, stage_at};
use kintsugi_core::sessions::store as sessions;
use kintsugi_core::sessions::{Attendance, SessionState};
use kintsugi_core::stages::store as stages;
use kintsugi_core::stages::{Stage, StageEventKind};
use kintsugi_reports::progress::{
    HomeworkLine, ProgressDoc, SessionCounts, StageEventLine, StageMarkers,
};
use uuid::Uuid;

use super::{long_date, paper, partner_lines, partner_name};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::homework_review::chart_between;
use crate::views::stages::{event_text, timeline_between};

/// The longest period a report covers.
const MAX_DAYS: i64 = 10 * 366;

pub(super) async fn document(
    state: &AppState,
    counselor: &counselor::Model,
    couple_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ProgressDoc, AppError> {
    let db = &state.db;
    let record = couples::get(db, counselor.id, couple_id).await?;
    if from > to {
        let mut errors = FieldErrors::new();
        errors.add("from", "must not be after to");
        return Err(AppError::Invalid(errors));
    }
    if (to - from).num_days() > MAX_DAYS {
        let mut errors = FieldErrors::new();
        errors.add("from", "the period can span at most ten years");
        return Err(AppError::Invalid(errors));
    }
    let practice = settings::ensure(db, state.clock()).await?;
    let tz = counselor.timezone;
    let now = state.clock().now();
    // The period is whole local days: from `from` 00:00 up to the midnight after `to`.
    let start = local_to_utc(tz, from.and_time(NaiveTime::MIN));
    let end = local_to_utc(
        tz,
        to.checked_add_days(Days::new(1))
            .unwrap_or(to)
            .and_time(NaiveTime::MIN),
    );
    let within = |at| start <= at && at < end;

    let history = stages::history(db, &record.couple).await?;
    let ratings = report_data::marker_history(db, couple_id).await?;
    let homework = assignments::for_couple(db, &record).await?;
    let held = sessions::for_couple_between(db, couple_id, start, end).await?;
    let series = checkins::scale_series(db, &record).await?;

    let current = if end >= now {
        history.progress.current_stage()
    } else {
        stage_at(&history.events, end)
    };
    let open = record.couple.open_agreement;

    let stage_events = history
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                StageEventKind::GateOverride | StageEventKind::Reopened
            )
        })
        .filter(|e| within(e.at))
        .map(|e| StageEventLine {
            date: long_date(e.at.with_timezone(&tz.tz()).date_naive()),
            text: if e.kind == StageEventKind::Reopened {
                format!("{} ({})", event_text(e), e.stage.name())
            } else {
                event_text(e)
            },
            reason: e.reason.clone(),
        })
        .collect();

    // The ratings as they stood at the end of the period, for each stage begun by then.
    let rated = ratings_at(&ratings, end);
    let complete = complete_at(&history.events, end);
    let begun = |stage: Stage| {
        history
            .events
            .iter()
            .any(|e| e.stage == stage && e.kind == StageEventKind::Started && e.at < end)
    };
    let current_markers = Stage::ALL
        .iter()
        .filter(|stage| {
            Some(**stage) == current
                || complete.contains(stage)
                || begun(**stage)
                || rated.values().any(|r| r.stage == **stage)
        })
        .map(|&stage| {
            let status = if Some(stage) == current {
                " (current)"
            } else if complete.contains(&stage) {
                " (complete)"
            } else {
                ""
            };
            StageMarkers {
                stage: format!("{} · {}{status}", stage.number(), stage.name()),
                markers: stage
                    .markers()
                    .map(|m| {
                        let rating = if !m.applies(open) {
                            "Not applicable".to_owned()
                        } else {
                            rated.get(&m).map_or_else(
                                || "Not yet rated".to_owned(),
                                |r| r.rating.label().to_owned(),
                            )
                        };
                        (m.title(open).to_owned(), rating)
                    })
                    .collect(),
            }
        })
        .collect();

    let homework_lines = PartnerRole::BOTH
        .iter()
        .map(|&role| {
            let mut line = HomeworkLine {
                partner: partner_name(&record, role),
                assigned: 0,
                submitted: 0,
                reviewed: 0,
            };
            let due_in_period = homework
                .iter()
                .filter(|d| d.assignment.cancelled_at.is_none() && within(d.assignment.due_at));
            for d in due_in_period {
                for (_, r) in d.responses.iter().filter(|(who, _)| *who == role) {
                    line.assigned += 1;
                    if matches!(
                        r.status,
                        ResponseStatus::Submitted | ResponseStatus::Reviewed
                    ) {
                        line.submitted += 1;
                    }
                    if r.status == ResponseStatus::Reviewed {
                        line.reviewed += 1;
                    }
                }
            }
            line
        })
        .collect();

    let mut counts = SessionCounts::default();
    for s in &held {
        match SessionState::of(s.attendance.as_deref()) {
            SessionState::Recorded(Attendance::Attended) => counts.attended += 1,
            SessionState::Recorded(Attendance::Cancelled) => counts.cancelled += 1,
            SessionState::Recorded(Attendance::NoShow) => counts.no_show += 1,
            SessionState::Scheduled => {}
        }
    }

    let charts = series
        .iter()
        .filter_map(|s| chart_between(s, &record, tz, from, to))
        .collect();

    Ok(ProgressDoc {
        practice_name: practice.name.clone(),
        counselor_name: counselor.name.clone(),
        couple_label: record.couple.label.clone(),
        partners: partner_lines(&record),
        period_from: long_date(from),
        period_to: long_date(to),
        timeline: timeline_between(&history, from, to, current),
        stage_events,
        current_markers,
        homework: homework_lines,
        sessions: counts,
        charts,
        paper: paper(&practice),
        title: format!("Progress report – {} to {}", long_date(from), long_date(to)),
        generated_at: now,
    })
}
