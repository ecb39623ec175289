//! The search evaluation set (`benches/eval/`, described in its README): German
//! job-centre documents, their scanned and recognised form, and queries with
//! the documents judged relevant. Indexes the documents with an analysis,
//! runs the queries and measures recall, precision and nDCG@10 per class of
//! query.
//!
//! Two analyses: akte's own (`akte_index::SearchIndex`, searched as akte
//! searches) and, as the baseline, Snowball stemming alone on a plain Tantivy
//! index searched with the same query parser settings (all words required).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use akte_index::{IndexDoc, SearchIndex, SearchQuery};
use anyhow::Context;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy};

/// The classes of query, in the order reports list them.
pub const CLASSES: &[&str] = &["plain", "inflection", "compound", "variant", "ocr"];

/// The directory of the evaluation set.
pub fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("eval")
}

/// The documents of a directory (`docs/` or `scans/`): `(id, text)` by id.
pub fn load_docs(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .context("a document's file name is not UTF-8")?
                .to_owned();
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            docs.push((id, text));
        }
    }
    docs.sort();
    anyhow::ensure!(!docs.is_empty(), "no documents in {}", dir.display());
    Ok(docs)
}

/// A query with its class and the documents judged relevant.
#[derive(Clone, Debug)]
pub struct Query {
    pub id: String,
    pub class: String,
    pub text: String,
    pub relevant: Vec<String>,
}

/// `queries.tsv`: id, class, query, relevant ids separated by spaces; `#`
/// starts a comment line.
pub fn load_queries(path: &Path) -> anyhow::Result<Vec<Query>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut queries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [id, class, query, relevant] = cols[..] else {
            anyhow::bail!("{}:{}: expected 4 columns", path.display(), n + 1);
        };
        anyhow::ensure!(
            CLASSES.contains(&class),
            "{}:{}: unknown class {class}",
            path.display(),
            n + 1
        );
        let relevant: Vec<String> = relevant.split_whitespace().map(str::to_owned).collect();
        anyhow::ensure!(
            !relevant.is_empty(),
            "{}:{}: no relevant documents",
            path.display(),
            n + 1
        );
        queries.push(Query {
            id: id.into(),
            class: class.into(),
            text: query.into(),
            relevant,
        });
    }
    Ok(queries)
}

/// The whole set: documents, their scans, queries.
pub struct EvalSet {
    pub docs: Vec<(String, String)>,
    pub scans: Vec<(String, String)>,
    pub queries: Vec<Query>,
}

impl EvalSet {
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(&eval_dir())
    }

    pub fn load_from(dir: &Path) -> anyhow::Result<Self> {
        let set = EvalSet {
            docs: load_docs(&dir.join("docs"))?,
            scans: load_docs(&dir.join("scans"))?,
            queries: load_queries(&dir.join("queries.tsv"))?,
        };
        let ids: HashSet<&str> = set.docs.iter().map(|(id, _)| id.as_str()).collect();
        let scanned: HashSet<&str> = set.scans.iter().map(|(id, _)| id.as_str()).collect();
        anyhow::ensure!(
            ids == scanned,
            "docs/ and scans/ hold different documents: run the search-quality-scans program"
        );
        for q in &set.queries {
            for r in &q.relevant {
                anyhow::ensure!(ids.contains(r.as_str()), "{}: no document {r}", q.id);
            }
        }
        Ok(set)
    }
}

/// An index of the documents of one corpus under one analysis.
pub trait Engine {
    /// Ids of the matching documents, best first (all of them).
    fn search(&self, text: &str) -> anyhow::Result<Vec<String>>;
}

/// akte's index, searched as akte searches.
pub struct AkteEngine {
    index: SearchIndex,
    docs: usize,
}

impl AkteEngine {
    pub fn build(docs: &[(String, String)]) -> anyhow::Result<Self> {
        let index = SearchIndex::in_memory()?;
        let batch: Vec<IndexDoc> = docs
            .iter()
            .map(|(id, text)| IndexDoc {
                document_id: id.clone(),
                case_number: String::new(),
                site: "Eval".into(),
                access: "eval".into(),
                document_type: "Brief".into(),
                received_at: 0,
                title: String::new(),
                filename: String::new(),
                body: text.clone(),
            })
            .collect();
        index.upsert(&batch)?;
        index.commit()?;
        Ok(AkteEngine {
            index,
            docs: docs.len(),
        })
    }
}

impl Engine for AkteEngine {
    fn search(&self, text: &str) -> anyhow::Result<Vec<String>> {
        let results = self.index.search(&SearchQuery {
            text: text.into(),
            limit: self.docs,
            ..SearchQuery::default()
        })?;
        Ok(results.hits.into_iter().map(|h| h.document_id).collect())
    }
}

/// The baseline analysis: words lower-cased and stemmed by Snowball's German
/// stemmer, nothing else.
pub fn snowball_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(80))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::German))
        .build()
}

/// A plain Tantivy index with [`snowball_analyzer`].
pub struct SnowballEngine {
    index: Index,
    reader: IndexReader,
    id: tantivy::schema::Field,
    body: tantivy::schema::Field,
    docs: usize,
}

impl SnowballEngine {
    pub fn build(docs: &[(String, String)]) -> anyhow::Result<Self> {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let body = b.add_text_field(
            "body",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("snowball_de")
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let index = Index::create_in_ram(b.build());
        index
            .tokenizers()
            .register("snowball_de", snowball_analyzer());
        let mut writer = index.writer_with_num_threads(1, 32 * 1024 * 1024)?;
        for (doc_id, text) in docs {
            writer.add_document(doc!(id => doc_id.as_str(), body => text.as_str()))?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SnowballEngine {
            index,
            reader,
            id,
            body,
            docs: docs.len(),
        })
    }
}

impl Engine for SnowballEngine {
    fn search(&self, text: &str) -> anyhow::Result<Vec<String>> {
        use tantivy::schema::Value;
        let mut parser = QueryParser::for_index(&self.index, vec![self.body]);
        parser.set_conjunction_by_default();
        let query = parser.parse_query(text)?;
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(self.docs.max(1)).order_by_score(),
        )?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let stored: TantivyDocument = searcher.doc(addr)?;
            let id = stored
                .get_first(self.id)
                .and_then(|v| v.as_str())
                .context("a document without id")?;
            ids.push(id.to_owned());
        }
        Ok(ids)
    }
}

/// Measures of one query.
#[derive(Clone, Debug)]
pub struct QueryResult {
    pub query: Query,
    /// Relevant documents found / relevant documents.
    pub recall: f64,
    /// Relevant documents found / documents found (0 when none found).
    pub precision: f64,
    /// Normalised discounted cumulative gain of the first 10, binary gains.
    pub ndcg10: f64,
    /// Relevant documents not found.
    pub missed: Vec<String>,
    /// Documents found that are not relevant.
    pub wrong: Vec<String>,
}

pub fn measure(query: &Query, ranked: &[String]) -> QueryResult {
    let relevant: HashSet<&str> = query.relevant.iter().map(String::as_str).collect();
    let found: HashSet<&str> = ranked.iter().map(String::as_str).collect();
    let hits = ranked
        .iter()
        .filter(|d| relevant.contains(d.as_str()))
        .count();
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, d)| relevant.contains(d.as_str()))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(10))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    QueryResult {
        query: query.clone(),
        recall: hits as f64 / relevant.len().max(1) as f64,
        precision: if ranked.is_empty() {
            0.0
        } else {
            hits as f64 / ranked.len() as f64
        },
        ndcg10: if ideal > 0.0 { dcg / ideal } else { 0.0 },
        missed: query
            .relevant
            .iter()
            .filter(|d| !found.contains(d.as_str()))
            .cloned()
            .collect(),
        wrong: ranked
            .iter()
            .filter(|d| !relevant.contains(d.as_str()))
            .cloned()
            .collect(),
    }
}

/// Means over the queries of a class.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub queries: usize,
    pub recall: f64,
    pub precision: f64,
    pub ndcg10: f64,
}

pub fn summarise<'a>(results: impl IntoIterator<Item = &'a QueryResult>) -> Summary {
    let mut s = Summary::default();
    for r in results {
        s.queries += 1;
        s.recall += r.recall;
        s.precision += r.precision;
        s.ndcg10 += r.ndcg10;
    }
    if s.queries > 0 {
        let n = s.queries as f64;
        s.recall /= n;
        s.precision /= n;
        s.ndcg10 /= n;
    }
    s
}

/// Every query of `set` against `clean` (the documents as written) or, for
/// the class `ocr`, against `scanned` (their recognised scans).
pub fn run(
    set: &EvalSet,
    clean: &dyn Engine,
    scanned: &dyn Engine,
) -> anyhow::Result<Vec<QueryResult>> {
    set.queries
        .iter()
        .map(|q| {
            let engine = if q.class == "ocr" { scanned } else { clean };
            let ranked = engine
                .search(&q.text)
                .with_context(|| format!("query {} {:?}", q.id, q.text))?;
            Ok(measure(q, &ranked))
        })
        .collect()
}

/// Every query of `set` against one engine, whatever its class.
pub fn run_all(set: &EvalSet, engine: &dyn Engine) -> anyhow::Result<Vec<QueryResult>> {
    set.queries
        .iter()
        .map(|q| {
            let ranked = engine
                .search(&q.text)
                .with_context(|| format!("query {} {:?}", q.id, q.text))?;
            Ok(measure(q, &ranked))
        })
        .collect()
}

/// Summaries per class, in [`CLASSES`] order, then `all`.
pub fn by_class(results: &[QueryResult]) -> BTreeMap<usize, (String, Summary)> {
    let mut out = BTreeMap::new();
    for (i, class) in CLASSES.iter().enumerate() {
        let s = summarise(results.iter().filter(|r| r.query.class == *class));
        if s.queries > 0 {
            out.insert(i, ((*class).to_owned(), s));
        }
    }
    out.insert(CLASSES.len(), ("all".to_owned(), summarise(results)));
    out
}

/// The heading above the table in BENCHMARKS.md that holds the levels the
/// regression test keeps.
pub const BENCHMARKS_HEADING: &str = "### Recall and precision per class of query";

/// Reads the table under [`BENCHMARKS_HEADING`] in BENCHMARKS.md: per class,
/// the recall and precision recorded for akte's analysis (the table's 4th
/// and 5th columns).
pub fn recorded_levels(benchmarks_md: &str) -> anyhow::Result<BTreeMap<String, (f64, f64)>> {
    let start = benchmarks_md
        .find(BENCHMARKS_HEADING)
        .with_context(|| format!("BENCHMARKS.md has no heading {BENCHMARKS_HEADING:?}"))?;
    let mut levels = BTreeMap::new();
    let mut in_table = false;
    for line in benchmarks_md[start..].lines().skip(1) {
        let line = line.trim();
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cols: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let class = cols
            .first()
            .map(|c| c.trim_matches('*'))
            .unwrap_or_default();
        if !(CLASSES.contains(&class) || class == "all") {
            continue;
        }
        let number = |i: usize| -> anyhow::Result<f64> {
            cols.get(i)
                .map(|c| c.trim_matches('*'))
                .with_context(|| format!("row {class}: no column {i}"))?
                .parse()
                .with_context(|| format!("row {class}: column {i} is not a number"))
        };
        levels.insert(class.to_owned(), (number(3)?, number(4)?));
    }
    anyhow::ensure!(
        !levels.is_empty(),
        "no rows under {BENCHMARKS_HEADING:?} in BENCHMARKS.md"
    );
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(relevant: &[&str]) -> Query {
        Query {
            id: "q".into(),
            class: "plain".into(),
            text: "x".into(),
            relevant: relevant.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn all_relevant_first_is_perfect() {
        let r = measure(&query(&["a", "b"]), &ranked(&["b", "a"]));
        assert_eq!((r.recall, r.precision), (1.0, 1.0));
        assert!((r.ndcg10 - 1.0).abs() < 1e-12);
        assert!(r.missed.is_empty() && r.wrong.is_empty());
    }

    #[test]
    fn misses_and_wrong_hits_count() {
        let r = measure(
            &query(&["a", "b", "c", "d"]),
            &ranked(&["x", "a", "y", "b"]),
        );
        assert_eq!(r.recall, 0.5);
        assert_eq!(r.precision, 0.5);
        assert_eq!(r.missed, ["c", "d"]);
        assert_eq!(r.wrong, ["x", "y"]);
        // Gains at ranks 2 and 4 against the ideal of ranks 1 to 4.
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let ideal: f64 = (2..=5).map(|i| 1.0 / f64::from(i).log2()).sum();
        assert!((r.ndcg10 - dcg / ideal).abs() < 1e-12);
    }

    #[test]
    fn nothing_found_has_no_precision() {
        let r = measure(&query(&["a"]), &[]);
        assert_eq!((r.recall, r.precision, r.ndcg10), (0.0, 0.0, 0.0));
    }

    #[test]
    fn only_the_first_ten_count_for_ndcg() {
        let mut ids: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
        ids.push("a".into());
        let r = measure(&query(&["a"]), &ids);
        assert_eq!(r.recall, 1.0);
        assert_eq!(r.ndcg10, 0.0);
    }

    #[test]
    fn recorded_levels_are_read_from_the_table() {
        let md = format!(
            "# Benchmarks\n\n{BENCHMARKS_HEADING}\n\ntext\n\n| class | queries | documents | recall | precision | nDCG@10 |\n|---|---|---|---|---|---|\n| plain | 20 | as written | 0.950 | 0.990 | 0.9 |\n| **all** | 80 | both | 0.800 | 0.910 | 0.8 |\n\n| plain | 1 | x | 0.1 | 0.1 | 0.1 |\n"
        );
        let levels = recorded_levels(&md).expect("levels");
        assert_eq!(levels.len(), 2);
        assert_eq!(levels["plain"], (0.95, 0.99));
        assert_eq!(levels["all"], (0.8, 0.91));
        assert!(recorded_levels("# Benchmarks\n").is_err());
    }
}
