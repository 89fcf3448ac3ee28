//! The session form (schedule and reschedule pages): an urlencoded body read by `forms::parse`
//! into the page's `SessionFormValues`, then `SessionInput::parse` with the local date and time
//! in a zone; and the API's RFC 3339 start (`StartInput::Instant`) with the same values.
#![no_main]

use chrono::{TimeZone as _, Utc};
use kintsugi_core::domain::TimeZone;
use kintsugi_core::sessions::SessionInput;
use kintsugi_core::sessions::input::StartInput;
use kintsugi_web::forms;
use kintsugi_web::views::sessions::SessionFormValues;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(form) = forms::parse::<SessionFormValues>(body) else {
        return;
    };
    // A zone with a daylight-saving change, and a "now" near one, to reach the gap and overlap paths.
    let zone = TimeZone::parse("Europe/Berlin").unwrap_or_default();
    let now = Utc
        .with_ymd_and_hms(2026, 3, 29, 0, 30, 0)
        .single()
        .unwrap_or_default();
    for start in [
        StartInput::Local {
            date: form.date.clone(),
            time: form.time.clone(),
            zone,
        },
        StartInput::Instant(format!("{}T{}", form.date, form.time)),
    ] {
        let input = SessionInput {
            start,
            duration_minutes: form.duration_minutes.clone(),
            location: form.location.clone(),
            location_detail: form.location_detail.clone(),
        };
        let _ = input.parse(now);
    }
});
