use super::Invalid;

/// Why a piece of free text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacters,
}

/// Trimmed, non-empty text of at most `MAX` characters without control characters
/// (new lines are allowed only where `MULTILINE` is true).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoundedText<const MAX: usize, const MULTILINE: bool = false>(String);

impl<const MAX: usize, const MULTILINE: bool> BoundedText<MAX, MULTILINE> {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > MAX {
            return Err(TextError::TooLong(MAX));
        }
        let allowed = |c: char| !c.is_control() || (MULTILINE && matches!(c, '\n' | '\r' | '\t'));
        if !trimmed.chars().all(allowed) {
            return Err(TextError::ControlCharacters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize, const MULTILINE: bool> AsRef<str> for BoundedText<MAX, MULTILINE> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<TextError> for Invalid {
    fn from(e: TextError) -> Self {
        Invalid(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            BoundedText::<5>::parse("  abc ").map(|t| t.into_inner()),
            Ok("abc".into())
        );
        assert_eq!(BoundedText::<5>::parse("   "), Err(TextError::Empty));
        assert_eq!(
            BoundedText::<5>::parse("abcdef"),
            Err(TextError::TooLong(5))
        );
        // Characters, not bytes: five accented letters fit in five.
        assert!(BoundedText::<5>::parse("éééëë").is_ok());
    }

    #[test]
    fn control_characters_only_where_allowed() {
        assert_eq!(
            BoundedText::<50>::parse("a\nb"),
            Err(TextError::ControlCharacters)
        );
        assert!(BoundedText::<50, true>::parse("a\nb").is_ok());
        assert_eq!(
            BoundedText::<50, true>::parse("a\u{0}b"),
            Err(TextError::ControlCharacters)
        );
    }
}
