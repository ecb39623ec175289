use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The benefit-community number (BG-Nummer): 5 digits, `BG`, 7 digits.
pub const DEFAULT_CASE_NUMBER_PATTERN: &str = r"[0-9]{5}BG[0-9]{7}";

/// A validated, normalised case number (upper case, no surrounding space).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a number read back from storage, where it was validated on the way in.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseNumber({})", self.0)
    }
}

/// The configured format of case numbers: a regular expression that must match
/// the whole (normalised) number.
#[derive(Clone, Debug)]
pub struct CaseNumberPattern {
    source: String,
    regex: Regex,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseNumberError {
    #[error("case number is empty")]
    Empty,
    #[error("case number {value:?} does not match the format {pattern}")]
    Mismatch { value: String, pattern: String },
}

impl CaseNumberPattern {
    /// Compiles `pattern`; it is anchored at both ends.
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))?;
        Ok(Self {
            source: pattern.to_owned(),
            regex,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Normalises (trim, upper case) and validates a case number.
    pub fn parse(&self, input: &str) -> Result<CaseNumber, CaseNumberError> {
        let value = input.trim().to_uppercase();
        if value.is_empty() {
            return Err(CaseNumberError::Empty);
        }
        if value.len() > 128 || !self.regex.is_match(&value) {
            return Err(CaseNumberError::Mismatch {
                value: input.chars().take(80).collect(),
                pattern: self.source.clone(),
            });
        }
        Ok(CaseNumber(value))
    }
}

impl Default for CaseNumberPattern {
    fn default() -> Self {
        Self::new(DEFAULT_CASE_NUMBER_PATTERN).expect("the default pattern compiles")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_pattern() {
        let p = CaseNumberPattern::default();
        assert_eq!(
            p.parse(" 12345bg0012345 ").unwrap().as_str(),
            "12345BG0012345"
        );
        for bad in [
            "",
            "12345BG001234",
            "1234BG0012345",
            "12345XX0012345",
            "12345BG00123456",
            "12345BG0012345; drop",
        ] {
            assert!(p.parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn custom_pattern_is_anchored() {
        let p = CaseNumberPattern::new(r"AZ-[0-9]+|[0-9]{3}").unwrap();
        assert!(p.parse("AZ-17").is_ok());
        assert!(p.parse("123").is_ok());
        assert!(p.parse("x123").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = CaseNumberPattern::default().parse(&s);
        }
    }
}
