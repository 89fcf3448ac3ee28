//! Fictional but typical documents: a two-page signed session note and a progress report with
//! a stage timeline and two check-in charts. Used by the tests, the benchmark and the
//! `samples` example, and handy for previews. No real person is described.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::note::{Addendum, MarkerChange, NoteDoc, PartnerLine, Section, Signature};
use crate::pdf::PaperSize;
use crate::progress::{HomeworkLine, ProgressDoc, SessionCounts, StageEventLine, StageMarkers};
use crate::visuals::{Lane, LineChart, Mark, MarkKind, Series, Timeline, YAxis};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn generated() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 2, 9, 15, 0)
        .single()
        .unwrap_or_default()
}

fn partners() -> Vec<PartnerLine> {
    vec![
        PartnerLine {
            role_label: "involved partner".into(),
            name: "Zoë Ñúñez-Łukasiewicz".into(),
        },
        PartnerLine {
            role_label: "hurt partner".into(),
            name: "Renée O’Brien".into(),
        },
    ]
}

/// A signed DAP note of about two A4 pages, with marker changes, homework and an addendum.
pub fn note() -> NoteDoc {
    NoteDoc {
        practice_name: "Harbour Lane Counselling, Łódź".into(),
        counselor_name: "Dr. Amara Wójcik".into(),
        couple_label: "Zoë & Renée".into(),
        partners: partners(),
        session_starts: "Tuesday 24 March 2026, 17:30 (Europe/Warsaw)".into(),
        duration_minutes: 55,
        location: "Office, room 2".into(),
        attendance: "Attended (both partners)".into(),
        stage_at_time: "2 · Validating the pain".into(),
        format: "DAP".into(),
        sections: vec![
            Section {
                heading: "Data".into(),
                body:
                    "Both partners arrived on time. Renée said the week had been \"up and down\": \
                    two difficult evenings after she found old messages on a shared tablet, and a \
                    calmer weekend spent with her sister. Zoë reported that she had kept the \
                    agreed daily check-in on five of seven days and had answered Renée's \
                    questions about the messages without changing the subject.\n\n\
                    In session Renée described the evening with the messages in detail. She named \
                    betrayal and humiliation as the strongest feelings, and said the anger came \
                    later, \"in waves\". Zoë listened, asked two clarifying questions and then \
                    summarised what she had heard; Renée corrected one point (it was not the \
                    content of the messages but the dates that hurt most) and Zoë summarised \
                    again, this time accurately.\n\n\
                    Trust check-in ratings this week: Renée 2 (last week 3), Zoë 7 (last week 7). \
                    Feelings check-in (Renée): hurt 8, betrayal 9, sadness 6, anger 7."
                        .into(),
            },
            Section {
                heading: "Assessment".into(),
                body: "Stage 2 work is progressing. Zoë's listening without defending was \
                    consistent throughout the session, including when Renée's account was hard \
                    to hear; this is a change from four weeks ago, when she explained her \
                    reasons within the first minutes. Renée was able to voice hurt, betrayal and \
                    anger directly to Zoë rather than to the counselor.\n\n\
                    The drop in Renée's trust rating follows the discovery of the messages and is \
                    not read as a setback of the process: she described the discovery as \
                    painful but said Zoë's response to her questions \"was different this time\". \
                    The gap between the partners' trust ratings (5 points) is wide and expected \
                    at this stage; it is named openly with the couple so that Zoë does not read \
                    her own higher rating as a sign that the work is done.\n\n\
                    No risk indicators. Both partners want to continue weekly sessions."
                    .into(),
            },
            Section {
                heading: "Plan".into(),
                body: "Continue stage 2. Zoë continues the reflective-listening practice at home \
                    twice a week, ten minutes each, with Renée choosing the topic. Renée \
                    continues the feelings journal and brings one entry she is willing to share \
                    to the next session. Both keep the daily check-in; the shared tablet is set \
                    up with separate profiles this week (their own suggestion).\n\n\
                    Next session: Tuesday 31 March 2026, 17:30, same room. Review the journal \
                    entry first; then look at how the couple handled the two difficult evenings \
                    and what each needed from the other."
                    .into(),
            },
        ],
        marker_changes: vec![
            MarkerChange {
                marker: "Listens without defending".into(),
                from: "Emerging".into(),
                to: "Consistent".into(),
            },
            MarkerChange {
                marker: "The hurt partner voices hurt, betrayal, sadness and anger".into(),
                from: "Emerging".into(),
                to: "Consistent".into(),
            },
            MarkerChange {
                marker: "Reflects the pain back and apologises for causing it".into(),
                from: "Not yet".into(),
                to: "Emerging".into(),
            },
        ],
        homework_assigned: vec![
            "Reflective listening practice (Zoë), twice a week, due Monday 30 March".into(),
            "Feelings journal (Renée), daily, bring one entry to the next session".into(),
            "Connection check-in (both), weekly, due Sunday 29 March".into(),
        ],
        signature: Some(Signature {
            signer: "Dr. Amara Wójcik".into(),
            signed_at: "Tuesday 24 March 2026, 19:02 (Europe/Warsaw)".into(),
            content_hash: "sha256:9f2c4e1b7a0d3c58e6f1a2b4c7d9e0f13a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d"
                .into(),
        }),
        addenda: vec![Addendum {
            author: "Dr. Amara Wójcik".into(),
            written_at: "Wednesday 25 March 2026, 08:40 (Europe/Warsaw)".into(),
            text: "Renée called to move the next session to Thursday 2 April, 17:30, because of \
                a work trip. The plan above is unchanged."
                .into(),
            content_hash: "sha256:41d8cd98f00b204e9800998ecf8427e0b5f7a1c3e5d7f9b1a3c5e7d9f1b3a5c7"
                .into(),
        }],
        paper: PaperSize::A4,
        title: "Session note – Zoë & Renée – 24 March 2026".into(),
        generated_at: generated(),
    }
}

/// The stage timeline of the sample couple, 5 January to 31 March 2026.
pub fn timeline() -> Timeline {
    let end = date(2026, 3, 31);
    let m = |at: NaiveDate, kind: MarkKind| Mark { at, kind };
    let lane = |label: &str, marks: Vec<Mark>, current: bool| {
        Lane::from_events(label, marks, end, current)
    };
    Timeline {
        start: date(2026, 1, 5),
        end,
        lanes: vec![
            lane(
                "1 Admission",
                vec![
                    m(date(2026, 1, 6), MarkKind::Started),
                    m(date(2026, 2, 3), MarkKind::Completed),
                    m(date(2026, 3, 10), MarkKind::Reopened),
                    m(date(2026, 3, 24), MarkKind::Completed),
                ],
                false,
            ),
            lane(
                "2 Validation",
                vec![m(date(2026, 2, 3), MarkKind::Started)],
                true,
            ),
            lane("3 Openness", vec![], false),
            lane(
                "4 Before the affair",
                vec![m(date(2026, 3, 3), MarkKind::GateOverride)],
                false,
            ),
            lane("5 Struggles", vec![], false),
            lane("6 Reconnection", vec![], false),
        ],
    }
}

fn weekly(from: NaiveDate, values: &[f64]) -> Vec<(NaiveDate, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (from + chrono::Days::new(7 * i as u64), *v))
        .collect()
}

/// The two check-in charts of the sample couple.
pub fn charts() -> Vec<LineChart> {
    let from = date(2026, 1, 11);
    let y = YAxis {
        label: Some("Rating (0–10)".into()),
        ..YAxis::default()
    };
    let trust = LineChart {
        title: "Trust (connection check-in)".into(),
        y: y.clone(),
        x_range: Some((date(2026, 1, 5), date(2026, 3, 31))),
        series: vec![
            Series::new(
                "Zoë (involved partner)",
                Series::INVOLVED,
                weekly(
                    from,
                    &[
                        6.0,
                        6.0,
                        7.0,
                        7.0,
                        f64::NAN,
                        7.0,
                        8.0,
                        7.0,
                        7.0,
                        7.0,
                        7.0,
                        7.0,
                    ],
                ),
            ),
            Series::new(
                "Renée (hurt partner)",
                Series::HURT,
                weekly(
                    from,
                    &[
                        1.0,
                        2.0,
                        2.0,
                        3.0,
                        f64::NAN,
                        3.0,
                        4.0,
                        3.0,
                        4.0,
                        3.0,
                        3.0,
                        2.0,
                    ],
                ),
            ),
        ],
        flag: Some("Trust ratings diverge by 4 or more points over the last two check-ins".into()),
        max_gap_days: Some(10),
    };
    let anger = LineChart {
        title: "Feelings check-in (Renée, hurt partner)".into(),
        y,
        x_range: Some((date(2026, 1, 5), date(2026, 3, 31))),
        series: vec![
            Series::new(
                "Anger",
                Series::HURT,
                weekly(
                    from,
                    &[9.0, 9.0, 8.0, 8.0, 8.0, 7.0, 7.0, 6.0, 7.0, 6.0, 6.0, 7.0],
                ),
            ),
            Series::new(
                "Hurt",
                2,
                weekly(
                    from,
                    &[9.0, 9.0, 9.0, 8.0, 8.0, 8.0, 8.0, 7.0, 8.0, 7.0, 7.0, 8.0],
                ),
            ),
            Series::new(
                "Sadness",
                3,
                weekly(
                    from,
                    &[7.0, 8.0, 7.0, 7.0, 6.0, 6.0, 6.0, 5.0, 6.0, 5.0, 5.0, 6.0],
                ),
            ),
        ],
        flag: None,
        max_gap_days: Some(10),
    };
    vec![trust, anger]
}

/// A progress report for the first quarter of 2026.
pub fn progress() -> ProgressDoc {
    ProgressDoc {
        practice_name: "Harbour Lane Counselling, Łódź".into(),
        counselor_name: "Dr. Amara Wójcik".into(),
        couple_label: "Zoë & Renée".into(),
        partners: partners(),
        period_from: "5 January 2026".into(),
        period_to: "31 March 2026".into(),
        timeline: timeline(),
        stage_events: vec![
            StageEventLine {
                date: "3 March 2026".into(),
                text: "Gate overridden for stage 4".into(),
                reason: Some(
                    "The couple asked to look at the years before the affair alongside stage 2 \
                     work; agreed for two sessions, then reviewed."
                        .into(),
                ),
            },
            StageEventLine {
                date: "10 March 2026".into(),
                text: "Stage 1 reopened".into(),
                reason: Some(
                    "New disclosure: messages from the period of the affair were found; the \
                     acknowledgement is revisited."
                        .into(),
                ),
            },
        ],
        current_markers: vec![
            StageMarkers {
                stage: "1 · Admission and remorse (completed 24 March 2026)".into(),
                markers: vec![
                    ("Full acknowledgement".into(), "Consistent".into()),
                    ("Wrong, without excuses".into(), "Consistent".into()),
                    ("The broken commitment named".into(), "Consistent".into()),
                    ("Remorse experienced as genuine".into(), "Consistent".into()),
                ],
            },
            StageMarkers {
                stage: "2 · Validating the pain (current)".into(),
                markers: vec![
                    (
                        "Invites the hurt partner's feelings".into(),
                        "Consistent".into(),
                    ),
                    ("Listens without defending".into(), "Consistent".into()),
                    ("Feelings voiced".into(), "Consistent".into()),
                    ("Pain reflected back, apology".into(), "Emerging".into()),
                ],
            },
        ],
        homework: vec![
            HomeworkLine {
                partner: "Zoë Ñúñez-Łukasiewicz".into(),
                assigned: 14,
                submitted: 12,
                reviewed: 11,
            },
            HomeworkLine {
                partner: "Renée O’Brien".into(),
                assigned: 15,
                submitted: 11,
                reviewed: 11,
            },
        ],
        sessions: SessionCounts {
            attended: 11,
            cancelled: 1,
            no_show: 0,
        },
        charts: charts(),
        paper: PaperSize::A4,
        title: "Progress report – Zoë & Renée – Q1 2026".into(),
        generated_at: generated(),
    }
}
