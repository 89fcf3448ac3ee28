use super::{BoundedText, Invalid};

/// A person's name as they want it shown: any script, 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(BoundedText<120>);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ok(Self(BoundedText::parse(raw)?))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
    pub fn into_inner(self) -> String {
        self.0.into_inner()
    }
}

/// How a counselor refers to a couple on their own screens, e.g. "Alex & Sam".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoupleLabel(BoundedText<120>);

impl CoupleLabel {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ok(Self(BoundedText::parse(raw)?))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
    pub fn into_inner(self) -> String {
        self.0.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_names_round_trip() {
        for name in [
            "Zoë Ñúñez-Łukasiewicz",
            "Renée O’Brien",
            "李小龍",
            "Ærøskøbing Ångström",
        ] {
            assert_eq!(
                DisplayName::parse(name).map(DisplayName::into_inner),
                Ok(name.to_owned())
            );
        }
    }

    #[test]
    fn refuses_empty_and_oversize() {
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"x".repeat(121)).is_err());
        assert!(CoupleLabel::parse(&"x".repeat(120)).is_ok());
    }
}
