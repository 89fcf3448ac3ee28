//! An assignment as typed, and a due time as typed. On a page the due date and time are local
//! to the counselor and the assignees are one choice; through the API the due time is an
//! RFC 3339 instant or a local date-time read in a zone, and the assignees are a list. Both end
//! as a [`NewAssignment`] or a [`DueAt`] by the same rules, so page and API cannot disagree.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use uuid::Uuid;

use super::assignments::{NewAssignment, local_to_utc};
use super::{Recipient, Recurrence, Visibility};
use crate::couples::PartnerRole;
use crate::domain::TimeZone;
use crate::error::{CoreError, FieldErrors};

/// Homework is due at most this many days ahead.
pub const MAX_DAYS_AHEAD: i64 = 730;

/// A due time that lies ahead, at most [`MAX_DAYS_AHEAD`] days: the only kind an assignment
/// can be given or moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueAt(DateTime<Utc>);

impl DueAt {
    pub fn parse(due: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, &'static str> {
        if due <= now {
            Err("must be in the future")
        } else if due > now + Duration::days(MAX_DAYS_AHEAD) {
            Err("must be at most two years from now")
        } else {
            Ok(Self(due))
        }
    }
    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }
}

/// A due time as typed.
#[derive(Debug, Clone)]
pub enum DueInput {
    /// A page: `due_date` (`YYYY-MM-DD`) and `due_time` (`HH:MM`) in the counselor's zone.
    Local {
        date: String,
        time: String,
        zone: TimeZone,
    },
    /// The API: `due_at`, an RFC 3339 instant, or a local date-time without offset read in
    /// `zone`.
    Api { due_at: String, zone: TimeZone },
}

const DUE_AT_FORMAT: &str = "must be an RFC 3339 date-time such as 2026-05-01T19:00:00+02:00, or a local date-time such as 2026-05-01T19:00 with time_zone";

/// A due time read, before the window is checked: an instant, or a wall-clock time in a zone.
enum Due {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime, TimeZone),
}

impl Due {
    fn instant(&self) -> DateTime<Utc> {
        match self {
            Due::Instant(t) => *t,
            Due::Local(local, zone) => local_to_utc(*zone, *local),
        }
    }
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    (raw.len() <= 10)
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

fn parse_time(raw: &str) -> Option<NaiveTime> {
    let raw = raw.trim();
    if raw.len() > 8 {
        return None;
    }
    NaiveTime::parse_from_str(raw, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M:%S"))
        .ok()
}

impl DueInput {
    /// The field a due-time error is reported on.
    fn field(&self) -> &'static str {
        match self {
            DueInput::Local { .. } => "due_date",
            DueInput::Api { .. } => "due_at",
        }
    }

    fn read(&self, errors: &mut FieldErrors) -> Option<Due> {
        match self {
            DueInput::Local { date, time, zone } => {
                let date = parse_date(date);
                if date.is_none() {
                    errors.add("due_date", "must be a date such as 2026-05-01");
                }
                let time = parse_time(time);
                if time.is_none() {
                    errors.add("due_time", "must be a time such as 19:00");
                }
                Some(Due::Local(date?.and_time(time?), *zone))
            }
            DueInput::Api { due_at, zone } => {
                let raw = due_at.trim();
                let due = (raw.len() <= 40)
                    .then(|| {
                        DateTime::parse_from_rfc3339(raw)
                            .map(|t| Due::Instant(t.with_timezone(&Utc)))
                            .ok()
                            .or_else(|| {
                                ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
                                    .iter()
                                    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
                                    .map(|local| Due::Local(local, *zone))
                            })
                    })
                    .flatten();
                if due.is_none() {
                    errors.add("due_at", DUE_AT_FORMAT);
                }
                due
            }
        }
    }

    /// The due time, checked to lie ahead within the window.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<DueAt, CoreError> {
        let mut errors = FieldErrors::new();
        let due = self.read(&mut errors);
        let due = due.and_then(|d| errors.check(self.field(), DueAt::parse(d.instant(), now)));
        match due {
            Some(due) if errors.is_empty() => Ok(due),
            _ => Err(CoreError::Invalid(errors)),
        }
    }
}

/// Whom the assignment is for, as typed.
#[derive(Debug, Clone)]
pub enum AssigneesInput {
    /// A page: `involved`, `hurt`, `both`, or `exercise` (whom the exercise is written for).
    Choice(String),
    /// The API: a list of `involved` and `hurt`.
    List(Vec<String>),
}

const CHOOSE_ASSIGNEES: &str = "choose the involved partner, the hurt partner or both";

impl AssigneesInput {
    fn parse(&self, recipient: Option<Recipient>, errors: &mut FieldErrors) -> Vec<PartnerRole> {
        let roles = |r: Recipient| match r {
            Recipient::Involved => vec![PartnerRole::Involved],
            Recipient::Hurt => vec![PartnerRole::Hurt],
            Recipient::Both => PartnerRole::BOTH.to_vec(),
        };
        match self {
            AssigneesInput::Choice(choice) => match choice.trim() {
                "involved" => roles(Recipient::Involved),
                "hurt" => roles(Recipient::Hurt),
                "both" => roles(Recipient::Both),
                // Without a known exercise, the exercise's own error says what to fix.
                "exercise" => recipient.map(roles).unwrap_or_default(),
                _ => {
                    errors.add("assignees", CHOOSE_ASSIGNEES);
                    Vec::new()
                }
            },
            AssigneesInput::List(list) => {
                if list.is_empty() {
                    errors.add("assignees", CHOOSE_ASSIGNEES);
                }
                let mut out = Vec::new();
                for (i, raw) in list.iter().enumerate() {
                    match PartnerRole::from_key(raw.trim()) {
                        None => errors.add(format!("assignees[{i}]"), "must be involved or hurt"),
                        Some(role) if out.contains(&role) => {
                            errors.add(format!("assignees[{i}]"), "appears twice")
                        }
                        Some(role) => out.push(role),
                    }
                }
                out
            }
        }
    }
}

/// An assignment as typed (pages and the API share these names; the API nests the recurrence
/// as `recurrence.every` and `recurrence.until`).
#[derive(Debug, Clone)]
pub struct AssignmentInput {
    pub exercise_id: String,
    pub assignees: AssigneesInput,
    pub due: DueInput,
    /// `counselor_only` or `shareable`.
    pub visibility: String,
    /// `daily` or `weekly`, and the last date (`YYYY-MM-DD`); `None` for a one-off.
    pub recurrence: Option<(String, String)>,
}

impl AssignmentInput {
    /// Every field checked at once. `recipient_of` names whom an exercise of the counselor's
    /// library is written for (`None`: not in the library); whether the exercise may be used
    /// is checked again when assigning.
    pub fn parse(
        &self,
        now: DateTime<Utc>,
        recipient_of: impl Fn(Uuid) -> Option<Recipient>,
    ) -> Result<NewAssignment, CoreError> {
        let mut errors = FieldErrors::new();
        let exercise = Uuid::parse_str(self.exercise_id.trim())
            .ok()
            .and_then(|id| recipient_of(id).map(|r| (id, r)));
        if exercise.is_none() {
            errors.add("exercise_id", "choose an exercise from your library");
        }
        let assignees = self.assignees.parse(exercise.map(|(_, r)| r), &mut errors);
        let due = self.due.read(&mut errors);
        let visibility = errors.check(
            "visibility",
            Visibility::from_key(self.visibility.trim())
                .ok_or("must be counselor_only (only you read it) or shareable"),
        );
        let recurrence = self.recurrence.as_ref().and_then(|(every, until)| {
            let every = errors.check(
                "recurrence",
                Recurrence::from_key(every.trim()).ok_or("must be daily or weekly"),
            );
            let until = errors.check(
                "recurrence_until",
                parse_date(until).ok_or("must be a date such as 2026-06-30"),
            );
            every.zip(until)
        });
        if let Some(due) = &due {
            errors.check(self.due.field(), DueAt::parse(due.instant(), now));
        }
        let (Some((exercise_id, _)), Some(due), Some(visibility)) = (exercise, due, visibility)
        else {
            return Err(CoreError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(CoreError::Invalid(errors));
        }
        // A one-off instant is kept exactly (even inside an autumn overlap) by reading it in
        // UTC; a recurring one steps in the chosen zone's local time.
        let zone = match &self.due {
            DueInput::Local { zone, .. } | DueInput::Api { zone, .. } => *zone,
        };
        let (due_local, time_zone) = match (due, recurrence) {
            (Due::Instant(t), None) => (t.naive_utc(), TimeZone::default()),
            (Due::Instant(t), Some(_)) => (t.with_timezone(&zone.tz()).naive_local(), zone),
            (Due::Local(local, zone), _) => (local, zone),
        };
        Ok(NewAssignment {
            exercise_id,
            assignees,
            due_local,
            time_zone,
            visibility,
            recurrence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("now")
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).expect("zone")
    }

    fn page(date: &str, time: &str, assignees: &str) -> AssignmentInput {
        AssignmentInput {
            exercise_id: Uuid::nil().to_string(),
            assignees: AssigneesInput::Choice(assignees.into()),
            due: DueInput::Local {
                date: date.into(),
                time: time.into(),
                zone: zone("Europe/Berlin"),
            },
            visibility: "shareable".into(),
            recurrence: None,
        }
    }

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Invalid(errors) => errors.iter().map(|(f, _)| f.to_owned()).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn dates_and_times_are_read_strictly() {
        assert!(parse_date("2026-05-01").is_some());
        assert!(parse_date("01/05/2026").is_none());
        assert!(parse_date(&"2".repeat(100_000)).is_none());
        assert!(parse_time("19:00").is_some());
        assert!(parse_time("19:00:30").is_some());
        assert!(parse_time("7pm").is_none());
    }

    #[test]
    fn a_local_due_time_must_lie_ahead() {
        let local = |date: &str, time: &str| DueInput::Local {
            date: date.into(),
            time: time.into(),
            zone: zone("Europe/Berlin"),
        };
        // 12:00 UTC is 13:00 in Berlin.
        assert_eq!(
            fields(local("2026-03-01", "13:00").parse(now()).expect_err("now")),
            ["due_date"]
        );
        assert!(local("2026-03-01", "13:30").parse(now()).is_ok());
        assert!(local("2029-03-01", "13:00").parse(now()).is_err());
        assert_eq!(
            fields(local("", "x").parse(now()).expect_err("unreadable")),
            ["due_date", "due_time"]
        );
    }

    #[test]
    fn the_due_window_is_the_same_for_every_face() {
        assert!(DueAt::parse(now(), now()).is_err(), "now is not ahead");
        assert!(DueAt::parse(now() + Duration::minutes(1), now()).is_ok());
        assert!(DueAt::parse(now() + Duration::days(MAX_DAYS_AHEAD), now()).is_ok());
        assert!(DueAt::parse(now() + Duration::days(MAX_DAYS_AHEAD + 1), now()).is_err());
        let api = |raw: &str| DueInput::Api {
            due_at: raw.into(),
            zone: zone("Asia/Tokyo"),
        };
        assert!(api("2026-03-01T11:00:00Z").parse(now()).is_err());
        assert_eq!(
            api("2026-03-02T09:00")
                .parse(now())
                .expect("local")
                .instant(),
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(
            fields(api(&"9".repeat(41)).parse(now()).expect_err("long")),
            ["due_at"]
        );
    }

    #[test]
    fn a_page_assignment_reads_its_local_time_and_choice() {
        let known = |_| Some(Recipient::Hurt);
        let new = page("2026-03-05", "19:00", "exercise")
            .parse(now(), known)
            .expect("valid");
        assert_eq!(new.assignees, vec![PartnerRole::Hurt]);
        assert_eq!(new.due_local.to_string(), "2026-03-05 19:00:00");
        let both = page("2026-03-05", "19:00", "both").parse(now(), known);
        assert_eq!(both.expect("valid").assignees, PartnerRole::BOTH.to_vec());
    }

    #[test]
    fn every_mistake_is_named_at_once() {
        let mut input = page("2026-02-30", "25:00", "nobody");
        input.visibility = "everyone".into();
        input.recurrence = Some(("hourly".into(), "soon".into()));
        let errors = fields(input.parse(now(), |_| None).expect_err("invalid"));
        for field in [
            "exercise_id",
            "assignees",
            "due_date",
            "due_time",
            "visibility",
            "recurrence",
            "recurrence_until",
        ] {
            assert!(errors.iter().any(|f| f == field), "{field} in {errors:?}");
        }
        let past = page("2026-02-28", "10:00", "both").parse(now(), |_| Some(Recipient::Both));
        assert_eq!(fields(past.expect_err("past")), ["due_date"]);
    }

    #[test]
    fn api_assignees_are_a_list_without_repeats() {
        let input = AssignmentInput {
            assignees: AssigneesInput::List(vec!["hurt".into(), "hurt".into(), "x".into()]),
            due: DueInput::Api {
                due_at: "2026-03-05T19:00:00+01:00".into(),
                zone: zone("Europe/Berlin"),
            },
            ..page("", "", "")
        };
        let errors = fields(
            input
                .parse(now(), |_| Some(Recipient::Both))
                .expect_err("bad"),
        );
        assert_eq!(errors, ["assignees[1]", "assignees[2]"]);
        let empty = AssignmentInput {
            assignees: AssigneesInput::List(vec![]),
            ..input
        };
        assert_eq!(
            fields(
                empty
                    .parse(now(), |_| Some(Recipient::Both))
                    .expect_err("empty")
            ),
            ["assignees"]
        );
    }
}
