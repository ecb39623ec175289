//! Time from the acknowledgement of an upload to the moment a search finds
//! the document, under light load (one upload at a time, a pause between).
//!
//! Baseline measured in the same run: the indexer's batching wait (the
//! configured commit interval) plus one raw Tantivy add + commit + reload of
//! the same kind of document, i.e. the least the pipeline can take.
//!
//! Usage: cargo run -p akte-benches --bin ack-to-search [-- DOCUMENTS]
//! Prints a Markdown table for BENCHMARKS.md.

use std::time::{Duration, Instant};

use akte_benches::percentile;
use akte_core::{Config, NewCase, SearchRequest, Store, UploadHeader};
use akte_index::{IndexDoc, SearchIndex, SearchQuery};
use bytes::Bytes;

const WORDS: &[&str] = &[
    "Antrag",
    "Bescheid",
    "Leistungen",
    "Bedarfsgemeinschaft",
    "Miete",
    "Heizkosten",
    "Einkommen",
    "Nachweis",
    "Arbeitgeber",
    "Beschäftigte",
    "Weiterbewilligung",
    "Kindergeld",
    "Unterhalt",
    "Wohnung",
    "Vermieter",
];

fn letter(i: usize) -> String {
    let mut text = String::from("Sehr geehrte Damen und Herren,\n");
    for j in 0..120 {
        text.push_str(WORDS[(i * 7 + j * 3) % WORDS.len()]);
        text.push(if j % 12 == 11 { '\n' } else { ' ' });
    }
    // A word unique to this letter, to search for.
    text.push_str(&format!("\nMarke{i}x\n"));
    text
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn raw_commit_baseline(n: usize) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        index.upsert(&[IndexDoc {
            document_id: format!("doc{i}"),
            body: letter(i),
            ..IndexDoc::default()
        }])?;
        index.commit()?;
        let found = index.search(&SearchQuery {
            text: format!("Marke{i}x"),
            limit: 1,
            ..SearchQuery::default()
        })?;
        anyhow::ensure!(found.total == 1, "raw index lost a document");
        times.push(started.elapsed());
    }
    times.sort();
    Ok(percentile(&times, 0.5))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50);
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let settings = config.validate()?;
    let commit_interval = settings.index_commit_interval;
    let store = Store::open(settings)?;
    // The bench calls the store directly, as an administrator.
    let admin = akte_core::access::Caller::local_admin("bench");
    let _indexer = store.spawn_indexer();
    store
        .create_case(
            &admin,
            NewCase {
                case_number: "12345BG0000001".into(),
                site: "Nord".into(),
                ..NewCase::default()
            },
        )
        .await?;

    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let body = Bytes::from(letter(i));
        let header = UploadHeader {
            case_number: "12345BG0000001".into(),
            media_type: "text/plain".into(),
            filename: format!("brief{i}.txt"),
            ..UploadHeader::default()
        };
        store
            .upload(&admin, header, futures::stream::iter([Ok(body)]))
            .await?;
        let acked = Instant::now();
        loop {
            let page = store
                .search(
                    &admin,
                    SearchRequest {
                        query: format!("Marke{i}x"),
                        limit: 1,
                        ..SearchRequest::default()
                    },
                )
                .await?;
            if page.total_hits == 1 {
                latencies.push(acked.elapsed());
                break;
            }
            anyhow::ensure!(
                acked.elapsed() < Duration::from_secs(60),
                "document {i} never became searchable"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Light load: a pause between uploads.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies.sort();
    let raw = raw_commit_baseline(n.min(30))?;
    let baseline = commit_interval + raw;
    let p50 = percentile(&latencies, 0.5);
    let p95 = percentile(&latencies, 0.95);
    let max = *latencies.last().unwrap_or(&Duration::ZERO);
    println!("| documents | ack→searchable p50 | p95 | max | baseline (commit interval {} + raw commit {}) | p95 / baseline | target |", ms(commit_interval), ms(raw));
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {} | {} | {} | {} | {:.2} | p95 ≤ 2000 ms: {} |",
        ms(p50),
        ms(p95),
        ms(max),
        ms(baseline),
        p95.as_secs_f64() / baseline.as_secs_f64(),
        if p95 <= Duration::from_secs(2) {
            "met"
        } else {
            "missed"
        }
    );
    Ok(())
}
