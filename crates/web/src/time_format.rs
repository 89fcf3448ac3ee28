//! How Kintsugi writes dates and times for people: pages, emails and PDF documents all take
//! their wording from here, always in the reader's own zone. Machine formats (iCalendar, file
//! names, form inputs) are here too, so a format changes in one place.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kintsugi_core::domain::TimeZone;

/// "Tue 5 May 2026, 19:00": a moment on a counselor's page.
pub fn short(at: DateTime<Utc>, tz: TimeZone) -> String {
    at.with_timezone(&tz.tz())
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// "Tue 5 May, 19:00": a moment in the coming days, where the year goes without saying.
pub fn short_without_year(at: DateTime<Utc>, tz: TimeZone) -> String {
    at.with_timezone(&tz.tz())
        .format("%a %-d %b, %H:%M")
        .to_string()
}

/// "5 May 2026, 19:00": a moment in a list of past events.
pub fn compact(at: DateTime<Utc>, tz: TimeZone) -> String {
    at.with_timezone(&tz.tz())
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

/// "19:00".
pub fn clock_time(at: DateTime<Utc>, tz: TimeZone) -> String {
    at.with_timezone(&tz.tz()).format("%H:%M").to_string()
}

/// "Tue 3 Mar 2026, 15:00–15:50": a span within one day.
pub fn span(start: DateTime<Utc>, end: DateTime<Utc>, tz: TimeZone) -> String {
    format!("{}–{}", short(start, tz), clock_time(end, tz))
}

/// "Friday 15 January 2027 at 19:00": a moment in an email, in the recipient's zone.
pub fn in_words(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%A %-d %B %Y at %H:%M")
        .to_string()
}

/// "Tuesday 24 March 2026, 17:30 (Europe/Berlin)": a moment in a document, with its zone.
pub fn in_words_with_zone(at: DateTime<Utc>, tz: TimeZone) -> String {
    format!(
        "{} ({tz})",
        at.with_timezone(&tz.tz()).format("%A %-d %B %Y, %H:%M")
    )
}

/// "5 May 2026".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// "24 March 2026": a date in a document.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "2026-05-05": dates in file names, inputs and exports.
pub fn iso_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// "2026-05-05 19:00:00": a moment in the audit log and its export.
pub fn iso_seconds(at: DateTime<Utc>, tz: TimeZone) -> String {
    at.with_timezone(&tz.tz())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The local date and time of a moment, as a date and a time input hold them.
pub fn local_inputs(at: DateTime<Utc>, tz: TimeZone) -> (String, String) {
    let local = at.with_timezone(&tz.tz());
    (
        iso_date(local.date_naive()),
        local.format("%H:%M").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_reads_in_the_readers_zone() {
        let at = DateTime::parse_from_rfc3339("2026-03-24T16:30:00Z")
            .expect("at")
            .with_timezone(&Utc);
        let berlin = TimeZone::parse("Europe/Berlin").expect("zone");
        assert_eq!(short(at, berlin), "Tue 24 Mar 2026, 17:30");
        assert_eq!(short_without_year(at, berlin), "Tue 24 Mar, 17:30");
        assert_eq!(compact(at, berlin), "24 Mar 2026, 17:30");
        assert_eq!(
            span(at, at + chrono::Duration::minutes(50), berlin),
            "Tue 24 Mar 2026, 17:30–18:20"
        );
        assert_eq!(in_words(at, berlin.tz()), "Tuesday 24 March 2026 at 17:30");
        assert_eq!(
            in_words_with_zone(at, berlin),
            "Tuesday 24 March 2026, 17:30 (Europe/Berlin)"
        );
        assert_eq!(iso_seconds(at, berlin), "2026-03-24 17:30:00");
        assert_eq!(
            local_inputs(at, berlin),
            ("2026-03-24".to_owned(), "17:30".to_owned())
        );
        let d = at.date_naive();
        assert_eq!(
            (date(d), long_date(d), iso_date(d)),
            (
                "24 Mar 2026".to_owned(),
                "24 March 2026".to_owned(),
                "2026-03-24".to_owned()
            )
        );
    }
}
