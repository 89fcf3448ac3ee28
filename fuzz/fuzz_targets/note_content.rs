//! A session note as typed (page form or API body): `NoteContent::parse` with any format key and
//! any section texts; what is accepted survives the stored form unchanged.
#![no_main]

use arbitrary::Arbitrary;
use kintsugi_core::sessions::notes::{AddendumText, NoteContent};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    format: String,
    data: Option<String>,
    subjective: Option<String>,
    objective: Option<String>,
    assessment: Option<String>,
    plan: Option<String>,
    addendum: String,
}

fuzz_target!(|input: Input| {
    let fields = |key: &str| match key {
        "data" => input.data.as_deref(),
        "subjective" => input.subjective.as_deref(),
        "objective" => input.objective.as_deref(),
        "assessment" => input.assessment.as_deref(),
        "plan" => input.plan.as_deref(),
        _ => None,
    };
    if let Ok(note) = NoteContent::parse(&input.format, fields) {
        let back = NoteContent::from_body(&note.to_body()).expect("stored note reads back");
        assert_eq!(back, note);
    }
    let _ = AddendumText::parse(&input.addendum);
});
