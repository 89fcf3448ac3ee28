//! The export of one couple's whole record: a zip with `record.json` (every record, in plain
//! text) and the PDFs, downloaded from the couple page, audited, with a neutral file name; for
//! another counselor it does not exist.

use std::io::Read as _;

use kintsugi_core::entities::audit_event;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::db_tests;
use crate::support::http::header;
use crate::support::records::{
    ADDENDUM, ANSWER, COMMENT, NOTE, OVERRIDE, PLAN, REOPEN, write_clinical_record,
};
use crate::support::{PASSWORD, TestApp};

db_tests!(
    the_zip_holds_the_record_and_the_pdfs,
    another_counselor_gets_404,
);

async fn the_zip_holds_the_record_and_the_pdfs(app: TestApp) {
    let w = write_clinical_record(&app, "export@practice.example").await;
    let b = crate::support::Browser::new(&app);
    b.sign_in("export@practice.example", PASSWORD).await;
    let (_, page) = b.get_html(&format!("/couples/{}", w.me.couple)).await;
    let link = format!("/couples/{}/export.zip", w.me.couple);
    assert!(
        page.contains(&format!("href=\"{link}\"")),
        "a button on the couple page"
    );

    let r = b.get(&link).await;
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| header(&r, name);
    assert_eq!(header("content-type"), "application/zip");
    assert_eq!(header("cache-control"), "no-store");
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"couple-record-")
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    for name in ["Alex", "Sam", "Zoë", "Renée", "Ñúñez"] {
        assert!(!disposition.contains(name), "no names in {disposition}");
    }
    let bytes = r.bytes().await.expect("body");

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("name").into_owned())
        .collect();
    let mut json = String::new();
    zip.by_name("record.json")
        .expect("record.json")
        .read_to_string(&mut json)
        .expect("utf-8");
    let record: Value = serde_json::from_str(&json).expect("json");

    // Every PDF named in the JSON is in the zip, and is a PDF.
    let files: Vec<String> = record["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("name").to_owned())
        .collect();
    assert!(
        files.iter().any(|f| f.starts_with("notes/session-note-")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.starts_with("progress-report-")),
        "{files:?}"
    );
    for f in &files {
        assert!(names.contains(f), "{f} in {names:?}");
        let mut pdf = Vec::new();
        zip.by_name(f)
            .expect("file")
            .read_to_end(&mut pdf)
            .expect("read");
        assert!(pdf.starts_with(b"%PDF-"), "{f} is a PDF");
    }

    // The couple's records, in plain text.
    assert_eq!(record["format"], "kintsugi-couple-record/1");
    assert_eq!(record["couple"]["id"], w.me.couple.as_str());
    assert_eq!(record["couple"]["label"], "Alex & Sam");
    let partners = record["partners"].as_array().expect("partners");
    assert_eq!(partners.len(), 2);
    assert!(json.contains("Zoë Ñúñez-Łukasiewicz") && json.contains("Renée O’Brien"));
    assert_eq!(record["stages"].as_array().expect("stages").len(), 6);
    let reasons: Vec<&str> = record["stage_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert!(
        reasons.contains(&OVERRIDE) && reasons.contains(&REOPEN),
        "{reasons:?}"
    );
    assert!(
        !record["marker_ratings"]
            .as_array()
            .expect("ratings")
            .is_empty()
    );
    let response = &record["assignments"][0]["responses"][0];
    assert_eq!(response["partner"], "hurt");
    assert_eq!(response["answers"]["words"], ANSWER);
    assert_eq!(response["counselor_comment"], COMMENT);
    let note = &record["sessions"][0]["note"];
    assert_eq!(note["status"], "signed");
    let sections = note["sections"].to_string();
    assert!(
        sections.contains(NOTE) && sections.contains(PLAN),
        "{sections}"
    );
    assert_eq!(note["addenda"][0]["text"], ADDENDUM);
    assert!(
        note["file"]
            .as_str()
            .is_some_and(|f| files.contains(&f.to_owned()))
    );

    // One audit event for the export, without clinical words.
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("couple_exported"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].record_kind.as_deref(), Some("couple"));
    assert_eq!(events[0].actor_id, Some(w.me.id));
}

async fn another_counselor_gets_404(app: TestApp) {
    let w = write_clinical_record(&app, "owner@practice.example").await;
    let (_, other) = app
        .signed_in_counselor("Someone Else", "other@practice.example")
        .await;
    let r = other
        .get(&format!("/couples/{}/export.zip", w.me.couple))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = r.text().await.expect("body");
    for word in ["Alex & Sam", "Alex &amp; Sam", NOTE, ANSWER] {
        assert!(!body.contains(word), "{word} in a 404");
    }
    // Nor does a made-up id, or no session at all.
    let r = other
        .get(&format!("/couples/{}/export.zip", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let anonymous = crate::support::Browser::new(&app);
    let r = anonymous
        .get(&format!("/couples/{}/export.zip", w.me.couple))
        .await;
    assert_ne!(r.status(), StatusCode::OK);
    let none = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("couple_exported"))
        .all(&app.db)
        .await
        .expect("audit");
    assert!(none.is_empty(), "refusals export nothing");
}
