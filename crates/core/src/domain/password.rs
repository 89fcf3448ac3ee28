use super::Invalid;

/// A new password as typed: 8 to 128 characters, no composition rules, never truncated.
/// Its `Debug` never prints it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if n < Self::MIN {
            return Err(Invalid::new(format!(
                "must be at least {} characters",
                Self::MIN
            )));
        }
        if n > Self::MAX {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_without_truncation() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"a".repeat(64)).is_ok());
        assert!(Password::parse(&"a".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse").ok()),
            "Some(Password(…))"
        );
    }
}
