//! Document building blocks on top of printpdf's page operations: paper sizes and margins,
//! the embedded fonts, text measurement and wrapping, a flowing layout (paragraphs, headings,
//! tables, lists, panels, figures) that starts new pages as it goes, page furniture added once
//! the page count is known, and the writer that turns laid-out pages into PDF bytes.
//!
//! Layout works in points with the origin at the top-left corner of the page (y grows
//! downwards, as in the pictures' [`Scene`](crate::visuals::Scene)); the writer flips to PDF's
//! bottom-left origin.

pub mod fonts;
pub mod layout;
pub mod wrap;
pub mod write;

pub use fonts::{FontKind, FontMetrics};
pub use layout::{Align, Column, Flow, Page, PanelLook, TextStyle};
pub use write::{DocInfo, Document, write};

use crate::visuals::palette;
use crate::visuals::{Anchor, Shape, Stroke};

/// Paper the document is laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaperSize {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl PaperSize {
    /// Width and height in points (1/72 in).
    pub fn size_pt(self) -> (f64, f64) {
        match self {
            PaperSize::A4 => (210.0 * 72.0 / 25.4, 297.0 * 72.0 / 25.4),
            PaperSize::Letter => (612.0, 792.0),
        }
    }
}

/// Space between the paper's edges and the text, in points. The running header and the
/// footer sit inside the top and bottom margins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub left: f64,
}

impl Default for Margins {
    /// About 22 mm at the sides and 24 mm at top and bottom: room for the header and footer
    /// and a comfortable line length (about 80 characters of body text).
    fn default() -> Self {
        Margins {
            top: 68.0,
            right: 64.0,
            bottom: 68.0,
            left: 64.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PageSetup {
    pub paper: PaperSize,
    pub margins: Margins,
}

impl PageSetup {
    pub fn new(paper: PaperSize) -> Self {
        PageSetup {
            paper,
            margins: Margins::default(),
        }
    }

    pub fn width(&self) -> f64 {
        self.paper.size_pt().0
    }

    pub fn height(&self) -> f64 {
        self.paper.size_pt().1
    }

    /// Width available to text between the side margins.
    pub fn content_width(&self) -> f64 {
        self.width() - self.margins.left - self.margins.right
    }
}

/// What every page carries, added after layout when the page count is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Furniture {
    /// Left of the footer on every page ("Confidential").
    pub footer: String,
    /// Printed after the footer in the alert colour on every page (a draft's warning).
    pub footer_alert: Option<String>,
    /// At the top of every page but the first (what the document is and whose).
    pub running_header: String,
}

/// Add the footer ("Confidential", "Page x of y") to every page and the running header to
/// every page after the first.
pub fn add_furniture(pages: &mut [Page], setup: &PageSetup, f: &Furniture) {
    let total = pages.len();
    let (w, h) = setup.paper.size_pt();
    let m = setup.margins;
    let footer_rule = h - m.bottom + 22.0;
    let footer_base = footer_rule + 14.0;
    let small = 8.0;
    for (i, page) in pages.iter_mut().enumerate() {
        let mut shapes = vec![
            Shape::line(
                m.left,
                footer_rule,
                w - m.right,
                footer_rule,
                Stroke::solid(palette::RULE, 0.5),
            ),
            Shape::text(m.left, footer_base, f.footer.clone(), small, palette::INK).bold(),
        ];
        if let Some(alert) = &f.footer_alert {
            let x = m.left
                + FontKind::Bold
                    .metrics()
                    .map_or(60.0, |b| b.width(&format!("{}   ", f.footer), small));
            shapes.push(Shape::text(x, footer_base, alert.clone(), small, palette::ALERT).bold());
        }
        shapes.push(
            Shape::text(
                w - m.right,
                footer_base,
                format!("Page {} of {}", i + 1, total),
                small,
                palette::MUTED,
            )
            .anchored(Anchor::End),
        );
        if i > 0 {
            let header_base = m.top - 30.0;
            shapes.push(Shape::text(
                m.left,
                header_base,
                f.running_header.clone(),
                small,
                palette::MUTED,
            ));
            shapes.push(Shape::line(
                m.left,
                header_base + 8.0,
                w - m.right,
                header_base + 8.0,
                Stroke::solid(palette::LINE, 0.5),
            ));
        }
        page.furniture = shapes;
    }
}
