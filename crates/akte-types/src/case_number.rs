use std::fmt;

use regex::Regex;
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::start;
use regex_automata::Anchored;
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
    /// The same pattern as an anchored DFA over upper-case bytes, walked
    /// character by character when looking for numbers in running text.
    dfa: dense::DFA<Vec<u32>>,
}

/// A case number found in running text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundCaseNumber {
    pub number: CaseNumber,
    /// Characters read as something else (O as 0, l as 1, ...) to make it match.
    pub corrections: u8,
}

/// Characters OCR commonly confuses, as (read, meant): letters for digits and
/// digits for letters. Applied to upper-cased text.
const CONFUSIONS: &[(char, char)] = &[
    ('O', '0'),
    ('D', '0'),
    ('Q', '0'),
    ('I', '1'),
    ('L', '1'),
    ('|', '1'),
    ('!', '1'),
    ('Z', '2'),
    ('S', '5'),
    ('B', '8'),
    ('G', '6'),
    ('T', '7'),
    ('0', 'O'),
    ('1', 'I'),
    ('2', 'Z'),
    ('5', 'S'),
    ('6', 'G'),
    ('8', 'B'),
];
/// At most this many corrections per number: more would find numbers in noise.
const MAX_CORRECTIONS: u8 = 3;
/// Longest number looked for (characters, separators not counted).
const MAX_FOUND_LEN: usize = 64;
/// Characters that may split a number in print or OCR output ("12345 BG 0012345").
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '/' | '.' | '\u{a0}')
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '|' | '!')
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
        let dfa = dense::Builder::new()
            .configure(dense::Config::new().start_kind(StartKind::Anchored))
            .build(&format!("(?:{pattern})"))
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        Ok(Self {
            source: pattern.to_owned(),
            regex,
            dfa,
        })
    }

    /// Case numbers in running text (OCR output, a letter's text layer), each
    /// once, in order of first appearance. Tolerant of what print and OCR do
    /// to a number: spaces, dashes, slashes or dots inside it, lower case,
    /// and confusions such as O/0 and l/1 (at most a few per number). A
    /// number must start and end at a word boundary.
    pub fn find_in_text(&self, text: &str) -> Vec<FoundCaseNumber> {
        let chars: Vec<char> = text.chars().collect();
        let mut found: Vec<FoundCaseNumber> = Vec::new();
        let Ok(start) = self
            .dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
        else {
            return found;
        };
        for (i, &c) in chars.iter().enumerate() {
            let at_boundary = i == 0 || !is_number_char(chars[i - 1]);
            if !at_boundary || !is_number_char(c) {
                continue;
            }
            let mut walk = Walk {
                pattern: self,
                chars: &chars,
                out: String::new(),
                found: &mut found,
            };
            walk.step(i, start, 0);
        }
        found
    }
}

/// Depth-first walk of the DFA over the text from one start position,
/// branching on confusable characters.
struct Walk<'a> {
    pattern: &'a CaseNumberPattern,
    chars: &'a [char],
    out: String,
    found: &'a mut Vec<FoundCaseNumber>,
}

impl Walk<'_> {
    fn step(
        &mut self,
        pos: usize,
        state: regex_automata::util::primitives::StateID,
        corrections: u8,
    ) {
        let dfa = &self.pattern.dfa;
        let next = self.chars.get(pos).copied();
        // A number may end here if the next character does not continue a word.
        if !self.out.is_empty()
            && next.is_none_or(|c| !is_number_char(c))
            && dfa.is_match_state(dfa.next_eoi_state(state))
        {
            self.record(corrections);
        }
        let Some(c) = next else { return };
        if self.out.len() >= MAX_FOUND_LEN {
            return;
        }
        if is_separator(c) {
            // One separator inside a number, between two of its characters:
            // part of the number if the format has it there, else skipped.
            let continues = self.chars.get(pos + 1).is_some_and(|&n| is_number_char(n));
            if self.out.is_empty() || !continues {
                return;
            }
            if c.is_ascii() {
                let s = dfa.next_state(state, c as u8);
                if !dfa.is_dead_state(s) && !dfa.is_quit_state(s) {
                    self.out.push(c);
                    self.step(pos + 1, s, corrections);
                    self.out.pop();
                }
            }
            self.step(pos + 1, state, corrections);
            return;
        }
        if !is_number_char(c) {
            return;
        }
        let upper = c.to_ascii_uppercase();
        let alternatives = std::iter::once((upper, 0)).chain(
            CONFUSIONS
                .iter()
                .filter(move |(read, _)| *read == upper)
                .map(|&(_, meant)| (meant, 1)),
        );
        for (ch, cost) in alternatives {
            if corrections + cost > MAX_CORRECTIONS || !ch.is_ascii_alphanumeric() {
                continue;
            }
            // ASCII alphanumeric: one byte.
            let s = dfa.next_state(state, ch as u8);
            if dfa.is_dead_state(s) || dfa.is_quit_state(s) {
                continue;
            }
            self.out.push(ch);
            self.step(pos + 1, s, corrections + cost);
            self.out.pop();
        }
    }

    fn record(&mut self, corrections: u8) {
        let Ok(number) = self.pattern.parse(&self.out) else {
            return;
        };
        match self.found.iter_mut().find(|f| f.number == number) {
            Some(f) => f.corrections = f.corrections.min(corrections),
            None => self.found.push(FoundCaseNumber {
                number,
                corrections,
            }),
        }
    }
}

impl CaseNumberPattern {
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

    fn found(text: &str) -> Vec<String> {
        CaseNumberPattern::default()
            .find_in_text(text)
            .into_iter()
            .map(|f| f.number.to_string())
            .collect()
    }

    #[test]
    fn finds_numbers_in_running_text() {
        assert_eq!(
            found("Ihr Zeichen: 12345BG0012345, Schreiben vom 3.4."),
            ["12345BG0012345"]
        );
        assert_eq!(found("BG-Nummer 12345 BG 0012345"), ["12345BG0012345"]);
        assert_eq!(
            found("Nr. 12345-bg-001/2345 bitte angeben"),
            ["12345BG0012345"]
        );
        // OCR confusions: O for 0, l for 1, S for 5.
        let f = CaseNumberPattern::default().find_in_text("Az l2345BGOO12345");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].number.as_str(), "12345BG0012345");
        assert_eq!(f[0].corrections, 3);
        // As Tesseract read a skewed, noisy scan: B as 8, G as 6.
        assert_eq!(found("Aktenzeichen 123458G 0000102"), ["12345BG0000102"]);
        assert_eq!(found("Aktenzeichen 1234586 0000102"), ["12345BG0000102"]);
        // Several numbers, each once, in order.
        assert_eq!(
            found("12345BG0000001 und 54321BG0000002 und 12345BG0000001"),
            ["12345BG0000001", "54321BG0000002"]
        );
    }

    #[test]
    fn does_not_find_numbers_inside_longer_tokens_or_noise() {
        assert!(found("112345BG0012345").is_empty());
        assert!(found("12345BG00123456").is_empty());
        assert!(found("Telefon 030 12345 678").is_empty());
        // Too many confusions.
        assert!(found("lOOOOBGOOOOOOO").is_empty());
        assert!(found("").is_empty());
    }

    #[test]
    fn custom_patterns_are_found_too() {
        let p = CaseNumberPattern::new(r"AZ-[0-9]{4}").unwrap();
        let f = p.find_in_text("betrifft az-2O24 und AZ-9999.");
        let numbers: Vec<_> = f.iter().map(|f| f.number.as_str()).collect();
        assert_eq!(numbers, ["AZ-2024", "AZ-9999"]);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = CaseNumberPattern::default().parse(&s);
            let _ = CaseNumberPattern::default().find_in_text(&s);
        }

        #[test]
        fn finds_every_number_it_would_accept(n in 0u64..100_000, m in 0u64..10_000_000, pre in "[a-z ]{0,20}") {
            let number = format!("{n:05}BG{m:07}");
            let text = format!("{pre} {number} ende");
            prop_assert_eq!(found(&text), vec![number]);
        }
    }
}
