//! Search quality on the labelled evaluation set (`benches/eval/`): recall,
//! precision and nDCG@10 per class of query (plain, inflection, compound
//! part, hyphen/space variant, OCR noise) for akte's German analysis, beside
//! Snowball stemming alone as the baseline, both in the same run.
//!
//! Queries of the classes plain to variant run against the documents as
//! written, the class `ocr` against the text Tesseract recognised from their
//! noisy scans (`benches/eval/scans/`). A second table runs every query
//! against the scans.
//!
//! `--cost N`: what the analysis costs instead. N documents (the set's letters
//! over and over) indexed on disk by akte's index (one indexing thread,
//! 10,000 documents a commit), beside the same schema without the field of
//! the parts of compounds, in the same run: documents a second, index size;
//! and akte's search with a site filter, p50 and p99.
//!
//! Usage: cargo run --release -p akte-benches --bin search-quality [-- --per-query | --cost N]
//! (`--per-query`: each query's numbers, misses and wrong hits as well).
//! Prints Markdown for BENCHMARKS.md.

use std::path::Path;
use std::time::{Duration, Instant};

use akte_benches::eval::{
    by_class, run, run_all, AkteEngine, EvalSet, QueryResult, SnowballEngine, Summary,
};
use akte_benches::{millis, percentile};
use akte_index::{IndexDoc, SearchIndex, SearchQuery, GERMAN};
use tantivy::doc;
use tantivy::schema::{
    IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

const BATCH: usize = 10_000;

fn cost_doc(texts: &[(String, String)], i: usize) -> IndexDoc {
    IndexDoc {
        document_id: format!("{i:026}"),
        case_number: format!("{:05}BG{:07}", i % 100_000, i / 10),
        site: format!("Standort{}", i % 20),
        access: format!("class{}", i % 20),
        document_type: "Brief".into(),
        received_at: 1_700_000_000_000 + i as i64,
        title: format!("Schreiben {i}"),
        filename: format!("brief{i}.pdf"),
        body: texts[i % texts.len()].1.clone(),
    }
}

fn dir_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

/// The baseline: akte's schema before the parts field, akte's analyzer, the
/// same writer settings.
fn build_without_parts(texts: &[(String, String)], n: usize, dir: &Path) -> anyhow::Result<()> {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GERMAN)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let document_id = b.add_text_field("document_id", STRING | STORED);
    let case_number = b.add_text_field("case_number", STRING | STORED);
    let site = b.add_text_field("site", STRING);
    let access = b.add_text_field("access", STRING);
    let document_type = b.add_text_field("document_type", STRING);
    let received_at = b.add_i64_field("received_at", INDEXED | FAST);
    let title = b.add_text_field("title", text.clone());
    let filename = b.add_text_field("filename", text.clone());
    let body = b.add_text_field("body", text);
    let index = tantivy::Index::create_in_dir(dir, b.build())?;
    index.tokenizers().register(GERMAN, akte_index::analyzer());
    let mut writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
    for i in 0..n {
        let d = cost_doc(texts, i);
        writer.add_document(doc!(
            document_id => d.document_id.as_str(),
            case_number => d.case_number.as_str(),
            site => d.site.as_str(),
            access => d.access.as_str(),
            document_type => d.document_type.as_str(),
            received_at => d.received_at,
            title => d.title.as_str(),
            filename => d.filename.as_str(),
            body => d.body.as_str(),
        ))?;
        if (i + 1) % BATCH == 0 {
            writer.commit()?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

fn build_akte(texts: &[(String, String)], n: usize, dir: &Path) -> anyhow::Result<()> {
    let index = SearchIndex::open(dir)?;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        batch.push(cost_doc(texts, i));
        if batch.len() == BATCH {
            index.upsert(&batch)?;
            index.commit()?;
            batch.clear();
        }
    }
    index.upsert(&batch)?;
    index.commit()?;
    Ok(())
}

fn cost(set: &EvalSet, n: usize) -> anyhow::Result<()> {
    let base_dir = tempfile::tempdir()?;
    let started = Instant::now();
    build_without_parts(&set.docs, n, base_dir.path())?;
    let base_time = started.elapsed();
    let akte_dir = tempfile::tempdir()?;
    let started = Instant::now();
    build_akte(&set.docs, n, akte_dir.path())?;
    let akte_time = started.elapsed();
    // Let merges that are still running finish before measuring the size.
    let index = SearchIndex::open(akte_dir.path())?;
    std::thread::sleep(Duration::from_secs(2));
    let base_bytes = dir_bytes(base_dir.path())?;
    let akte_bytes = dir_bytes(akte_dir.path())?;

    let queries = [
        "Verwaltung",
        "Miete Kaution",
        "Widerspruch",
        "Termin",
        "Bescheinigung",
    ];
    let mut times = Vec::new();
    for r in 0..200 {
        for q in queries {
            let t = Instant::now();
            index.search(&SearchQuery {
                text: q.into(),
                site: Some(format!("Standort{}", r % 20)),
                limit: 20,
                ..SearchQuery::default()
            })?;
            times.push(t.elapsed());
        }
    }
    times.sort();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!("| {n} documents | docs/s indexed | index size | query with site filter p50 / p99 |");
    println!("|---|---|---|---|");
    println!(
        "| without the parts field (baseline) | {:.0} | {:.1} MiB | – |",
        n as f64 / base_time.as_secs_f64(),
        mib(base_bytes)
    );
    println!(
        "| akte (with the parts field) | {:.0} ({:.2}×) | {:.1} MiB ({:+.1}%) | {:.2} / {:.2} ms |",
        n as f64 / akte_time.as_secs_f64(),
        base_time.as_secs_f64() / akte_time.as_secs_f64(),
        mib(akte_bytes),
        (akte_bytes as f64 / base_bytes as f64 - 1.0) * 100.0,
        millis(percentile(&times, 0.5)),
        millis(percentile(&times, 0.99))
    );
    Ok(())
}

fn row(class: &str, akte: &Summary, base: &Summary, corpus: &str) -> String {
    format!(
        "| {class} | {} | {corpus} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        akte.queries,
        akte.recall,
        akte.precision,
        akte.ndcg10,
        base.recall,
        base.precision,
        base.ndcg10
    )
}

fn table(akte: &[QueryResult], base: &[QueryResult], corpus: impl Fn(&str) -> &'static str) {
    println!("| class | queries | documents | recall | precision | nDCG@10 | Snowball only: recall | precision | nDCG@10 |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let a = by_class(akte);
    let b = by_class(base);
    for (k, (class, s)) in &a {
        if let Some((_, sb)) = b.get(k) {
            println!("{}", row(class, s, sb, corpus(class)));
        }
    }
}

fn per_query(akte: &[QueryResult], base: &[QueryResult]) {
    println!();
    println!("| query | class | text | relevant | recall | precision | nDCG@10 | Snowball only: recall | precision | nDCG@10 | missed | found wrongly |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (a, b) in akte.iter().zip(base) {
        let short = |v: &[String]| {
            let mut s = v.iter().take(8).cloned().collect::<Vec<_>>().join(" ");
            if v.len() > 8 {
                s.push_str(&format!(" (+{})", v.len() - 8));
            }
            s
        };
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
            a.query.id,
            a.query.class,
            a.query.text,
            a.query.relevant.len(),
            a.recall,
            a.precision,
            a.ndcg10,
            b.recall,
            b.precision,
            b.ndcg10,
            short(&a.missed),
            short(&a.wrong)
        );
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let details = args.iter().any(|a| a == "--per-query");
    let set = EvalSet::load()?;
    if let Some(i) = args.iter().position(|a| a == "--cost") {
        let n: usize = args
            .get(i + 1)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(100_000);
        return cost(&set, n);
    }
    let started = Instant::now();
    let akte_clean = AkteEngine::build(&set.docs)?;
    let akte_scans = AkteEngine::build(&set.scans)?;
    let built = started.elapsed();
    let base_clean = SnowballEngine::build(&set.docs)?;
    let base_scans = SnowballEngine::build(&set.scans)?;

    let akte = run(&set, &akte_clean, &akte_scans)?;
    let base = run(&set, &base_clean, &base_scans)?;
    println!(
        "{} documents ({} KB of text; {} KB recognised from their scans), {} queries; akte's two indexes built in {:.2} s",
        set.docs.len(),
        set.docs.iter().map(|(_, t)| t.len()).sum::<usize>() / 1024,
        set.scans.iter().map(|(_, t)| t.len()).sum::<usize>() / 1024,
        set.queries.len(),
        built.as_secs_f64()
    );
    println!();
    table(&akte, &base, |class| match class {
        "ocr" => "scans",
        "all" => "both",
        _ => "as written",
    });

    println!();
    println!("Every query against the scans:");
    println!();
    let akte_all_scans = run_all(&set, &akte_scans)?;
    let base_all_scans = run_all(&set, &base_scans)?;
    table(&akte_all_scans, &base_all_scans, |_| "scans");

    if details {
        per_query(&akte, &base);
    }
    Ok(())
}
