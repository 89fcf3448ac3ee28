//! The JSON API's query strings: any text through `query::parse` (serde_urlencoded, one
//! parameter at a time, then all together) into each query type. The first byte picks the
//! type. A refusal names at most 20 parameters, each key cut short, and never repeats a value.
#![no_main]

use kintsugi_web::error::AppError;
use kintsugi_web::routes::api::{couples, exercises, links, outbox, paging, query, sessions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(raw) else {
        return;
    };
    let result = match which % 6 {
        0 => query::parse::<couples::ListParams>(raw).map(drop),
        1 => query::parse::<exercises::ListParams>(raw).map(drop),
        2 => query::parse::<paging::PageParams>(raw).map(drop),
        3 => query::parse::<sessions::ReportParams>(raw).map(drop),
        4 => query::parse::<links::LinkParams>(raw).map(drop),
        _ => query::parse::<outbox::OutboxParams>(raw).map(drop),
    };
    if let Err(AppError::Invalid(errors)) = result {
        assert!(errors.iter().count() <= 20);
        for (field, message) in errors.iter() {
            assert!(field.chars().count() <= 61, "{field}");
            assert!(message.len() < 200, "{message}");
        }
    }
});
