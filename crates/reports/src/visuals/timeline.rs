//! The stage timeline: one lane per stage, bars for the time a stage was worked on, marks for
//! what happened (started, completed, reopened, gate overridden). Built from plain dated
//! events; drawn as SVG here and as PDF vectors by the progress report.

use chrono::{Datelike, NaiveDate};

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

/// Geometry of the SVG drawing.
const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 180.0;
const LANE_H: f64 = 34.0;
const TOP: f64 = 8.0;
const AXIS_H: f64 = 28.0;
const RIGHT_PAD: f64 = 16.0;

const INK: &str = "#1f2328";
const MUTED: &str = "#5f6872";
const LINE: &str = "#e3e0d8";
const OPEN_FILL: &str = "#d7e8e8";
const OPEN_STROKE: &str = "#2f5d62";
const DONE_FILL: &str = "#e9d5a8";
const DONE_STROKE: &str = "#9a6b12";
const ALERT: &str = "#a12d2d";

impl Timeline {
    fn days(&self) -> f64 {
        ((self.end - self.start).num_days().max(1)) as f64
    }

    /// Horizontal position of a date.
    pub fn x(&self, date: NaiveDate) -> f64 {
        let span = WIDTH - LABEL_W - RIGHT_PAD;
        let d = (date - self.start).num_days() as f64;
        LABEL_W + span * (d / self.days()).clamp(0.0, 1.0)
    }

    pub fn height(&self) -> f64 {
        TOP + LANE_H * self.lanes.len() as f64 + AXIS_H
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

    /// The timeline as an accessible SVG element. `title` names it for screen readers; the
    /// page also prints the same events as a list.
    pub fn to_svg(&self, title: &str) -> String {
        let h = self.height();
        let mut out = String::new();
        push(
            &mut out,
            format_args!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="100%" role="img" aria-labelledby="timeline-title" class="timeline" font-family="system-ui, sans-serif" font-size="12"><title id="timeline-title">{}</title>"#,
                escape(title)
            ),
        );
        let axis_y = TOP + LANE_H * self.lanes.len() as f64;
        for t in self.ticks() {
            let x = self.x(t);
            push(
                &mut out,
                format_args!(
                    r#"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{axis_y:.1}" stroke="{LINE}" stroke-width="1"/>"#
                ),
            );
            let label = if t.month() == 1 || t == self.ticks().first().copied().unwrap_or(t) {
                t.format("%b %Y").to_string()
            } else {
                t.format("%b").to_string()
            };
            push(
                &mut out,
                format_args!(
                    r#"<text x="{x:.1}" y="{:.1}" fill="{MUTED}" text-anchor="middle">{}</text>"#,
                    axis_y + 18.0,
                    escape(&label)
                ),
            );
        }
        for (i, lane) in self.lanes.iter().enumerate() {
            let y = TOP + LANE_H * i as f64;
            let mid = y + LANE_H / 2.0;
            let weight = if lane.current { "700" } else { "400" };
            push(
                &mut out,
                format_args!(
                    r#"<text x="0" y="{:.1}" fill="{INK}" font-weight="{weight}">{}</text>"#,
                    mid + 4.0,
                    escape(&lane.label)
                ),
            );
            push(
                &mut out,
                format_args!(
                    r#"<line x1="{LABEL_W}" y1="{mid:.1}" x2="{:.1}" y2="{mid:.1}" stroke="{LINE}" stroke-width="1"/>"#,
                    WIDTH - RIGHT_PAD
                ),
            );
            for span in &lane.spans {
                let (x1, x2) = (
                    self.x(span.from),
                    self.x(span.to).max(self.x(span.from) + 3.0),
                );
                let (fill, stroke) = match span.kind {
                    SpanKind::Completed => (DONE_FILL, DONE_STROKE),
                    SpanKind::Open => (OPEN_FILL, OPEN_STROKE),
                };
                push(
                    &mut out,
                    format_args!(
                        r#"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="14" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="1"/>"#,
                        mid - 7.0,
                        x2 - x1
                    ),
                );
            }
            for mark in &lane.marks {
                let x = self.x(mark.at);
                let shape = match mark.kind {
                    MarkKind::Started => format!(
                        r#"<circle cx="{x:.1}" cy="{mid:.1}" r="4" fill="white" stroke="{OPEN_STROKE}" stroke-width="2"/>"#
                    ),
                    MarkKind::Completed => format!(
                        r#"<path d="M{x:.1} {:.1} L{:.1} {mid:.1} L{x:.1} {:.1} L{:.1} {mid:.1} Z" fill="{DONE_STROKE}"/>"#,
                        mid - 6.0,
                        x + 6.0,
                        mid + 6.0,
                        x - 6.0
                    ),
                    MarkKind::Reopened => format!(
                        r#"<path d="M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z" fill="{ALERT}"/>"#,
                        x - 6.0,
                        mid + 5.0,
                        x + 6.0,
                        mid + 5.0,
                        x,
                        mid - 6.0
                    ),
                    MarkKind::GateOverride => format!(
                        r#"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{ALERT}" transform="rotate(45 {x:.1} {mid:.1})"/>"#,
                        x - 5.0,
                        mid - 5.0
                    ),
                };
                push(
                    &mut out,
                    format_args!(
                        "<g><title>{} {} {}</title>{shape}</g>",
                        escape(&lane.label),
                        mark.kind.label(),
                        mark.at.format("%-d %b %Y")
                    ),
                );
            }
        }
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
