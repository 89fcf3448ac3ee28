//! A flowing layout: content is placed from the top of the page down, and a new page starts
//! whenever the next line would cross the bottom margin. Every placed item is a
//! [`Shape`] in page coordinates (points, origin top-left).

use super::PageSetup;
use super::fonts::{FontKind, FontMetrics};
use super::wrap::wrap;
use crate::ReportError;
use crate::visuals::palette;
use crate::visuals::{Rgb, Scene, Shape, Stroke};

/// No note or report comes near this; a request that would is refused (see
/// [`ReportError::TooLong`]).
pub const MAX_PAGES: usize = 500;

/// One laid-out page: the flowing content, then the furniture (header, footer) added after
/// layout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub body: Vec<Shape>,
    pub furniture: Vec<Shape>,
}

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Font size in points.
    pub size: f64,
    /// Distance between baselines in points.
    pub leading: f64,
    pub font: FontKind,
    pub color: Rgb,
}

impl TextStyle {
    pub const fn new(size: f64, leading: f64, font: FontKind, color: Rgb) -> Self {
        TextStyle {
            size,
            leading,
            font,
            color,
        }
    }

    /// Baseline of a line whose box starts at `top` (the glyphs centred in the leading).
    pub fn baseline(&self, top: f64) -> f64 {
        top + self.leading / 2.0 + 0.35 * self.size
    }
}

/// The type scale every document uses.
pub mod styles {
    use super::TextStyle;
    use crate::pdf::FontKind::{Bold, Regular};
    use crate::visuals::palette::{ACCENT, ALERT, INK, MUTED};

    pub const TITLE: TextStyle = TextStyle::new(20.0, 25.0, Bold, INK);
    pub const SUBTITLE: TextStyle = TextStyle::new(12.5, 17.0, Regular, INK);
    pub const EYEBROW: TextStyle = TextStyle::new(8.5, 12.0, Bold, ACCENT);
    pub const H1: TextStyle = TextStyle::new(12.5, 17.0, Bold, ACCENT);
    pub const H2: TextStyle = TextStyle::new(10.0, 14.5, Bold, INK);
    pub const BODY: TextStyle = TextStyle::new(10.0, 14.5, Regular, INK);
    pub const BODY_BOLD: TextStyle = TextStyle::new(10.0, 14.5, Bold, INK);
    pub const LABEL: TextStyle = TextStyle::new(8.5, 14.5, Regular, MUTED);
    pub const SMALL: TextStyle = TextStyle::new(8.5, 12.0, Regular, MUTED);
    pub const TABLE_HEAD: TextStyle = TextStyle::new(8.0, 12.0, Bold, MUTED);
    pub const ALERT_TITLE: TextStyle = TextStyle::new(11.0, 15.0, Bold, ALERT);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Right,
}

/// One table column: its share of the table's width, alignment and text style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub share: f64,
    pub align: Align,
    pub style: TextStyle,
}

impl Column {
    pub fn new(share: f64, style: TextStyle) -> Self {
        Column {
            share,
            align: Align::Left,
            style,
        }
    }

    pub fn right(mut self) -> Self {
        self.align = Align::Right;
        self
    }
}

/// How a table is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableLook {
    /// A thin rule under the header and between rows.
    pub rules: bool,
    /// Space above and below the text of each row.
    pub pad_y: f64,
    /// Space between columns.
    pub gap_x: f64,
}

impl TableLook {
    pub const GRID: TableLook = TableLook {
        rules: true,
        pad_y: 3.5,
        gap_x: 12.0,
    };
    /// Key/value pairs: no rules, tight rows.
    pub const PAIRS: TableLook = TableLook {
        rules: false,
        pad_y: 0.5,
        gap_x: 12.0,
    };
}

/// A box drawn behind a run of content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelLook {
    pub fill: Option<Rgb>,
    pub border: Option<Rgb>,
    /// A bar down the left edge in this colour.
    pub bar: Option<Rgb>,
    pub pad: f64,
}

/// A table's columns and wrapped cells.
struct Grid {
    xs: Vec<(f64, f64)>,
    fonts: Vec<&'static FontMetrics>,
    leading: f64,
    /// Per row, per column: the cell's lines.
    cells: Vec<Vec<Vec<String>>>,
}

impl Grid {
    fn lines(&self, row: &[Vec<String>]) -> usize {
        row.iter().map(Vec::len).max().unwrap_or(1).max(1)
    }
}

/// Places content from the top of the first page downwards.
#[derive(Debug)]
pub struct Flow {
    setup: PageSetup,
    pages: Vec<Page>,
    y: f64,
    left: f64,
    right: f64,
    too_long: bool,
}

impl Flow {
    pub fn new(setup: PageSetup) -> Self {
        Flow {
            setup,
            pages: vec![Page::default()],
            y: setup.margins.top,
            left: setup.margins.left,
            right: setup.width() - setup.margins.right,
            too_long: false,
        }
    }

    pub fn setup(&self) -> &PageSetup {
        &self.setup
    }

    /// Left edge and width of the current text column (narrower inside panels and lists).
    pub fn column(&self) -> (f64, f64) {
        (self.left, self.right - self.left)
    }

    pub fn y(&self) -> f64 {
        self.y
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn top(&self) -> f64 {
        self.setup.margins.top
    }

    fn bottom(&self) -> f64 {
        self.setup.height() - self.setup.margins.bottom
    }

    /// Height available on an empty page.
    pub fn page_room(&self) -> f64 {
        self.bottom() - self.top()
    }

    /// Height left on the current page.
    pub fn room(&self) -> f64 {
        self.bottom() - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= self.top() + 0.01
    }

    fn push(&mut self, shape: Shape) {
        if let Some(p) = self.pages.last_mut() {
            p.body.push(shape);
        }
    }

    /// Continue on a new page.
    pub fn new_page(&mut self) {
        if self.pages.len() >= MAX_PAGES {
            // Keep going on the last page (the result is discarded) so callers need no checks.
            self.too_long = true;
        } else {
            self.pages.push(Page::default());
        }
        self.y = self.top();
    }

    /// Start a new page unless `height` still fits on this one (or this page is empty).
    pub fn keep(&mut self, height: f64) {
        if self.y + height > self.bottom() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    /// Vertical space; none at the top of a page.
    pub fn gap(&mut self, height: f64) {
        if self.at_top() {
            return;
        }
        self.y += height;
        if self.y > self.bottom() {
            self.new_page();
        }
    }

    /// One line of already-cleaned text at `x`, starting a new page if needed.
    fn line(&mut self, x: f64, text: &str, style: &TextStyle) {
        self.keep(style.leading);
        if !text.is_empty() {
            self.push(Shape::Text {
                x,
                y: style.baseline(self.y),
                text: text.to_string(),
                size: style.size,
                anchor: crate::visuals::Anchor::Start,
                bold: style.font == FontKind::Bold,
                color: style.color,
            });
        }
        self.y += style.leading;
    }

    /// Text wrapped to the column; a line feed starts a new line and an empty line a new
    /// paragraph (half a line of space).
    pub fn paragraph(&mut self, text: &str, style: &TextStyle) -> Result<(), ReportError> {
        let font = style.font.metrics()?;
        let (x, w) = self.column();
        let lines = wrap(font, &font.clean(text), style.size, w);
        let mut blank = false;
        for line in &lines {
            if line.is_empty() && lines.len() > 1 {
                if !blank {
                    self.gap(style.leading * 0.5);
                }
                blank = true;
                continue;
            }
            blank = false;
            self.line(x, line, style);
        }
        Ok(())
    }

    /// The height [`Flow::paragraph`] would take (without page breaks).
    pub fn measure(&self, text: &str, style: &TextStyle) -> Result<f64, ReportError> {
        let font = style.font.metrics()?;
        let (_, w) = self.column();
        let lines = wrap(font, &font.clean(text), style.size, w);
        Ok(lines
            .iter()
            .map(|l| {
                if l.is_empty() && lines.len() > 1 {
                    style.leading * 0.5
                } else {
                    style.leading
                }
            })
            .sum())
    }

    /// A heading kept on the same page as at least `keep_with` points of what follows.
    pub fn heading(
        &mut self,
        text: &str,
        style: &TextStyle,
        keep_with: f64,
    ) -> Result<(), ReportError> {
        let font = style.font.metrics()?;
        let (x, w) = self.column();
        let lines = wrap(font, &font.clean(text), style.size, w);
        self.keep(style.leading * lines.len() as f64 + keep_with);
        for line in lines {
            self.line(x, &line, style);
        }
        Ok(())
    }

    /// A horizontal rule across the column.
    pub fn rule(&mut self, color: Rgb, width: f64) {
        let (x, w) = self.column();
        self.push(Shape::line(
            x,
            self.y,
            x + w,
            self.y,
            Stroke::solid(color, width),
        ));
    }

    /// A bulleted list.
    pub fn bullets(&mut self, items: &[String], style: &TextStyle) -> Result<(), ReportError> {
        let font = style.font.metrics()?;
        let indent = style.size * 1.3;
        let (x, w) = self.column();
        for item in items {
            let lines = wrap(font, &font.clean(item), style.size, w - indent);
            for (i, line) in lines.iter().enumerate() {
                self.keep(style.leading);
                if i == 0 {
                    let dot = style.size * 0.17;
                    self.push(Shape::Circle {
                        cx: x + dot + 1.0,
                        cy: style.baseline(self.y) - style.size * 0.3,
                        r: dot,
                        fill: Some(palette::ACCENT),
                        stroke: None,
                    });
                }
                self.line(x + indent, line, style);
            }
            self.y += style.leading * 0.2;
        }
        Ok(())
    }

    /// Column positions, fonts and every cell wrapped to its column.
    fn grid(
        &self,
        columns: &[Column],
        rows: &[Vec<String>],
        look: TableLook,
    ) -> Result<Grid, ReportError> {
        let (x0, width) = self.column();
        let total: f64 = columns
            .iter()
            .map(|c| c.share)
            .sum::<f64>()
            .max(f64::EPSILON);
        let gaps = look.gap_x * columns.len().saturating_sub(1) as f64;
        let mut xs = Vec::with_capacity(columns.len());
        let mut x = x0;
        for c in columns {
            let w = ((width - gaps) * c.share / total).max(1.0);
            xs.push((x, w));
            x += w + look.gap_x;
        }
        let fonts: Vec<&'static FontMetrics> = columns
            .iter()
            .map(|c| c.style.font.metrics())
            .collect::<Result<_, _>>()?;
        let leading = columns.iter().map(|c| c.style.leading).fold(0.0, f64::max);
        let cells = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, col)| {
                        let text = row.get(i).map(String::as_str).unwrap_or("");
                        wrap(fonts[i], &fonts[i].clean(text), col.style.size, xs[i].1)
                    })
                    .collect()
            })
            .collect();
        Ok(Grid {
            xs,
            fonts,
            leading,
            cells,
        })
    }

    /// How much of a table must fit for it to start on this page: all of a short table, else
    /// the header and the first two rows (at most half a page).
    fn start_height(&self, header_h: f64, row_heights: &[f64]) -> f64 {
        let whole = header_h + row_heights.iter().sum::<f64>();
        if whole <= self.page_room() * 0.4 {
            whole
        } else {
            let first: f64 = row_heights.iter().take(2).sum();
            header_h + first.min(self.page_room() / 2.0)
        }
    }

    /// The height a table needs on the current page to start there (see [`Flow::table`]):
    /// what a heading before it should be kept with.
    pub fn table_start_height(
        &self,
        columns: &[Column],
        header: Option<&[&str]>,
        rows: &[Vec<String>],
        look: TableLook,
    ) -> Result<f64, ReportError> {
        let grid = self.grid(columns, rows, look)?;
        let header_h = header.map_or(0.0, |_| styles::TABLE_HEAD.leading + 2.0 * look.pad_y);
        let heights: Vec<f64> = grid
            .cells
            .iter()
            .map(|row| grid.lines(row) as f64 * grid.leading + 2.0 * look.pad_y)
            .collect();
        Ok(self.start_height(header_h, &heights))
    }

    /// A table across the column. A short table is kept on one page; a longer one moves on
    /// row by row with the header repeated on each page, and a row taller than a whole page
    /// continues line by line.
    pub fn table(
        &mut self,
        columns: &[Column],
        header: Option<&[&str]>,
        rows: &[Vec<String>],
        look: TableLook,
    ) -> Result<(), ReportError> {
        let grid = self.grid(columns, rows, look)?;
        let head_style = styles::TABLE_HEAD;
        let header_h = header.map_or(0.0, |_| head_style.leading + 2.0 * look.pad_y);
        let draw_header = |flow: &mut Flow| {
            if let Some(h) = header {
                let top = flow.y + look.pad_y;
                for (i, text) in h.iter().enumerate() {
                    if let (Some(&(cx, cw)), Some(col)) = (grid.xs.get(i), columns.get(i)) {
                        flow.cell(cx, cw, col.align, text, &head_style, top, grid.fonts[0]);
                    }
                }
                flow.y += header_h;
                if look.rules {
                    flow.rule(palette::RULE, 0.75);
                }
            }
        };
        let leading = grid.leading;
        let row_heights: Vec<f64> = grid
            .cells
            .iter()
            .map(|row| grid.lines(row) as f64 * leading + 2.0 * look.pad_y)
            .collect();
        self.keep(self.start_height(header_h, &row_heights));
        draw_header(self);
        for (row, row_h) in grid.cells.iter().zip(&row_heights) {
            if self.y + row_h > self.bottom() && *row_h <= self.page_room() - header_h {
                self.new_page();
                draw_header(self);
            }
            self.y += look.pad_y;
            for line in 0..grid.lines(row) {
                if self.y + leading > self.bottom() {
                    self.new_page();
                    draw_header(self);
                }
                for (i, col) in columns.iter().enumerate() {
                    if let Some(text) = row.get(i).and_then(|c| c.get(line)) {
                        let style = TextStyle {
                            leading,
                            ..col.style
                        };
                        let (cx, cw) = grid.xs[i];
                        self.cell(cx, cw, col.align, text, &style, self.y, grid.fonts[i]);
                    }
                }
                self.y += leading;
            }
            self.y += look.pad_y;
            if look.rules {
                self.rule(palette::LINE, 0.5);
            }
        }
        Ok(())
    }

    /// One line of one cell, its box starting at `top`.
    #[allow(clippy::too_many_arguments)]
    fn cell(
        &mut self,
        x: f64,
        w: f64,
        align: Align,
        text: &str,
        style: &TextStyle,
        top: f64,
        font: &FontMetrics,
    ) {
        if text.is_empty() {
            return;
        }
        let font = if font.kind() == style.font {
            font
        } else {
            match style.font.metrics() {
                Ok(f) => f,
                Err(_) => font,
            }
        };
        let text = font.clean(text);
        let tx = match align {
            Align::Left => x,
            Align::Right => x + w - font.width(&text, style.size),
        };
        self.push(Shape::Text {
            x: tx,
            y: style.baseline(top),
            text,
            size: style.size,
            anchor: crate::visuals::Anchor::Start,
            bold: style.font == FontKind::Bold,
            color: style.color,
        });
    }

    /// Label/value pairs in two columns (labels muted, values in body text).
    pub fn pairs(
        &mut self,
        rows: &[(String, String)],
        label_share: f64,
    ) -> Result<(), ReportError> {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|(k, v)| vec![k.clone(), v.clone()])
            .collect();
        self.table(
            &[
                Column::new(label_share, styles::LABEL),
                Column::new(1.0 - label_share, styles::BODY),
            ],
            None,
            &rows,
            TableLook::PAIRS,
        )
    }

    /// A picture scaled to `scale` (and further if it would not fit on a page), kept whole on
    /// one page.
    pub fn figure(&mut self, scene: &Scene, scale: f64) {
        let (x, w) = self.column();
        let mut k = scale.min(w / scene.width.max(1.0));
        if scene.height * k > self.page_room() {
            k = self.page_room() / scene.height.max(1.0);
        }
        let h = scene.height * k;
        self.keep(h);
        for s in &scene.shapes {
            let placed = s.transformed(x, self.y, k);
            self.push(placed);
        }
        self.y += h;
    }

    /// Content drawn inside a box (background, border or a bar on the left). The box follows
    /// its content across pages.
    pub fn panel(
        &mut self,
        look: PanelLook,
        content: impl FnOnce(&mut Flow) -> Result<(), ReportError>,
    ) -> Result<(), ReportError> {
        let bar_w = if look.bar.is_some() { 3.0 } else { 0.0 };
        self.keep(2.0 * look.pad + 3.0 * 14.5);
        let (start_page, start_len, start_y) = (self.pages.len() - 1, self.last_len(), self.y);
        let (left, right) = (self.left, self.right);
        let box_left = left;
        let box_right = right;
        self.left = left + look.pad + bar_w;
        self.right = right - look.pad;
        self.y += look.pad;
        let result = content(self);
        self.y = (self.y + look.pad).min(self.bottom());
        self.left = left;
        self.right = right;
        let end_page = self.pages.len() - 1;
        for p in start_page..=end_page {
            let top = if p == start_page { start_y } else { self.top() };
            let bottom = if p == end_page { self.y } else { self.bottom() };
            let mut shapes = Vec::new();
            if look.fill.is_some() || look.border.is_some() {
                shapes.push(Shape::Rect {
                    x: box_left,
                    y: top,
                    w: box_right - box_left,
                    h: bottom - top,
                    radius: 3.0,
                    fill: look.fill,
                    stroke: look.border.map(|c| Stroke::solid(c, 0.75)),
                });
            }
            if let Some(bar) = look.bar {
                shapes.push(Shape::Rect {
                    x: box_left,
                    y: top,
                    w: bar_w,
                    h: bottom - top,
                    radius: 0.0,
                    fill: Some(bar),
                    stroke: None,
                });
            }
            let at = if p == start_page { start_len } else { 0 };
            if let Some(page) = self.pages.get_mut(p) {
                let at = at.min(page.body.len());
                page.body.splice(at..at, shapes);
            }
        }
        result
    }

    fn last_len(&self) -> usize {
        self.pages.last().map_or(0, |p| p.body.len())
    }

    /// The pages, or an error if the content needed more than [`MAX_PAGES`].
    pub fn finish(self) -> Result<Vec<Page>, ReportError> {
        if self.too_long {
            return Err(ReportError::TooLong { max: MAX_PAGES });
        }
        Ok(self.pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::PaperSize;

    fn texts(pages: &[Page]) -> Vec<(usize, f64, f64, String, f64, bool)> {
        let mut out = Vec::new();
        for (i, p) in pages.iter().enumerate() {
            for s in &p.body {
                s.walk(&mut |s| {
                    if let Shape::Text {
                        x,
                        y,
                        text,
                        size,
                        bold,
                        ..
                    } = s
                    {
                        out.push((i, *x, *y, text.clone(), *size, *bold));
                    }
                });
            }
        }
        out
    }

    #[test]
    fn flows_onto_new_pages_within_the_margins() {
        let setup = PageSetup::new(PaperSize::Letter);
        let mut flow = Flow::new(setup);
        let para = "Words that fill a page when repeated often enough. ".repeat(400);
        flow.heading("Heading", &styles::H1, 30.0).expect("heading");
        flow.paragraph(&para, &styles::BODY).expect("paragraph");
        let pages = flow.finish().expect("pages");
        assert!(pages.len() >= 3);
        let m = setup.margins;
        for (page, x, y, text, size, bold) in texts(&pages) {
            let font = if bold {
                FontKind::Bold
            } else {
                FontKind::Regular
            };
            let w = font.metrics().expect("font").width(&text, size);
            assert!(x >= m.left - 1e-6, "page {page}: {text}");
            assert!(
                x + w <= setup.width() - m.right + 1e-6,
                "page {page}: {text}"
            );
            assert!(
                y - size >= m.top - 1e-6 && y <= setup.height() - m.bottom,
                "{y}"
            );
        }
    }

    #[test]
    fn long_table_rows_continue_on_the_next_page() {
        let setup = PageSetup::new(PaperSize::A4);
        let mut flow = Flow::new(setup);
        let rows = [
            ("Key".to_string(), "q".repeat(10_000)),
            ("Next".to_string(), "after".to_string()),
        ];
        flow.pairs(&rows, 0.3).expect("pairs");
        let pages = flow.finish().expect("pages");
        assert!(pages.len() >= 2);
        let all = texts(&pages);
        let qs: usize = all.iter().map(|t| t.3.matches('q').count()).sum();
        assert_eq!(qs, 10_000, "every character printed once");
        assert!(all.iter().any(|t| t.3 == "after"));
    }

    #[test]
    fn refuses_absurdly_long_documents() {
        let mut flow = Flow::new(PageSetup::new(PaperSize::A4));
        for _ in 0..(MAX_PAGES + 2) {
            flow.new_page();
        }
        assert!(matches!(flow.finish(), Err(ReportError::TooLong { .. })));
    }

    #[test]
    fn panels_draw_behind_their_content_on_every_page() {
        let mut flow = Flow::new(PageSetup::new(PaperSize::A4));
        flow.panel(
            PanelLook {
                fill: Some(palette::PANEL),
                border: None,
                bar: Some(palette::ACCENT),
                pad: 10.0,
            },
            |f| f.paragraph(&"Inside the panel. ".repeat(600), &styles::BODY),
        )
        .expect("panel");
        let pages = flow.finish().expect("pages");
        assert!(pages.len() >= 2);
        for p in &pages {
            assert!(
                matches!(p.body.first(), Some(Shape::Rect { .. })),
                "background first"
            );
        }
    }
}
