//! The calendar invitation of a session reminder: an iCalendar (RFC 5545) file with one event
//! in the partner's own time zone. The event is built with the `icalendar` crate; the
//! VTIMEZONE block it cannot build (the rules behind the TZID) is written here from the tz
//! database, so calendar programs that do not know IANA names still place the event right.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, Property};

/// What the invitation says. Nothing about the couple: a time, a length, and for a video
/// session its link.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// Stable for one session and partner, so a moved session updates the calendar entry.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub zone: Tz,
    pub video_link: Option<&'a str>,
    /// Changes whenever the start changes, so calendars take the newer version.
    pub sequence: u32,
    pub now: DateTime<Utc>,
}

pub const SUMMARY: &str = "Session with your counselor";

/// The `.ics` text (CRLF line ends, as RFC 5545 wants).
pub fn ics(inv: &Invitation<'_>) -> String {
    let local = |at: DateTime<Utc>| CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&inv.zone).naive_local(),
        tzid: inv.zone.name().to_owned(),
    };
    let ends_at = inv.starts_at + Duration::minutes(inv.duration_minutes.clamp(1, 24 * 60));
    let mut event = Event::new();
    event
        .uid(&inv.uid)
        .sequence(inv.sequence)
        .timestamp(inv.now)
        .summary(SUMMARY)
        .starts(local(inv.starts_at))
        .ends(local(ends_at));
    match inv.video_link {
        Some(link) => {
            event
                .location(link)
                .url(link)
                .description("A video session with your counselor. Join with the link at the time of the session.");
        }
        None => {
            event.description("A session with your counselor.");
        }
    }
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//Kintsugi//Session reminder//EN"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .push(event.done());
    let text = calendar.to_string();
    // The time zone definition goes before the event that refers to it.
    let zone = vtimezone(inv.zone, inv.starts_at);
    match text.find("BEGIN:VEVENT") {
        Some(i) => format!("{}{zone}{}", &text[..i], &text[i..]),
        None => text,
    }
}

fn offset_seconds(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// Every change of UTC offset in `zone` between `from` and `to`: the first instant of each new
/// offset. Hourly steps, then a minute search inside the hour where the offset changed.
pub fn transitions(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut at = from;
    let mut offset = offset_seconds(zone, at);
    while at < to {
        let next = at + Duration::hours(1);
        let next_offset = offset_seconds(zone, next);
        if next_offset != offset {
            let (mut lo, mut hi) = (at, next);
            while hi - lo > Duration::minutes(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_seconds(zone, mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
            offset = next_offset;
        }
        at = next;
    }
    out
}

fn observance(zone: Tz, onset: DateTime<Utc>, from: i32, to: i32) -> String {
    let tz_offset = zone.offset_from_utc_datetime(&onset.naive_utc());
    let kind = if tz_offset.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let local: NaiveDateTime = (onset + Duration::seconds(i64::from(from))).naive_utc();
    let mut block = format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        local.format("%Y%m%dT%H%M%S"),
        format_offset(from),
        format_offset(to),
    );
    if let Some(name) = tz_offset.abbreviation() {
        block.push_str(&format!("TZNAME:{name}\r\n"));
    }
    block.push_str(&format!("END:{kind}\r\n"));
    block
}

/// A VTIMEZONE for `zone` covering a year either side of `around`: the offset in force at the
/// start of that span, then every change within it.
pub fn vtimezone(zone: Tz, around: DateTime<Utc>) -> String {
    let from = around - Duration::days(366);
    let to = around + Duration::days(366);
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", zone.name());
    let first = offset_seconds(zone, from);
    out.push_str(&observance(zone, from, first, first));
    let mut previous = first;
    for t in transitions(zone, from, to) {
        let now = offset_seconds(zone, t);
        out.push_str(&observance(zone, t, previous, now));
        previous = now;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn finds_the_changes_of_a_year() {
        let t = transitions(
            chrono_tz::America::New_York,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(
            t,
            [utc("2027-03-14T07:00:00Z"), utc("2027-11-07T06:00:00Z")]
        );
        assert!(
            transitions(
                chrono_tz::Asia::Tokyo,
                utc("2027-01-01T00:00:00Z"),
                utc("2028-01-01T00:00:00Z")
            )
            .is_empty()
        );
    }

    #[test]
    fn the_invitation_is_in_the_partners_zone_with_its_definition() {
        let inv = Invitation {
            uid: "session-1@kintsugi".into(),
            starts_at: utc("2027-03-15T13:30:00Z"),
            duration_minutes: 50,
            zone: chrono_tz::America::New_York,
            video_link: Some("https://video.example/room/42"),
            sequence: 3,
            now: utc("2027-03-10T12:00:00Z"),
        };
        let text = ics(&inv);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.contains("METHOD:PUBLISH\r\n"));
        // 13:30 UTC on 15 March is 09:30 EDT (the clocks went forward the day before).
        assert!(
            text.contains("DTSTART;TZID=America/New_York:20270315T093000\r\n"),
            "{text}"
        );
        assert!(text.contains("DTEND;TZID=America/New_York:20270315T102000\r\n"));
        assert!(text.contains("TZID:America/New_York\r\n"));
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT"), "{text}");
        assert!(text.find("BEGIN:VTIMEZONE") < text.find("BEGIN:VEVENT"));
        assert!(text.contains("LOCATION:https://video.example/room/42"));
        assert!(text.contains("SUMMARY:Session with your counselor"));
        assert!(text.contains("UID:session-1@kintsugi"));
        assert!(text.contains("SEQUENCE:3"));
        assert!(text.trim_end().ends_with("END:VCALENDAR"));
        // An office session names no place.
        let office = ics(&Invitation {
            video_link: None,
            ..inv
        });
        assert!(!office.contains("LOCATION"));
    }

    #[test]
    fn offsets_print_as_rfc5545_wants() {
        assert_eq!(format_offset(-5 * 3600), "-0500");
        assert_eq!(format_offset(5 * 3600 + 45 * 60), "+0545");
        assert_eq!(format_offset(0), "+0000");
    }
}
