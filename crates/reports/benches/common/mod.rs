//! The documents the benchmark renders, shared by `benches/render.rs` and
//! `examples/bench_html.rs`: a one-page note, a twenty-page note and the sample progress report
//! with its timeline and two charts; and the same content as HTML for WeasyPrint (the same
//! DejaVu Sans files, A4, the same margins, page numbers and footer, the timeline and charts as
//! inline SVG from the same models), so both renderers lay out the same words.

#![allow(dead_code)]

use kintsugi_reports::note::{self, NoteDoc, Section};
use kintsugi_reports::progress::ProgressDoc;
use kintsugi_reports::samples;

/// The sample note cut to one full page: a draft (a signed note's signature panel and addenda
/// section alone take a quarter of a page) without marker changes or homework (each prints a
/// one-line "none"), sentences taken off the longest section until the rest fits.
pub fn one_page_note() -> NoteDoc {
    let mut doc = samples::note();
    doc.signature = None;
    doc.addenda.clear();
    doc.marker_changes.clear();
    doc.homework_assigned.clear();
    while pages(&doc) > 1 {
        let Some(longest) = doc
            .sections
            .iter_mut()
            .filter(|s| !s.body.is_empty())
            .max_by_key(|s| s.body.len())
        else {
            break;
        };
        let body = longest.body.trim_end().trim_end_matches('.');
        longest.body = match body.rfind(". ") {
            Some(i) => format!("{}.", &body[..i]),
            None => String::new(),
        };
    }
    assert_eq!(pages(&doc), 1, "the short note fits one page");
    doc
}

/// The sample note with more sections until it runs to twenty pages.
pub fn twenty_page_note() -> NoteDoc {
    let mut doc = samples::note();
    let body = doc
        .sections
        .iter()
        .map(|s| s.body.clone())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut n = 0;
    while pages(&doc) < 20 {
        n += 1;
        doc.sections.push(Section {
            heading: format!("Continued ({n})"),
            body: body.clone(),
        });
    }
    doc
}

pub fn report() -> ProgressDoc {
    samples::progress()
}

fn pages(doc: &NoteDoc) -> usize {
    note::layout(doc).map(|d| d.pages.len()).unwrap_or(0)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Paragraphs as `<p>`, keeping the writer's blank lines.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", esc(p)))
        .collect()
}

fn pairs(rows: &[(&str, String)]) -> String {
    let rows: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v)))
        .collect();
    format!("<table class=\"pairs\">{rows}</table>")
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let head: String = head
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    let rows: String = rows
        .iter()
        .map(|r| {
            let cells: String = r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    format!("<table class=\"grid\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
}

/// The page setup both documents use: A4, the same margins, DejaVu Sans, page numbers and the
/// "Confidential" footer in the page margin boxes.
fn page(title: &str, header: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
@font-face {{ font-family: "DejaVu Sans"; src: url("file://{fonts}/DejaVuSans.ttf"); }}
@font-face {{ font-family: "DejaVu Sans"; font-weight: bold; src: url("file://{fonts}/DejaVuSans-Bold.ttf"); }}
@page {{
  size: A4; margin: 62pt 56pt 60pt 56pt;
  @top-left {{ content: "{header}"; font-size: 8pt; color: #666; }}
  @bottom-left {{ content: "Confidential"; font-size: 8pt; font-weight: bold; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #666; }}
}}
body {{ font-family: "DejaVu Sans"; font-size: 10pt; line-height: 1.4; color: #222; }}
h1 {{ font-size: 22pt; margin: 0; }}
h2 {{ font-size: 13pt; color: #2f5d62; border-bottom: 0.75pt solid #ccc; margin-top: 16pt;
      break-after: avoid; }}
.eyebrow {{ font-size: 8pt; font-weight: bold; color: #2f5d62; }}
.subtitle {{ font-size: 13pt; margin-bottom: 10pt; }}
table {{ border-collapse: collapse; width: 100%; }}
.pairs th {{ text-align: left; font-weight: normal; color: #666; width: 26%; vertical-align: top; }}
.grid th {{ text-align: left; font-size: 8pt; color: #666; border-bottom: 0.75pt solid #ccc; }}
.grid td {{ border-bottom: 0.5pt solid #ddd; padding: 3pt 0; }}
.panel {{ background: #f4f3ef; border-left: 3pt solid #2f5d62; padding: 10pt; }}
.small {{ font-size: 8pt; color: #666; }}
p {{ margin: 0 0 6pt 0; overflow-wrap: anywhere; }}
svg {{ width: 100%; height: auto; }}
</style></head><body>{body}</body></html>"#,
        fonts = concat!(env!("CARGO_MANIFEST_DIR"), "/fonts"),
    )
}

/// The note as HTML with the same content and sections as the PDF.
pub fn note_html(doc: &NoteDoc) -> String {
    let mut body = format!(
        "<div class=\"eyebrow\">{}</div><h1>Session note</h1><div class=\"subtitle\">{}</div>",
        esc(&doc.practice_name),
        esc(&doc.couple_label)
    );
    let partners = doc
        .partners
        .iter()
        .map(|p| format!("{} ({})", p.name, p.role_label))
        .collect::<Vec<_>>()
        .join(", ");
    body.push_str(&pairs(&[
        ("Counselor", doc.counselor_name.clone()),
        ("Partners", partners),
        ("Session", doc.session_starts.clone()),
        ("Duration", format!("{} minutes", doc.duration_minutes)),
        ("Location", doc.location.clone()),
        ("Attendance", doc.attendance.clone()),
        ("Stage at the time", doc.stage_at_time.clone()),
        ("Note format", doc.format.clone()),
    ]));
    for s in &doc.sections {
        body.push_str(&format!(
            "<h2>{}</h2>{}",
            esc(&s.heading),
            paragraphs(&s.body)
        ));
    }
    body.push_str("<h2>Marker changes</h2>");
    let rows: Vec<Vec<String>> = doc
        .marker_changes
        .iter()
        .map(|m| vec![m.marker.clone(), m.from.clone(), m.to.clone()])
        .collect();
    body.push_str(&table(&["MARKER", "FROM", "TO"], &rows));
    body.push_str("<h2>Homework assigned</h2><ul>");
    for h in &doc.homework_assigned {
        body.push_str(&format!("<li>{}</li>", esc(h)));
    }
    body.push_str("</ul><h2>Signature</h2>");
    if let Some(sig) = &doc.signature {
        body.push_str(&format!(
            "<div class=\"panel\">{}</div>",
            pairs(&[
                ("Signed by", sig.signer.clone()),
                ("Signed at", sig.signed_at.clone()),
                ("Content hash", sig.content_hash.clone()),
            ])
        ));
    }
    if !doc.addenda.is_empty() {
        body.push_str("<h2>Addenda</h2>");
        for (i, a) in doc.addenda.iter().enumerate() {
            body.push_str(&format!(
                "<h3>Addendum {} · {}</h3><p class=\"small\">Written by {}</p>{}<p class=\"small\">Content hash: {}</p>",
                i + 1,
                esc(&a.written_at),
                esc(&a.author),
                paragraphs(&a.text),
                esc(&a.content_hash)
            ));
        }
    }
    page(
        &esc(&doc.title),
        &format!("Session note · {}", esc(&doc.couple_label)),
        &body,
    )
}

/// The progress report as HTML: the timeline and charts as inline SVG from the same models.
pub fn report_html(doc: &ProgressDoc) -> String {
    let s = doc.sessions;
    let partners = doc
        .partners
        .iter()
        .map(|p| format!("{} ({})", p.name, p.role_label))
        .collect::<Vec<_>>()
        .join(", ");
    let mut body = format!(
        "<div class=\"eyebrow\">{}</div><h1>Progress report</h1><div class=\"subtitle\">{}</div>",
        esc(&doc.practice_name),
        esc(&doc.couple_label)
    );
    body.push_str(&pairs(&[
        ("Counselor", doc.counselor_name.clone()),
        ("Partners", partners),
        ("Period", format!("{} – {}", doc.period_from, doc.period_to)),
        (
            "Sessions",
            format!(
                "{} attended · {} cancelled · {} no-show",
                s.attended, s.cancelled, s.no_show
            ),
        ),
    ]));
    body.push_str("<h2>Stage timeline</h2>");
    body.push_str(&doc.timeline.to_svg("Stage timeline"));
    body.push_str("<h2>Gate overrides and reopenings</h2>");
    let rows: Vec<Vec<String>> = doc
        .stage_events
        .iter()
        .map(|e| {
            vec![
                e.date.clone(),
                e.text.clone(),
                e.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    body.push_str(&table(&["DATE", "EVENT", "REASON"], &rows));
    body.push_str("<h2>Current marker ratings</h2>");
    for m in &doc.current_markers {
        let rows: Vec<Vec<String>> = m
            .markers
            .iter()
            .map(|(k, r)| vec![k.clone(), r.clone()])
            .collect();
        body.push_str(&format!("<h3>{}</h3>", esc(&m.stage)));
        body.push_str(&table(&["MARKER", "RATING"], &rows));
    }
    body.push_str("<h2>Homework</h2>");
    let rows: Vec<Vec<String>> = doc
        .homework
        .iter()
        .map(|h| {
            vec![
                h.partner.clone(),
                h.assigned.to_string(),
                h.submitted.to_string(),
                h.reviewed.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        &["PARTNER", "ASSIGNED", "SUBMITTED", "REVIEWED"],
        &rows,
    ));
    body.push_str("<h2>Check-in ratings</h2>");
    for c in &doc.charts {
        body.push_str(&format!("<h3>{}</h3>{}", esc(&c.title), c.to_svg()));
    }
    page(
        &esc(&doc.title),
        &format!("Progress report · {}", esc(&doc.couple_label)),
        &body,
    )
}
