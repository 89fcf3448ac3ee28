//! The crate's one error type.

/// Why a document could not be made. Callers map every variant to an opaque server error:
/// none of them is caused by what a user typed (any text prints, odd characters included).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An embedded font could not be read or subset (a broken build, not bad input).
    #[error("embedded font {font}: {reason}")]
    Font { font: &'static str, reason: String },
    /// printpdf refused to write the document.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    /// The text would need more pages than any real note or report has: refuse rather than
    /// spend the server's memory on it.
    #[error("the document would need more than {max} pages")]
    TooLong { max: usize },
}
