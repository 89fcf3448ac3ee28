use super::Invalid;

/// A new password as typed: 8 to 128 characters, no composition rules, never truncated, and
/// not easy to guess (the zxcvbn estimator, which knows common passwords, names, words,
/// keyboard walks, dates and repeats, must rate it at least 3 of 4: about 10^8 guesses).
/// Its `Debug` never prints it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;
    /// The lowest zxcvbn score accepted (0 to 4).
    const MIN_STRENGTH: u8 = 3;

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
        if u8::from(zxcvbn::zxcvbn(raw, &[]).score()) < Self::MIN_STRENGTH {
            return Err(Invalid::new(
                "is too easy to guess; a few unrelated words together make a strong one",
            ));
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
        let long = "tide-lantern-orchard-".repeat(3) + "0123456789012345678901";
        assert_eq!(long.chars().count(), 85);
        assert_eq!(
            Password::parse(&long).map(|p| p.expose().len()).ok(),
            Some(85)
        );
        assert!(Password::parse(&"tide-lantern-orchard".repeat(7)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse").ok()),
            "Some(Password(…))"
        );
    }

    #[test]
    fn weak_and_common_passwords_are_refused() {
        for weak in [
            "password1",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "12345678",
            "iloveyou2024",
        ] {
            assert!(Password::parse(weak).is_err(), "{weak}");
        }
        for strong in [
            "a calm and long passphrase",
            "kintsugi-demo-2026",
            "Grey owl, seven lanterns",
        ] {
            assert!(Password::parse(strong).is_ok(), "{strong}");
        }
    }
}
