//! Decompounding of German words: "Kreisverwaltung" is read as "Kreis" +
//! "Verwaltung", "Weiterbewilligungsantrages" as "Weiterbewilligung" + "s" +
//! "Antrages", so that a search for "Verwaltung" or "Antrag" finds them.
//!
//! A word is split only where every letter is covered: known parts, joined by
//! the linking elements of German (s, es, n, en, e, er, ens) or with the final
//! e of the first part dropped (Miet-vertrag, Schul-bescheinigung); the last
//! part may carry an inflection (Onlinetermin-e). Parts have at least three
//! letters. Among several readings the one with the fewest parts wins. A word
//! that is itself known (Versicherung, Bescheinigung) or on the list of names
//! that must stay whole (Pinneberg, Stromberg, Gartenstraße) is never split,
//! nor is a word of fewer than seven letters.
//!
//! The known parts are `words/de-parts.txt`, the names `words/keep-whole.txt`
//! (where they come from: `words/README.md`). [`Decompounder`] is the token
//! filter; it emits the parts of each compound and drops every other token,
//! for the field that holds only parts (searched with a lower weight than the
//! words themselves, so that "Kreisverwaltung" does not find every "Kreis").

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

use crate::german::UmlautDigraphs;

const PARTS: &str = include_str!("words/de-parts.txt");
const KEEP_WHOLE: &str = include_str!("words/keep-whole.txt");

/// Shortest part, and shortest word that is split.
const MIN_PART: usize = 3;
const MIN_WORD: usize = 7;
/// Linking elements between two parts, longest first.
const LINKS: &[&str] = &["ens", "es", "en", "er", "s", "n", "e"];
/// Inflections of the last part (Termin-e, Abrechnung-en, Bescheid-es).
const ENDINGS: &[&str] = &["nen", "ern", "en", "er", "es", "ns", "e", "n", "s"];

/// The known parts and the words that stay whole, spelled as the analyzer
/// spells words before stemming (lower case, umlauts and accents folded).
pub struct Lexicon {
    words: HashSet<String>,
    /// Stems that occur only as first parts (heiz-, meld-).
    joining: HashSet<String>,
    keep_whole: HashSet<String>,
}

/// Spelling of a word as the analyzer has it before stemming.
fn folded(word: &str) -> String {
    let mut analyzer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(UmlautDigraphs)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(word);
    let mut out = String::new();
    while let Some(token) = stream.next() {
        out.push_str(&token.text);
    }
    out
}

fn list_words(list: &str) -> impl Iterator<Item = &str> {
    list.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .flat_map(str::split_whitespace)
}

impl Lexicon {
    /// The lexicon built into akte.
    pub fn german() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(|| Lexicon::from_lists(PARTS, KEEP_WHOLE))
    }

    /// A lexicon from lists in the format of `words/de-parts.txt` and
    /// `words/keep-whole.txt`.
    pub fn from_lists(parts: &str, keep_whole: &str) -> Lexicon {
        let mut words = HashSet::new();
        let mut joining = HashSet::new();
        for w in list_words(parts) {
            match w.strip_prefix('-') {
                Some(stem) => joining.insert(folded(stem)),
                None => words.insert(folded(w)),
            };
        }
        Lexicon {
            words,
            joining,
            keep_whole: list_words(keep_whole).map(folded).collect(),
        }
    }

    /// Whether `word` (folded) is a known word.
    pub fn knows(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// The word a first or middle part stands for: itself, a joining stem,
    /// or a known word whose final e was dropped (miet → miete).
    fn first_part(&self, piece: &str, buffer: &mut String) -> Option<String> {
        if self.words.contains(piece) || self.joining.contains(piece) {
            return Some(piece.to_owned());
        }
        buffer.clear();
        buffer.push_str(piece);
        buffer.push('e');
        self.words.contains(buffer.as_str()).then(|| buffer.clone())
    }

    /// Whether `piece` is a known word, perhaps inflected, as a last part.
    fn last_part(&self, piece: &str) -> bool {
        self.words.contains(piece)
            || ENDINGS.iter().any(|e| {
                piece
                    .strip_suffix(e)
                    .is_some_and(|stem| stem.len() >= MIN_PART && self.words.contains(stem))
            })
    }

    /// The parts of `word` (folded), or `None` when it is not a compound
    /// of known parts. First parts come as the word they stand for (miete
    /// for miet-), the last as written (inflection kept, for the stemmer).
    pub fn split(&self, word: &str) -> Option<Vec<String>> {
        if word.len() < MIN_WORD || !word.is_ascii() {
            return None;
        }
        if self.words.contains(word) || self.keep_whole.contains(word) {
            return None;
        }
        let n = word.len();
        // best[i]: the reading of word[..i] that ends before a part starting
        // at i with the fewest parts, and among those the fewest letters in
        // linking elements (Kurs-anmeldung, not Kur-s-anmeldung).
        let mut best: Vec<Option<Reading>> = vec![None; n + 1];
        best[0] = Some(Reading::default());
        let mut found: Option<Reading> = None;
        let mut buffer = String::new();
        for i in 0..n {
            let Some(before) = best[i].clone() else {
                continue;
            };
            if i > 0 && n - i >= MIN_PART && self.last_part(&word[i..]) {
                let reading = before.with(word[i..].to_owned(), 0);
                if found.as_ref().is_none_or(|f| reading.better_than(f)) {
                    found = Some(reading);
                }
            }
            for j in (i + MIN_PART)..n {
                let Some(part) = self.first_part(&word[i..j], &mut buffer) else {
                    continue;
                };
                let rest = &word[j..];
                let joints = std::iter::once("")
                    .chain(LINKS.iter().copied())
                    .filter(|l| rest.starts_with(l));
                for link in joints {
                    let k = j + link.len();
                    let reading = before.with(part.clone(), link.len());
                    if k < n && best[k].as_ref().is_none_or(|b| reading.better_than(b)) {
                        best[k] = Some(reading);
                    }
                }
            }
        }
        found.map(|r| r.parts)
    }
}

/// A reading of the start of a word as parts.
#[derive(Clone, Default)]
struct Reading {
    parts: Vec<String>,
    link_letters: usize,
}

impl Reading {
    fn with(&self, part: String, link_letters: usize) -> Reading {
        let mut parts = self.parts.clone();
        parts.push(part);
        Reading {
            parts,
            link_letters: self.link_letters + link_letters,
        }
    }

    fn better_than(&self, other: &Reading) -> bool {
        (self.parts.len(), self.link_letters) < (other.parts.len(), other.link_letters)
    }
}

/// Words whose reading is kept per thread: words repeat, reading them is
/// what decompounding costs.
const CACHED_WORDS: usize = 100_000;

thread_local! {
    static READINGS: RefCell<HashMap<String, Option<Vec<String>>>> = RefCell::new(HashMap::new());
}

/// [`Lexicon::split`] of the built-in lexicon, remembered per thread.
fn split_cached(word: &str) -> Option<Vec<String>> {
    if word.len() < MIN_WORD {
        return None;
    }
    READINGS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(parts) = cache.get(word) {
            return parts.clone();
        }
        let parts = Lexicon::german().split(word);
        if cache.len() >= CACHED_WORDS {
            cache.clear();
        }
        cache.insert(word.to_owned(), parts.clone());
        parts
    })
}

/// Token filter: each compound becomes its parts (at the compound's
/// position and offsets); words that are not compounds are dropped.
#[derive(Clone, Copy)]
pub struct Decompounder;

impl TokenFilter for Decompounder {
    type Tokenizer<T: Tokenizer> = DecompoundFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> DecompoundFilter<T> {
        DecompoundFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct DecompoundFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for DecompoundFilter<T> {
    type TokenStream<'a> = DecompoundStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        DecompoundStream {
            tail: self.inner.token_stream(text),
            pending: Vec::new(),
            token: Token::default(),
        }
    }
}

pub struct DecompoundStream<T> {
    tail: T,
    /// Parts of the current compound still to emit, last first.
    pending: Vec<String>,
    token: Token,
}

impl<T: TokenStream> TokenStream for DecompoundStream<T> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(part) = self.pending.pop() {
                self.token.text = part;
                return true;
            }
            if !self.tail.advance() {
                return false;
            }
            let word = self.tail.token();
            if let Some(mut parts) = split_cached(&word.text) {
                parts.reverse();
                self.pending = parts;
                self.token = word.clone();
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(word: &str) -> Option<Vec<String>> {
        Lexicon::german().split(&folded(word))
    }

    fn parts(word: &str) -> Vec<String> {
        split(word).unwrap_or_else(|| panic!("{word} is not split"))
    }

    #[test]
    fn real_compounds_are_split_into_their_parts() {
        assert_eq!(parts("Kreisverwaltung"), ["kreis", "verwaltung"]);
        assert_eq!(parts("Stadtverwaltung"), ["stadt", "verwaltung"]);
        assert_eq!(parts("Onlinetermine"), ["online", "termine"]);
        assert_eq!(parts("Meldetermin"), ["meld", "termin"]);
        assert_eq!(parts("Mietvertrag"), ["miete", "vertrag"]);
        assert_eq!(parts("Schulbescheinigung"), ["schule", "bescheinigung"]);
        assert_eq!(parts("Krankenversicherung"), ["kranke", "versicherung"]);
        assert_eq!(parts("Rentenversicherung"), ["rente", "versicherung"]);
        assert_eq!(parts("Grundsicherung"), ["grund", "sicherung"]);
        assert_eq!(parts("Amtsgericht"), ["amt", "gericht"]);
        assert_eq!(parts("Homeoffice"), ["home", "office"]);
        assert_eq!(parts("Kitagebühren"), ["kita", "gebuhren"]);
        assert_eq!(
            parts("Weiterbewilligungsantrages"),
            ["weiterbewilligung", "antrages"]
        );
        assert_eq!(
            parts("Arbeitsunfähigkeitsbescheinigung"),
            ["arbeitsunfahigkeit", "bescheinigung"]
        );
        assert_eq!(
            parts("Nebenkostenabrechnungen"),
            ["nebenkosten", "abrechnungen"]
        );
        assert_eq!(parts("Volkshochschule"), ["volk", "hoch", "schule"]);
        assert_eq!(
            parts("Sprachkursanmeldung"),
            ["sprache", "kurs", "anmeldung"]
        );
        assert_eq!(parts("Telefontermin"), ["telefon", "termin"]);
        // Linking elements: -s-, -n-, -en-, -er-, -es-.
        assert_eq!(parts("Arbeitsvertrag"), ["arbeit", "vertrag"]);
        assert_eq!(parts("Witwenrente"), ["witwe", "rente"]);
        assert_eq!(parts("Kindergeld"), ["kinder", "geld"]);
        assert_eq!(
            parts("Kindertagesbetreuung"),
            ["kinder", "tag", "betreuung"]
        );
    }

    #[test]
    fn known_words_stay_whole() {
        for word in [
            "Versicherung",
            "Bescheinigung",
            "Verwaltung",
            "Beratung",
            "Vereinbarung",
            "Vermieter",
            "Schulden",
            "Nebenkosten",
        ] {
            assert_eq!(split(word), None, "{word}");
        }
    }

    #[test]
    fn no_part_is_found_inside_a_word_that_only_contains_it() {
        // Versicherung must not yield "sicherung", Beratung not "ratung".
        assert_eq!(parts("Krankenversicherung")[1], "versicherung");
        assert_eq!(split("Zusicherung"), None);
        assert_eq!(split("Laktoseunverträglichkeit"), None);
        assert_eq!(split("Hygieneschulung"), None);
        assert_eq!(split("Schulte"), None);
    }

    #[test]
    fn names_stay_whole() {
        for word in [
            "Pinneberg",
            "Stromberg",
            "Bergmann",
            "Hausmann",
            "Gartenstraße",
            "Schulweg",
            "Rosenheim",
        ] {
            assert_eq!(split(word), None, "{word}");
        }
    }

    #[test]
    fn short_and_unknown_words_stay_whole() {
        assert_eq!(split("Amtsarzt"), Some(vec!["amt".into(), "arzt".into()]));
        assert_eq!(split("Hausrat"), None);
        assert_eq!(split("Quxfoobarbaz"), None);
    }

    #[test]
    fn the_filter_emits_only_parts() {
        let mut analyzer = TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(UmlautDigraphs)
            .filter(AsciiFoldingFilter)
            .filter(Decompounder)
            .build();
        let mut stream = analyzer.token_stream("Die Kreisverwaltung in Pinneberg, Mietvertrag");
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position));
        }
        assert_eq!(
            out,
            [
                ("kreis".to_string(), 1),
                ("verwaltung".to_string(), 1),
                ("miete".to_string(), 4),
                ("vertrag".to_string(), 4)
            ]
        );
    }
}
