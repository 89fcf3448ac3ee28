//! The PDF downloads through the API, read back with poppler (`pdftotext`, `pdfinfo`,
//! `pdftoppm`): every section of the session note and the progress report, names in any
//! script printed exactly, hostile text printed without harm, page numbers right on a
//! twenty-page note, the content hash on the paper equal to the stored one, neutral file names,
//! 404 for another counselor and an audit event for every download. Page 1 of a long note and
//! of a report is saved under `target/pdf-previews/` for people to look at, with the PDF.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{Duration, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store as couples;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::audit_event;
use kintsugi_core::homework::Visibility;
use kintsugi_core::homework::assignments::{self, NewAssignment};
use kintsugi_core::homework::builtins::CONNECTION_CHECKIN;
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::homework::prompts::RawAnswer;
use kintsugi_core::practice::Role;
use kintsugi_core::stages::Marker;
use reqwest::{Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_tests;
use crate::support::TestApp;
use crate::support::fixture::{markers_of, progress, submit_in_core};
use crate::support::http::{Api, header};
use crate::support::sessions::{
    COUNSELOR, Me, RENEE, ZOE, add_addendum, id_of, me, read, save_note, schedule, sign,
};

db_tests!(
    the_session_note_prints_every_section,
    a_draft_note_says_so_on_every_page,
    a_long_note_grows_to_twenty_pages_numbered_right,
    hostile_text_prints_without_harm,
    the_progress_report_prints_every_section,
    another_counselor_gets_no_pdf,
);

// ---------------------------------------------------------------------------------------------
// Reading PDFs with poppler.

fn poppler(tool: &str, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{tool} is needed (poppler-utils; scripts/test installs it): {e}")
        });
    if let Some(bytes) = input {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(bytes)
            .expect("write");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect(tool);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The text of the whole PDF, or of one page.
fn text(pdf: &[u8], page: Option<u32>) -> String {
    let n = page.map(|p| p.to_string());
    let mut args = vec!["-enc", "UTF-8"];
    if let Some(n) = &n {
        args.extend(["-f", n, "-l", n]);
    }
    args.extend(["-", "-"]);
    String::from_utf8(poppler("pdftotext", &args, Some(pdf))).expect("utf-8")
}

/// Line breaks and runs of spaces folded into single spaces.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write_temp(pdf: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temp file");
    f.write_all(pdf).expect("write");
    f
}

fn page_count(pdf: &[u8]) -> u32 {
    let file = write_temp(pdf);
    let path = file.path().to_str().expect("path");
    let info = String::from_utf8(poppler("pdfinfo", &[path], None)).expect("utf-8");
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

/// Render every page at low resolution (each must render), and page 1 at a readable one into
/// `target/pdf-previews/<name>.png`.
fn render_pages(pdf: &[u8], name: &str) -> PathBuf {
    let file = write_temp(pdf);
    let path = file.path().to_str().expect("path");
    let dir = tempfile::tempdir().expect("dir");
    let prefix = dir.path().join("page");
    let prefix = prefix.to_str().expect("prefix");
    poppler("pdftoppm", &["-r", "30", "-png", path, prefix], None);
    let rendered = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .filter(|e| e.metadata().is_ok_and(|m| m.len() > 0))
        .count();
    assert_eq!(
        rendered as u32,
        page_count(pdf),
        "{name}: every page renders"
    );

    let previews = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-previews");
    std::fs::create_dir_all(&previews).expect("preview dir");
    let out = previews.join(name);
    std::fs::write(out.with_extension("pdf"), pdf).expect("keep the PDF beside its preview");
    let out_prefix = out.to_str().expect("out");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "110",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path,
            out_prefix,
        ],
        None,
    );
    let png = out.with_extension("png");
    assert!(png.exists(), "{} was written", png.display());
    png
}

/// A PDF download: checked headers, the bytes, the file name.
async fn download(r: Response) -> (Vec<u8>, String) {
    assert_eq!(r.status(), StatusCode::OK, "the PDF downloads");
    let header = |name: &str| header(&r, name);
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(header("cache-control"), "no-store");
    let disposition = header("content-disposition");
    let name = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("an attachment with a file name: {disposition}"))
        .to_owned();
    let bytes = r.bytes().await.expect("bytes").to_vec();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    (bytes, name)
}

async fn note_pdf(api: &Api, session: &str) -> (Vec<u8>, String) {
    download(
        api.get(&format!("/api/v1/sessions/{session}/note.pdf"))
            .await,
    )
    .await
}

fn tag(app: &TestApp) -> &'static str {
    match app.backend {
        crate::support::Backend::Sqlite => "sqlite",
        crate::support::Backend::Postgres => "postgres",
    }
}

async fn downloads(app: &TestApp, action: &str, record: Uuid) -> usize {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::RecordId.eq(record))
        .all(&app.db)
        .await
        .expect("audit events")
        .len()
}

// ---------------------------------------------------------------------------------------------
// Building a couple's history.

async fn checkin_exercise(app: &TestApp, me: &Me) -> (Uuid, String) {
    let e = library::list(&app.db, me.id, LibraryFilter::default())
        .await
        .expect("library")
        .into_iter()
        .find(|e| e.model.builtin_key.as_deref() == Some(CONNECTION_CHECKIN))
        .expect("the connection check-in");
    (e.model.id, e.model.title)
}

/// The connection check-in for both partners, due at `due`, given in `session` if any.
async fn assign_checkin(
    app: &TestApp,
    me: &Me,
    due: chrono::DateTime<Utc>,
    session: Option<Uuid>,
) -> Uuid {
    let (exercise, _) = checkin_exercise(app, me).await;
    let couple = Uuid::parse_str(&me.couple).expect("uuid");
    assignments::assign_in_session(
        &app.db,
        app.clock.as_ref(),
        &Actor::system(),
        me.id,
        couple,
        NewAssignment {
            exercise_id: exercise,
            assignees: PartnerRole::BOTH.to_vec(),
            due_local: due.naive_utc(),
            time_zone: TimeZone::default(),
            visibility: Visibility::CounselorOnly,
            recurrence: None,
        },
        session,
    )
    .await
    .expect("assign")[0]
}

/// Both partners answer a check-in: trust `trust.0` (involved) and `trust.1` (hurt).
async fn answer_checkin(app: &TestApp, me: &Me, assignment: Uuid, trust: (u8, u8)) {
    let couple = couples::get(&app.db, me.id, Uuid::parse_str(&me.couple).expect("uuid"))
        .await
        .expect("couple");
    let detail = assignments::get(&app.db, me.id, assignment)
        .await
        .expect("assignment");
    for (role, value) in [
        (PartnerRole::Involved, trust.0),
        (PartnerRole::Hurt, trust.1),
    ] {
        let response = detail
            .responses
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, m)| m.id)
            .expect("response");
        let answers: Vec<(String, RawAnswer)> = [
            ("trust", value.to_string()),
            ("closeness", "5".to_owned()),
            ("communication", "4".to_owned()),
            ("cared_for", "6".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), RawAnswer::text(&v)))
        .collect();
        submit_in_core(app, couple.partner(role), response, &answers, false).await;
    }
}

async fn rate(me: &Me, ratings: Value) {
    let r = me
        .api
        .post_json(&format!("/api/v1/couples/{}/markers", me.couple), &ratings)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "rated: {}",
        r.text().await.unwrap_or_default()
    );
}

/// The applicable marker keys of a stage.
async fn markers(me: &Me, stage: &str) -> Vec<String> {
    markers_of(&progress(&me.api, &me.couple).await, stage)
}

async fn stage_action(me: &Me, stage: &str, action: &str, body: Value) {
    let r = me
        .api
        .post_json(
            &format!("/api/v1/couples/{}/stages/{stage}/{action}", me.couple),
            &body,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{action} {stage}: {}",
        r.text().await.unwrap_or_default()
    );
}

const DATA: &str = "Both partners arrived on time and talked about the week.";
const ASSESSMENT: &str = "Listening without defending is emerging.";
const PLAN: &str = "Continue weekly; practise reflective listening at home.";
const ADDENDUM: &str = "Called on Tuesday to move the next session to Thursday.";

// ---------------------------------------------------------------------------------------------
// The session note.

async fn the_session_note_prints_every_section(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let session = schedule(&me, -1).await;
    let s = id_of(&session);
    let session_id = Uuid::parse_str(&s).expect("uuid");
    me.api
        .patch_json(
            &format!("/api/v1/sessions/{s}"),
            &json!({"attendance": "attended"}),
        )
        .await;
    // A rating before the session, then one in it: the note shows the change.
    rate(
        &me,
        json!([{"marker": "genuine_remorse", "rating": "not_yet"}]),
    )
    .await;
    rate(
        &me,
        json!([{"marker": "genuine_remorse", "rating": "emerging", "session_id": s}]),
    )
    .await;
    let (_, exercise_title) = checkin_exercise(&app, &me).await;
    assign_checkin(&app, &me, Utc::now() + Duration::days(6), Some(session_id)).await;
    // Homework given outside this session stays off its note.
    assign_checkin(&app, &me, Utc::now() + Duration::days(9), None).await;

    let r = save_note(
        &me.api,
        &s,
        &json!({"format": "DAP", "data": DATA, "assessment": ASSESSMENT, "plan": PLAN}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sign(&me.api, &s).await.status(), StatusCode::OK);
    assert_eq!(
        add_addendum(&me.api, &s, ADDENDUM).await.status(),
        StatusCode::CREATED
    );
    let stored = read(&me.api, &s).await;
    let hash = stored["note"]["content_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let addendum_hash = stored["note"]["addenda"][0]["content_hash"]
        .as_str()
        .expect("addendum hash")
        .to_owned();

    let before = downloads(&app, "note_pdf_downloaded", session_id).await;
    let (pdf, name) = note_pdf(&me.api, &s).await;
    assert_eq!(
        downloads(&app, "note_pdf_downloaded", session_id).await,
        before + 1,
        "the download is audited"
    );
    // The file name is the session's date in the counselor's zone (Berlin), nothing else.
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let starts: chrono::DateTime<Utc> = session["starts_at"]
        .as_str()
        .expect("starts_at")
        .parse()
        .expect("time");
    let day = starts.with_timezone(&tz).format("%Y-%m-%d").to_string();
    assert_eq!(name, format!("session-note-{day}.pdf"));

    let all = flat(&text(&pdf, None));
    let marker = Marker::from_key("genuine_remorse")
        .expect("marker")
        .title(false);
    for expected in [
        "Session note",
        "Harbor Lights",
        &format!("Counselor {COUNSELOR}"),
        &format!("{ZOE} (involved partner)"),
        &format!("{RENEE} (hurt partner)"),
        &starts
            .with_timezone(&tz)
            .format("%A %-d %B %Y, %H:%M (Europe/Berlin)")
            .to_string(),
        "Duration 50 minutes",
        "Location Office · Room 2",
        "Attendance Attended",
        "Stage at the time 1 · Admission and remorse",
        "Note format DAP",
        &format!("Data {DATA}"),
        &format!("Assessment {ASSESSMENT}"),
        &format!("Plan {PLAN}"),
        "Marker changes",
        "Not yet",
        "Emerging",
        "Homework assigned",
        &exercise_title,
        "for both partners; due",
        "Signature",
        &format!("Signed by {COUNSELOR}"),
        "Addenda",
        "Addendum 1",
        &format!("Written by {COUNSELOR}"),
        ADDENDUM,
        "Confidential",
    ] {
        assert!(
            all.contains(expected),
            "the note shows {expected:?}:\n{all}"
        );
    }
    let compact: String = all.split_whitespace().collect();
    let marker_compact: String = marker.split_whitespace().collect();
    assert!(compact.contains(&marker_compact), "the marker {marker:?}");
    assert!(
        compact.contains(&format!("Contenthash{hash}")),
        "the printed content hash is the stored one ({hash}):\n{all}"
    );
    assert!(compact.contains(&addendum_hash), "the addendum's hash");
    assert_eq!(
        all.matches(&exercise_title).count(),
        1,
        "only the homework given in this session"
    );
    assert!(!all.contains("DRAFT"), "a signed note is not a draft");
    let pages = page_count(&pdf);
    for n in 1..=pages {
        let page = flat(&text(&pdf, Some(n)));
        assert!(page.contains(&format!("Page {n} of {pages}")), "page {n}");
        assert!(page.contains("Confidential"), "page {n}");
    }
    render_pages(&pdf, &format!("note-signed-{}", tag(&app)));
}

async fn a_draft_note_says_so_on_every_page(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let s = id_of(&schedule(&me, 2).await);
    // Before any words, the note prints as an empty draft.
    let (pdf, _) = note_pdf(&me.api, &s).await;
    let all = flat(&text(&pdf, None));
    assert!(all.contains("DRAFT – not signed"), "{all}");
    assert!(all.contains("Nothing recorded."), "{all}");
    assert!(
        all.contains("Attendance Scheduled"),
        "a session ahead is still scheduled: {all}"
    );
    save_note(
        &me.api,
        &s,
        &json!({"format": "SOAP", "subjective": "Tired.", "objective": "Calm.", "assessment": "Fine.", "plan": "More."}),
    )
    .await;
    let (pdf, _) = note_pdf(&me.api, &s).await;
    let all = flat(&text(&pdf, None));
    for section in [
        "Subjective Tired.",
        "Objective Calm.",
        "Assessment Fine.",
        "Plan More.",
    ] {
        assert!(all.contains(section), "{section}: {all}");
    }
    for n in 1..=page_count(&pdf) {
        let page = flat(&text(&pdf, Some(n)));
        assert!(page.contains("DRAFT – not signed"), "page {n}: {page}");
    }
    assert!(!all.contains("Signed by"));
}

/// About `chars` characters of ordinary prose.
fn prose(chars: usize, seed: &str) -> String {
    let sentence = format!(
        "{seed}: the couple went over the week, the check-ins and what each needed from the \
         other; the counselor reflected what she heard and named the next small step. "
    );
    let mut out = String::new();
    let mut paragraph = 0;
    while out.len() + sentence.len() < chars {
        out.push_str(&sentence);
        paragraph += 1;
        if paragraph % 6 == 0 {
            out.push_str("\n\n");
        }
    }
    out.trim_end().to_owned()
}

async fn a_long_note_grows_to_twenty_pages_numbered_right(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let short = id_of(&schedule(&me, -1).await);
    save_note(
        &me.api,
        &short,
        &json!({"format": "DAP", "data": DATA, "assessment": ASSESSMENT, "plan": PLAN}),
    )
    .await;
    let (short_pdf, _) = note_pdf(&me.api, &short).await;
    let short_pages = page_count(&short_pdf);
    assert_eq!(short_pages, 1, "a short draft fits one page");
    assert!(
        flat(&text(&short_pdf, None)).contains("Attendance Not recorded yet"),
        "a past session without attendance says so"
    );

    let long = id_of(&schedule(&me, -1).await);
    let r = save_note(
        &me.api,
        &long,
        &json!({
            "format": "DAP",
            "data": prose(25_000, "Data"),
            "assessment": prose(25_000, "Assessment"),
            "plan": prose(25_000, "Plan"),
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sign(&me.api, &long).await.status(), StatusCode::OK);
    let hash = read(&me.api, &long).await["note"]["content_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let (pdf, _) = note_pdf(&me.api, &long).await;
    let pages = page_count(&pdf);
    assert!(
        (15..=30).contains(&pages),
        "about twenty pages, got {pages}"
    );
    assert!(pages > short_pages);
    for n in 1..=pages {
        let page = flat(&text(&pdf, Some(n)));
        assert!(
            page.contains(&format!("Page {n} of {pages}")),
            "page {n} of {pages}: {page}"
        );
        assert!(page.contains("Confidential"), "page {n}");
        if n > 1 {
            assert!(page.contains("Session note"), "running header on page {n}");
        }
    }
    let compact: String = text(&pdf, None).split_whitespace().collect();
    assert!(
        compact.contains(&format!("Contenthash{hash}")),
        "the signature shows the stored hash"
    );
    let last = flat(&text(&pdf, Some(pages)));
    assert!(
        last.contains("No addenda."),
        "the note ends with its addenda"
    );
    let png = render_pages(&pdf, &format!("note-long-{}", tag(&app)));
    assert!(std::fs::metadata(png).expect("png").len() > 10_000);
}

async fn hostile_text_prints_without_harm(app: TestApp) {
    let me = me(&app, "o@practice.example", "<b>Alex</b> & \"Sam\"").await;
    let s = id_of(&schedule(&me, -1).await);
    let word: String = "Ł".repeat(5_000) + &"w".repeat(5_000);
    let data = format!(
        "<script>alert('x')</script> before {word} after the word.\n\
         Emoji 😀🙂👩‍❤️‍👨 done.\n\
         שלום עליכם and مرحبا بكم then the end of the right-to-left text.\n\
         %PDF-1.7 endobj (unbalanced \\ parenthesis"
    );
    let r = save_note(
        &me.api,
        &s,
        &json!({"format": "DAP", "data": data, "assessment": "\u{202e}reversed\u{202c} e\u{301}", "plan": "Tab\tand more."}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sign(&me.api, &s).await.status(), StatusCode::OK);
    assert_eq!(
        add_addendum(&me.api, &s, "<img src=x onerror=alert(1)> 🙂")
            .await
            .status(),
        StatusCode::CREATED
    );
    let (pdf, name) = note_pdf(&me.api, &s).await;
    assert!(name.starts_with("session-note-") && !name.contains('<'));
    let all = text(&pdf, None);
    let flat_all = flat(&all);
    for expected in [
        "<b>Alex</b> & \"Sam\"",
        "<script>alert('x')</script> before ŁŁŁ",
        "after the word.",
        "done.",
        "then the end of the right-to-left text.",
        "%PDF-1.7 endobj (unbalanced \\ parenthesis",
        "<img src=x onerror=alert(1)>",
    ] {
        assert!(flat_all.contains(expected), "{expected:?} in:\n{flat_all}");
    }
    let letters: usize = all.chars().filter(|c| *c == 'w').count();
    assert!(letters >= 5_000, "the long word prints in full ({letters})");
    render_pages(&pdf, &format!("note-hostile-{}", tag(&app)));
}

// ---------------------------------------------------------------------------------------------
// The progress report.

async fn the_progress_report_prints_every_section(app: TestApp) {
    let me = me(&app, "o@practice.example", "Harbor Lights").await;
    let couple = Uuid::parse_str(&me.couple).expect("uuid");
    // Stage history: admission completed, the gate overridden, admission reopened.
    let all_consistent: Vec<Value> = markers(&me, "admission")
        .await
        .iter()
        .map(|m| json!({"marker": m, "rating": "consistent"}))
        .collect();
    rate(&me, Value::Array(all_consistent)).await;
    stage_action(&me, "admission", "complete", json!({})).await;
    stage_action(
        &me,
        "before_the_affair",
        "override",
        json!({"reason": "They asked to look at the years before alongside this work."}),
    )
    .await;
    stage_action(
        &me,
        "admission",
        "reopen",
        json!({"reason": "A new disclosure: older messages were found."}),
    )
    .await;
    // Sessions: one of each kind, and one still ahead.
    for attendance in ["attended", "attended", "cancelled", "no_show"] {
        let s = id_of(&schedule(&me, -3).await);
        let r = me
            .api
            .patch_json(
                &format!("/api/v1/sessions/{s}"),
                &json!({ "attendance": attendance }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    schedule(&me, 3).await;
    // Check-ins: three weeks answered (trust diverging), one still open.
    for (week, trust) in [(3, (7, 5)), (2, (8, 3)), (1, (9, 2))] {
        let a = assign_checkin(&app, &me, Utc::now() - Duration::days(7 * week), None).await;
        answer_checkin(&app, &me, a, trust).await;
    }
    assign_checkin(&app, &me, Utc::now() + Duration::days(2), None).await;

    let today = Utc::now().date_naive();
    let from = (today - Duration::days(40)).format("%Y-%m-%d").to_string();
    let to = (today + Duration::days(5)).format("%Y-%m-%d").to_string();
    let before = downloads(&app, "report_pdf_downloaded", couple).await;
    let (pdf, name) = download(
        me.api
            .get(&format!(
                "/api/v1/couples/{}/report.pdf?from={from}&to={to}",
                me.couple
            ))
            .await,
    )
    .await;
    assert_eq!(name, format!("progress-report-{from}-to-{to}.pdf"));
    assert_eq!(
        downloads(&app, "report_pdf_downloaded", couple).await,
        before + 1,
        "the download is audited"
    );
    let all = flat(&text(&pdf, None));
    for expected in [
        "Progress report",
        "Harbor Lights",
        &format!("Counselor {COUNSELOR}"),
        &format!("{ZOE} (involved partner)"),
        &format!("{RENEE} (hurt partner)"),
        "2 attended · 1 cancelled · 1 no-show",
        "Stage timeline",
        "1 Admission",
        "Gate overrides and reopenings",
        "Gate to stages 4 to 6 overridden",
        "They asked to look at the years before alongside this work.",
        "Stage 1 reopened",
        "A new disclosure: older messages were found.",
        "Current marker ratings",
        "1 · Admission and remorse (current)",
        "2 · Validating the pain",
        "Consistent",
        "Homework",
        "Sessions",
        "Check-in ratings",
        "Connection check-in: trust",
        "Trust ratings diverge by 4 or more points",
        "Confidential",
    ] {
        assert!(
            all.contains(expected),
            "the report shows {expected:?}:\n{all}"
        );
    }
    // Homework due in the period: three answered check-ins and one open, for each partner.
    let homework = all
        .split("Homework")
        .nth(1)
        .expect("a homework section")
        .to_owned();
    assert!(
        homework.contains(&format!("{ZOE} (involved partner) 4 3")),
        "{homework}"
    );
    let pages = page_count(&pdf);
    for n in 1..=pages {
        let page = flat(&text(&pdf, Some(n)));
        assert!(page.contains(&format!("Page {n} of {pages}")), "page {n}");
    }
    render_pages(&pdf, &format!("report-{}", tag(&app)));

    // The default period runs from the intake date to today.
    let (pdf, name) = download(
        me.api
            .get(&format!("/api/v1/couples/{}/report.pdf", me.couple))
            .await,
    )
    .await;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let today = Utc::now().with_timezone(&tz).format("%Y-%m-%d");
    assert_eq!(name, format!("progress-report-2026-03-02-to-{today}.pdf"));
    assert!(flat(&text(&pdf, None)).contains("2 March 2026"));

    // A period before anything happened reads as quiet, not broken.
    let (pdf, _) = download(
        me.api
            .get(&format!(
                "/api/v1/couples/{}/report.pdf?from=2020-01-01&to=2020-03-31",
                me.couple
            ))
            .await,
    )
    .await;
    let quiet = flat(&text(&pdf, None));
    assert!(
        quiet.contains("0 attended · 0 cancelled · 0 no-show"),
        "{quiet}"
    );
    assert!(quiet.contains("None in this period."), "{quiet}");
    assert!(quiet.contains("No check-ins in this period."), "{quiet}");
}

async fn another_counselor_gets_no_pdf(app: TestApp) {
    let a = me(&app, "o@practice.example", "Harbor Lights").await;
    let s = id_of(&schedule(&a, -1).await);
    save_note(
        &a.api,
        &s,
        &json!({"format": "DAP", "data": "A's private words."}),
    )
    .await;
    let b = app
        .counselor("Bruno Baker", "bruno@practice.example", Role::Counselor)
        .await;
    let b_api = app.api(&app.api_token(b.id).await);
    for path in [
        format!("/api/v1/sessions/{s}/note.pdf"),
        format!("/api/v1/couples/{}/report.pdf", a.couple),
        format!(
            "/api/v1/couples/{}/report.pdf?from=2026-01-01&to=2026-01-31",
            a.couple
        ),
    ] {
        let r = b_api.get(&path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "B: {path}");
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let body = r.text().await.expect("body");
        for secret in ["Harbor Lights", ZOE, RENEE, "private"] {
            assert!(!body.contains(secret), "B: {path}: {body}");
        }
    }
    let session = Uuid::parse_str(&s).expect("uuid");
    let couple = Uuid::parse_str(&a.couple).expect("uuid");
    assert_eq!(downloads(&app, "note_pdf_downloaded", session).await, 0);
    assert_eq!(downloads(&app, "report_pdf_downloaded", couple).await, 0);
    // Without a token there is nothing either.
    let r = reqwest::get(app.url(&format!("/api/v1/sessions/{s}/note.pdf")))
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
