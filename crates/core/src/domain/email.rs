use super::Invalid;

/// An email address as people type it, checked for a plausible shape. The comparison key
/// ([`EmailAddress::normalized`]) is lower case, so addresses are unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "EmailAddress::parse",
    to_str = "EmailAddress::as_str"
)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321 caps a path at 254 characters.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let invalid = || Invalid::new("must be an email address such as name@example.org");
        if value.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["sam@example.org", "Zoë.N+homework@exämple.co.uk", "a@b.io"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "sam",
            "sam@",
            "@example.org",
            "sam@example",
            "sam@@example.org",
            "sam@exa mple.org",
            "<script>@x.org",
            "sam..x@example.org",
            "sam@-example.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.org", "a".repeat(300))).is_err());
    }

    #[test]
    fn normalizes_case_only_for_comparison() {
        let e = EmailAddress::parse(" Sam@Example.org ").expect("valid");
        assert_eq!(e.as_str(), "Sam@Example.org");
        assert_eq!(e.normalized(), "sam@example.org");
    }
}
