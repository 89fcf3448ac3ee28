//! The stage timeline: one lane per stage, bars for the time a stage was worked on, marks for
//! what happened (started, completed, reopened, gate overridden). Built from plain dated
//! events; drawn as SVG here and as PDF vectors by the progress report.

use chrono::{Datelike, NaiveDate};

use super::scene::{
    Anchor, MarkerShape, Rgb, Scene, Shape, Stroke, fit_text, palette::*, text_width,
};
use super::svg::{escape, push};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Started,
    Completed,
    Reopened,
    GateOverride,
}

impl MarkKind {
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Started => "started",
            MarkKind::Completed => "completed",
            MarkKind::Reopened => "reopened",
            MarkKind::GateOverride => "gate overridden",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Worked on and later completed.
    Completed,
    /// Still being worked on at the end of the range.
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: SpanKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub at: NaiveDate,
    pub kind: MarkKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub label: String,
    pub spans: Vec<Span>,
    pub marks: Vec<Mark>,
    /// This lane is the couple's current stage.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub lanes: Vec<Lane>,
}

impl Lane {
    /// A lane from its dated events (in any order): spans run from each start or reopening to
    /// the next completion, or to `end` if none followed.
    pub fn from_events(
        label: impl Into<String>,
        mut events: Vec<Mark>,
        end: NaiveDate,
        current: bool,
    ) -> Self {
        events.sort_by_key(|m| m.at);
        let mut spans = Vec::new();
        let mut open: Option<NaiveDate> = None;
        for m in &events {
            match m.kind {
                MarkKind::Started | MarkKind::Reopened | MarkKind::GateOverride => {
                    open.get_or_insert(m.at);
                }
                MarkKind::Completed => {
                    let from = open.take().unwrap_or(m.at);
                    spans.push(Span {
                        from,
                        to: m.at,
                        kind: SpanKind::Completed,
                    });
                }
            }
        }
        if let Some(from) = open {
            spans.push(Span {
                from,
                to: end.max(from),
                kind: SpanKind::Open,
            });
        }
        Lane {
            label: label.into(),
            spans,
            marks: events,
            current,
        }
    }
}

/// Geometry of the SVG drawing (scene units; the PDF report draws the same scene scaled).
const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 180.0;
const LANE_H: f64 = 34.0;
const TOP: f64 = 8.0;
const AXIS_H: f64 = 28.0;
const RIGHT_PAD: f64 = 16.0;
const LEGEND_ROW: f64 = 20.0;
const FONT: f64 = 12.0;
const LEGEND_FONT: f64 = 11.0;

/// Where things go for a drawing `width` units wide.
#[derive(Debug, Clone, Copy)]
struct Frame {
    width: f64,
}

impl Frame {
    fn plot_left(self) -> f64 {
        LABEL_W
    }

    fn plot_right(self) -> f64 {
        self.width - RIGHT_PAD
    }
}

/// The legend's entries, in order: what each mark and bar means.
const LEGEND: [(&str, LegendIcon); 6] = [
    ("started", LegendIcon::Mark(MarkKind::Started)),
    ("completed", LegendIcon::Mark(MarkKind::Completed)),
    ("reopened", LegendIcon::Mark(MarkKind::Reopened)),
    ("gate overridden", LegendIcon::Mark(MarkKind::GateOverride)),
    ("worked on", LegendIcon::Bar(SpanKind::Completed)),
    ("in progress", LegendIcon::Bar(SpanKind::Open)),
];

#[derive(Debug, Clone, Copy)]
enum LegendIcon {
    Mark(MarkKind),
    Bar(SpanKind),
}

fn span_colors(kind: SpanKind) -> (Rgb, Rgb) {
    match kind {
        SpanKind::Completed => (DONE_FILL, DONE_STROKE),
        SpanKind::Open => (OPEN_FILL, OPEN_STROKE),
    }
}

/// The mark's symbol: shape and colour differ, so marks stay apart in greyscale too.
fn mark_shape(kind: MarkKind, x: f64, y: f64) -> Shape {
    match kind {
        MarkKind::Started => MarkerShape::Circle.shape(
            x,
            y,
            4.0,
            Some(PAPER),
            Some(Stroke::solid(OPEN_STROKE, 2.0)),
        ),
        MarkKind::Completed => MarkerShape::Diamond.shape(x, y, 4.8, Some(DONE_STROKE), None),
        MarkKind::Reopened => MarkerShape::Triangle.shape(x, y, 5.2, Some(ALERT), None),
        MarkKind::GateOverride => {
            MarkerShape::Square.shape(x, y, 5.0, Some(ALERT), Some(Stroke::solid(PAPER, 1.0)))
        }
    }
}

impl Timeline {
    fn days(&self) -> f64 {
        ((self.end - self.start).num_days().max(1)) as f64
    }

    fn x_in(&self, frame: Frame, date: NaiveDate) -> f64 {
        let span = frame.plot_right() - frame.plot_left();
        let d = (date - self.start).num_days() as f64;
        frame.plot_left() + span * (d / self.days()).clamp(0.0, 1.0)
    }

    /// Horizontal position of a date in the SVG drawing.
    pub fn x(&self, date: NaiveDate) -> f64 {
        self.x_in(Frame { width: WIDTH }, date)
    }

    fn legend_rows(&self, width: f64) -> Vec<Vec<(f64, usize)>> {
        let mut rows: Vec<Vec<(f64, usize)>> = vec![Vec::new()];
        let mut x = 0.0;
        for (i, (label, _)) in LEGEND.iter().enumerate() {
            let w = 22.0 + text_width(label, LEGEND_FONT, false) + 14.0;
            if x + w > width && x > 0.0 {
                rows.push(Vec::new());
                x = 0.0;
            }
            if let Some(row) = rows.last_mut() {
                row.push((x, i));
            }
            x += w;
        }
        rows
    }

    fn height_for(&self, width: f64) -> f64 {
        TOP + LANE_H * self.lanes.len() as f64
            + AXIS_H
            + 10.0
            + LEGEND_ROW * self.legend_rows(width - RIGHT_PAD).len() as f64
    }

    /// Height of the SVG drawing.
    pub fn height(&self) -> f64 {
        self.height_for(WIDTH)
    }

    /// First days of months to label on the axis (every month, or every few for long ranges).
    pub fn ticks(&self) -> Vec<NaiveDate> {
        let months = (self.end.year() - self.start.year()) * 12 + self.end.month() as i32
            - self.start.month() as i32;
        let every = match months {
            0..=8 => 1,
            9..=18 => 2,
            19..=36 => 3,
            _ => 6,
        };
        let mut ticks = Vec::new();
        let mut d =
            NaiveDate::from_ymd_opt(self.start.year(), self.start.month(), 1).unwrap_or(self.start);
        let mut i = 0;
        while d <= self.end {
            if d >= self.start && i % every == 0 {
                ticks.push(d);
            }
            i += 1;
            d = d
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(self.end + chrono::Days::new(1));
        }
        ticks
    }

    /// The timeline laid out `width` units wide (at least 400): lanes with their labels, bars
    /// and marks (each mark grouped with a description), the month axis and a legend. The SVG
    /// drawing uses 760; the PDF report picks a width that makes the text a readable size.
    pub fn scene(&self, width: f64) -> Scene {
        let frame = Frame {
            width: width.max(400.0),
        };
        let mut scene = Scene::new(frame.width, self.height_for(frame.width));
        let axis_y = TOP + LANE_H * self.lanes.len() as f64;
        let ticks = self.ticks();
        for (i, lane) in self.lanes.iter().enumerate() {
            if lane.current {
                scene.add(Shape::Rect {
                    x: 0.0,
                    y: TOP + LANE_H * i as f64 + 2.0,
                    w: frame.plot_right(),
                    h: LANE_H - 4.0,
                    radius: 4.0,
                    fill: Some(PANEL),
                    stroke: None,
                });
            }
        }
        for (i, &t) in ticks.iter().enumerate() {
            let x = self.x_in(frame, t);
            scene.add(Shape::line(x, TOP, x, axis_y, Stroke::solid(LINE, 1.0)));
            let label = if t.month() == 1 || i == 0 {
                t.format("%b %Y").to_string()
            } else {
                t.format("%b").to_string()
            };
            scene.add(Shape::text(x, axis_y + 18.0, label, FONT, MUTED).anchored(Anchor::Middle));
        }
        for (i, lane) in self.lanes.iter().enumerate() {
            let y = TOP + LANE_H * i as f64;
            let mid = y + LANE_H / 2.0;
            let label = fit_text(&lane.label, FONT, lane.current, LABEL_W - 14.0);
            let text = Shape::text(6.0, mid + 4.0, label, FONT, INK);
            scene.add(if lane.current { text.bold() } else { text });
            scene.add(Shape::line(
                frame.plot_left(),
                mid,
                frame.plot_right(),
                mid,
                Stroke::solid(LINE, 1.0),
            ));
            for span in &lane.spans {
                let x1 = self.x_in(frame, span.from);
                let x2 = self.x_in(frame, span.to).max(x1 + 3.0);
                let (fill, stroke) = span_colors(span.kind);
                scene.add(Shape::Rect {
                    x: x1,
                    y: mid - 7.0,
                    w: x2 - x1,
                    h: 14.0,
                    radius: 4.0,
                    fill: Some(fill),
                    stroke: Some(Stroke::solid(stroke, 1.0)),
                });
            }
            for mark in &lane.marks {
                scene.add(Shape::Group {
                    title: format!(
                        "{} {} {}",
                        lane.label,
                        mark.kind.label(),
                        mark.at.format("%-d %b %Y")
                    ),
                    shapes: vec![mark_shape(mark.kind, self.x_in(frame, mark.at), mid)],
                });
            }
        }
        let legend_top = axis_y + AXIS_H + 10.0;
        for (r, row) in self.legend_rows(frame.plot_right()).iter().enumerate() {
            let cy = legend_top + LEGEND_ROW * r as f64 + LEGEND_ROW / 2.0;
            for &(x, i) in row {
                let (label, icon) = LEGEND[i];
                let x = x + 6.0;
                scene.add(match icon {
                    LegendIcon::Mark(kind) => mark_shape(kind, x + 7.0, cy),
                    LegendIcon::Bar(kind) => {
                        let (fill, stroke) = span_colors(kind);
                        Shape::Rect {
                            x,
                            y: cy - 5.0,
                            w: 16.0,
                            h: 10.0,
                            radius: 3.0,
                            fill: Some(fill),
                            stroke: Some(Stroke::solid(stroke, 1.0)),
                        }
                    }
                });
                scene.add(Shape::text(x + 22.0, cy + 4.0, label, LEGEND_FONT, MUTED));
            }
        }
        scene
    }

    /// The timeline as an accessible SVG element. `title` names it for screen readers; the
    /// page also prints the same events as a list.
    pub fn to_svg(&self, title: &str) -> String {
        let scene = self.scene(WIDTH);
        let mut out = String::new();
        push(
            &mut out,
            format_args!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="timeline-title" class="timeline" font-family="system-ui, sans-serif" font-size="12"><title id="timeline-title">{}</title>"#,
                super::scene::num(scene.width),
                super::scene::num(scene.height),
                escape(title)
            ),
        );
        out.push_str(&scene.to_svg_body());
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn spans_follow_starts_completions_and_reopenings() {
        let lane = Lane::from_events(
            "1 Admission",
            vec![
                Mark {
                    at: d(2026, 5, 1),
                    kind: MarkKind::Completed,
                },
                Mark {
                    at: d(2026, 3, 1),
                    kind: MarkKind::Started,
                },
                Mark {
                    at: d(2026, 7, 1),
                    kind: MarkKind::Reopened,
                },
            ],
            d(2026, 9, 1),
            true,
        );
        assert_eq!(
            lane.spans,
            vec![
                Span {
                    from: d(2026, 3, 1),
                    to: d(2026, 5, 1),
                    kind: SpanKind::Completed
                },
                Span {
                    from: d(2026, 7, 1),
                    to: d(2026, 9, 1),
                    kind: SpanKind::Open
                },
            ]
        );
        assert_eq!(
            lane.marks[0].kind,
            MarkKind::Started,
            "marks are in date order"
        );
    }

    #[test]
    fn draws_accessible_escaped_svg() {
        let t = Timeline {
            start: d(2026, 1, 10),
            end: d(2026, 6, 1),
            lanes: vec![Lane::from_events(
                "<b>Stage</b>",
                vec![Mark {
                    at: d(2026, 2, 1),
                    kind: MarkKind::Started,
                }],
                d(2026, 6, 1),
                true,
            )],
        };
        let svg = t.to_svg("History of \"A & B\"");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("role=\"img\"")
                && svg.contains(
                    "<title id=\"timeline-title\">History of &quot;A &amp; B&quot;</title>"
                )
        );
        assert!(svg.contains("&lt;b&gt;Stage&lt;/b&gt;") && !svg.contains("<b>"));
        assert!(
            !svg.contains("style="),
            "presentation attributes only (CSP forbids inline styles)"
        );
        assert_eq!(
            t.ticks(),
            vec![
                d(2026, 2, 1),
                d(2026, 3, 1),
                d(2026, 4, 1),
                d(2026, 5, 1),
                d(2026, 6, 1)
            ]
        );
    }

    #[test]
    fn positions_stay_inside_the_drawing() {
        let t = Timeline {
            start: d(2026, 1, 1),
            end: d(2026, 1, 1),
            lanes: vec![],
        };
        assert!(t.x(d(2025, 1, 1)) >= LABEL_W);
        assert!(t.x(d(2030, 1, 1)) <= WIDTH - RIGHT_PAD);
    }
}
