//! Small helpers for parsing request input.

use serde::{Deserialize, Deserializer};

/// An optional integer that also accepts an integral JSON number written as a float (`18.0`):
/// JSON Schema counts `18.0` as an integer, so clients (and schemathesis) may send it.
pub fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let v: Option<serde_json::Number> = Option::deserialize(d)?;
    let Some(n) = v else { return Ok(None) };
    let i = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
        _ => {
            return Err(serde::de::Error::custom(format!(
                "expected an integer, got {n}"
            )));
        }
    };
    T::try_from(i)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{i} is out of range")))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::opt_int")]
        n: Option<i16>,
    }

    #[test]
    fn integral_floats_are_integers() {
        let p = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n);
        assert_eq!(p(r#"{"n": 18}"#).unwrap(), Some(18));
        assert_eq!(p(r#"{"n": 18.0}"#).unwrap(), Some(18));
        assert_eq!(p(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(p(r#"{}"#).unwrap(), None);
        assert!(p(r#"{"n": 18.5}"#).is_err());
        assert!(p(r#"{"n": 70000}"#).is_err());
    }
}

/// A one-line name (display name, organisation name): `min..=max` characters, at least one that is
/// not white space, no control characters (no newlines). Returned trimmed. The API schema says the
/// same with `pattern = "^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"`.
pub fn one_line(value: &str, min: usize, max: usize) -> Result<String, String> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(format!("{min} to {max} characters."));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err("One line, without control characters.".into());
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("Write at least one visible character.".into());
    }
    Ok(trimmed.to_string())
}

/// An http(s) address of printable ASCII without brackets or backslash (`^https?://[!-Z^-~]{4,}$`),
/// at most 300 characters.
pub fn web_address(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(r)
            if r.len() >= 4
                && value.len() <= 300
                && r.bytes()
                    .all(|b| (b'!'..=b'~').contains(&b) && !matches!(b, b'[' | b'\\' | b']')) =>
        {
            Ok(())
        }
        _ => Err("An http:// or https:// address (ASCII, no spaces).".into()),
    }
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn one_line_names() {
        assert_eq!(one_line("  Brest  ", 2, 120).unwrap(), "Brest");
        assert!(one_line("a\nb", 1, 80).is_err());
        assert!(one_line("   ", 1, 80).is_err());
        assert!(one_line("x", 2, 80).is_err());
        assert!(one_line("Forêts de Bretagne", 2, 120).is_ok());
    }

    #[test]
    fn web_addresses() {
        assert!(web_address("https://www.brest.fr").is_ok());
        assert!(web_address("http://x.io").is_ok());
        assert!(web_address("javascript:alert(1)").is_err());
        assert!(web_address("https://a b.fr").is_err());
        assert!(web_address("https://").is_err());
        assert!(web_address("http://[::1]").is_err());
    }
}
