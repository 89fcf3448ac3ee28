//! Pictures as plain data models with renderers. One model, several outputs: SVG for pages,
//! PDF drawing operations for reports.

pub mod svg;
pub mod timeline;

pub use timeline::{Lane, Mark, MarkKind, Span, SpanKind, Timeline};
