//! Word wrapping with the font's glyph advances: greedy, left-aligned, breaking at spaces and
//! after hyphens and slashes, and inside a word only when the word alone is wider than the line
//! (a 10,000-character string without spaces becomes many full lines, never an overflow).

use super::fonts::FontMetrics;

/// Lines of `text` (already cleaned for `font`) that fit in `width` points at `size` points.
/// Line feeds start new lines; an empty line stays an empty line. Runs of spaces collapse to
/// one, and spaces at line ends are dropped.
pub fn wrap(font: &FontMetrics, text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        wrap_paragraph(font, para, size, width.max(size), &mut lines);
    }
    lines
}

fn wrap_paragraph(font: &FontMetrics, para: &str, size: f64, width: f64, out: &mut Vec<String>) {
    let space = font.advance(' ') * size;
    let mut line = String::new();
    let mut line_w = 0.0;
    let start = out.len();
    for (seg, spaced) in segments(para) {
        let seg_w = font.width(seg, size);
        let gap = if spaced && !line.is_empty() {
            space
        } else {
            0.0
        };
        if line_w + gap + seg_w <= width {
            if gap > 0.0 {
                line.push(' ');
            }
            line.push_str(seg);
            line_w += gap + seg_w;
            continue;
        }
        if !line.is_empty() && seg_w <= width {
            out.push(std::mem::take(&mut line));
            line.push_str(seg);
            line_w = seg_w;
            continue;
        }
        // Wider than a whole line: fill the current line, then break inside the segment.
        if gap > 0.0 && line_w + gap + font.advance(' ') * size < width {
            line.push(' ');
            line_w += gap;
        }
        for c in seg.chars() {
            let w = font.advance(c) * size;
            if line_w + w > width && !line.is_empty() {
                out.push(std::mem::take(&mut line).trim_end().to_string());
                line_w = 0.0;
            }
            line.push(c);
            line_w += w;
        }
    }
    let trimmed = line.trim_end();
    if !trimmed.is_empty() || out.len() == start {
        out.push(trimmed.to_string());
    }
}

/// Break opportunities: `(segment, preceded by a space)`. Segments end at spaces and after a
/// hyphen, en or em dash or slash.
fn segments(para: &str) -> Vec<(&str, bool)> {
    let mut segs = Vec::new();
    let mut spaced = false;
    for word in para.split(' ') {
        if word.is_empty() {
            spaced = true;
            continue;
        }
        let mut rest = word;
        let mut first = true;
        while !rest.is_empty() {
            let cut = rest
                .char_indices()
                .find(|&(i, c)| matches!(c, '-' | '/' | '–' | '—') && i > 0)
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(rest.len());
            let (seg, tail) = rest.split_at(cut);
            segs.push((seg, first && spaced));
            first = false;
            rest = tail;
        }
        spaced = true;
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::fonts::FontKind;

    fn font() -> &'static FontMetrics {
        FontKind::Regular.metrics().expect("font")
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let f = font();
        let text =
            "The couple agreed to a weekly check-in on Sunday evenings, with the phone away.";
        let lines = wrap(f, text, 10.0, 150.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(f.width(l, 10.0) <= 150.0, "{l}");
            assert!(!l.starts_with(' ') && !l.ends_with(' '));
        }
        assert_eq!(lines.join(" ").replace("check- in", "check-in"), text);
    }

    #[test]
    fn breaks_very_long_words_and_keeps_every_character() {
        let f = font();
        let word = "x".repeat(10_000);
        let lines = wrap(f, &format!("Start {word} end"), 10.0, 200.0);
        assert!(lines.len() > 100);
        for l in &lines {
            assert!(f.width(l, 10.0) <= 200.0 + 1e-9);
        }
        let joined: String = lines.concat();
        assert_eq!(joined.matches('x').count(), 10_000);
        assert!(joined.starts_with("Start x"));
    }

    #[test]
    fn keeps_blank_lines_and_breaks_after_hyphens() {
        let f = font();
        assert_eq!(wrap(f, "a\n\nb", 10.0, 100.0), vec!["a", "", "b"]);
        assert_eq!(wrap(f, "", 10.0, 100.0), vec![""]);
        let w = f
            .width("Zoë Ñúñez-", 10.0)
            .max(f.width("Łukasiewicz", 10.0))
            + 1.0;
        assert_eq!(
            wrap(f, "Zoë Ñúñez-Łukasiewicz", 10.0, w),
            vec!["Zoë Ñúñez-", "Łukasiewicz"]
        );
        assert_eq!(wrap(f, "a    b", 10.0, 100.0), vec!["a b"]);
        assert_eq!(wrap(f, "-", 10.0, 100.0), vec!["-"]);
    }
}
