//! Counseling sessions and their notes: scheduling in the counselor's time zone, attendance,
//! notes in DAP or SOAP form that are drafted, signed with a content hash and locked, and
//! addenda appended after signing.
//!
//! - [`input`]: what a counselor types for a session, parsed into a [`NewSession`].
//! - [`store`]: schedule, reschedule, cancel, attendance, and the lists pages show.
//! - [`notes`]: note formats, sections and the content hash (pure).
//! - [`note_store`]: drafts, signing and addenda.
//! - [`report_period`]: the period a progress report covers (pages and API alike).

pub mod input;
pub mod note_store;
pub mod notes;
pub mod report_data;
pub mod report_period;
pub mod store;

use chrono::{DateTime, Duration, Utc};

pub use input::{NewSession, SessionInput};

/// What happened to a session. A session without attendance is still scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attendance {
    Attended,
    Cancelled,
    NoShow,
}

impl Attendance {
    pub const ALL: [Attendance; 3] = [
        Attendance::Attended,
        Attendance::Cancelled,
        Attendance::NoShow,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Attendance::Attended => "attended",
            Attendance::Cancelled => "cancelled",
            Attendance::NoShow => "no_show",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Attendance::Attended => "Attended",
            Attendance::Cancelled => "Cancelled",
            Attendance::NoShow => "No-show",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Where a session takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In the office; the detail (a room, an address) is optional.
    Office(Option<String>),
    /// A video call at this https address.
    Video(String),
}

impl Location {
    pub fn kind(&self) -> &'static str {
        match self {
            Location::Office(_) => "office",
            Location::Video(_) => "video",
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            Location::Office(d) => d.as_deref(),
            Location::Video(url) => Some(url),
        }
    }

    /// Rebuild from the stored columns.
    pub fn from_columns(kind: &str, detail: Option<&str>) -> Self {
        match (kind, detail) {
            ("video", Some(url)) => Location::Video(url.to_owned()),
            (_, d) => Location::Office(d.map(str::to_owned)),
        }
    }

    /// For people: "Office", "Office · Room 2", "Video call".
    pub fn describe(&self) -> String {
        match self {
            Location::Office(None) => "Office".into(),
            Location::Office(Some(d)) => format!("Office · {d}"),
            Location::Video(_) => "Video call".into(),
        }
    }
}

/// A session's state as the pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Scheduled,
    Recorded(Attendance),
}

impl SessionState {
    pub fn of(attendance: Option<&str>) -> Self {
        attendance
            .and_then(Attendance::from_key)
            .map_or(SessionState::Scheduled, SessionState::Recorded)
    }

    pub fn key(self) -> &'static str {
        match self {
            SessionState::Scheduled => "scheduled",
            SessionState::Recorded(a) => a.key(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionState::Scheduled => "Scheduled",
            SessionState::Recorded(a) => a.label(),
        }
    }
}

/// When a session ends.
pub fn ends_at(starts_at: DateTime<Utc>, duration_minutes: i32) -> DateTime<Utc> {
    starts_at + Duration::minutes(i64::from(duration_minutes))
}

/// Attended and no-show can only be recorded once the session has begun.
pub fn may_record(attendance: Attendance, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    attendance == Attendance::Cancelled || starts_at <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_keys_round_trip() {
        for a in Attendance::ALL {
            assert_eq!(Attendance::from_key(a.key()), Some(a));
        }
        assert_eq!(Attendance::from_key("maybe"), None);
    }

    #[test]
    fn state_without_attendance_is_scheduled() {
        assert_eq!(SessionState::of(None), SessionState::Scheduled);
        assert_eq!(
            SessionState::of(Some("no_show")),
            SessionState::Recorded(Attendance::NoShow)
        );
    }

    #[test]
    fn attendance_waits_for_the_start_but_cancelling_does_not() {
        let start = "2026-05-01T15:00:00Z".parse().expect("time");
        let before = "2026-05-01T14:00:00Z".parse().expect("time");
        assert!(!may_record(Attendance::Attended, start, before));
        assert!(!may_record(Attendance::NoShow, start, before));
        assert!(may_record(Attendance::Cancelled, start, before));
        assert!(may_record(Attendance::Attended, start, start));
    }

    #[test]
    fn location_round_trips_through_columns() {
        let v = Location::Video("https://meet.example/abc".into());
        assert_eq!(Location::from_columns(v.kind(), v.detail()), v);
        let o = Location::Office(Some("Room 2".into()));
        assert_eq!(Location::from_columns(o.kind(), o.detail()), o);
        assert_eq!(o.describe(), "Office · Room 2");
    }
}
