//! Line charts of check-in ratings over time: both partners on one chart, each with its own
//! colour, line pattern and point symbol (so the lines stay apart in greyscale print too),
//! an optional flag (for example when the partners' trust ratings diverge), and a text
//! alternative for screen readers. Plain data in; drawn as SVG for pages and as PDF vectors
//! for reports from the same [`Scene`].

use chrono::{Datelike, Days, Months, NaiveDate};

use super::scene::{
    Anchor, Dash, MarkerShape, Rgb, Scene, Shape, Stroke, fit_text, num, palette, text_width,
};
use super::svg::{escape, push};

/// The vertical axis: its range and the values that get a gridline and a label.
#[derive(Debug, Clone, PartialEq)]
pub struct YAxis {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<f64>,
    /// A short caption above the axis, e.g. "Rating (0–10)".
    pub label: Option<String>,
}

impl Default for YAxis {
    /// Ratings from 0 to 10, labelled every 2.
    fn default() -> Self {
        YAxis {
            min: 0.0,
            max: 10.0,
            ticks: vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
            label: None,
        }
    }
}

/// One line on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown in the legend and the text alternative, e.g. "Sam (hurt partner)".
    pub name: String,
    /// Dated values in any order. A non-finite value (NaN) is a missing check-in: the line
    /// breaks there.
    pub points: Vec<(NaiveDate, f64)>,
    /// Which look the line gets (see [`SeriesStyle::of`]): [`Series::INVOLVED`] for the involved
    /// partner, [`Series::HURT`] for the hurt partner, further indices for other lines.
    pub style: usize,
}

impl Series {
    /// Style index of the involved partner's line: solid, dark teal, filled circles.
    pub const INVOLVED: usize = 0;
    /// Style index of the hurt partner's line: dashed, amber, hollow squares.
    pub const HURT: usize = 1;

    pub fn new(name: impl Into<String>, style: usize, points: Vec<(NaiveDate, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            style,
        }
    }

    /// The finite points in date order.
    fn sorted(&self) -> Vec<(NaiveDate, f64)> {
        let mut pts: Vec<_> = self
            .points
            .iter()
            .copied()
            .filter(|(_, v)| v.is_finite())
            .collect();
        pts.sort_by_key(|p| p.0);
        pts
    }
}

/// How a series is drawn. Colours differ in hue and lightness, and the dash pattern and point
/// symbol differ too, so no reader depends on colour alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesStyle {
    pub color: Rgb,
    pub dash: Dash,
    pub marker: MarkerShape,
    /// Points drawn as outlines on white rather than filled.
    pub hollow: bool,
}

impl SeriesStyle {
    /// The look for a style index (indices beyond the palette wrap around).
    pub fn of(index: usize) -> SeriesStyle {
        const STYLES: [SeriesStyle; 4] = [
            SeriesStyle {
                color: Rgb::hex(0x2f5d62),
                dash: Dash::Solid,
                marker: MarkerShape::Circle,
                hollow: false,
            },
            SeriesStyle {
                color: Rgb::hex(0xb86e1a),
                dash: Dash::Dashed,
                marker: MarkerShape::Square,
                hollow: true,
            },
            SeriesStyle {
                color: Rgb::hex(0x6d4c8a),
                dash: Dash::Dotted,
                marker: MarkerShape::Diamond,
                hollow: false,
            },
            SeriesStyle {
                color: Rgb::hex(0x4a5866),
                dash: Dash::DashDot,
                marker: MarkerShape::Triangle,
                hollow: true,
            },
        ];
        STYLES[index % STYLES.len()]
    }

    fn point(self, x: f64, y: f64, r: f64) -> Shape {
        if self.hollow {
            self.marker.shape(
                x,
                y,
                r,
                Some(palette::PAPER),
                Some(Stroke::solid(self.color, 1.75)),
            )
        } else {
            self.marker.shape(
                x,
                y,
                r,
                Some(self.color),
                Some(Stroke::solid(palette::PAPER, 1.0)),
            )
        }
    }

    fn stroke(self) -> Stroke {
        Stroke {
            color: self.color,
            width: 2.25,
            dash: self.dash,
        }
    }
}

/// A line chart over dates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// Printed above the chart and used as its accessible name.
    pub title: String,
    pub y: YAxis,
    /// The dates the x axis spans; `None`: from the first to the last point.
    pub x_range: Option<(NaiveDate, NaiveDate)>,
    pub series: Vec<Series>,
    /// A highlighted note above the plot, e.g. "Trust ratings diverge by 4 or more points".
    pub flag: Option<String>,
    /// Consecutive points further apart than this many days are not joined (a pause in
    /// check-ins shows as a gap rather than as a straight line across it).
    pub max_gap_days: Option<i64>,
}

/// Geometry in scene units.
const TITLE_SIZE: f64 = 14.0;
const FONT: f64 = 12.0;
const PLOT_LEFT: f64 = 40.0;
const RIGHT_PAD: f64 = 14.0;
const PLOT_H: f64 = 170.0;
const INNER: f64 = 12.0;

impl LineChart {
    /// A chart with the default 0–10 axis and no series yet.
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            ..Default::default()
        }
    }

    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    pub fn with_flag(mut self, flag: impl Into<String>) -> Self {
        self.flag = Some(flag.into());
        self
    }

    /// The dates the x axis spans (at least a week, so a single check-in sits in the middle).
    pub fn date_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let (start, end) = match self.x_range {
            Some((a, b)) => (a.min(b), a.max(b)),
            None => {
                let dates = self.series.iter().flat_map(|s| s.sorted()).map(|p| p.0);
                let (mut lo, mut hi) = (None::<NaiveDate>, None::<NaiveDate>);
                for d in dates {
                    lo = Some(lo.map_or(d, |l| l.min(d)));
                    hi = Some(hi.map_or(d, |h| h.max(d)));
                }
                (lo?, hi?)
            }
        };
        if (end - start).num_days() < 7 {
            let pad = Days::new(((7 - (end - start).num_days()) as u64).div_ceil(2));
            return Some((start - pad, end + pad));
        }
        Some((start, end))
    }

    /// Dates that get a label on the x axis: days, weeks or months, at most about eight.
    pub fn x_ticks(&self) -> Vec<NaiveDate> {
        let Some((start, end)) = self.date_range() else {
            return Vec::new();
        };
        let days = (end - start).num_days();
        let mut ticks = Vec::new();
        if days <= 120 {
            let step = [1u64, 2, 7, 14, 28]
                .into_iter()
                .find(|s| days / *s as i64 <= 8)
                .unwrap_or(28);
            let mut d = start;
            if step >= 7 {
                // Weeks start on Mondays.
                let back = u64::from(d.weekday().num_days_from_monday());
                if back > 0 {
                    d = d + Days::new(7 - back);
                }
            }
            while d <= end && ticks.len() < 40 {
                ticks.push(d);
                d = d + Days::new(step);
            }
        } else {
            let months = (days / 30).max(1);
            let every = [1u32, 2, 3, 6, 12]
                .into_iter()
                .find(|m| months / i64::from(*m) <= 8)
                .unwrap_or(12);
            let mut d = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
            if d < start {
                d = d.checked_add_months(Months::new(1)).unwrap_or(end);
            }
            while d <= end && ticks.len() < 40 {
                if d.month0().is_multiple_of(every) {
                    ticks.push(d);
                }
                match d.checked_add_months(Months::new(1)) {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        ticks
    }

    fn tick_label(&self, i: usize, d: NaiveDate) -> String {
        let Some((start, end)) = self.date_range() else {
            return String::new();
        };
        if (end - start).num_days() <= 120 {
            d.format("%-d %b").to_string()
        } else if i == 0 || d.month() == 1 {
            d.format("%b %Y").to_string()
        } else {
            d.format("%b").to_string()
        }
    }

    fn legend_rows(&self, width: f64) -> Vec<Vec<(f64, usize)>> {
        let mut rows: Vec<Vec<(f64, usize)>> = Vec::new();
        let mut x = 0.0;
        for (i, s) in self.series.iter().enumerate() {
            let name = fit_text(&s.name, FONT, false, width - 40.0);
            let w = 34.0 + text_width(&name, FONT, false) + 22.0;
            if rows.is_empty() || (x + w > width && x > 0.0) {
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

    /// Layout bands from the top: title, flag, legend, plot, axis labels.
    fn bands(&self, width: f64) -> (f64, f64, f64, f64) {
        let mut y = 20.0;
        let flag_top = y + 8.0;
        if self.flag.is_some() {
            y = flag_top + 28.0;
        }
        let legend_top = y + 10.0;
        y = legend_top + 20.0 * self.legend_rows(width - RIGHT_PAD).len() as f64;
        let plot_top = y + if self.y.label.is_some() { 24.0 } else { 14.0 };
        (flag_top, legend_top, plot_top, plot_top + PLOT_H)
    }

    /// The chart laid out `width` units wide (at least 320). SVG pages use 760; the PDF report
    /// picks a width that makes the text a readable size.
    pub fn scene(&self, width: f64) -> Scene {
        let width = width.max(320.0);
        let (flag_top, legend_top, plot_top, plot_bottom) = self.bands(width);
        let mut scene = Scene::new(width, plot_bottom + 30.0);
        let (left, right) = (PLOT_LEFT, width - RIGHT_PAD);

        scene.add(
            Shape::text(
                0.0,
                15.0,
                fit_text(&self.title, TITLE_SIZE, true, width),
                TITLE_SIZE,
                palette::INK,
            )
            .bold(),
        );

        if let Some(flag) = &self.flag {
            scene.add(Shape::Rect {
                x: 0.0,
                y: flag_top,
                w: right,
                h: 24.0,
                radius: 4.0,
                fill: Some(palette::ALERT_FILL),
                stroke: Some(Stroke::solid(palette::ALERT, 1.0)),
            });
            let cy = flag_top + 12.0;
            scene.add(Shape::Circle {
                cx: 14.0,
                cy,
                r: 7.0,
                fill: Some(palette::ALERT),
                stroke: None,
            });
            scene.add(
                Shape::text(14.0, cy + 4.0, "!", FONT, palette::PAPER)
                    .bold()
                    .anchored(Anchor::Middle),
            );
            scene.add(
                Shape::text(
                    28.0,
                    cy + 4.0,
                    fit_text(flag, FONT, true, right - 36.0),
                    FONT,
                    palette::ALERT,
                )
                .bold(),
            );
        }

        for (r, row) in self.legend_rows(width - RIGHT_PAD).iter().enumerate() {
            let cy = legend_top + 20.0 * r as f64 + 10.0;
            for &(x, i) in row {
                let s = &self.series[i];
                let style = SeriesStyle::of(s.style);
                scene.add(Shape::line(x, cy, x + 28.0, cy, style.stroke()));
                scene.add(style.point(x + 14.0, cy, 4.0));
                scene.add(Shape::text(
                    x + 34.0,
                    cy + 4.0,
                    fit_text(&s.name, FONT, false, width - 40.0),
                    FONT,
                    palette::INK,
                ));
            }
        }

        if let Some(label) = &self.y.label {
            scene.add(Shape::text(
                0.0,
                plot_top - 10.0,
                fit_text(label, 11.0, false, width),
                11.0,
                palette::MUTED,
            ));
        }

        // A broken axis (reversed, empty or not finite) falls back to the 0–10 scale.
        let (ymin, ymax) =
            if self.y.min.is_finite() && self.y.max.is_finite() && self.y.max > self.y.min {
                (self.y.min, self.y.max)
            } else {
                (0.0, 10.0)
            };
        let y_of = |v: f64| {
            let t = ((v - ymin) / (ymax - ymin)).clamp(0.0, 1.0);
            plot_bottom - t * PLOT_H
        };
        for &t in &self.y.ticks {
            if !(ymin..=ymax).contains(&t) {
                continue;
            }
            let y = y_of(t);
            let color = if t == ymin {
                palette::RULE
            } else {
                palette::LINE
            };
            scene.add(Shape::line(left, y, right, y, Stroke::solid(color, 1.0)));
            scene.add(
                Shape::text(left - 8.0, y + 4.0, fmt_value(t), FONT, palette::MUTED)
                    .anchored(Anchor::End),
            );
        }

        let range = self.date_range();
        let x_of = |d: NaiveDate| match range {
            Some((start, end)) => {
                let span = (end - start).num_days().max(1) as f64;
                let t = ((d - start).num_days() as f64 / span).clamp(0.0, 1.0);
                left + INNER + t * (right - left - 2.0 * INNER)
            }
            None => (left + right) / 2.0,
        };
        for (i, d) in self.x_ticks().into_iter().enumerate() {
            let x = x_of(d);
            scene.add(Shape::line(
                x,
                plot_bottom,
                x,
                plot_bottom + 5.0,
                Stroke::solid(palette::RULE, 1.0),
            ));
            scene.add(
                Shape::text(
                    x,
                    plot_bottom + 19.0,
                    self.tick_label(i, d),
                    FONT,
                    palette::MUTED,
                )
                .anchored(Anchor::Middle),
            );
        }

        let mut any = false;
        for s in &self.series {
            let style = SeriesStyle::of(s.style);
            for segment in self.segments(s) {
                if segment.len() >= 2 {
                    scene.add(Shape::Line {
                        points: segment.iter().map(|&(d, v)| (x_of(d), y_of(v))).collect(),
                        stroke: style.stroke(),
                    });
                }
            }
            for (d, v) in s.sorted() {
                any = true;
                scene.add(Shape::Group {
                    title: format!("{}: {} — {}", s.name, fmt_date(d), fmt_value(v)),
                    shapes: vec![style.point(x_of(d), y_of(v), 4.0)],
                });
            }
        }
        if !any {
            scene.add(
                Shape::text(
                    (left + right) / 2.0,
                    plot_top + PLOT_H / 2.0,
                    "No check-ins in this period",
                    FONT,
                    palette::MUTED,
                )
                .anchored(Anchor::Middle),
            );
        }
        scene
    }

    /// Runs of points to join with a line: broken at missing values and long pauses.
    fn segments(&self, s: &Series) -> Vec<Vec<(NaiveDate, f64)>> {
        let mut pts = s.points.clone();
        pts.sort_by_key(|p| p.0);
        let mut out: Vec<Vec<(NaiveDate, f64)>> = vec![Vec::new()];
        for (d, v) in pts {
            if !v.is_finite() {
                out.push(Vec::new());
                continue;
            }
            let pause = match (out.last().and_then(|seg| seg.last()), self.max_gap_days) {
                (Some((prev, _)), Some(max)) => (d - *prev).num_days() > max,
                _ => false,
            };
            if pause {
                out.push(Vec::new());
            }
            if let Some(seg) = out.last_mut() {
                seg.push((d, v));
            }
        }
        out.retain(|seg| !seg.is_empty());
        out
    }

    /// The chart in words, for screen readers and for print: one line per series with every
    /// dated value, its lowest, highest and latest value; then the flag, if any.
    pub fn text_alternative(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .series
            .iter()
            .map(|s| {
                let pts = s.sorted();
                let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
                    return format!("{}: no check-ins in this period.", s.name);
                };
                // Within one year the year is said once, not with every value.
                let one_year = first.0.year() == last.0.year();
                let day = |d: NaiveDate| {
                    if one_year {
                        d.format("%-d %b").to_string()
                    } else {
                        fmt_date(d)
                    }
                };
                let values: Vec<String> = pts
                    .iter()
                    .map(|(d, v)| format!("{} {}", day(*d), fmt_value(*v)))
                    .collect();
                let lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                let hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
                let count = if pts.len() == 1 {
                    "1 check-in".to_string()
                } else {
                    format!("{} check-ins", pts.len())
                };
                format!(
                    "{}: {count} from {} to {}: {}. Lowest {}, highest {}, latest {}.",
                    s.name,
                    day(first.0),
                    fmt_date(last.0),
                    values.join(", "),
                    fmt_value(lo),
                    fmt_value(hi),
                    fmt_value(last.1),
                )
            })
            .collect();
        if let Some(flag) = &self.flag {
            lines.push(format!("Flag: {flag}."));
        }
        lines
    }

    /// A stable id for the accessible name and description (two charts on one page must not
    /// share ids).
    fn dom_id(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x100_0000_01b3);
            }
        };
        feed(self.title.as_bytes());
        for s in &self.series {
            feed(s.name.as_bytes());
            feed(&(s.points.len() as u64).to_le_bytes());
        }
        format!("chart-{:08x}", h as u32)
    }

    /// The chart as an accessible SVG element: `role="img"`, named by its title and described
    /// by its text alternative, every point carrying its own tooltip, and only presentation
    /// attributes (no `style=`: the site's Content-Security-Policy forbids inline styles).
    pub fn to_svg(&self) -> String {
        let scene = self.scene(760.0);
        let id = self.dom_id();
        let mut out = String::new();
        push(
            &mut out,
            format_args!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{id}-title" aria-describedby="{id}-desc" class="chart" font-family="system-ui, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
                num(scene.width),
                num(scene.height),
                escape(&self.title),
                escape(&self.text_alternative().join(" "))
            ),
        );
        out.push_str(&scene.to_svg_body());
        out.push_str("</svg>");
        out
    }
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// A rating as people write it: "7", "6.5".
pub fn fmt_value(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn sample() -> LineChart {
        LineChart::new("Trust <check-ins> & more")
            .with_series(Series::new(
                "Zoë (involved partner)",
                Series::INVOLVED,
                vec![
                    (d(2026, 3, 10), 6.0),
                    (d(2026, 3, 3), 5.0),
                    (d(2026, 3, 17), 7.5),
                ],
            ))
            .with_series(Series::new(
                "Renée (hurt partner)",
                Series::HURT,
                vec![
                    (d(2026, 3, 3), 2.0),
                    (d(2026, 3, 10), f64::NAN),
                    (d(2026, 3, 17), 3.0),
                ],
            ))
            .with_flag("Trust ratings diverge by 4 or more points")
    }

    #[test]
    fn svg_is_accessible_escaped_and_csp_safe() {
        let svg = sample().to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("Trust &lt;check-ins&gt; &amp; more</title>"));
        assert!(svg.contains("<desc id=\"chart-"));
        assert!(!svg.contains("<check-ins>"));
        assert!(!svg.contains("style="));
        assert!(svg.contains("Trust ratings diverge by 4 or more points"));
        // Legend names, dashes for the hurt partner's line, a tooltip per point.
        assert!(svg.contains("Zoë (involved partner)") && svg.contains("Renée (hurt partner)"));
        assert!(svg.contains("stroke-dasharray"));
        assert_eq!(svg.matches("<g><title>").count(), 5, "five finite points");
        assert!(svg.contains("Zoë (involved partner): 17 Mar 2026 — 7.5"));
    }

    #[test]
    fn missing_values_and_long_pauses_break_the_line() {
        let chart = sample();
        let lens = |c: &LineChart, i: usize| -> Vec<usize> {
            c.segments(&c.series[i]).iter().map(Vec::len).collect()
        };
        assert_eq!(lens(&chart, 0), vec![3]);
        assert_eq!(
            lens(&chart, 1),
            vec![1, 1],
            "NaN splits the hurt partner's line"
        );
        let mut gappy = chart.clone();
        gappy.max_gap_days = Some(6);
        assert_eq!(lens(&gappy, 0), vec![1, 1, 1], "weekly points, 6-day limit");
        // Only the involved line is drawn as a polyline (plus the two legend samples).
        let polylines = chart
            .scene(760.0)
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Line { points, .. } if points.len() > 2))
            .count();
        assert_eq!(polylines, 1);
    }

    #[test]
    fn styles_differ_beyond_colour() {
        let (a, b) = (
            SeriesStyle::of(Series::INVOLVED),
            SeriesStyle::of(Series::HURT),
        );
        assert_ne!(a.dash, b.dash);
        assert_ne!(a.marker, b.marker);
        assert_ne!(a.color, b.color);
        assert_eq!(SeriesStyle::of(4), SeriesStyle::of(0));
    }

    #[test]
    fn text_alternative_summarises_each_series() {
        let lines = sample().text_alternative();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "Zoë (involved partner): 3 check-ins from 3 Mar to 17 Mar 2026: 3 Mar 5, 10 Mar 6, \
             17 Mar 7.5. Lowest 5, highest 7.5, latest 7.5."
        );
        assert!(lines[1].starts_with("Renée (hurt partner): 2 check-ins"));
        assert_eq!(lines[2], "Flag: Trust ratings diverge by 4 or more points.");
        let empty = LineChart::new("Nothing").with_series(Series::new("A", 0, vec![]));
        assert_eq!(
            empty.text_alternative(),
            vec!["A: no check-ins in this period."]
        );
        assert!(empty.to_svg().contains("No check-ins in this period"));
    }

    #[test]
    fn axes_cover_the_data() {
        let chart = sample();
        let (start, end) = chart.date_range().expect("range");
        assert!(start <= d(2026, 3, 3) && end >= d(2026, 3, 17));
        let ticks = chart.x_ticks();
        assert!(!ticks.is_empty() && ticks.len() <= 9);
        let single =
            LineChart::new("One").with_series(Series::new("A", 0, vec![(d(2026, 1, 1), 3.0)]));
        let (a, b) = single.date_range().expect("range");
        assert!(a < d(2026, 1, 1) && b > d(2026, 1, 1));
        let long = LineChart {
            x_range: Some((d(2025, 1, 15), d(2026, 12, 1))),
            ..LineChart::new("Long")
        };
        let ticks = long.x_ticks();
        assert!(
            ticks.len() <= 9 && ticks.iter().all(|t| t.day() == 1),
            "{ticks:?}"
        );
        // A broken axis falls back to 0–10 rather than drawing nowhere.
        let broken = LineChart {
            y: YAxis {
                min: f64::NAN,
                max: f64::NEG_INFINITY,
                ticks: vec![f64::NAN, 5.0],
                label: None,
            },
            ..sample()
        };
        let scene = broken.scene(760.0);
        for s in &scene.shapes {
            s.walk(&mut |s| {
                if let Shape::Circle { cx, cy, .. } = s {
                    assert!(cx.is_finite() && cy.is_finite());
                }
            });
        }
        // Out-of-range values are drawn at the edge, never outside the plot.
        let wild = LineChart::new("Wild").with_series(Series::new(
            "A",
            0,
            vec![(d(2026, 1, 1), -50.0), (d(2026, 1, 9), 1e9)],
        ));
        let scene = wild.scene(760.0);
        for s in &scene.shapes {
            s.walk(&mut |s| {
                if let Shape::Circle { cy, .. } = s {
                    assert!(*cy >= 0.0 && *cy <= scene.height);
                }
            });
        }
    }
}
