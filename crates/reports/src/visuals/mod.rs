//! Pictures as plain data models with renderers. One model, several outputs: each model lays
//! itself out once into a [`Scene`] of simple shapes, which is written as SVG for pages
//! ([`Scene::to_svg_body`]) and as PDF drawing operations for reports ([`pdf`]).

pub mod chart;
pub mod pdf;
pub mod scene;
pub mod svg;
pub mod timeline;

pub use chart::{LineChart, Series, SeriesStyle, YAxis};
pub use scene::{Anchor, Dash, MarkerShape, Rgb, Scene, Shape, Stroke, palette};
pub use timeline::{Lane, Mark, MarkKind, Span, SpanKind, Timeline};
