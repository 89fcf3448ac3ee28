//! Session notes as the counselor writes them: the format (DAP or SOAP), its sections, and
//! the SHA-256 content hash that a signature records. Pure: no database here (the enums only
//! say how they are stored).

use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{CoreError, FieldErrors};

/// Longest section, in characters: room for a very long note (a 20-page PDF) and no more.
pub const MAX_SECTION: usize = 40_000;
/// Longest addendum, in characters.
pub const MAX_ADDENDUM: usize = 20_000;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "UPPERCASE")]
pub enum NoteFormat {
    /// Data, assessment, plan.
    #[sea_orm(string_value = "DAP")]
    Dap,
    /// Subjective, objective, assessment, plan.
    #[sea_orm(string_value = "SOAP")]
    Soap,
}

/// A note's state, as stored in `note.status`: a draft may be saved again, a signed note is
/// locked (only addenda follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "signed")]
    Signed,
}

impl NoteStatus {
    /// `draft` or `signed`, as stored and as the API spells it.
    pub fn key(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Signed => "signed",
        }
    }
}

impl NoteFormat {
    pub const ALL: [NoteFormat; 2] = [NoteFormat::Dap, NoteFormat::Soap];

    /// `DAP` or `SOAP`, as stored and as the API spells it.
    pub fn key(self) -> &'static str {
        match self {
            NoteFormat::Dap => "DAP",
            NoteFormat::Soap => "SOAP",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key.trim().to_ascii_uppercase().as_str() {
            "DAP" => Some(NoteFormat::Dap),
            "SOAP" => Some(NoteFormat::Soap),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            NoteFormat::Dap => "DAP: data, assessment, plan",
            NoteFormat::Soap => "SOAP: subjective, objective, assessment, plan",
        }
    }

    /// The sections of this format in order: (field key, heading).
    pub fn sections(self) -> &'static [(&'static str, &'static str)] {
        match self {
            NoteFormat::Dap => &[
                ("data", "Data"),
                ("assessment", "Assessment"),
                ("plan", "Plan"),
            ],
            NoteFormat::Soap => &[
                ("subjective", "Subjective"),
                ("objective", "Objective"),
                ("assessment", "Assessment"),
                ("plan", "Plan"),
            ],
        }
    }
}

/// A note's words: the format and one text per section of that format, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteContent {
    format: NoteFormat,
    texts: Vec<String>,
}

/// How the body is stored: the format and the sections by key.
#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    sections: Vec<(String, String)>,
}

fn check_text(raw: &str, max: usize) -> Result<String, String> {
    // Keep the counselor's layout; only trailing space at the ends goes.
    let text = raw.trim_end().trim_start_matches(['\n', '\r']);
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    let allowed = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
    if !text.chars().all(allowed) {
        return Err("must not contain control characters".into());
    }
    Ok(text.replace("\r\n", "\n"))
}

impl NoteContent {
    /// An empty note of this format.
    pub fn empty(format: NoteFormat) -> Self {
        Self {
            format,
            texts: vec![String::new(); format.sections().len()],
        }
    }

    /// Parse a format key and a lookup of section texts (missing sections are empty).
    /// Sections of the other format are refused, so nothing typed is silently dropped.
    pub fn parse<'a>(
        format: &str,
        fields: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, CoreError> {
        let Some(format) = NoteFormat::from_key(format) else {
            return Err(CoreError::invalid("format", "choose DAP or SOAP"));
        };
        let mut errors = FieldErrors::new();
        for other in NoteFormat::ALL.into_iter().filter(|f| *f != format) {
            for (key, _) in other.sections() {
                let belongs = format.sections().iter().any(|(k, _)| k == key);
                if !belongs && fields(key).is_some_and(|t| !t.trim().is_empty()) {
                    errors.add(*key, format!("is not a section of a {} note", format.key()));
                }
            }
        }
        let mut texts = Vec::new();
        for (key, _) in format.sections() {
            match check_text(fields(key).unwrap_or_default(), MAX_SECTION) {
                Ok(t) => texts.push(t),
                Err(msg) => errors.add(*key, msg),
            }
        }
        errors.into_result(|| Some(Self { format, texts }))
    }

    pub fn format(&self) -> NoteFormat {
        self.format
    }

    /// (key, heading, text) for every section, in order.
    pub fn sections(&self) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
        self.format
            .sections()
            .iter()
            .zip(&self.texts)
            .map(|((k, h), t)| (*k, *h, t.as_str()))
    }

    pub fn text(&self, key: &str) -> &str {
        self.sections()
            .find(|(k, _, _)| *k == key)
            .map_or("", |(_, _, t)| t)
    }

    pub fn is_blank(&self) -> bool {
        self.texts.iter().all(|t| t.trim().is_empty())
    }

    /// The stored form (JSON).
    pub fn to_body(&self) -> String {
        let stored = Stored {
            format: self.format.key().to_owned(),
            sections: self
                .sections()
                .map(|(k, _, t)| (k.to_owned(), t.to_owned()))
                .collect(),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    pub fn from_body(body: &str) -> Result<Self, CoreError> {
        let stored: Stored = serde_json::from_str(body)
            .map_err(|e| CoreError::Internal(format!("unreadable note body: {e}")))?;
        let format = NoteFormat::from_key(&stored.format)
            .ok_or_else(|| CoreError::Internal("unknown note format".into()))?;
        let texts = format
            .sections()
            .iter()
            .map(|(key, _)| {
                stored
                    .sections
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default()
            })
            .collect();
        Ok(Self { format, texts })
    }

    /// The SHA-256 (hex) that a signature records: the session, the format and every section,
    /// each length-prefixed so that no two different notes hash alike.
    pub fn content_hash(&self, session_id: Uuid) -> String {
        let mut h = Sha256::new();
        h.update(b"kintsugi-note-v1\n");
        h.update(session_id.as_bytes());
        h.update(self.format.key().as_bytes());
        for (key, _, text) in self.sections() {
            for part in [key, text] {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part.as_bytes());
            }
        }
        hex(&h.finalize())
    }
}

/// An addendum's text: trimmed, not empty, at most [`MAX_ADDENDUM`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddendumText(String);

impl AddendumText {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let text = check_text(raw, MAX_ADDENDUM).map_err(|m| CoreError::invalid("text", m))?;
        if text.trim().is_empty() {
            return Err(CoreError::invalid("text", "must not be empty"));
        }
        Ok(Self(text.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 (hex) of the addendum, bound to its note and time.
    pub fn content_hash(&self, note_id: Uuid, written_at: chrono::DateTime<chrono::Utc>) -> String {
        let mut h = Sha256::new();
        h.update(b"kintsugi-addendum-v1\n");
        h.update(note_id.as_bytes());
        h.update(written_at.to_rfc3339().as_bytes());
        h.update(b"\n");
        h.update(self.0.as_bytes());
        hex(&h.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The enums store, and the API shows, the strings the columns always held.
    #[test]
    fn format_and_status_keep_their_stored_strings() {
        use sea_orm::{ActiveEnum, Iterable};
        for f in NoteFormat::iter() {
            assert_eq!(f.to_value(), f.key());
            assert_eq!(serde_json::to_value(f).expect("json"), f.key());
            assert_eq!(NoteFormat::from_key(f.key()), Some(f));
        }
        assert_eq!(
            NoteFormat::iter().map(NoteFormat::key).collect::<Vec<_>>(),
            ["DAP", "SOAP"]
        );
        for s in NoteStatus::iter() {
            assert_eq!(s.to_value(), s.key());
            assert_eq!(serde_json::to_value(s).expect("json"), s.key());
        }
        assert_eq!(
            NoteStatus::iter().map(NoteStatus::key).collect::<Vec<_>>(),
            ["draft", "signed"]
        );
    }

    fn parse(format: &str, pairs: &[(&str, &str)]) -> Result<NoteContent, CoreError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        NoteContent::parse(format, |k| map.get(k).copied())
    }

    #[test]
    fn dap_and_soap_have_their_sections_in_order() {
        let n = parse("dap", &[("data", "Came on time."), ("plan", "Letters.")]).expect("ok");
        let keys: Vec<_> = n.sections().map(|(k, _, _)| k).collect();
        assert_eq!(keys, ["data", "assessment", "plan"]);
        assert_eq!(n.text("plan"), "Letters.");
        let s = parse("SOAP", &[("subjective", "Tired.")]).expect("ok");
        assert_eq!(s.sections().count(), 4);
    }

    #[test]
    fn sections_of_the_other_format_are_refused_not_dropped() {
        let Err(CoreError::Invalid(e)) = parse("DAP", &[("subjective", "words")]) else {
            panic!("expected refusal");
        };
        assert!(e.get("subjective").is_some());
        assert!(matches!(parse("BIRP", &[]), Err(CoreError::Invalid(_))));
    }

    #[test]
    fn body_round_trips_and_keeps_line_breaks() {
        let n = parse(
            "DAP",
            &[("data", "One.\r\n\r\nTwo.  \n"), ("assessment", "🙂 مرحبا")],
        )
        .expect("ok");
        assert_eq!(n.text("data"), "One.\n\nTwo.");
        assert_eq!(NoteContent::from_body(&n.to_body()).expect("body"), n);
    }

    #[test]
    fn hash_changes_with_any_word_and_with_the_session() {
        let a = parse("DAP", &[("data", "ab"), ("plan", "c")]).expect("ok");
        let b = parse("DAP", &[("data", "a"), ("plan", "bc")]).expect("ok");
        let s = Uuid::nil();
        assert_ne!(a.content_hash(s), b.content_hash(s));
        assert_ne!(a.content_hash(s), a.content_hash(Uuid::from_u128(1)));
        assert_eq!(a.content_hash(s), a.clone().content_hash(s));
        assert_eq!(a.content_hash(s).len(), 64);
    }

    #[test]
    fn limits_and_control_characters() {
        let long = "x".repeat(MAX_SECTION + 1);
        assert!(parse("DAP", &[("data", &long)]).is_err());
        assert!(parse("DAP", &[("data", "bell\u{7}")]).is_err());
        assert!(parse("DAP", &[]).expect("empty draft is fine").is_blank());
        assert!(AddendumText::parse("   ").is_err());
        assert!(AddendumText::parse("Called on Tuesday.").is_ok());
    }
}
