//! Waking hours: client emails go out only between the practice's start and end hour in the
//! recipient's own time zone (default 08:00 to 21:00). A message due outside the window is
//! held until it next opens. Pure functions over instants and IANA zones, so daylight-saving
//! changes are handled by the time zone database, not by arithmetic on offsets.

use chrono::{
    DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Timelike, Utc,
};
use chrono_tz::Tz;

/// The hours of the day in which client emails may be delivered: from `start` (inclusive) to
/// `end` (exclusive), whole hours in the recipient's local time. `start > end` wraps past
/// midnight; `start == end` means no restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakingHours {
    start: u32,
    end: u32,
}

impl Default for WakingHours {
    fn default() -> Self {
        Self { start: 8, end: 21 }
    }
}

impl WakingHours {
    /// From the practice settings; hours outside 0..=24 fall back to the default window.
    pub fn new(start: i32, end: i32) -> Self {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if s <= 24 && e <= 24 => Self {
                start: s % 24,
                end: e % 24,
            },
            _ => Self::default(),
        }
    }

    pub fn start(self) -> u32 {
        self.start
    }

    pub fn end(self) -> u32 {
        self.end
    }

    fn contains_hour(self, hour: u32) -> bool {
        if self.start == self.end {
            true
        } else if self.start < self.end {
            (self.start..self.end).contains(&hour)
        } else {
            hour >= self.start || hour < self.end
        }
    }

    /// Whether a message may be delivered at `at` to someone living in `zone`.
    pub fn allows(self, at: DateTime<Utc>, zone: Tz) -> bool {
        self.contains_hour(at.with_timezone(&zone).hour())
    }

    /// The earliest instant at or after `at` inside the window in `zone`: `at` itself when the
    /// window is open, otherwise the next local `start:00`. On a day when `start:00` does not
    /// exist (a spring-forward gap at that hour) the window opens when the clocks jump; when it
    /// happens twice (an autumn overlap) the first one counts.
    pub fn next_open(self, at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        if self.allows(at, zone) {
            return at;
        }
        let local = at.with_timezone(&zone);
        let start = NaiveTime::from_hms_opt(self.start, 0, 0).unwrap_or(NaiveTime::MIN);
        let today = local.date_naive();
        // Outside the window: it opens later today if today's start is still ahead, else
        // tomorrow (a wrapped window is closed only between `end` and `start`, on one day).
        for day in [today, today + Duration::days(1), today + Duration::days(2)] {
            let opens = instant_of(zone, day, start);
            if opens > at {
                return opens;
            }
        }
        at
    }
}

/// The instant a local wall-clock time happens in `zone`. A time in a spring-forward gap does
/// not exist: take the first instant after the gap. In an autumn overlap take the first.
fn instant_of(zone: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = NaiveDateTime::new(day, time);
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours).
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    fn ny() -> Tz {
        chrono_tz::America::New_York
    }

    fn berlin() -> Tz {
        chrono_tz::Europe::Berlin
    }

    fn local(at: DateTime<Utc>, zone: Tz) -> String {
        at.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    #[test]
    fn inside_the_window_nothing_waits() {
        let w = WakingHours::default();
        // 10:00 in New York in winter.
        let at = utc("2027-01-12T15:00:00Z");
        assert_eq!(w.next_open(at, ny()), at);
        // 20:59 is inside, 21:00 is not.
        assert!(w.allows(utc("2027-01-13T01:59:00Z"), ny()));
        assert!(!w.allows(utc("2027-01-13T02:00:00Z"), ny()));
    }

    #[test]
    fn new_york_spring_forward_night_waits_for_eight_summer_time() {
        let w = WakingHours::default();
        // Sunday 14 March 2027: 02:00 EST jumps to 03:00 EDT.
        // 23:30 EST on the Saturday, the night of the change.
        let evening = utc("2027-03-14T04:30:00Z");
        assert_eq!(local(evening, ny()), "2027-03-13 23:30 EST");
        let opens = w.next_open(evening, ny());
        assert_eq!(local(opens, ny()), "2027-03-14 08:00 EDT");
        assert_eq!(opens, utc("2027-03-14T12:00:00Z"), "EDT is UTC-4");
        // 03:30 EDT, just after the jump.
        let early = utc("2027-03-14T07:30:00Z");
        assert_eq!(w.next_open(early, ny()), utc("2027-03-14T12:00:00Z"));
        // The day before, the window still opens at 08:00 EST (UTC-5).
        let before = utc("2027-03-13T10:00:00Z");
        assert_eq!(w.next_open(before, ny()), utc("2027-03-13T13:00:00Z"));
    }

    #[test]
    fn new_york_fall_back_night_waits_for_eight_standard_time() {
        let w = WakingHours::default();
        // Sunday 7 November 2027: 02:00 EDT falls back to 01:00 EST.
        // 01:30 happens twice; both are at night.
        let first = utc("2027-11-07T05:30:00Z");
        let second = utc("2027-11-07T06:30:00Z");
        assert_eq!(local(first, ny()), "2027-11-07 01:30 EDT");
        assert_eq!(local(second, ny()), "2027-11-07 01:30 EST");
        for at in [first, second] {
            let opens = w.next_open(at, ny());
            assert_eq!(local(opens, ny()), "2027-11-07 08:00 EST");
            assert_eq!(opens, utc("2027-11-07T13:00:00Z"), "EST is UTC-5");
        }
        // 21:15 EDT on the Saturday waits through the 25-hour night.
        let evening = utc("2027-11-07T01:15:00Z");
        assert_eq!(w.next_open(evening, ny()), utc("2027-11-07T13:00:00Z"));
    }

    #[test]
    fn berlin_spring_forward_night_waits_for_eight_summer_time() {
        let w = WakingHours::default();
        // Sunday 28 March 2027: 02:00 CET jumps to 03:00 CEST.
        let night = utc("2027-03-28T00:30:00Z");
        assert_eq!(local(night, berlin()), "2027-03-28 01:30 CET");
        let opens = w.next_open(night, berlin());
        assert_eq!(local(opens, berlin()), "2027-03-28 08:00 CEST");
        assert_eq!(opens, utc("2027-03-28T06:00:00Z"), "CEST is UTC+2");
        // 22:00 CET on the Saturday.
        let evening = utc("2027-03-27T21:00:00Z");
        assert_eq!(w.next_open(evening, berlin()), utc("2027-03-28T06:00:00Z"));
    }

    #[test]
    fn berlin_fall_back_night_waits_for_eight_standard_time() {
        let w = WakingHours::default();
        // Sunday 31 October 2027: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        let first = utc("2027-10-31T00:30:00Z");
        let second = utc("2027-10-31T01:30:00Z");
        assert_eq!(local(first, berlin()), "2027-10-31 02:30 CEST");
        assert_eq!(local(second, berlin()), "2027-10-31 02:30 CET");
        for at in [first, second] {
            assert_eq!(
                w.next_open(at, berlin()),
                utc("2027-10-31T07:00:00Z"),
                "08:00 CET is UTC+1"
            );
        }
        // Monday after: back to normal.
        assert_eq!(
            w.next_open(utc("2027-10-31T20:30:00Z"), berlin()),
            utc("2027-11-01T07:00:00Z")
        );
    }

    #[test]
    fn a_window_opening_inside_a_gap_opens_when_the_clocks_jump() {
        // A window starting at 02:00 on the New York spring-forward day opens at 03:00 EDT.
        let w = WakingHours::new(2, 21);
        let at = utc("2027-03-14T05:00:00Z"); // 00:00 EST
        assert_eq!(local(w.next_open(at, ny()), ny()), "2027-03-14 03:00 EDT");
    }

    #[test]
    fn wrapped_and_open_windows() {
        // A night-shift window 20:00 to 04:00.
        let w = WakingHours::new(20, 4);
        let noon = utc("2027-06-01T12:00:00Z");
        assert!(!w.allows(noon, chrono_tz::UTC));
        assert_eq!(
            w.next_open(noon, chrono_tz::UTC),
            utc("2027-06-01T20:00:00Z")
        );
        assert!(w.allows(utc("2027-06-01T02:00:00Z"), chrono_tz::UTC));
        // Start equal to end: always open.
        let always = WakingHours::new(0, 24);
        assert_eq!(always.next_open(noon, ny()), noon);
        // Nonsense settings fall back to 08:00-21:00.
        assert_eq!(WakingHours::new(-1, 99), WakingHours::default());
    }

    #[test]
    fn the_result_is_always_inside_the_window_and_never_earlier() {
        let w = WakingHours::default();
        let mut at = utc("2027-03-10T00:00:00Z");
        let end = utc("2027-04-05T00:00:00Z");
        while at < end {
            for zone in [ny(), berlin(), chrono_tz::Australia::Lord_Howe] {
                let opens = w.next_open(at, zone);
                assert!(opens >= at);
                assert!(w.allows(opens, zone), "{at} {zone}");
                assert!(opens - at < Duration::hours(13), "{at} {zone}");
            }
            at += Duration::minutes(17);
        }
    }
}
