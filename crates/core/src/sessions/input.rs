//! A session as typed: on a page the date and time are local to the counselor; through the API
//! the start is an RFC 3339 instant. Both end as a [`NewSession`].

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::Location;
use crate::domain::TimeZone;
use crate::error::{CoreError, FieldErrors};
use crate::homework::assignments::local_to_utc;

pub const MIN_MINUTES: i32 = 10;
pub const MAX_MINUTES: i32 = 480;
/// A session can be recorded up to a year after it happened, and booked up to two years ahead.
const PAST_LIMIT_DAYS: i64 = 366;
const FUTURE_LIMIT_DAYS: i64 = 2 * 366;
const MAX_DETAIL: usize = 300;

/// How the start was typed.
#[derive(Debug, Clone)]
pub enum StartInput {
    /// `YYYY-MM-DD` and `HH:MM`, in the counselor's zone.
    Local {
        date: String,
        time: String,
        zone: TimeZone,
    },
    /// RFC 3339.
    Instant(String),
}

/// A session as typed (pages and the API share the field names: `date`, `time`, `starts_at`,
/// `duration_minutes`, `location`, `location_detail`).
#[derive(Debug, Clone)]
pub struct SessionInput {
    pub start: StartInput,
    pub duration_minutes: String,
    /// `office` or `video`.
    pub location: String,
    pub location_detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub location: Location,
}

fn parse_start(start: &StartInput, now: DateTime<Utc>) -> Result<DateTime<Utc>, (String, String)> {
    let (field, at) = match start {
        StartInput::Local { date, time, zone } => {
            let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
                (
                    "date".to_owned(),
                    "must be a date such as 2026-03-14".to_owned(),
                )
            })?;
            let t = NaiveTime::parse_from_str(time.trim(), "%H:%M")
                .map_err(|_| ("time".to_owned(), "must be a time such as 14:30".to_owned()))?;
            ("date", local_to_utc(*zone, d.and_time(t)))
        }
        StartInput::Instant(raw) => (
            "starts_at",
            DateTime::parse_from_rfc3339(raw.trim())
                .map_err(|_| {
                    (
                        "starts_at".to_owned(),
                        "must be a time such as 2026-03-14T15:00:00Z".to_owned(),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    if at < now - Duration::days(PAST_LIMIT_DAYS) {
        return Err((
            field.into(),
            "is more than a year ago; sessions are recorded within a year".into(),
        ));
    }
    if at > now + Duration::days(FUTURE_LIMIT_DAYS) {
        return Err((
            field.into(),
            "is more than two years ahead; choose an earlier date".into(),
        ));
    }
    Ok(at)
}

fn parse_duration(raw: &str) -> Result<i32, String> {
    let minutes: i32 = raw
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of minutes".to_string())?;
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes) {
        return Err(format!(
            "must be between {MIN_MINUTES} and {MAX_MINUTES} minutes"
        ));
    }
    Ok(minutes)
}

fn parse_location(kind: &str, detail: &str) -> Result<Location, (String, String)> {
    let detail = detail.trim();
    let err = |field: &str, msg: &str| (field.to_owned(), msg.to_owned());
    if detail.chars().count() > MAX_DETAIL {
        return Err(err(
            "location_detail",
            &format!("must be at most {MAX_DETAIL} characters"),
        ));
    }
    if detail.chars().any(char::is_control) {
        return Err(err(
            "location_detail",
            "must be one line without control characters",
        ));
    }
    match kind.trim() {
        "office" | "" => Ok(Location::Office(
            (!detail.is_empty()).then(|| detail.to_owned()),
        )),
        "video" => {
            let ok = detail
                .strip_prefix("https://")
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
            if ok {
                Ok(Location::Video(detail.to_owned()))
            } else {
                Err(err(
                    "location_detail",
                    "a video session needs its https:// link",
                ))
            }
        }
        _ => Err(err("location", "choose office or video")),
    }
}

impl SessionInput {
    pub fn parse(&self, now: DateTime<Utc>) -> Result<NewSession, CoreError> {
        let mut errors = FieldErrors::new();
        let starts_at = match parse_start(&self.start, now) {
            Ok(t) => Some(t),
            Err((field, msg)) => {
                errors.add(field, msg);
                None
            }
        };
        let duration = errors.check("duration_minutes", parse_duration(&self.duration_minutes));
        let location = match parse_location(&self.location, &self.location_detail) {
            Ok(l) => Some(l),
            Err((field, msg)) => {
                errors.add(field, msg);
                None
            }
        };
        errors.into_result(|| {
            Some(NewSession {
                starts_at: starts_at?,
                duration_minutes: duration?,
                location: location?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().expect("time")
    }

    fn local(date: &str, time: &str, zone: &str) -> SessionInput {
        SessionInput {
            start: StartInput::Local {
                date: date.into(),
                time: time.into(),
                zone: TimeZone::parse(zone).expect("zone"),
            },
            duration_minutes: "50".into(),
            location: "office".into(),
            location_detail: String::new(),
        }
    }

    #[test]
    fn local_time_is_read_in_the_counselors_zone_across_dst() {
        // New York springs forward on 8 March 2026: 15:00 is UTC-5 before, UTC-4 after.
        let before = local("2026-03-06", "15:00", "America/New_York")
            .parse(now())
            .expect("valid");
        let after = local("2026-03-09", "15:00", "America/New_York")
            .parse(now())
            .expect("valid");
        assert_eq!(before.starts_at.to_rfc3339(), "2026-03-06T20:00:00+00:00");
        assert_eq!(after.starts_at.to_rfc3339(), "2026-03-09T19:00:00+00:00");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let input = SessionInput {
            start: StartInput::Local {
                date: "soon".into(),
                time: "3pm".into(),
                zone: TimeZone::parse("Europe/Berlin").expect("zone"),
            },
            duration_minutes: "ninety".into(),
            location: "moon".into(),
            location_detail: String::new(),
        };
        let Err(CoreError::Invalid(errors)) = input.parse(now()) else {
            panic!("expected errors");
        };
        assert!(errors.get("date").is_some());
        assert!(errors.get("duration_minutes").is_some());
        assert!(errors.get("location").is_some());
    }

    #[test]
    fn duration_and_window_limits() {
        let mut s = local("2026-03-10", "09:00", "Europe/Berlin");
        s.duration_minutes = "5".into();
        assert!(s.parse(now()).is_err());
        s.duration_minutes = "481".into();
        assert!(s.parse(now()).is_err());
        s.duration_minutes = "90".into();
        assert_eq!(s.parse(now()).expect("valid").duration_minutes, 90);
        let far = local("2029-03-10", "09:00", "Europe/Berlin");
        assert!(far.parse(now()).is_err());
        let long_ago = local("2024-03-10", "09:00", "Europe/Berlin");
        assert!(long_ago.parse(now()).is_err());
    }

    #[test]
    fn video_needs_an_https_link() {
        let mut s = local("2026-03-10", "09:00", "Europe/Berlin");
        s.location = "video".into();
        s.location_detail = "javascript:alert(1)".into();
        assert!(s.parse(now()).is_err());
        s.location_detail = "https://video.example/room".into();
        assert_eq!(
            s.parse(now()).expect("valid").location,
            Location::Video("https://video.example/room".into())
        );
    }

    #[test]
    fn rfc3339_start_through_the_api() {
        let s = SessionInput {
            start: StartInput::Instant("2026-03-10T09:00:00+01:00".into()),
            duration_minutes: "50".into(),
            location: String::new(),
            location_detail: String::new(),
        };
        let parsed = s.parse(now()).expect("valid");
        assert_eq!(parsed.starts_at.to_rfc3339(), "2026-03-10T08:00:00+00:00");
        assert_eq!(parsed.location, Location::Office(None));
    }
}
