//! The session note as a PDF: who, when and where, the note's sections (DAP or SOAP), marker
//! changes, homework assigned, the signature with its content hash, and any addenda. A note
//! that is not signed says so at the top and in the footer of every page.

use chrono::{DateTime, Utc};

use crate::ReportError;
use crate::common::{
    generated_text, or_missing, partners_text, quiet, running_header, section, table_section,
    title_block,
};
use crate::pdf::layout::styles;
use crate::pdf::{
    Column, DocInfo, Document, Flow, Furniture, PageSetup, PanelLook, PaperSize, add_furniture,
};
use crate::visuals::palette;

pub use crate::common::PartnerLine;

/// Printed wherever an unsigned note needs to say so.
pub const DRAFT_MARK: &str = "DRAFT – not signed";

/// One part of the note, e.g. "Data" and what the counselor wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub body: String,
}

/// A marker rating changed in this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerChange {
    pub marker: String,
    /// The rating before ("Not yet rated" if none), already worded for people.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub signer: String,
    /// Already formatted by the caller, in the counselor's time zone.
    pub signed_at: String,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addendum {
    pub author: String,
    /// Already formatted by the caller, in the counselor's time zone.
    pub written_at: String,
    pub text: String,
    pub content_hash: String,
}

/// Everything printed on a session note. Plain, already-formatted data: dates and times come
/// as text in the counselor's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteDoc {
    pub practice_name: String,
    pub counselor_name: String,
    pub couple_label: String,
    pub partners: Vec<PartnerLine>,
    /// When the session started, formatted by the caller in the counselor's time zone.
    pub session_starts: String,
    pub duration_minutes: u32,
    pub location: String,
    pub attendance: String,
    pub stage_at_time: String,
    /// "DAP" or "SOAP".
    pub format: String,
    pub sections: Vec<Section>,
    pub marker_changes: Vec<MarkerChange>,
    pub homework_assigned: Vec<String>,
    /// `None`: a draft.
    pub signature: Option<Signature>,
    pub addenda: Vec<Addendum>,
    pub paper: PaperSize,
    /// The PDF's title (document information).
    pub title: String,
    pub generated_at: DateTime<Utc>,
}

/// The note as PDF bytes.
pub fn render(doc: &NoteDoc) -> Result<Vec<u8>, ReportError> {
    crate::pdf::write(&layout(doc)?)
}

fn duration_text(minutes: u32) -> String {
    match minutes {
        0 => "Not recorded".into(),
        1 => "1 minute".into(),
        m => format!("{m} minutes"),
    }
}

/// The note laid out on pages (before writing; tests inspect positions here).
pub fn layout(doc: &NoteDoc) -> Result<Document, ReportError> {
    let setup = PageSetup::new(doc.paper);
    let mut flow = Flow::new(setup);
    title_block(
        &mut flow,
        &doc.practice_name,
        "Session note",
        &doc.couple_label,
    )?;

    if doc.signature.is_none() {
        draft_panel(&mut flow)?;
        flow.gap(12.0);
    }

    let rows = vec![
        ("Counselor".to_string(), or_missing(&doc.counselor_name)),
        ("Partners".to_string(), partners_text(&doc.partners)),
        ("Session".to_string(), or_missing(&doc.session_starts)),
        ("Duration".to_string(), duration_text(doc.duration_minutes)),
        ("Location".to_string(), or_missing(&doc.location)),
        ("Attendance".to_string(), or_missing(&doc.attendance)),
        (
            "Stage at the time".to_string(),
            or_missing(&doc.stage_at_time),
        ),
        ("Note format".to_string(), or_missing(&doc.format)),
    ];
    flow.pairs(&rows, 0.26)?;
    flow.gap(6.0);
    flow.paragraph(&generated_text(doc.generated_at), &styles::SMALL)?;

    for s in &doc.sections {
        let heading = if s.heading.trim().is_empty() {
            "Untitled section"
        } else {
            s.heading.as_str()
        };
        section(&mut flow, heading, 2.0 * styles::BODY.leading)?;
        if s.body.trim().is_empty() {
            quiet(&mut flow, "Nothing recorded.")?;
        } else {
            flow.paragraph(s.body.trim_end(), &styles::BODY)?;
        }
    }
    if doc.sections.is_empty() {
        section(&mut flow, "Note", styles::BODY.leading)?;
        quiet(&mut flow, "Nothing recorded.")?;
    }

    if doc.marker_changes.is_empty() {
        section(&mut flow, "Marker changes", styles::BODY.leading)?;
        quiet(&mut flow, "No marker ratings changed in this session.")?;
    } else {
        let rows: Vec<Vec<String>> = doc
            .marker_changes
            .iter()
            .map(|m| vec![m.marker.clone(), m.from.clone(), m.to.clone()])
            .collect();
        let columns = [
            Column::new(0.5, styles::BODY),
            Column::new(0.25, styles::BODY),
            Column::new(0.25, styles::BODY_BOLD),
        ];
        let head = ["MARKER", "FROM", "TO"];
        table_section(&mut flow, "Marker changes", &columns, &head, &rows)?;
    }

    section(&mut flow, "Homework assigned", 2.0 * styles::BODY.leading)?;
    if doc.homework_assigned.is_empty() {
        quiet(&mut flow, "No homework assigned in this session.")?;
    } else {
        flow.bullets(&doc.homework_assigned, &styles::BODY)?;
    }

    section(&mut flow, "Signature", 4.0 * styles::BODY.leading)?;
    match &doc.signature {
        Some(sig) => signature_panel(&mut flow, sig)?,
        None => draft_panel(&mut flow)?,
    }

    if !doc.addenda.is_empty() || doc.signature.is_some() {
        section(&mut flow, "Addenda", 3.0 * styles::BODY.leading)?;
        if doc.addenda.is_empty() {
            quiet(&mut flow, "No addenda.")?;
        }
        for (i, a) in doc.addenda.iter().enumerate() {
            if i > 0 {
                flow.gap(10.0);
            }
            addendum(&mut flow, i + 1, a)?;
        }
    }

    let mut pages = flow.finish()?;
    let header = running_header(
        &setup,
        &["Session note", &doc.couple_label, &doc.session_starts],
    );
    add_furniture(
        &mut pages,
        &setup,
        &Furniture {
            footer: "Confidential".into(),
            footer_alert: doc.signature.is_none().then(|| DRAFT_MARK.to_string()),
            running_header: header,
        },
    );
    Ok(Document {
        setup,
        pages,
        info: DocInfo {
            title: if doc.title.trim().is_empty() {
                "Session note".into()
            } else {
                doc.title.clone()
            },
            author: doc.counselor_name.clone(),
            subject: "Session note".into(),
            created: doc.generated_at,
        },
    })
}

fn draft_panel(flow: &mut Flow) -> Result<(), ReportError> {
    flow.panel(
        PanelLook {
            fill: Some(palette::ALERT_FILL),
            border: None,
            bar: Some(palette::ALERT),
            pad: 10.0,
        },
        |f| {
            f.paragraph(DRAFT_MARK, &styles::ALERT_TITLE)?;
            f.paragraph(
                "This note has not been signed. Its content may still change; once signed it \
                 is locked and later changes appear only as dated addenda.",
                &styles::BODY,
            )
        },
    )
}

fn signature_panel(flow: &mut Flow, sig: &Signature) -> Result<(), ReportError> {
    flow.panel(
        PanelLook {
            fill: Some(palette::PANEL),
            border: None,
            bar: Some(palette::ACCENT),
            pad: 10.0,
        },
        |f| {
            f.pairs(
                &[
                    ("Signed by".into(), or_missing(&sig.signer)),
                    ("Signed at".into(), or_missing(&sig.signed_at)),
                    ("Content hash".into(), or_missing(&sig.content_hash)),
                ],
                0.24,
            )?;
            f.gap(4.0);
            f.paragraph(
                "The content hash identifies the note exactly as signed. The note is locked; \
                 any later change appears below as a dated addendum.",
                &styles::SMALL,
            )
        },
    )
}

fn addendum(flow: &mut Flow, n: usize, a: &Addendum) -> Result<(), ReportError> {
    let title = format!("Addendum {n} · {}", or_missing(&a.written_at));
    flow.heading(&title, &styles::H2, 2.0 * styles::BODY.leading)?;
    flow.paragraph(
        &format!("Written by {}", or_missing(&a.author)),
        &styles::SMALL,
    )?;
    flow.gap(3.0);
    if a.text.trim().is_empty() {
        quiet(flow, "No text.")?;
    } else {
        flow.paragraph(a.text.trim_end(), &styles::BODY)?;
    }
    flow.gap(3.0);
    flow.paragraph(
        &format!("Content hash: {}", or_missing(&a.content_hash)),
        &styles::SMALL,
    )
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone};

    use super::*;
    use crate::samples;
    use crate::test_support::{
        assert_no_orphan_headings, assert_within_margins, info, media_box, page_count, page_text,
        parse, pdftotext,
    };

    const NAMES: [&str; 3] = ["Zoë Ñúñez-Łukasiewicz", "Renée O’Brien", "Łódź"];

    /// Extracted text with line breaks and runs of spaces folded to single spaces.
    fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn renders_a_readable_pdf_with_metadata() {
        let doc = samples::note();
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        assert_eq!(page_count(&pdf), 2, "the sample note is two pages");
        assert_eq!(info(&pdf, b"Title"), doc.title);
        assert_eq!(info(&pdf, b"Author"), "Dr. Amara Wójcik");
        for key in [&b"CreationDate"[..], b"ModDate"] {
            let date = info(&pdf, key);
            assert!(date.starts_with("D:20260402"), "{date}");
        }
        // Fonts embedded, subset to what the note uses: the whole DejaVu pair is 1.4 MB.
        assert!(bytes.windows(9).any(|w| w == b"FontFile2"));
        let raw = String::from_utf8_lossy(&bytes);
        assert!(raw.contains("+DejaVuSans/") && raw.contains("+DejaVuSans-Bold/"));
        assert!(!raw.contains("GTS_PDFXVersion"), "not a PDF/X file");
        assert!(bytes.len() < 120_000, "{} bytes", bytes.len());
    }

    #[test]
    fn dates_are_never_1970() {
        let mut doc = samples::note();
        doc.generated_at = Utc.timestamp_opt(0, 0).single().expect("epoch");
        let pdf = parse(&render(&doc).expect("pdf"));
        let date = info(&pdf, b"CreationDate");
        assert!(!date.starts_with("D:1970"), "{date}");
        let year: i32 = date[2..6].parse().expect("year");
        assert!(year >= Utc::now().year() - 1);
    }

    #[test]
    fn unicode_names_print_as_written() {
        let mut doc = samples::note();
        doc.location = "Office, Łódź".into();
        doc.partners.push(PartnerLine {
            role_label: "interpreter".into(),
            name: "李".into(),
        });
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        let lopdf_text = flat(&page_text(&pdf, 1));
        let poppler_text = flat(&pdftotext(&bytes, None));
        for name in NAMES {
            assert!(lopdf_text.contains(name), "lopdf finds {name}");
            assert!(poppler_text.contains(name), "pdftotext finds {name}");
        }
        // DejaVu has no CJK: the character prints as a visible replacement, nothing breaks.
        assert!(
            poppler_text.contains("\u{FFFD} (interpreter)"),
            "{poppler_text}"
        );
    }

    #[test]
    fn a_long_note_numbers_every_page_and_marks_it_confidential() {
        let mut doc = samples::note();
        doc.sections.clear();
        let body = "The couple talked about the week, the check-ins and the plan. ".repeat(12);
        while layout(&doc).expect("layout").pages.len() < 20 {
            doc.sections.push(Section {
                heading: format!("Part {}", doc.sections.len() + 1),
                body: body.clone(),
            });
        }
        let laid_out = layout(&doc).expect("layout");
        assert_eq!(laid_out.pages.len(), 20);
        assert_within_margins(&laid_out);
        assert_no_orphan_headings(&laid_out);
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        assert_eq!(page_count(&pdf), 20);
        for n in 1..=20u32 {
            for text in [page_text(&pdf, n), pdftotext(&bytes, Some(n))] {
                let text = flat(&text);
                assert!(
                    text.contains(&format!("Page {n} of 20")),
                    "page {n}: {text}"
                );
                assert!(text.contains("Confidential"), "page {n}");
            }
            if n > 1 {
                assert!(
                    page_text(&pdf, n).contains("Session note"),
                    "running header"
                );
            }
        }
    }

    #[test]
    fn a_10000_character_word_stays_within_the_margins() {
        let word: String = "Ł".repeat(5_000) + &"w".repeat(5_000);
        let mut doc = samples::note();
        doc.sections[0].body = format!("Before {word} after.");
        doc.location = word.clone();
        doc.marker_changes[0].marker = word.clone();
        doc.homework_assigned.push(word.clone());
        doc.couple_label = word.clone();
        if let Some(sig) = doc.signature.as_mut() {
            sig.content_hash = word.clone();
        }
        for paper in [PaperSize::A4, PaperSize::Letter] {
            doc.paper = paper;
            let laid_out = layout(&doc).expect("layout");
            assert_within_margins(&laid_out);
            assert_no_orphan_headings(&laid_out);
            let printed: usize = laid_out
                .shapes()
                .filter_map(|(_, s)| match s {
                    crate::visuals::Shape::Text { text, .. } => Some(text.matches('w').count()),
                    _ => None,
                })
                .sum();
            assert!(
                printed >= 6 * 5_000,
                "every copy of the word is printed in full"
            );
        }
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        let text = pdftotext(&bytes, None);
        assert!(text.contains("Before ŁŁŁ"));
        assert!(text.contains("after."));
        assert!(page_count(&pdf) > 2);
    }

    #[test]
    fn a4_and_letter_have_their_sizes() {
        let mut doc = samples::note();
        for (paper, (w, h)) in [
            (PaperSize::A4, (595.28, 841.89)),
            (PaperSize::Letter, (612.0, 792.0)),
        ] {
            doc.paper = paper;
            let pdf = parse(&render(&doc).expect("pdf"));
            for n in 1..=page_count(&pdf) as u32 {
                let (pw, ph) = media_box(&pdf, n);
                assert!(
                    (pw - w).abs() < 0.05 && (ph - h).abs() < 0.05,
                    "{paper:?}: {pw}×{ph}"
                );
            }
        }
    }

    #[test]
    fn unsigned_notes_say_draft_on_every_page() {
        let mut doc = samples::note();
        doc.signature = None;
        doc.addenda.clear();
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        let first = flat(&pdftotext(&bytes, Some(1)));
        assert!(
            first.contains("DRAFT – not signed This note has not been signed"),
            "{first}"
        );
        for n in 1..=page_count(&pdf) as u32 {
            let text = flat(&page_text(&pdf, n));
            assert!(
                text.contains("Confidential DRAFT – not signed"),
                "page {n}: {text}"
            );
        }
        let signed = render(&samples::note()).expect("pdf");
        let text = flat(&pdftotext(&signed, None));
        assert!(!text.contains("DRAFT"));
        assert!(text.contains("Signed by Dr. Amara Wójcik"));
        assert!(text.contains("sha256:9f2c4e1b7a0d3c58"), "the content hash");
        assert!(text.contains("Addendum 1 · Wednesday 25 March 2026"));
        assert!(text.contains("Content hash: sha256:41d8cd98f00b204e"));
    }

    #[test]
    fn hostile_and_odd_text_prints_literally_without_panicking() {
        let odd = "<script>alert('x')</script> (a\\b) %PDF-1.7 endobj \u{0}\u{1}\u{7}\u{1b}[31m \
                   \u{7f}\u{202e}reversed\u{202c} e\u{301}\u{301}\u{301} \u{200b}\u{feff} 😀 \
                   \r\n\tTabbed\u{2028}line";
        let mut doc = samples::note();
        doc.practice_name = odd.into();
        doc.counselor_name = String::new();
        doc.couple_label = odd.into();
        doc.partners = vec![];
        doc.session_starts = String::new();
        doc.duration_minutes = 0;
        doc.sections = vec![
            Section {
                heading: odd.into(),
                body: odd.into(),
            },
            Section {
                heading: String::new(),
                body: "   \n\n  ".into(),
            },
        ];
        doc.marker_changes = vec![MarkerChange {
            marker: String::new(),
            from: odd.into(),
            to: "\n".into(),
        }];
        doc.homework_assigned = vec![String::new(), odd.into()];
        doc.addenda = vec![Addendum {
            author: String::new(),
            written_at: String::new(),
            text: String::new(),
            content_hash: String::new(),
        }];
        doc.title = odd.into();
        let laid_out = layout(&doc).expect("layout");
        assert_within_margins(&laid_out);
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        let text = pdftotext(&bytes, None);
        assert!(text.contains("<script>alert('x')</script> (a\\b) %PDF-1.7 endobj"));
        assert!(text.contains("Nothing recorded."), "empty sections say so");
        assert!(!text.contains('\u{0}') && !text.contains('\u{1b}'));
        assert!(info(&pdf, b"Title").contains("<script>"));

        let mut empty = samples::note();
        empty.sections.clear();
        empty.marker_changes.clear();
        empty.homework_assigned.clear();
        empty.addenda.clear();
        let text = pdftotext(&render(&empty).expect("pdf"), None);
        assert!(text.contains("No homework assigned") && text.contains("No addenda."));
    }
}
