//! The embedded fonts (DejaVu Sans and DejaVu Sans Bold, see `fonts/LICENSE`), their metrics
//! for measuring text, the clean-up that makes any string printable with them, and subsetting
//! (only the glyphs a document uses are embedded).
//!
//! PDF's built-in fonts only know WinAnsi ("Łódź" would print as "?ód?"), so the documents
//! embed DejaVu, which covers Latin, Greek, Cyrillic and much more. Characters it lacks (CJK,
//! for one) print as U+FFFD "�" instead of vanishing or failing.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use crate::ReportError;

static REGULAR_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// Printed instead of a character the font has no glyph for.
pub const REPLACEMENT: char = '\u{FFFD}';

/// The two faces a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontKind {
    Regular,
    Bold,
}

impl FontKind {
    pub fn name(self) -> &'static str {
        match self {
            FontKind::Regular => "DejaVu Sans",
            FontKind::Bold => "DejaVu Sans Bold",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            FontKind::Regular => REGULAR_TTF,
            FontKind::Bold => BOLD_TTF,
        }
    }

    /// The face's metrics, read once per process.
    pub fn metrics(self) -> Result<&'static FontMetrics, ReportError> {
        let parsed = match self {
            FontKind::Regular => &*REGULAR,
            FontKind::Bold => &*BOLD,
        };
        parsed.as_ref().map_err(|reason| ReportError::Font {
            font: self.name(),
            reason: reason.clone(),
        })
    }
}

static REGULAR: LazyLock<Result<FontMetrics, String>> =
    LazyLock::new(|| FontMetrics::read(FontKind::Regular));
static BOLD: LazyLock<Result<FontMetrics, String>> =
    LazyLock::new(|| FontMetrics::read(FontKind::Bold));

/// What layout needs to know about a face: which characters it has and how wide they are.
#[derive(Debug)]
pub struct FontMetrics {
    kind: FontKind,
    /// Glyph id per Basic Multilingual Plane code point (0: no glyph).
    bmp: Vec<u16>,
    /// Glyph ids of code points beyond the BMP.
    astral: HashMap<u32, u16>,
    /// Advance width per glyph id, in font units.
    advances: Vec<u16>,
    units_per_em: f64,
    /// Ascender and descender (negative), in em.
    pub ascent: f64,
    pub descent: f64,
}

impl FontMetrics {
    fn read(kind: FontKind) -> Result<Self, String> {
        let mut warnings = Vec::new();
        let font = printpdf::ParsedFont::from_bytes(kind.bytes(), 0, &mut warnings)
            .ok_or_else(|| format!("unreadable font data ({warnings:?})"))?;
        if font.units_per_em == 0 || font.codepoint_to_glyph.is_empty() {
            return Err("the font has no character map".into());
        }
        let mut bmp = vec![0u16; 0x1_0000];
        let mut astral = HashMap::new();
        for (&cp, &gid) in &font.codepoint_to_glyph {
            match bmp.get_mut(cp as usize) {
                Some(slot) => *slot = gid,
                None => {
                    astral.insert(cp, gid);
                }
            }
        }
        let glyphs = font
            .glyph_widths
            .keys()
            .next_back()
            .map_or(0, |g| usize::from(*g) + 1);
        let mut advances = vec![0u16; glyphs];
        for (&gid, &w) in &font.glyph_widths {
            advances[usize::from(gid)] = w;
        }
        let upm = f64::from(font.units_per_em);
        let metrics = FontMetrics {
            kind,
            bmp,
            astral,
            advances,
            units_per_em: upm,
            ascent: f64::from(font.font_metrics.ascent) / upm,
            descent: f64::from(font.font_metrics.descent) / upm,
        };
        if metrics.glyph(REPLACEMENT).is_none() || metrics.glyph(' ').is_none() {
            return Err("the font lacks the space or the replacement character".into());
        }
        Ok(metrics)
    }

    pub fn kind(&self) -> FontKind {
        self.kind
    }

    /// The glyph for a character, if the face has one.
    pub fn glyph(&self, c: char) -> Option<u16> {
        let gid = match self.bmp.get(c as usize) {
            Some(g) => *g,
            None => self.astral.get(&(c as u32)).copied().unwrap_or(0),
        };
        (gid != 0).then_some(gid)
    }

    pub fn has(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// Advance width of one character in em (characters without a glyph measure as the
    /// replacement character they will be printed as).
    pub fn advance(&self, c: char) -> f64 {
        let gid = self
            .glyph(c)
            .or_else(|| self.glyph(REPLACEMENT))
            .unwrap_or(0);
        f64::from(self.advances.get(usize::from(gid)).copied().unwrap_or(0)) / self.units_per_em
    }

    /// Width of `text` at `size` points, as printed (no kerning: printpdf writes none either).
    pub fn width(&self, text: &str, size: f64) -> f64 {
        text.chars().map(|c| self.advance(c)).sum::<f64>() * size
    }

    /// `text` made printable with this face: Unicode NFC (so a decomposed "e" + U+0308 prints
    /// as one "ë"), tabs as spaces, control and invisible formatting characters removed
    /// (line feeds kept), and characters without a glyph replaced by U+FFFD.
    pub fn clean(&self, text: &str) -> String {
        // Most text is already printable: skip the rebuild (this runs for every line).
        let printable = |c: char| {
            c == '\n' || c == ' ' || (!c.is_control() && !c.is_whitespace() && self.has(c))
        };
        if text
            .chars()
            .all(|c| printable(c) && !is_invisible_format(c))
            && unicode_normalization::is_nfc_quick(text.chars())
                == unicode_normalization::IsNormalized::Yes
        {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.nfc() {
            match c {
                '\n' => out.push('\n'),
                '\t' => out.push(' '),
                '\r' => {}
                c if c.is_control() || is_invisible_format(c) => {}
                c if c.is_whitespace() => out.push(' '),
                c if self.has(c) => out.push(c),
                _ => out.push(REPLACEMENT),
            }
        }
        out
    }
}

/// Zero-width and bidirectional formatting characters: invisible when printed without a
/// shaping engine, and able to reorder text on screen (bidi overrides) when copied.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A face cut down to the characters in `chars`, ready for `PdfDocument::add_font`.
///
/// printpdf subsets fonts itself only with its `text_layout` feature (a layout engine and
/// about 25 more crates); allsorts, which printpdf already depends on, does the same job here.
/// The subset keeps a Unicode cmap, so printpdf maps text to glyphs and writes the
/// `/ToUnicode` map that lets readers copy and search the text.
pub fn subset(kind: FontKind, chars: &BTreeSet<char>) -> Result<printpdf::ParsedFont, ReportError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let fail = |reason: String| ReportError::Font {
        font: kind.name(),
        reason,
    };
    let metrics = kind.metrics()?;
    let mut glyphs: Vec<u16> = vec![0];
    let mut seen = BTreeSet::new();
    for &c in chars {
        if let Some(g) = metrics.glyph(c)
            && seen.insert(g)
        {
            glyphs.push(g);
        }
    }
    let data = ReadScope::new(kind.bytes())
        .read::<FontData<'_>>()
        .map_err(|e| fail(e.to_string()))?;
    let provider = data.table_provider(0).map_err(|e| fail(e.to_string()))?;
    let bytes =
        allsorts::subset::subset(&provider, &glyphs, &SubsetProfile::Pdf, CmapTarget::Unicode)
            .map_err(|e| fail(format!("subsetting failed: {e:?}")))?;
    let mut warnings = Vec::new();
    printpdf::ParsedFont::from_bytes(&bytes, 0, &mut warnings)
        .ok_or_else(|| fail(format!("the subset could not be read back ({warnings:?})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_and_cleans_text() {
        let f = FontKind::Regular.metrics().expect("font");
        assert!(f.width("Wide", 10.0) > f.width("ill", 10.0));
        assert!((f.width("", 10.0)).abs() < f64::EPSILON);
        for name in ["Zoë Ñúñez-Łukasiewicz", "Renée O’Brien", "Łódź"] {
            assert_eq!(f.clean(name), name, "{name} prints as written");
        }
        assert_eq!(f.clean("Zoe\u{308}"), "Zoë", "NFC");
        assert_eq!(f.clean("a\tb\u{0}c\u{7}\r\nd\u{202E}e"), "a bc\nde");
        assert_eq!(
            f.clean("李"),
            "\u{FFFD}",
            "no CJK in DejaVu: a visible stand-in"
        );
        assert_eq!(f.clean("\u{10FFFD}"), "\u{FFFD}", "beyond the BMP too");
        let bold = FontKind::Bold.metrics().expect("bold");
        assert!(bold.width("Heading", 10.0) > f.width("Heading", 10.0));
    }

    #[test]
    fn subsets_keep_a_unicode_cmap() {
        let chars: BTreeSet<char> = "Łódź Zoë".chars().collect();
        let sub = subset(FontKind::Regular, &chars).expect("subset");
        assert!(
            sub.original_bytes.len() < 40_000,
            "{}",
            sub.original_bytes.len()
        );
        for c in chars {
            assert!(sub.lookup_glyph_index(c as u32).is_some(), "{c}");
        }
    }
}
