//! The PDF renderer of the shared drawing vocabulary: [`Shape`]s (from the timeline, the
//! charts or the page layout) become printpdf vector operations — paths for lines, rectangles,
//! polygons and circles, text objects in the embedded fonts. SVG is the other renderer
//! ([`Scene::to_svg_body`](super::Scene::to_svg_body)); both draw the same scene.

use printpdf::{
    Color, FontId, Line, LineCapStyle, LineDashPattern, LinePoint, Op, PaintMode, PdfFontHandle,
    Point, Polygon, PolygonRing, Pt, TextItem, WindingOrder,
};

use super::scene::{Anchor, Dash, Rgb, Shape, Stroke};
use crate::pdf::fonts::{FontKind, FontMetrics};

/// Circle-to-Bézier constant: control points at this fraction of the radius.
const KAPPA: f64 = 0.552_284_75;

/// The fonts a page can use: their PDF resource ids and metrics.
#[derive(Debug, Clone, Copy)]
pub struct PdfFonts<'a> {
    pub regular: (&'a FontId, &'a FontMetrics),
    pub bold: (&'a FontId, &'a FontMetrics),
}

impl<'a> PdfFonts<'a> {
    fn get(&self, bold: bool) -> (&'a FontId, &'a FontMetrics) {
        if bold { self.bold } else { self.regular }
    }
}

/// Turns top-left page coordinates (points) into PDF operations. Colours, fonts and line
/// styles are only set when they change: smaller pages, faster writing.
#[derive(Debug)]
pub struct OpWriter<'a> {
    page_height: f64,
    fonts: PdfFonts<'a>,
    ops: Vec<Op>,
    font: Option<(bool, f64)>,
    fill: Option<Rgb>,
    stroke: Option<Stroke>,
}

/// A PDF number; a non-finite value (never produced by our layouts) becomes 0 rather than an
/// invalid token.
fn pt(v: f64) -> Pt {
    Pt(if v.is_finite() { v as f32 } else { 0.0 })
}

fn color(c: Rgb) -> Color {
    let (r, g, b) = c.unit();
    Color::Rgb(printpdf::Rgb::new(r, g, b, None))
}

impl<'a> OpWriter<'a> {
    pub fn new(page_height: f64, fonts: PdfFonts<'a>) -> Self {
        OpWriter {
            page_height,
            fonts,
            ops: Vec::new(),
            font: None,
            fill: None,
            stroke: None,
        }
    }

    /// The page's operations.
    pub fn finish(self) -> Vec<Op> {
        self.ops
    }

    fn set_fill(&mut self, c: Rgb) {
        if self.fill != Some(c) {
            self.ops.push(Op::SetFillColor { col: color(c) });
            self.fill = Some(c);
        }
    }

    fn point(&self, x: f64, y: f64) -> Point {
        Point {
            x: pt(x),
            y: pt(self.page_height - y),
        }
    }

    fn lp(&self, x: f64, y: f64, bezier: bool) -> LinePoint {
        LinePoint {
            p: self.point(x, y),
            bezier,
        }
    }

    fn set_stroke(&mut self, st: Stroke) {
        let prev = self.stroke;
        if prev.map(|p| p.color) != Some(st.color) {
            self.ops.push(Op::SetOutlineColor {
                col: color(st.color),
            });
        }
        if prev.map(|p| p.width) != Some(st.width) {
            self.ops.push(Op::SetOutlineThickness { pt: pt(st.width) });
        }
        if prev.map(|p| p.dash) != Some(st.dash) {
            let pattern: Vec<f32> = st.dash.pattern().iter().map(|v| *v as f32).collect();
            self.ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::new(0.0, &pattern),
            });
            self.ops.push(Op::SetLineCapStyle {
                cap: if st.dash == Dash::Dotted {
                    LineCapStyle::Round
                } else {
                    LineCapStyle::Butt
                },
            });
        }
        self.stroke = Some(st);
    }

    fn paint(&mut self, rings: Vec<Vec<LinePoint>>, fill: Option<Rgb>, stroke: Option<Stroke>) {
        let mode = match (fill, stroke) {
            (Some(_), Some(_)) => PaintMode::FillStroke,
            (Some(_), None) => PaintMode::Fill,
            (None, Some(_)) => PaintMode::Stroke,
            (None, None) => return,
        };
        if let Some(f) = fill {
            self.set_fill(f);
        }
        if let Some(st) = stroke {
            self.set_stroke(st);
        }
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: rings
                    .into_iter()
                    .map(|points| PolygonRing { points })
                    .collect(),
                mode,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// Append the operations for one shape (groups: for each shape inside).
    pub fn shape(&mut self, shape: &Shape) {
        match shape {
            Shape::Line { points, stroke } => {
                if points.len() < 2 {
                    return;
                }
                self.set_stroke(*stroke);
                let points = points.iter().map(|&(x, y)| self.lp(x, y, false)).collect();
                self.ops.push(Op::DrawLine {
                    line: Line {
                        points,
                        is_closed: false,
                    },
                });
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
                let ring = self.rect_ring(*x, *y, *w, *h, *radius);
                self.paint(vec![ring], *fill, *stroke);
            }
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                if points.len() < 3 {
                    return;
                }
                let ring = points.iter().map(|&(x, y)| self.lp(x, y, false)).collect();
                self.paint(vec![ring], *fill, *stroke);
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke,
            } => {
                let ring = self.circle_ring(*cx, *cy, *r);
                self.paint(vec![ring], *fill, *stroke);
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                bold,
                color: c,
            } => self.text(*x, *y, text, *size, *anchor, *bold, *c),
            Shape::Group { shapes, .. } => {
                for s in shapes {
                    self.shape(s);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, text: &str, size: f64, anchor: Anchor, bold: bool, c: Rgb) {
        let (id, metrics) = self.fonts.get(bold);
        let text = metrics.clean(text).replace('\n', " ");
        if text.trim().is_empty() {
            return;
        }
        let x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - metrics.width(&text, size) / 2.0,
            Anchor::End => x - metrics.width(&text, size),
        };
        let pos = self.point(x, y);
        // One text object per line: simple text extractors separate lines at object
        // boundaries (and the text state, font and colour, carries over between objects).
        self.ops.push(Op::StartTextSection);
        if self.font != Some((bold, size)) {
            self.ops.push(Op::SetFont {
                font: PdfFontHandle::External(id.clone()),
                size: pt(size),
            });
            self.font = Some((bold, size));
        }
        self.set_fill(c);
        self.ops.push(Op::SetTextCursor { pos });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text)],
        });
        self.ops.push(Op::EndTextSection);
    }

    fn rect_ring(&self, x: f64, y: f64, w: f64, h: f64, radius: f64) -> Vec<LinePoint> {
        let r = radius.min(w / 2.0).min(h / 2.0).max(0.0);
        if r < 0.01 {
            return vec![
                self.lp(x, y, false),
                self.lp(x + w, y, false),
                self.lp(x + w, y + h, false),
                self.lp(x, y + h, false),
            ];
        }
        let k = r * (1.0 - KAPPA);
        let (x2, y2) = (x + w, y + h);
        vec![
            self.lp(x + r, y, false),
            self.lp(x2 - r, y, false),
            self.lp(x2 - k, y, true),
            self.lp(x2, y + k, true),
            self.lp(x2, y + r, false),
            self.lp(x2, y2 - r, false),
            self.lp(x2, y2 - k, true),
            self.lp(x2 - k, y2, true),
            self.lp(x2 - r, y2, false),
            self.lp(x + r, y2, false),
            self.lp(x + k, y2, true),
            self.lp(x, y2 - k, true),
            self.lp(x, y2 - r, false),
            self.lp(x, y + r, false),
            self.lp(x, y + k, true),
            self.lp(x + k, y, true),
            self.lp(x + r, y, false),
        ]
    }

    fn circle_ring(&self, cx: f64, cy: f64, r: f64) -> Vec<LinePoint> {
        let k = r * KAPPA;
        vec![
            self.lp(cx + r, cy, false),
            self.lp(cx + r, cy + k, true),
            self.lp(cx + k, cy + r, true),
            self.lp(cx, cy + r, false),
            self.lp(cx - k, cy + r, true),
            self.lp(cx - r, cy + k, true),
            self.lp(cx - r, cy, false),
            self.lp(cx - r, cy - k, true),
            self.lp(cx - k, cy - r, true),
            self.lp(cx, cy - r, false),
            self.lp(cx + k, cy - r, true),
            self.lp(cx + r, cy - k, true),
            self.lp(cx + r, cy, false),
        ]
    }
}

/// The font a text shape is printed in.
pub fn font_of(shape: &Shape) -> Option<FontKind> {
    match shape {
        Shape::Text { bold: true, .. } => Some(FontKind::Bold),
        Shape::Text { .. } => Some(FontKind::Regular),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    fn ops_for(scene: &super::super::Scene) -> Vec<Op> {
        let (r, b) = (FontId("R".into()), FontId("B".into()));
        let fonts = PdfFonts {
            regular: (&r, FontKind::Regular.metrics().expect("font")),
            bold: (&b, FontKind::Bold.metrics().expect("font")),
        };
        let mut w = OpWriter::new(500.0, fonts);
        for s in &scene.shapes {
            w.shape(s);
        }
        w.finish()
    }

    fn count(ops: &[Op], f: impl Fn(&Op) -> bool) -> usize {
        ops.iter().filter(|o| f(o)).count()
    }

    #[test]
    fn timeline_and_charts_become_vector_operations() {
        let timeline = samples::timeline().scene(700.0);
        let ops = ops_for(&timeline);
        assert!(
            count(&ops, |o| matches!(o, Op::DrawLine { .. })) >= 6,
            "lanes and ticks"
        );
        assert!(
            count(&ops, |o| matches!(o, Op::DrawPolygon { .. })) >= 8,
            "bars and marks"
        );
        let texts = count(&ops, |o| matches!(o, Op::ShowText { .. }));
        assert_eq!(texts, timeline.texts().len());

        for chart in samples::charts() {
            let scene = chart.scene(700.0);
            let ops = ops_for(&scene);
            // One polyline per unbroken run of each series, plus gridlines and legend samples.
            let long_lines = count(
                &ops,
                |o| matches!(o, Op::DrawLine { line } if line.points.len() > 2),
            );
            assert!(long_lines >= chart.series.len(), "{long_lines}");
            assert!(
                ops.iter().any(
                    |o| matches!(o, Op::SetLineDashPattern { dash } if !dash.pattern.is_empty())
                )
            );
        }
    }

    #[test]
    fn coordinates_flip_to_the_bottom_left_origin() {
        let mut scene = super::super::Scene::new(100.0, 100.0);
        scene.add(Shape::line(
            10.0,
            20.0,
            30.0,
            40.0,
            Stroke::solid(Rgb(0, 0, 0), 1.0),
        ));
        let ops = ops_for(&scene);
        let Some(Op::DrawLine { line }) = ops.iter().find(|o| matches!(o, Op::DrawLine { .. }))
        else {
            panic!("a line");
        };
        assert_eq!((line.points[0].p.x.0, line.points[0].p.y.0), (10.0, 480.0));
        assert_eq!((line.points[1].p.x.0, line.points[1].p.y.0), (30.0, 460.0));
    }
}
