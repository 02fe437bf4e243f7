//! Values of accounts, parsed once from request input: usernames, display names, email addresses,
//! organisation names. Each `parse` is the one place its rule is written.

use crate::input::one_line;

/// The prefix of erased accounts' placeholder names, reserved: no one registers a name that starts
/// with it, so that an erasure never collides with a taken name.
pub const ERASED_PREFIX: &str = "anonyme-";

/// `^[A-Za-z0-9_-]{3,30}$`, not starting with [`ERASED_PREFIX`]; uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Self, String> {
        let ok_chars = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(3..=30).contains(&value.len()) || !ok_chars {
            return Err("3 to 30 characters: letters a-z, digits, `_` and `-`.".into());
        }
        if value.to_ascii_lowercase().starts_with(ERASED_PREFIX) {
            return Err(format!(
                "Names starting with `{ERASED_PREFIX}` are reserved."
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A member's display name: one line of 1 to 80 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(value: &str) -> Result<Self, String> {
        one_line(value, 1, 80).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An organisation's name: one line of 2 to 120 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationName(String);

impl OrganisationName {
    pub fn parse(value: &str) -> Result<Self, String> {
        one_line(value, 2, 120).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

pub use crate::input::Email;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("camille_22").is_ok());
        for bad in [
            "ab",
            "élodie",
            "a b",
            &"x".repeat(31),
            "anonyme-0123456789ab",
            "Anonyme-x",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Jean.Dupont@Example.ORG ").unwrap().as_str(),
            "jean.dupont@example.org"
        );
        assert!(Email::parse("nope").is_err());
    }

    #[test]
    fn names_are_one_line() {
        assert!(DisplayName::parse("Zoé").is_ok());
        assert!(DisplayName::parse("a\nb").is_err());
        assert!(OrganisationName::parse("X").is_err());
        assert!(OrganisationName::parse("Ville de Brest").is_ok());
    }
}
