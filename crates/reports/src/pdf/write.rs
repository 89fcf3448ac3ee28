//! Laid-out pages to PDF bytes: the fonts subset to the characters used and embedded once,
//! every page's shapes as vector operations, and the document information (title, author,
//! dates) set, so readers never show "1 January 1970".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Timelike, Utc};
use printpdf::{PdfDocument, PdfPage, PdfSaveOptions, Pt, Rect};

use super::fonts::{self, FontKind};
use super::{Page, PageSetup};
use crate::ReportError;
use crate::visuals::Shape;
use crate::visuals::pdf::{OpWriter, PdfFonts, font_of};

/// The document information dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct DocInfo {
    pub title: String,
    pub author: String,
    pub subject: String,
    /// Creation and modification date.
    pub created: DateTime<Utc>,
}

/// A laid-out document, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub setup: PageSetup,
    pub pages: Vec<Page>,
    pub info: DocInfo,
}

impl Document {
    /// Every shape of every page (body, then furniture), with its page index.
    pub fn shapes(&self) -> impl Iterator<Item = (usize, &Shape)> {
        self.pages
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.body.iter().chain(&p.furniture).map(move |s| (i, s)))
    }
}

fn pdf_date(at: DateTime<Utc>) -> printpdf::OffsetDateTime {
    // Never the Unix epoch: a missing or zero time becomes the time of writing.
    let at = if at.year() < 2000 { Utc::now() } else { at };
    printpdf::DateTime {
        date: printpdf::Date {
            year: at.year(),
            month: at.month() as u8,
            day: at.day() as u8,
        },
        time: printpdf::Time {
            hour: at.hour() as u8,
            minute: at.minute() as u8,
            second: at.second() as u8,
            millisecond: 0,
        },
        offset: printpdf::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    }
}

/// The six-letter tag that marks an embedded font as a subset (ISO 32000-1, 9.6.4), derived
/// from the characters it holds.
fn subset_tag(chars: Option<&BTreeSet<char>>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for c in chars.into_iter().flatten() {
        h = (h ^ *c as u32).wrapping_mul(0x0100_0193);
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect()
}

/// Name the fonts as what they are ("ABCDEF+DejaVuSans" rather than printpdf's random ids)
/// and drop the document information printpdf always writes but that does not apply (a
/// PDF/X version key makes readers call the file PDF/X; empty keywords and identifier).
fn tidy(doc: &mut lopdf::Document, names: &[(Vec<u8>, Vec<u8>)]) {
    fn rename(obj: &mut lopdf::Object, names: &[(Vec<u8>, Vec<u8>)]) {
        match obj {
            lopdf::Object::Dictionary(dict) => {
                for (key, value) in dict.iter_mut() {
                    if let lopdf::Object::Name(name) = value
                        && (key == b"BaseFont" || key == b"FontName")
                        && let Some((_, to)) = names.iter().find(|(from, _)| from == name)
                    {
                        *name = to.clone();
                    } else {
                        rename(value, names);
                    }
                }
            }
            lopdf::Object::Array(items) => {
                for item in items {
                    rename(item, names);
                }
            }
            _ => {}
        }
    }
    for obj in doc.objects.values_mut() {
        rename(obj, names);
    }
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .ok();
    if let Some(lopdf::Object::Dictionary(dict)) = info.and_then(|id| doc.objects.get_mut(&id)) {
        for key in [
            &b"GTS_PDFXVersion"[..],
            b"Trapped",
            b"Identifier",
            b"Keywords",
        ] {
            dict.remove(key);
        }
    }
}

/// Flate-compress every stream that may be compressed (fonts, page contents) at zlib's fastest
/// level. printpdf's own pass uses the slowest level: that was 40% of the rendering time, for
/// files about a fifth smaller (a two-page note: 40 KB instead of 50 KB).
fn compress_streams(doc: &mut lopdf::Document) -> Result<(), ReportError> {
    use std::io::Write;

    use flate2::{Compression, write::ZlibEncoder};

    let fail = |e: std::io::Error| ReportError::Pdf(format!("compression failed: {e}"));
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            let mut encoder = ZlibEncoder::new(
                Vec::with_capacity(stream.content.len() / 2),
                Compression::fast(),
            );
            encoder.write_all(&stream.content).map_err(fail)?;
            let packed = encoder.finish().map_err(fail)?;
            if packed.len() + 19 < stream.content.len() {
                stream.dict.set("Filter", "FlateDecode");
                stream.set_content(packed);
            }
        }
    }
    Ok(())
}

/// Write the document as PDF bytes.
pub fn write(doc: &Document) -> Result<Vec<u8>, ReportError> {
    let regular = FontKind::Regular.metrics()?;
    let bold = FontKind::Bold.metrics()?;

    // The characters each face prints, after the same clean-up the op writer applies.
    let mut used: BTreeMap<FontKind, BTreeSet<char>> = BTreeMap::new();
    for (_, shape) in doc.shapes() {
        shape.walk(&mut |s| {
            if let (Some(kind), Shape::Text { text, .. }) = (font_of(s), s) {
                let metrics = if kind == FontKind::Bold {
                    bold
                } else {
                    regular
                };
                used.entry(kind)
                    .or_default()
                    .extend(metrics.clean(text).chars());
            }
        });
    }
    // Both faces are always registered (an unused one costs a few hundred bytes).
    for kind in [FontKind::Regular, FontKind::Bold] {
        used.entry(kind).or_default().insert(' ');
    }

    let mut pdf = PdfDocument::new(&doc.info.title);
    let mut ids = BTreeMap::new();
    for (kind, chars) in &used {
        let font = fonts::subset(*kind, chars)?;
        ids.insert(*kind, pdf.add_font(&font));
    }
    let (Some(regular_id), Some(bold_id)) = (ids.get(&FontKind::Regular), ids.get(&FontKind::Bold))
    else {
        return Err(ReportError::Pdf("fonts were not registered".into()));
    };
    let fonts = PdfFonts {
        regular: (regular_id, regular),
        bold: (bold_id, bold),
    };

    let (w, h) = doc.setup.paper.size_pt();
    let pages = doc
        .pages
        .iter()
        .map(|page| {
            let mut writer = OpWriter::new(h, fonts);
            for s in page.body.iter().chain(&page.furniture) {
                writer.shape(s);
            }
            let ops = writer.finish();
            let size = Rect::from_wh(Pt(w as f32), Pt(h as f32));
            PdfPage {
                media_box: size.clone(),
                trim_box: size.clone(),
                crop_box: size,
                ops,
            }
        })
        .collect();
    pdf.with_pages(pages);

    let info = &mut pdf.metadata.info;
    let date = pdf_date(doc.info.created);
    info.document_title = doc.info.title.clone();
    info.author = doc.info.author.clone();
    info.subject = doc.info.subject.clone();
    info.creator = "Kintsugi".into();
    info.producer = "Kintsugi reports (printpdf)".into();
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;

    let opts = PdfSaveOptions {
        // Streams are compressed below, at zlib's fastest level rather than printpdf's "best".
        optimize: false,
        // Already subset above; printpdf would embed the whole font again otherwise.
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&opts, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(ReportError::Pdf(w.msg.clone()));
    }
    let names: Vec<(Vec<u8>, Vec<u8>)> = ids
        .iter()
        .map(|(kind, id)| {
            let tag = subset_tag(used.get(kind));
            let face = match kind {
                FontKind::Regular => "DejaVuSans",
                FontKind::Bold => "DejaVuSans-Bold",
            };
            (
                id.0.clone().into_bytes(),
                format!("{tag}+{face}").into_bytes(),
            )
        })
        .collect();
    tidy(&mut lo, &names);
    compress_streams(&mut lo)?;
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| ReportError::Pdf(e.to_string()))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(ReportError::Pdf("printpdf wrote no PDF".into()));
    }
    Ok(bytes)
}
