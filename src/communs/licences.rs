//! The licences a resource may be published under: the list kept in `licences.txt` (SPDX
//! identifiers, with `etalab-2.0` and `ODbL-1.0`), matched without regard to case and answered in
//! its canonical spelling.

const LIST: &str = include_str!("licences.txt");

/// Every accepted licence, canonical spelling.
pub fn all() -> impl Iterator<Item = &'static str> {
    LIST.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The canonical spelling of `input`, if the list has it.
pub fn parse(input: &str) -> Result<&'static str, String> {
    let wanted = input.trim();
    all()
        .find(|l| l.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            "Not a licence of the list (an SPDX identifier such as `CC-BY-4.0`, `MIT`, or \
             `etalab-2.0`, `ODbL-1.0`; GET /licences lists them)."
                .into()
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn canonical_and_case_insensitive() {
        assert_eq!(super::parse("odbl-1.0"), Ok("ODbL-1.0"));
        assert_eq!(super::parse("Etalab-2.0"), Ok("etalab-2.0"));
        assert_eq!(super::parse(" MIT "), Ok("MIT"));
        assert!(super::parse("proprietary").is_err());
        assert!(super::all().count() > 40);
    }
}
