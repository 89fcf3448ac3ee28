//! The session note document: the session, the couple, the stage the couple was in when the
//! session began, the note's sections, the markers rated and the homework assigned in that
//! session, the signature and the addenda.

use chrono::NaiveDate;
use kintsugi_core::couples::store as couples;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::counselor;
use kintsugi_core::homework::assignments::{self, AssignmentDetail};
use kintsugi_core::practice::settings;
use kintsugi_core::sessions::note_store;
use kintsugi_core::sessions::report_data::{self, changes_in_session, stage_at};
use kintsugi_core::sessions::store as sessions;
use kintsugi_core::sessions::{Location, SessionState};
use kintsugi_core::stages::store as stages;
use kintsugi_reports::note::{Addendum, MarkerChange, NoteDoc, Section, Signature};
use uuid::Uuid;

use super::{long_date, moment, paper, partner_lines, stage_label};
use crate::error::AppError;
use crate::state::AppState;

/// The note of one of the counselor's sessions as plain data, and the session's local date
/// (for the file name).
pub(super) async fn document(
    state: &AppState,
    counselor: &counselor::Model,
    session_id: Uuid,
) -> Result<(NoteDoc, NaiveDate), AppError> {
    let db = &state.db;
    let found = sessions::get(db, counselor.id, session_id).await?;
    let session = found.session;
    let record = couples::get(db, counselor.id, session.couple_id).await?;
    let practice = settings::ensure(db, state.clock()).await?;
    let note = note_store::get(db, session_id).await?;
    let history = stages::history(db, &record.couple).await?;
    let ratings = report_data::marker_history(db, record.couple.id).await?;
    let homework = assignments::for_couple(db, &record).await?;
    let now = state.clock().now();
    let tz = counselor.timezone;
    let open = record.couple.open_agreement;

    let signers = note
        .iter()
        .flat_map(|n| {
            n.note
                .signed_by
                .into_iter()
                .chain(n.addenda.iter().map(|a| a.signed_by))
        })
        .collect::<Vec<_>>();
    let names = report_data::counselor_names(db, signers).await?;
    let name_of = |id: Uuid| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "A former counselor".into())
    };

    // A session still ahead is in the couple's current stage; an earlier one in the stage
    // that was current when it began.
    let stage = if session.starts_at >= now {
        history.progress.current_stage()
    } else {
        stage_at(&history.events, session.starts_at)
    };

    let marker_changes = changes_in_session(&ratings, session_id)
        .into_iter()
        .map(|c| MarkerChange {
            marker: c.marker.title(open).to_owned(),
            from: c
                .before
                .map_or_else(|| "Not yet rated".to_owned(), |r| r.label().to_owned()),
            to: c.after.label().to_owned(),
        })
        .collect();

    let (format, sections, signature, addenda) = match &note {
        None => (
            practice.note_format.key().to_owned(),
            Vec::new(),
            None,
            Vec::new(),
        ),
        Some(n) => {
            let sections = n
                .content
                .sections()
                .map(|(_, heading, body)| Section {
                    heading: heading.to_owned(),
                    body: body.to_owned(),
                })
                .collect();
            let signature = n.is_signed().then(|| Signature {
                signer: n.note.signed_by.map(&name_of).unwrap_or_default(),
                signed_at: n.note.signed_at.map(|t| moment(t, tz)).unwrap_or_default(),
                content_hash: n.note.content_hash.clone().unwrap_or_default(),
            });
            let addenda = n
                .addenda
                .iter()
                .map(|a| Addendum {
                    author: name_of(a.signed_by),
                    written_at: moment(a.signed_at, tz),
                    text: a.body.clone(),
                    content_hash: a.content_hash.clone(),
                })
                .collect();
            (
                n.content.format().key().to_owned(),
                sections,
                signature,
                addenda,
            )
        }
    };

    let day = session.starts_at.with_timezone(&tz.tz()).date_naive();
    let doc = NoteDoc {
        practice_name: practice.name.clone(),
        counselor_name: counselor.name.clone(),
        couple_label: record.couple.label.clone(),
        partners: partner_lines(&record),
        session_starts: moment(session.starts_at, tz),
        duration_minutes: u32::try_from(session.duration_minutes).unwrap_or(0),
        location: Location::from_columns(
            &session.location_kind,
            session.location_detail.as_deref(),
        )
        .describe(),
        attendance: match SessionState::of(session.attendance.as_deref()) {
            SessionState::Scheduled if session.starts_at <= now => "Not recorded yet".to_owned(),
            state => state.label().to_owned(),
        },
        stage_at_time: stage_label(stage),
        format,
        sections,
        marker_changes,
        homework_assigned: assigned_in(&homework, session_id, tz),
        signature,
        addenda,
        paper: paper(&practice),
        title: format!("Session note – {}", long_date(day)),
        generated_at: now,
    };
    Ok((doc, day))
}

/// The homework given in this session, one line per assignment or recurring series, in the
/// order it falls due.
fn assigned_in(homework: &[AssignmentDetail], session_id: Uuid, tz: TimeZone) -> Vec<String> {
    let mut given: Vec<&AssignmentDetail> = homework
        .iter()
        .filter(|d| d.assignment.session_id == Some(session_id))
        .collect();
    given.sort_by_key(|d| d.assignment.due_at);
    let mut lines: Vec<(Option<Uuid>, String)> = Vec::new();
    for d in given {
        let a = &d.assignment;
        if a.series_id.is_some() && lines.iter().any(|(s, _)| *s == a.series_id) {
            continue;
        }
        let whom = match d.responses.as_slice() {
            [(role, _)] => format!("the {}", role.label().to_lowercase()),
            _ => "both partners".to_owned(),
        };
        let mut line = format!(
            "{} – for {whom}; due {}",
            d.exercise.model.title,
            moment(a.due_at, tz)
        );
        if let (Some(every), Some(until)) = (a.recurrence, a.recurrence_until) {
            line.push_str(&format!(
                ", then {} until {}",
                every.key(),
                long_date(until)
            ));
        }
        if a.cancelled_at.is_some() {
            line.push_str(" (cancelled since)");
        }
        lines.push((a.series_id, line));
    }
    lines.into_iter().map(|(_, l)| l).collect()
}
