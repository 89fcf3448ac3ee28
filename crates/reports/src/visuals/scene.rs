//! The drawing vocabulary shared by every picture: a [`Scene`] is a list of simple shapes in
//! its own units (origin top-left, y growing downwards, as in SVG). Models such as the
//! timeline and the line chart lay themselves out once into a scene; [`Scene::to_svg_body`]
//! writes it as SVG elements and [`super::pdf`] turns it into PDF drawing operations.

use super::svg::{escape, push};

/// A colour (sRGB, 8 bits per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// From `0xRRGGBB`.
    pub const fn hex(v: u32) -> Self {
        Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }

    /// `#rrggbb` for SVG attributes.
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Channels from 0.0 to 1.0 (PDF colour operands).
    pub fn unit(self) -> (f32, f32, f32) {
        (
            f32::from(self.0) / 255.0,
            f32::from(self.1) / 255.0,
            f32::from(self.2) / 255.0,
        )
    }
}

/// The house palette: calm ink on paper, one accent, one alert colour.
pub mod palette {
    use super::Rgb;

    pub const INK: Rgb = Rgb::hex(0x1f2328);
    pub const MUTED: Rgb = Rgb::hex(0x5f6872);
    pub const LINE: Rgb = Rgb::hex(0xe3e0d8);
    pub const RULE: Rgb = Rgb::hex(0xcfc9bb);
    pub const PAPER: Rgb = Rgb::hex(0xffffff);
    pub const PANEL: Rgb = Rgb::hex(0xf6f4ef);
    pub const ACCENT: Rgb = Rgb::hex(0x2f5d62);
    pub const OPEN_FILL: Rgb = Rgb::hex(0xd7e8e8);
    pub const OPEN_STROKE: Rgb = Rgb::hex(0x2f5d62);
    pub const DONE_FILL: Rgb = Rgb::hex(0xe9d5a8);
    pub const DONE_STROKE: Rgb = Rgb::hex(0x9a6b12);
    pub const ALERT: Rgb = Rgb::hex(0xa12d2d);
    pub const ALERT_FILL: Rgb = Rgb::hex(0xfbeeee);
}

/// Line patterns, chosen so that lines stay distinguishable when printed in greyscale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dash {
    #[default]
    Solid,
    Dashed,
    Dotted,
    DashDot,
}

impl Dash {
    /// Dash and gap lengths in scene units (empty: solid).
    pub fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[7.0, 4.0],
            Dash::Dotted => &[1.5, 3.0],
            Dash::DashDot => &[8.0, 3.0, 2.0, 3.0],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub color: Rgb,
    pub width: f64,
    pub dash: Dash,
}

impl Stroke {
    pub fn solid(color: Rgb, width: f64) -> Self {
        Stroke {
            color,
            width,
            dash: Dash::Solid,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    #[default]
    Start,
    Middle,
    End,
}

/// One drawing primitive. Coordinates are in scene units, origin top-left; text `y` is the
/// baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An open polyline.
    Line {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        radius: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    /// A closed polygon.
    Polygon {
        points: Vec<(f64, f64)>,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Text {
        x: f64,
        y: f64,
        text: String,
        size: f64,
        anchor: Anchor,
        bold: bool,
        color: Rgb,
    },
    /// Shapes that belong together, with a description (an SVG tooltip; not printed).
    Group { title: String, shapes: Vec<Shape> },
}

impl Shape {
    pub fn line(x1: f64, y1: f64, x2: f64, y2: f64, stroke: Stroke) -> Self {
        Shape::Line {
            points: vec![(x1, y1), (x2, y2)],
            stroke,
        }
    }

    pub fn text(x: f64, y: f64, text: impl Into<String>, size: f64, color: Rgb) -> Self {
        Shape::Text {
            x,
            y,
            text: text.into(),
            size,
            anchor: Anchor::Start,
            bold: false,
            color,
        }
    }

    /// This text shape with another anchor (no effect on other shapes).
    pub fn anchored(mut self, to: Anchor) -> Self {
        if let Shape::Text { anchor, .. } = &mut self {
            *anchor = to;
        }
        self
    }

    /// This text shape in bold (no effect on other shapes).
    pub fn bold(mut self) -> Self {
        if let Shape::Text { bold, .. } = &mut self {
            *bold = true;
        }
        self
    }

    /// The same shape moved by (`dx`, `dy`) after scaling by `k` (sizes and widths too).
    pub fn transformed(&self, dx: f64, dy: f64, k: f64) -> Shape {
        let p = |(x, y): (f64, f64)| (dx + x * k, dy + y * k);
        let s = |st: &Option<Stroke>| {
            st.map(|st| Stroke {
                width: st.width * k,
                ..st
            })
        };
        match self {
            Shape::Line { points, stroke } => Shape::Line {
                points: points.iter().copied().map(p).collect(),
                stroke: Stroke {
                    width: stroke.width * k,
                    ..*stroke
                },
            },
            Shape::Rect {
                x,
                y,
                w,
                h,
                radius,
                fill,
                stroke,
            } => Shape::Rect {
                x: dx + x * k,
                y: dy + y * k,
                w: w * k,
                h: h * k,
                radius: radius * k,
                fill: *fill,
                stroke: s(stroke),
            },
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => Shape::Polygon {
                points: points.iter().copied().map(p).collect(),
                fill: *fill,
                stroke: s(stroke),
            },
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke,
            } => Shape::Circle {
                cx: dx + cx * k,
                cy: dy + cy * k,
                r: r * k,
                fill: *fill,
                stroke: s(stroke),
            },
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                bold,
                color,
            } => Shape::Text {
                x: dx + x * k,
                y: dy + y * k,
                text: text.clone(),
                size: size * k,
                anchor: *anchor,
                bold: *bold,
                color: *color,
            },
            Shape::Group { title, shapes } => Shape::Group {
                title: title.clone(),
                shapes: shapes.iter().map(|c| c.transformed(dx, dy, k)).collect(),
            },
        }
    }

    /// Visit this shape and, for groups, every shape inside.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Shape)) {
        f(self);
        if let Shape::Group { shapes, .. } = self {
            for s in shapes {
                s.walk(f);
            }
        }
    }
}

/// A picture: its size in its own units and its shapes, back to front.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(width: f64, height: f64) -> Self {
        Scene {
            width,
            height,
            shapes: Vec::new(),
        }
    }

    pub fn add(&mut self, shape: Shape) {
        self.shapes.push(shape);
    }

    /// Every text string in the scene, in drawing order (tests and text extraction).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for s in &self.shapes {
            s.walk(&mut |s| {
                if let Shape::Text { text, .. } = s {
                    out.push(text.as_str());
                }
            });
        }
        out
    }

    /// The shapes as SVG elements (without the surrounding `<svg>`): presentation attributes
    /// only, never `style=` (the site's Content-Security-Policy forbids inline styles), and
    /// every text escaped.
    pub fn to_svg_body(&self) -> String {
        let mut out = String::new();
        for s in &self.shapes {
            write_svg(&mut out, s);
        }
        out
    }
}

fn paint_attrs(fill: Option<Rgb>, stroke: Option<Stroke>) -> String {
    let mut a = match fill {
        Some(c) => format!(r#" fill="{}""#, c.css()),
        None => r#" fill="none""#.to_string(),
    };
    if let Some(st) = stroke {
        a.push_str(&stroke_attrs(st));
    }
    a
}

fn stroke_attrs(st: Stroke) -> String {
    let mut a = format!(
        r#" stroke="{}" stroke-width="{}""#,
        st.color.css(),
        num(st.width)
    );
    let pattern = st.dash.pattern();
    if !pattern.is_empty() {
        let list: Vec<String> = pattern.iter().map(|v| num(*v)).collect();
        a.push_str(&format!(r#" stroke-dasharray="{}""#, list.join(" ")));
        if st.dash == Dash::Dotted {
            a.push_str(r#" stroke-linecap="round""#);
        }
    }
    a
}

/// A number with at most one decimal, without a trailing ".0".
pub(crate) fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn points_attr(points: &[(f64, f64)]) -> String {
    let list: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
        .collect();
    list.join(" ")
}

fn write_svg(out: &mut String, shape: &Shape) {
    match shape {
        Shape::Line { points, stroke } => {
            if points.len() == 2 {
                push(
                    out,
                    format_args!(
                        r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{}/>"#,
                        num(points[0].0),
                        num(points[0].1),
                        num(points[1].0),
                        num(points[1].1),
                        stroke_attrs(*stroke)
                    ),
                );
            } else if points.len() > 2 {
                push(
                    out,
                    format_args!(
                        r#"<polyline points="{}" fill="none" stroke-linejoin="round"{}/>"#,
                        points_attr(points),
                        stroke_attrs(*stroke)
                    ),
                );
            }
        }
        Shape::Rect {
            x,
            y,
            w,
            h,
            radius,
            fill,
            stroke,
        } => {
            let rx = if *radius > 0.0 {
                format!(r#" rx="{}""#, num(*radius))
            } else {
                String::new()
            };
            push(
                out,
                format_args!(
                    r#"<rect x="{}" y="{}" width="{}" height="{}"{rx}{}/>"#,
                    num(*x),
                    num(*y),
                    num(w.max(0.0)),
                    num(h.max(0.0)),
                    paint_attrs(*fill, *stroke)
                ),
            );
        }
        Shape::Polygon {
            points,
            fill,
            stroke,
        } => push(
            out,
            format_args!(
                r#"<polygon points="{}"{}/>"#,
                points_attr(points),
                paint_attrs(*fill, *stroke)
            ),
        ),
        Shape::Circle {
            cx,
            cy,
            r,
            fill,
            stroke,
        } => push(
            out,
            format_args!(
                r#"<circle cx="{}" cy="{}" r="{}"{}/>"#,
                num(*cx),
                num(*cy),
                num(*r),
                paint_attrs(*fill, *stroke)
            ),
        ),
        Shape::Text {
            x,
            y,
            text,
            size,
            anchor,
            bold,
            color,
        } => {
            let anchor = match anchor {
                Anchor::Start => "",
                Anchor::Middle => r#" text-anchor="middle""#,
                Anchor::End => r#" text-anchor="end""#,
            };
            let weight = if *bold { r#" font-weight="700""# } else { "" };
            push(
                out,
                format_args!(
                    r#"<text x="{}" y="{}" font-size="{}" fill="{}"{anchor}{weight}>{}</text>"#,
                    num(*x),
                    num(*y),
                    num(*size),
                    color.css(),
                    escape(text)
                ),
            );
        }
        Shape::Group { title, shapes } => {
            out.push_str("<g>");
            if !title.is_empty() {
                push(out, format_args!("<title>{}</title>", escape(title)));
            }
            for s in shapes {
                write_svg(out, s);
            }
            out.push_str("</g>");
        }
    }
}

/// Width of `text` in scene units at `size`, measured with the embedded DejaVu Sans (the PDF's
/// font; on screen the system font is usually a little narrower, so layouts keep room).
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let kind = if bold {
        crate::pdf::FontKind::Bold
    } else {
        crate::pdf::FontKind::Regular
    };
    match kind.metrics() {
        Ok(m) => m.width(text, size),
        Err(_) => text.chars().count() as f64 * size * 0.6,
    }
}

/// `text` shortened with an ellipsis to fit `width` (see [`text_width`]).
pub fn fit_text(text: &str, size: f64, bold: bool, width: f64) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let room = width - text_width("…", size, bold);
    let mut out = String::new();
    let mut used = 0.0;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let w = text_width(c.encode_utf8(&mut buf), size, bold);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Marker shapes for data points, centred on (`x`, `y`) with "radius" `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerShape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

impl MarkerShape {
    pub fn shape(self, x: f64, y: f64, r: f64, fill: Option<Rgb>, stroke: Option<Stroke>) -> Shape {
        match self {
            MarkerShape::Circle => Shape::Circle {
                cx: x,
                cy: y,
                r,
                fill,
                stroke,
            },
            MarkerShape::Square => {
                let h = r * 0.9;
                Shape::Rect {
                    x: x - h,
                    y: y - h,
                    w: 2.0 * h,
                    h: 2.0 * h,
                    radius: 0.0,
                    fill,
                    stroke,
                }
            }
            MarkerShape::Triangle => Shape::Polygon {
                points: vec![
                    (x, y - r * 1.15),
                    (x + r * 1.1, y + r * 0.85),
                    (x - r * 1.1, y + r * 0.85),
                ],
                fill,
                stroke,
            },
            MarkerShape::Diamond => Shape::Polygon {
                points: vec![
                    (x, y - r * 1.25),
                    (x + r * 1.25, y),
                    (x, y + r * 1.25),
                    (x - r * 1.25, y),
                ],
                fill,
                stroke,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_presentation_attributes_and_escapes_text() {
        let mut s = Scene::new(100.0, 50.0);
        s.add(Shape::text(1.0, 2.0, "<script>alert(1)</script>", 12.0, palette::INK).bold());
        s.add(Shape::Line {
            points: vec![(0.0, 0.0), (10.0, 10.0), (20.0, 5.0)],
            stroke: Stroke {
                color: palette::ACCENT,
                width: 2.0,
                dash: Dash::Dashed,
            },
        });
        s.add(Shape::Group {
            title: "a & b".into(),
            shapes: vec![MarkerShape::Square.shape(5.0, 5.0, 3.0, Some(palette::INK), None)],
        });
        let svg = s.to_svg_body();
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains(r#"stroke-dasharray="7 4""#));
        assert!(svg.contains("<title>a &amp; b</title>"));
        assert!(!svg.contains("style="));
        assert_eq!(num(2.25), "2.3");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn transforms_positions_and_sizes() {
        let t = Shape::text(10.0, 20.0, "x", 10.0, palette::INK).transformed(5.0, 5.0, 0.5);
        match t {
            Shape::Text { x, y, size, .. } => assert_eq!((x, y, size), (10.0, 15.0, 5.0)),
            _ => panic!("still text"),
        }
    }
}
