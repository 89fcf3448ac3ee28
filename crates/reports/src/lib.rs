//! Kintsugi's documents and pictures, made from plain data: the chart and stage-timeline
//! models that the couple page draws as SVG and the PDF reports draw as vectors, and the
//! session-note and progress-report PDFs.
//!
//! This crate never touches the database or the web layer: callers hand it plain structs and
//! get SVG text or PDF bytes back.
//!
//! - [`visuals`]: [`visuals::Timeline`] and [`visuals::LineChart`], each drawn into one
//!   [`visuals::Scene`] (lines, rectangles, polygons, circles, text) that is written as SVG for
//!   pages and as PDF drawing operations for reports: one model, two renderers.
//! - [`pdf`]: the document building blocks: paper sizes, the embedded DejaVu fonts, text
//!   measurement and wrapping, paragraphs, headings, tables, pagination and page furniture.
//! - [`note`] and [`progress`]: the two documents.

mod common;
pub mod error;
pub mod note;
pub mod pdf;
pub mod progress;
pub mod samples;
#[cfg(test)]
mod test_support;
pub mod visuals;

pub use error::ReportError;
pub use pdf::PaperSize;
