//! The JSON API's request bodies: any bytes through `json::parse` (serde_path_to_error, field
//! paths in the 422) into each request type. The first byte picks the type.
#![no_main]

use kintsugi_web::routes::api::{assignments, couples, exercises, json, progress, sessions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    // Only whether it parses matters here: a panic or a hang is the finding.
    let _ = match which % 12 {
        0 => json::parse::<couples::NewCoupleBody>(body).map(drop),
        1 => json::parse::<couples::CouplePatch>(body).map(drop),
        2 => json::parse::<exercises::NewExerciseBody>(body).map(drop),
        3 => json::parse::<assignments::NewAssignmentBody>(body).map(drop),
        4 => json::parse::<assignments::AssignmentPatch>(body).map(drop),
        5 => json::parse::<assignments::ReviewBody>(body).map(drop),
        6 => json::parse::<Vec<progress::RatingBody>>(body).map(drop),
        7 => json::parse::<progress::ReasonBody>(body).map(drop),
        8 => json::parse::<sessions::NewSessionBody>(body).map(drop),
        9 => json::parse::<sessions::SessionPatch>(body).map(drop),
        10 => json::parse::<sessions::NoteBody>(body).map(drop),
        _ => json::parse::<sessions::SignBody>(body).map(drop),
    };
});
