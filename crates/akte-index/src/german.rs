//! German analysis: lower case, umlaut digraphs (ae, oe, ue) read as umlauts,
//! ASCII folding (ä → a, ß → ss, é → e), then Snowball German stemming. "Beschäftigte", "Beschäftigten" and "Beschaeftigte"
//! all become `beschaftigt`.

use crate::compound::Decompounder;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered.
pub const GERMAN: &str = "akte_de";

/// Name of the analyzer of the parts of compounds ([`parts_analyzer`]).
pub const GERMAN_PARTS: &str = "akte_de_parts";

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(80))
        .filter(LowerCaser)
        .filter(UmlautDigraphs)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::German))
        .build()
}

/// The parts of the compounds of a text, analysed like words
/// ([`analyzer`]): "Kreisverwaltung" gives `kreis` and `verwalt`, which
/// [`analyzer`] gives for "Kreis" and "Verwaltung". Words that are not
/// compounds give nothing.
pub fn parts_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(80))
        .filter(LowerCaser)
        .filter(UmlautDigraphs)
        .filter(AsciiFoldingFilter)
        .filter(Decompounder)
        .filter(Stemmer::new(Language::German))
        .build()
}

/// Rewrites `ae`, `oe`, `ue` as `ä`, `ö`, `ü` (as typed where umlauts are not
/// available), except `ue` after `q` or a `u` between vowels ("Frauen"), like
/// Snowball's german2 variant. Expects lower-case input.
#[derive(Clone, Copy)]
pub struct UmlautDigraphs;

pub(crate) fn fold_digraphs(text: &str, out: &mut String) {
    out.clear();
    let chars: Vec<char> = text.chars().collect();
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö' | 'ü');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next_is_e = chars.get(i + 1) == Some(&'e');
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let replacement = match c {
            'a' if next_is_e => Some('ä'),
            'o' if next_is_e => Some('ö'),
            'u' if next_is_e && prev != Some('q') && !prev.is_some_and(is_vowel) => Some('ü'),
            _ => None,
        };
        match replacement {
            Some(r) => {
                out.push(r);
                i += 2;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
}

impl TokenFilter for UmlautDigraphs {
    type Tokenizer<T: Tokenizer> = DigraphFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> DigraphFilter<T> {
        DigraphFilter {
            inner: tokenizer,
            buffer: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct DigraphFilter<T> {
    inner: T,
    buffer: String,
}

impl<T: Tokenizer> Tokenizer for DigraphFilter<T> {
    type TokenStream<'a> = DigraphStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        DigraphStream {
            tail: self.inner.token_stream(text),
            buffer: &mut self.buffer,
        }
    }
}

pub struct DigraphStream<'a, T> {
    tail: T,
    buffer: &'a mut String,
}

impl<T: TokenStream> TokenStream for DigraphStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let text = &self.tail.token().text;
        if text.contains("ae") || text.contains("oe") || text.contains("ue") {
            fold_digraphs(text, self.buffer);
            std::mem::swap(&mut self.tail.token_mut().text, self.buffer);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Name of the analyzer of the OCR shadow field ([`ocr_analyzer`]).
pub const GERMAN_OCR: &str = "akte_de_ocr";

/// Words lower-cased and folded like [`analyzer`] but not stemmed, then with
/// the letters OCR confuses most often folded together ([`ocr_fold`]): a
/// scan's "Farnilienkasse" or "Kiindigung" meets "Familienkasse" and
/// "Kündigung" here. Not stemmed, so that a misread ending does not keep a
/// word from its neighbours in edit distance (the fuzzy fallback).
pub fn ocr_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(80))
        .filter(LowerCaser)
        .filter(UmlautDigraphs)
        .filter(AsciiFoldingFilter)
        .filter(OcrFold)
        .build()
}

/// Folds what OCR confuses in a word analysed by [`analyzer`] (lower case,
/// ASCII): `rn` → `m`; `cl` → `d`; `vv` → `w`; `ii` → `u` (a read "ü");
/// `0` → `o`; `1`, `i`, `j`, `!`, `|` → `l`; `5` → `s`; `8` → `b`. Both sides
/// of a search are folded alike.
pub fn ocr_fold(word: &str, out: &mut String) {
    out.clear();
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (folded, used) = match (c, next) {
            ('r', Some('n')) => ('m', 2),
            ('c', Some('l')) => ('d', 2),
            ('v', Some('v')) => ('w', 2),
            ('i', Some('i')) => ('u', 2),
            ('0', _) => ('o', 1),
            ('1' | 'i' | 'j' | '!' | '|', _) => ('l', 1),
            ('5', _) => ('s', 1),
            ('8', _) => ('b', 1),
            _ => (c, 1),
        };
        out.push(folded);
        i += used;
    }
}

#[derive(Clone, Copy)]
pub struct OcrFold;

impl TokenFilter for OcrFold {
    type Tokenizer<T: Tokenizer> = OcrFoldFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> OcrFoldFilter<T> {
        OcrFoldFilter {
            inner: tokenizer,
            buffer: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct OcrFoldFilter<T> {
    inner: T,
    buffer: String,
}

impl<T: Tokenizer> Tokenizer for OcrFoldFilter<T> {
    type TokenStream<'a> = OcrFoldStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        OcrFoldStream {
            tail: self.inner.token_stream(text),
            buffer: &mut self.buffer,
        }
    }
}

pub struct OcrFoldStream<'a, T> {
    tail: T,
    buffer: &'a mut String,
}

impl<T: TokenStream> TokenStream for OcrFoldStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        ocr_fold(&self.tail.token().text, self.buffer);
        std::mem::swap(&mut self.tail.token_mut().text, self.buffer);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn inflections_and_spellings_meet() {
        let forms = [
            "Beschäftigte",
            "Beschäftigten",
            "Beschaeftigte",
            "BESCHÄFTIGTEN",
            "beschaeftigten",
        ];
        let first = tokens(forms[0]);
        assert_eq!(first.len(), 1);
        for f in forms {
            assert_eq!(tokens(f), first, "{f}");
        }
    }

    #[test]
    fn sharp_s_and_accents() {
        assert_eq!(tokens("Straße"), tokens("Strasse"));
        assert_eq!(tokens("Müller"), tokens("Mueller"));
        assert_eq!(tokens("José"), tokens("Jose"));
        assert_eq!(tokens("Bescheide"), tokens("Bescheid"));
    }

    #[test]
    fn u_between_vowels_and_after_q_stays() {
        let mut s = String::new();
        fold_digraphs("frauen", &mut s);
        assert_eq!(s, "frauen");
        fold_digraphs("quelle", &mut s);
        assert_eq!(s, "quelle");
        fold_digraphs("gruen", &mut s);
        assert_eq!(s, "grün");
    }

    #[test]
    fn compounds_are_single_tokens() {
        assert_eq!(tokens("Weiterbewilligungsantrag").len(), 1);
        assert_eq!(
            tokens("12345BG0012345 Antrag"),
            vec!["12345bg0012345".to_string(), "antrag".to_string()]
        );
    }
}
