//! Kintsugi's documents and pictures, made from plain data: the chart and stage-timeline
//! models that the couple page draws as SVG (and the PDF reports will draw as vectors), and
//! the session-note and progress-report PDFs.
//!
//! This crate never touches the database or the web layer: callers hand it plain structs and
//! get SVG text or PDF bytes back.

pub mod visuals;
