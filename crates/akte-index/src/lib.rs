//! The full-text index of akte: a Tantivy index derived from the catalog, with
//! German analysis. It can always be rebuilt from the catalog.

mod compound;
mod german;

use std::ops::Bound;
use std::path::Path;

use akte_types::UnixMillis;
use std::sync::Mutex;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions, Value, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

pub use compound::{Decompounder, Lexicon};
pub use german::{
    analyzer, ocr_analyzer, ocr_fold, parts_analyzer, GERMAN, GERMAN_OCR, GERMAN_PARTS,
};

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot understand the query: {0}")]
    BadQuery(String),
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Open(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    /// The index on disk was built by a version with other fields.
    #[error("the search index was built with other fields: rebuild it")]
    SchemaChanged,
}

/// Errors Tantivy raises only when it runs a query (e.g. `field:*` for a
/// field that does not exist) are the query's fault.
fn query_error(e: tantivy::TantivyError) -> IndexError {
    use tantivy::TantivyError as T;
    match e {
        T::FieldNotFound(_) | T::InvalidArgument(_) | T::SchemaError(_) => {
            IndexError::BadQuery(e.to_string())
        }
        e => IndexError::Tantivy(e),
    }
}

/// One document as the index sees it.
#[derive(Clone, Debug, Default)]
pub struct IndexDoc {
    pub document_id: String,
    pub case_number: String,
    pub site: String,
    /// Who may find it: the access class of its case or inbox (see
    /// `akte_core::access`); searches name the classes they may see.
    pub access: String,
    pub document_type: String,
    pub received_at: UnixMillis,
    pub title: String,
    pub filename: String,
    pub body: String,
}

/// A search with its filters and page.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    pub text: String,
    pub case_number: Option<String>,
    pub site: Option<String>,
    /// Only documents of these access classes; `None`: no such filter.
    pub access: Option<Vec<String>>,
    pub document_type: Option<String>,
    pub received_from: Option<UnixMillis>,
    pub received_to: Option<UnixMillis>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    pub document_id: String,
    pub case_number: String,
    pub score: f32,
    pub snippet: String,
}

#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: usize,
}

#[derive(Clone, Copy)]
struct Fields {
    document_id: Field,
    case_number: Field,
    site: Field,
    access: Field,
    document_type: Field,
    received_at: Field,
    title: Field,
    filename: Field,
    body: Field,
    /// The parts of the compounds of `body` ([`parts_analyzer`]), searched
    /// with [`PARTS_WEIGHT`].
    body_parts: Field,
    /// `body` with OCR confusions folded ([`ocr_analyzer`]), searched with
    /// [`OCR_WEIGHT`] and, by edit distance, [`FUZZY_WEIGHT`].
    body_ocr: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GERMAN)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        document_id: b.add_text_field("document_id", STRING | STORED),
        case_number: b.add_text_field("case_number", STRING | STORED),
        site: b.add_text_field("site", STRING),
        access: b.add_text_field("access", STRING),
        document_type: b.add_text_field("document_type", STRING),
        received_at: b.add_i64_field("received_at", INDEXED | FAST),
        title: b.add_text_field("title", text.clone()),
        filename: b.add_text_field("filename", text.clone()),
        body: b.add_text_field("body", text),
        body_parts: b.add_text_field(
            PARTS_FIELD,
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(GERMAN_PARTS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        body_ocr: b.add_text_field(
            OCR_FIELD,
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(GERMAN_OCR)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
    };
    (b.build(), fields)
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// Memory for the indexing thread's buffer.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index in `dir`, creating it if missing. An index with another
    /// schema (from another version) is an error: rebuild it (`akte reindex`).
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(_) => IndexError::SchemaChanged,
            e => IndexError::Tantivy(e),
        })?;
        Self::with_index(index, fields)
    }

    /// A throw-away index in memory.
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(GERMAN, analyzer());
        index.tokenizers().register(GERMAN_PARTS, parts_analyzer());
        index.tokenizers().register(GERMAN_OCR, ocr_analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        // A panic while holding the lock leaves the writer usable: tantivy's
        // writer keeps its own consistency, uncommitted work is simply redone.
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds or replaces documents; visible after [`SearchIndex::commit`].
    pub fn upsert(&self, docs: &[IndexDoc]) -> Result<()> {
        let f = self.fields;
        let writer = self.writer();
        for d in docs {
            writer.delete_term(Term::from_field_text(f.document_id, &d.document_id));
            writer.add_document(doc!(
                f.document_id => d.document_id.as_str(),
                f.case_number => d.case_number.as_str(),
                f.site => d.site.as_str(),
                f.access => d.access.as_str(),
                f.document_type => d.document_type.as_str(),
                f.received_at => d.received_at,
                f.title => d.title.as_str(),
                f.filename => d.filename.as_str(),
                f.body => d.body.as_str(),
                f.body_parts => d.body.as_str(),
                f.body_ocr => d.body.as_str(),
            ))?;
        }
        Ok(())
    }

    /// Removes a document; effective after [`SearchIndex::commit`].
    pub fn remove(&self, document_id: &str) {
        self.writer()
            .delete_term(Term::from_field_text(self.fields.document_id, document_id));
    }

    /// Removes every document; effective after [`SearchIndex::commit`].
    pub fn clear(&self) -> Result<()> {
        self.writer().delete_all_documents()?;
        Ok(())
    }

    /// Makes all changes durable and visible to searches.
    pub fn commit(&self) -> Result<()> {
        self.writer().commit()?;
        self.reader.reload()?;
        Ok(())
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The parsed words of a query, if it has any.
    fn text_query(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.filename, f.body]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        let mut ocr_parser = QueryParser::for_index(&self.index, vec![f.body_ocr]);
        ocr_parser.set_conjunction_by_default();
        let searcher = self.reader.searcher();
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let texts = std::iter::once(text.to_owned()).chain(self.spelling_variants(&searcher, text));
        for (i, variant) in texts.enumerate() {
            let variant = normalize_not(&variant);
            let parsed = match parser.parse_query(&variant) {
                Ok(parsed) => parsed,
                // The user's own text must parse; a variant that does not is left out.
                Err(e) if i == 0 => return Err(IndexError::BadQuery(e.to_string())),
                Err(_) => continue,
            };
            alternatives.push((Occur::Should, with_parts(&*parsed, f.body, f.body_parts)));
            if i > 0 {
                continue;
            }
            if let Ok(ocr) = ocr_parser.parse_query(&variant) {
                if let Some(fuzzy) = fuzzy(&*ocr) {
                    alternatives.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(fuzzy, FUZZY_WEIGHT)),
                    ));
                }
                alternatives.push((Occur::Should, Box::new(BoostQuery::new(ocr, OCR_WEIGHT))));
            }
        }
        Ok(Some(Box::new(BooleanQuery::new(alternatives))))
    }

    /// The text of `word` as the index holds it in `body`, if it is one
    /// word there and some document contains it.
    fn indexed_term(&self, searcher: &tantivy::Searcher, word: &str) -> Option<Term> {
        let mut analyzer = self.index.tokenizers().get(GERMAN)?;
        let mut stream = analyzer.token_stream(word);
        let token = stream.next()?.text.clone();
        if stream.next().is_some() {
            return None;
        }
        let term = Term::from_field_text(self.fields.body, &token);
        (searcher.doc_freq(&term).ok()? > 0).then_some(term)
    }

    /// Other spellings of a query of plain words, each a query text of its
    /// own: words written apart or with a hyphen also joined ("Home Office",
    /// "Home-Office" → "HomeOffice"), and a word also apart as a phrase
    /// ("Homeoffice" → "\"Home office\""), each only where the index holds the
    /// joined word or both halves. Queries with operators, quotes or fields
    /// have none.
    fn spelling_variants(&self, searcher: &tantivy::Searcher, text: &str) -> Vec<String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let plain = |w: &str| {
            !w.starts_with('-')
                && !w.ends_with('-')
                && w.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !matches!(w, "AND" | "OR" | "NOT")
        };
        if words.is_empty() || words.len() > MAX_VARIANT_WORDS || !words.iter().all(|w| plain(w)) {
            return Vec::new();
        }
        let with = |from: usize, to: usize, replacement: &str| {
            let mut out: Vec<&str> = words[..from].to_vec();
            out.push(replacement);
            out.extend_from_slice(&words[to..]);
            out.join(" ")
        };
        let mut variants = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if word.contains('-') {
                let joined = word.replace('-', "");
                if self.indexed_term(searcher, &joined).is_some() {
                    variants.push(with(i, i + 1, &joined));
                }
            }
            if let Some(next) = words.get(i + 1) {
                let joined = format!("{word}{next}").replace('-', "");
                if self.indexed_term(searcher, &joined).is_some() {
                    variants.push(with(i, i + 2, &joined));
                }
            }
            let chars: Vec<(usize, char)> = word.char_indices().collect();
            if word.contains('-') || chars.len() < 2 * MIN_HALF {
                continue;
            }
            for &(at, _) in &chars[MIN_HALF..=chars.len() - MIN_HALF] {
                let (left, right) = word.split_at(at);
                if self.indexed_term(searcher, left).is_some()
                    && self.indexed_term(searcher, right).is_some()
                {
                    variants.push(with(i, i + 1, &format!("\"{left} {right}\"")));
                }
            }
        }
        variants
    }

    /// Finds the pages of a document's text that match a query's words.
    /// `None` when the query has no words.
    pub fn page_matcher(&self, q: &SearchQuery) -> Result<Option<PageMatcher>> {
        let Some(query) = self.text_query(&q.text)? else {
            return Ok(None);
        };
        let searcher = self.reader.searcher();
        let mut generator =
            SnippetGenerator::create(&searcher, &*query, self.fields.body).map_err(query_error)?;
        // One fragment per page: every match of the page is highlighted.
        generator.set_max_num_chars(16 * 1024 * 1024);
        Ok(Some(PageMatcher { generator }))
    }

    /// One word as a bare Tantivy term query on the text (analysed as
    /// indexed; no query parsing, filters, stored fields or snippets): the
    /// least a search can cost, a baseline for benchmarks. Returns the number
    /// of matching documents.
    pub fn raw_term_search(&self, word: &str, limit: usize) -> Result<usize> {
        let mut analyzer = self
            .index
            .tokenizers()
            .get(GERMAN)
            .ok_or_else(|| IndexError::BadQuery("no German analyzer".into()))?;
        let mut stream = analyzer.token_stream(word);
        let Some(token) = stream.next().map(|t| t.text.clone()) else {
            return Ok(0);
        };
        let query = TermQuery::new(
            Term::from_field_text(self.fields.body, &token),
            IndexRecordOption::Basic,
        );
        let searcher = self.reader.searcher();
        let (_top, total) = searcher.search(
            &query,
            &(TopDocs::with_limit(limit.max(1)).order_by_score(), Count),
        )?;
        Ok(total)
    }

    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text_query = self.text_query(&q.text)?;
        if let Some(parsed) = &text_query {
            clauses.push((Occur::Must, parsed.box_clone()));
        }
        let exact = |field: Field, value: &Option<String>| {
            value.as_ref().map(|v| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                ));
                (Occur::Must, q)
            })
        };
        clauses.extend(exact(f.case_number, &q.case_number));
        clauses.extend(exact(f.site, &q.site));
        clauses.extend(exact(f.document_type, &q.document_type));
        if q.received_from.is_some() || q.received_to.is_some() {
            let lower = q.received_from.map_or(Bound::Unbounded, |t| {
                Bound::Included(Term::from_field_i64(f.received_at, t))
            });
            let upper = q.received_to.map_or(Bound::Unbounded, |t| {
                Bound::Excluded(Term::from_field_i64(f.received_at, t))
            });
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if clauses.is_empty() {
            return Err(IndexError::BadQuery(
                "the query is empty and no filter is set".into(),
            ));
        }
        // Who may see what is not a filter of the caller's choosing.
        if let Some(classes) = &q.access {
            let any: Vec<(Occur, Box<dyn Query>)> = classes
                .iter()
                .map(|c| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.access, c),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            // No class at all matches nothing (an empty disjunction would
            // match everything).
            if any.is_empty() {
                return Ok(SearchResults::default());
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if text_query.is_none() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let query = BooleanQuery::new(clauses);

        let searcher = self.reader.searcher();
        let limit = q.limit.max(1);
        let (top, total) = searcher
            .search(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(q.offset)
                        .order_by_score(),
                    Count,
                ),
            )
            .map_err(query_error)?;
        let snippets = match &text_query {
            Some(tq) => {
                let mut g =
                    SnippetGenerator::create(&searcher, &**tq, f.body).map_err(query_error)?;
                g.set_max_num_chars(240);
                Some(g)
            }
            None => None,
        };
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let stored: TantivyDocument = searcher.doc(addr)?;
            let get = |field: Field| {
                stored
                    .get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let snippet = match &snippets {
                Some(g) => g.snippet_from_doc(&stored).to_html(),
                None => String::new(),
            };
            hits.push(SearchHit {
                document_id: get(f.document_id),
                case_number: get(f.case_number),
                score,
                snippet,
            });
        }
        Ok(SearchResults { hits, total })
    }
}

/// Name of the field of the parts of compounds. It names the version of the
/// decompounding (word lists and rules): change it when they change, and an
/// index built with the old parts no longer matches the schema, so that akte
/// rebuilds it from the catalog when it opens it (as `akte reindex` does).
const PARTS_FIELD: &str = "body_parts_1";

/// Name of the field of the words with OCR confusions folded; like
/// [`PARTS_FIELD`], change it when [`ocr_fold`] changes.
const OCR_FIELD: &str = "body_ocr_1";

/// Weight of a word found with OCR confusions folded.
const OCR_WEIGHT: f32 = 0.2;

/// Weight of a word found within a few edits (the score of such a match is
/// this weight alone, not scaled by how rare the word is): below every other
/// way a word is found.
const FUZZY_WEIGHT: f32 = 0.05;

/// Queries of more words than this have no spelling variants.
const MAX_VARIANT_WORDS: usize = 6;

/// The least letters of either half of a word tried apart.
const MIN_HALF: usize = 3;

/// Edits allowed between a word of the query and a word of a document for
/// the fuzzy fallback: none up to 4 letters, 1 up to 9, 2 from 10.
fn allowed_edits(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=9 => 1,
        _ => 2,
    }
}

/// `query` (parsed on the OCR field) with every word that is long enough
/// searched within [`allowed_edits`] instead; `None` if no word is.
fn fuzzy(query: &dyn Query) -> Option<Box<dyn Query>> {
    if let Some(term_query) = query.downcast_ref::<TermQuery>() {
        let term = term_query.term();
        let edits = allowed_edits(term.value().as_str()?);
        return (edits > 0)
            .then(|| Box::new(FuzzyTermQuery::new(term.clone(), edits, true)) as Box<dyn Query>);
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        let mut any = false;
        let clauses = boolean
            .clauses()
            .iter()
            .map(|(occur, clause)| match fuzzy(&**clause) {
                Some(f) if *occur != Occur::MustNot => {
                    any = true;
                    (*occur, f)
                }
                _ => (*occur, clause.box_clone()),
            })
            .collect();
        return any.then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>);
    }
    None
}

/// Weight of a word found as a part of a compound, against 1 for the word
/// itself: "Verwaltung" finds "Kreisverwaltung", but below "Verwaltung".
const PARTS_WEIGHT: f32 = 0.3;

/// `query` with every word searched in `body` also searched, with
/// [`PARTS_WEIGHT`], among the parts of compounds (`parts`). The query's own
/// words are not split: "Kreisverwaltung" does not find every "Kreis".
fn with_parts(query: &dyn Query, body: Field, parts: Field) -> Box<dyn Query> {
    if let Some(term_query) = query.downcast_ref::<TermQuery>() {
        let term = term_query.term();
        if term.field() == body {
            if let Some(text) = term.value().as_str() {
                let part: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(parts, text),
                    IndexRecordOption::WithFreqs,
                ));
                return Box::new(BooleanQuery::new(vec![
                    (Occur::Should, query.box_clone()),
                    (Occur::Should, Box::new(BoostQuery::new(part, PARTS_WEIGHT))),
                ]));
            }
        }
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        return Box::new(BooleanQuery::new(
            boolean
                .clauses()
                .iter()
                .map(|(occur, clause)| (*occur, with_parts(&**clause, body, parts)))
                .collect(),
        ));
    }
    query.box_clone()
}

/// Tells which pages of a text match the words of a query.
pub struct PageMatcher {
    generator: SnippetGenerator,
}

/// Pages looked at per document, at most.
const MAX_MATCHED_PAGES: usize = 2000;

impl PageMatcher {
    /// Numbers (1-based) of the pages that contain a word of the query.
    pub fn pages(&self, pages: &[String]) -> Vec<u32> {
        pages
            .iter()
            .take(MAX_MATCHED_PAGES)
            .enumerate()
            .filter(|(_, text)| !self.generator.snippet(text).highlighted().is_empty())
            .filter_map(|(i, _)| u32::try_from(i + 1).ok())
            .collect()
    }
}

/// Writes the keyword `NOT` (outside quotes) as the exclusion prefix `-`.
/// Tantivy reads `a AND NOT b` as "a and (nothing but not-b)", which matches
/// nothing; `a AND -b` means what users expect.
pub(crate) fn normalize_not(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut in_quotes = false;
    let mut at_token_start = true;
    let mut rest = query;
    while let Some(c) = rest.chars().next() {
        if !in_quotes && at_token_start && rest.starts_with("NOT") {
            let after = &rest[3..];
            match after.chars().next() {
                Some(n) if n.is_whitespace() => {
                    out.push('-');
                    rest = after.trim_start();
                    continue;
                }
                Some('(') => {
                    out.push('-');
                    rest = after;
                    continue;
                }
                _ => {}
            }
        }
        if c == '"' {
            in_quotes = !in_quotes;
        }
        at_token_start = c.is_whitespace() || c == '(';
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests;
