//! Helpers for the crate's tests: read back what we wrote (with lopdf, printpdf's own PDF
//! reader, and with poppler's `pdftotext`, which `scripts/test` installs) and check layout
//! positions.

use std::io::Write;
use std::process::{Command, Stdio};

use lopdf::Object;

use crate::pdf::{Document, FontKind, PageSetup};
use crate::visuals::{Anchor, Shape};

/// Parse PDF bytes, failing the test if they are not a readable PDF.
pub fn parse(bytes: &[u8]) -> lopdf::Document {
    assert!(bytes.starts_with(b"%PDF-"), "starts with %PDF");
    lopdf::Document::load_mem(bytes).expect("a PDF lopdf can read")
}

pub fn page_count(doc: &lopdf::Document) -> usize {
    doc.get_pages().len()
}

/// The text of page `n` (1-based) as lopdf extracts it (through the fonts' ToUnicode maps).
pub fn page_text(doc: &lopdf::Document, n: u32) -> String {
    doc.extract_text(&[n]).expect("text")
}

/// An entry of the document information dictionary, decoded (UTF-16BE or PDFDocEncoding).
pub fn info(doc: &lopdf::Document, key: &[u8]) -> String {
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .expect("an Info dictionary");
    let bytes = info.get(key).and_then(Object::as_str).expect("the entry");
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Width and height of page `n` (1-based) in points, from its MediaBox.
pub fn media_box(doc: &lopdf::Document, n: u32) -> (f64, f64) {
    let id = doc.get_pages()[&n];
    let page = doc.get_dictionary(id).expect("page");
    let mb = page
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .expect("MediaBox");
    let num = |o: &Object| o.as_float().map(f64::from).expect("number");
    (num(&mb[2]) - num(&mb[0]), num(&mb[3]) - num(&mb[1]))
}

/// The text of the PDF (or of one page) as poppler's `pdftotext` extracts it.
pub fn pdftotext(bytes: &[u8], page: Option<u32>) -> String {
    let mut cmd = Command::new("pdftotext");
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let mut child = match cmd
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "pdftotext is needed to check the PDFs' text ({e}): install poppler-utils \
             (scripts/test does)"
        ),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every text line of the flowing content lies within the margins, and the furniture within
/// the page.
pub fn assert_within_margins(doc: &Document) {
    let setup: PageSetup = doc.setup;
    let m = setup.margins;
    let (w, h) = setup.paper.size_pt();
    let eps = 1e-6;
    for (i, page) in doc.pages.iter().enumerate() {
        let check = |s: &Shape, furniture: bool| {
            if let Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                bold,
                ..
            } = s
            {
                let font = if *bold {
                    FontKind::Bold
                } else {
                    FontKind::Regular
                };
                let metrics = font.metrics().expect("font");
                let width = metrics.width(&metrics.clean(text), *size);
                let left = match anchor {
                    Anchor::Start => *x,
                    Anchor::Middle => x - width / 2.0,
                    Anchor::End => x - width,
                };
                let (lo, hi, top, bottom) = if furniture {
                    (0.0, w, 0.0, h)
                } else {
                    (m.left, w - m.right, m.top, h - m.bottom)
                };
                let short: String = text.chars().take(40).collect();
                assert!(
                    left >= lo - eps,
                    "page {}: {short:?} starts at {left}",
                    i + 1
                );
                assert!(
                    left + width <= hi + eps,
                    "page {}: {short:?} ends at {}",
                    i + 1,
                    left + width
                );
                assert!(
                    y - size >= top - eps && *y <= bottom + eps,
                    "page {}: {short:?} at y {y}",
                    i + 1
                );
            }
        };
        for s in &page.body {
            s.walk(&mut |s| check(s, false));
        }
        for s in &page.furniture {
            s.walk(&mut |s| check(s, true));
        }
    }
}

/// No page but the last ends with a section heading (headings stay with what follows).
pub fn assert_no_orphan_headings(doc: &Document) {
    let h1 = crate::pdf::layout::styles::H1;
    for (i, page) in doc.pages.iter().enumerate().rev().skip(1) {
        let last = page.body.iter().rev().find_map(|s| match s {
            Shape::Text {
                text, size, bold, ..
            } => Some((text.clone(), *size, *bold)),
            _ => None,
        });
        if let Some((text, size, bold)) = last {
            assert!(
                !(bold && (size - h1.size).abs() < 1e-9),
                "page {} ends with the heading {text:?}",
                i + 1
            );
        }
    }
}
