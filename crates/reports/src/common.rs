//! Pieces both documents share: the title block, section headings, people's names.

use chrono::{DateTime, Utc};

use crate::ReportError;
use crate::pdf::layout::{TableLook, styles};
use crate::pdf::{Column, Flow, FontKind, PageSetup};
use crate::visuals::palette;

/// One partner of the couple as printed: "Zoë Ñúñez-Łukasiewicz (involved partner)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerLine {
    /// e.g. "involved partner", "hurt partner".
    pub role_label: String,
    pub name: String,
}

pub(crate) fn partners_text(partners: &[PartnerLine]) -> String {
    if partners.is_empty() {
        return "Not recorded".into();
    }
    partners
        .iter()
        .map(|p| {
            if p.role_label.trim().is_empty() {
                p.name.clone()
            } else {
                format!("{} ({})", p.name, p.role_label)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value, or "Not recorded" when it is blank.
pub(crate) fn or_missing(s: &str) -> String {
    if s.trim().is_empty() {
        "Not recorded".into()
    } else {
        s.to_string()
    }
}

pub(crate) fn generated_text(at: DateTime<Utc>) -> String {
    format!("Generated {} UTC", at.format("%-d %B %Y, %H:%M"))
}

/// The block at the top of the first page: practice, document kind, couple.
pub(crate) fn title_block(
    flow: &mut Flow,
    practice: &str,
    kind: &str,
    couple: &str,
) -> Result<(), ReportError> {
    if !practice.trim().is_empty() {
        flow.paragraph(practice, &styles::EYEBROW)?;
        flow.gap(2.0);
    }
    flow.paragraph(kind, &styles::TITLE)?;
    flow.paragraph(couple, &styles::SUBTITLE)?;
    flow.gap(10.0);
    Ok(())
}

/// A section heading with a hairline under it, kept with `keep_with` points of what follows.
pub(crate) fn section(flow: &mut Flow, title: &str, keep_with: f64) -> Result<(), ReportError> {
    flow.gap(16.0);
    flow.heading(title, &styles::H1, keep_with + 6.0)?;
    flow.gap(1.0);
    flow.rule(palette::LINE, 0.75);
    flow.gap(6.0);
    Ok(())
}

/// A muted sentence standing in for an empty part ("No homework assigned.").
pub(crate) fn quiet(flow: &mut Flow, text: &str) -> Result<(), ReportError> {
    flow.paragraph(text, &styles::SMALL)
}

/// The running header's text, shortened to fit the line.
pub(crate) fn running_header(setup: &PageSetup, parts: &[&str]) -> String {
    let text = parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("  ·  ");
    let width = setup.content_width();
    match FontKind::Regular.metrics() {
        Ok(m) => crate::visuals::scene::fit_text(&m.clean(&text), 8.0, false, width),
        Err(_) => text,
    }
}

/// A section whose content is a table: the heading stays with the start of the table.
pub(crate) fn table_section(
    flow: &mut Flow,
    title: &str,
    columns: &[Column],
    head: &[&str],
    rows: &[Vec<String>],
) -> Result<(), ReportError> {
    let keep = flow.table_start_height(columns, Some(head), rows, TableLook::GRID)?;
    section(flow, title, keep)?;
    flow.table(columns, Some(head), rows, TableLook::GRID)
}
