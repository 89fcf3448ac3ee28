//! Kintsugi's documents and pictures, made from plain data: session-note and progress-report
//! PDFs (printpdf, with an embedded Unicode font) and the chart and stage-timeline models that
//! the couple page draws as SVG and the reports draw as PDF vectors.
//!
//! This crate never touches the database or the web layer: callers hand it plain structs and
//! get bytes back. The documents arrive with the sessions-and-reports work.
