//! Parsing request input into domain values ("parse, don't validate"): each value that is checked
//! in more than one place has a type with one `parse`, and [`Errors`] gathers every field's problem
//! of a request before answering one 422.

use serde::{Deserialize, Deserializer};

use crate::error::{AppError, AppResult, FieldError};

/// The invalid fields of one request, gathered so that a 422 names them all.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed value, or `None` with the field's message kept.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(m) => {
                self.0.push(FieldError::new(field, m));
                None
            }
        }
    }

    /// [`Errors::check`] for an optional input: `Ok(None)` when absent.
    pub fn check_opt<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, String>,
    ) -> Option<T> {
        input.and_then(|i| self.check(field, parse(i)))
    }

    /// Keeps a message for `field` when `ok` is false.
    pub fn ensure(&mut self, field: &str, ok: bool, message: &str) {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok` when no field was invalid, the 422 otherwise.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// A title (of a thread, a challenge, a milestone…): one line of 5 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(value: &str) -> Result<Self, String> {
        one_line(value, 5, 200).map(Title)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An email address, trimmed and lower-cased, at most 254 characters, that mail can be sent to: the
/// one type accounts store and the outbox writes to (a quoted local part such as `"a b"@example.org`
/// is a valid address that no mailbox header takes, and is refused here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, String> {
        let e = value.trim().to_lowercase();
        if e.len() > 254
            || e.parse::<lettre::Address>().is_err()
            || e.parse::<lettre::message::Mailbox>().is_err()
        {
            return Err("Not a valid email address.".into());
        }
        Ok(Self(e))
    }

    /// An address read back from where it was stored after [`Email::parse`].
    pub fn stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A slug: lower-case letters and digits joined by single `-`, 2 to `max` bytes
/// (`^[a-z0-9]+(-[a-z0-9]+)*$`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str, max: usize) -> Result<Self, String> {
        let ok = (2..=max).contains(&value.len())
            && value.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Slug(value.to_string()))
        } else {
            Err(format!(
                "2 to {max} lower-case letters and digits, joined by single `-`."
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`), with
/// `#[serde(default, deserialize_with = "crate::input::present")]`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

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

/// A required integer that also accepts an integral JSON number written as a float (see
/// [`opt_int`]).
pub fn int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    opt_int(d)?.ok_or_else(|| serde::de::Error::custom("expected an integer, got null"))
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

/// Characters that show nothing: format controls (zero-width space, joiners, bidirectional embeddings
/// and overrides, the soft hyphen, the byte-order mark), tag characters and the "filler" letters.
/// A name holding one can pass for another (`mod\u{200b}1`, `\u{202e}1dom`).
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890 | 0x0891 | 0x08E2
        | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0x2800 | 0x3164 | 0xFEFF
        | 0xFFA0 | 0xFFF0..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0000..=0xE007F)
}

/// A one-line name (display name, organisation name, title): `min..=max` characters, at least one
/// that is not white space, no control characters (no newlines) and no invisible ones. Returned
/// trimmed and in Unicode's composed form (NFC), so that one name is one string. The API schema
/// says part of it with `pattern = "^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"`.
pub fn one_line(value: &str, min: usize, max: usize) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let value: String = value.nfc().collect();
    let len = value.chars().count();
    if len < min || len > max {
        return Err(format!("{min} to {max} characters."));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err("One line, without control characters.".into());
    }
    if value.chars().any(invisible) {
        return Err("Visible characters only (no zero-width or direction controls).".into());
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("Write at least one visible character.".into());
    }
    Ok(trimmed.to_string())
}

/// Free text (a reason, a note): at most `max` characters, newlines allowed, no NUL (PostgreSQL text
/// cannot hold it). Returned trimmed; empty when only white space was given.
pub fn free_text(value: &str, max: usize) -> Result<String, String> {
    if value.chars().count() > max {
        return Err(format!("At most {max} characters."));
    }
    if value.contains('\0') {
        return Err("No NUL characters.".into());
    }
    Ok(value.trim().to_string())
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
                    .all(|b| (b'!'..=b'~').contains(&b) && !matches!(b, b'[' | b'\\' | b']'))
                // An RFC 3986 URI, as the OpenAPI document's `format: uri` says (`<`, a stray
                // `%`, a port that is not a number are not).
                && fluent_uri::Uri::parse(value).is_ok() =>
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
    fn titles_and_slugs() {
        assert_eq!(
            Title::parse("  Forêts  domaniales ").unwrap().as_str(),
            "Forêts  domaniales"
        );
        assert!(Title::parse("abc").is_err());
        assert!(Slug::parse("mer-et-littoral", 50).is_ok());
        for bad in ["a", "Mer", "mer--x", "-mer", "mer-", "mér", "a b"] {
            assert!(Slug::parse(bad, 50).is_err(), "{bad}");
        }
        assert!(Slug::parse("abcdef", 5).is_err());
    }

    #[test]
    fn errors_gather_every_field() {
        let mut e = Errors::new();
        assert_eq!(
            e.check("title", Title::parse("Un titre"))
                .map(Title::into_inner)
                .as_deref(),
            Some("Un titre")
        );
        assert!(e.check("slug", Slug::parse("X", 10)).is_none());
        e.ensure("body", false, "Write something.");
        match e.finish() {
            Err(AppError::Validation(f)) => {
                assert_eq!(
                    f.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                    ["slug", "body"]
                )
            }
            _ => panic!("expected a validation error"),
        }
    }

    #[test]
    fn names_hold_no_invisible_character_and_are_composed() {
        for bad in [
            "mod\u{200b}1",
            "\u{202e}1dom",
            "a\u{2060}b",
            "\u{feff}nom",
            "x\u{ad}y",
            "\u{3164}",
        ] {
            assert!(one_line(bad, 1, 80).is_err(), "{bad:?}");
        }
        // "é" written as e + combining acute is stored composed.
        assert_eq!(one_line("Ze\u{301}lie", 1, 80).unwrap(), "Z\u{e9}lie");
        assert!(
            one_line("Zoé ❤️", 1, 80).is_ok(),
            "emoji with a variation selector"
        );
    }

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
        assert!(web_address("https://QbV-d<h").is_err());
        assert!(web_address("https://brest.fr/%zz").is_err());
        assert!(web_address("https://brest.fr:port").is_err());
        assert!(web_address("https://brest.fr/a?b=c#d").is_ok());
    }
}
