//! Search over a large synthetic German corpus: N documents generated from a
//! German word list with Zipf-like term frequencies, spread over 20 sites,
//! one term ("Widerspruch") in ~14% of them. Measures index build rate,
//! query latency (p50/p95/p99) with and without a site filter, cold start
//! (open + first query) and the process's resident memory; and the same
//! queries with the access rules' filter inside them, as a caseworker of one
//! site searches (that site's open cases and inbox) and as one who states a
//! reason (the open cases of every site), beside the numbers without.
//!
//! Baseline in the same run: the same queries as raw Tantivy term queries
//! (no query parsing, no filter, no snippets) on the same index.
//!
//! Usage: cargo run --release -p akte-benches --bin search-scale -- [DOCUMENTS]

use std::time::{Duration, Instant};

use akte_benches::corpus::{document, MARKED, SITES};
use akte_benches::{millis, percentile, rss_bytes};
use akte_core::access::{case_class, inbox_class};
use akte_index::{SearchIndex, SearchQuery};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn rss_mib() -> u64 {
    rss_bytes("self").unwrap_or(0) / (1024 * 1024)
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    millis(percentile(v, p))
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let mut rng = StdRng::seed_from_u64(1);
    let started = Instant::now();
    {
        let index = SearchIndex::open(dir.path())?;
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..n {
            batch.push(document(&mut rng, i));
            if batch.len() == 10_000 {
                index.upsert(&batch)?;
                index.commit()?;
                batch.clear();
            }
        }
        index.upsert(&batch)?;
        index.commit()?;
    }
    let build = started.elapsed();

    // Cold start: open the index and answer the first query.
    let started = Instant::now();
    let index = SearchIndex::open(dir.path())?;
    let first = index.search(&SearchQuery {
        text: MARKED.into(),
        limit: 20,
        ..SearchQuery::default()
    })?;
    let cold = started.elapsed();
    let marked = first.total;

    let queries: Vec<&str> = vec![
        MARKED,
        "Antrag Miete",
        "\"Weiterbewilligung der\"",
        "Kaution OR Darlehen",
        "Umzug -Kaution",
    ];
    let rounds = 200;
    let mut plain = Vec::new();
    let mut filtered = Vec::new();
    let mut raw = Vec::new();
    let mut own_site = Vec::new();
    let mut all_sites = Vec::new();
    let every_site: Vec<String> = (0..SITES)
        .map(|s| case_class(&format!("Standort{s}"), None))
        .collect();
    for r in 0..rounds {
        for q in &queries {
            let t = Instant::now();
            index.search(&SearchQuery {
                text: (*q).into(),
                limit: 20,
                ..SearchQuery::default()
            })?;
            plain.push(t.elapsed());
            let t = Instant::now();
            index.search(&SearchQuery {
                text: (*q).into(),
                site: Some(format!("Standort{}", r % SITES)),
                limit: 20,
                ..SearchQuery::default()
            })?;
            filtered.push(t.elapsed());
            let t = Instant::now();
            index.raw_term_search(
                q.split_whitespace()
                    .next()
                    .unwrap_or(MARKED)
                    .trim_matches('"'),
                20,
            )?;
            raw.push(t.elapsed());
            let site = format!("Standort{}", r % SITES);
            let t = Instant::now();
            index.search(&SearchQuery {
                text: (*q).into(),
                access: Some(vec![case_class(&site, None), inbox_class(&site)]),
                limit: 20,
                ..SearchQuery::default()
            })?;
            own_site.push(t.elapsed());
            let t = Instant::now();
            index.search(&SearchQuery {
                text: (*q).into(),
                access: Some(every_site.clone()),
                limit: 20,
                ..SearchQuery::default()
            })?;
            all_sites.push(t.elapsed());
        }
    }
    println!("| documents | build | docs/s | cold start (open + first query) | `{MARKED}` in | query p50 / p95 / p99 | with site filter p50 / p95 / p99 | raw Tantivy term query p50 / p95 / p99 (baseline) | p99 filtered / baseline | RSS |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let p99_filtered = pct(&mut filtered, 0.99);
    let p99_raw = pct(&mut raw, 0.99);
    println!(
        "| {n} | {:.1} s | {:.0} | {:.0} ms | {marked} docs | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} / {:.2} ms | {:.1} | {} MiB |",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64(),
        cold.as_secs_f64() * 1000.0,
        pct(&mut plain, 0.5),
        pct(&mut plain, 0.95),
        pct(&mut plain, 0.99),
        pct(&mut filtered, 0.5),
        pct(&mut filtered, 0.95),
        p99_filtered,
        pct(&mut raw, 0.5),
        pct(&mut raw, 0.95),
        p99_raw,
        p99_filtered / p99_raw.max(1e-6),
        rss_mib()
    );
    println!();
    println!("| documents | without access filter p50 / p95 / p99 | caseworker of one site (2 classes) p50 / p95 / p99 | with a reason, every site (20 classes) p50 / p95 / p99 | p99 one site / without | p99 every site / without |");
    println!("|---|---|---|---|---|---|");
    let p99_plain = pct(&mut plain, 0.99);
    let p99_own = pct(&mut own_site, 0.99);
    let p99_all = pct(&mut all_sites, 0.99);
    println!(
        "| {n} | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} / {:.2} ms | {:.2} | {:.2} |",
        pct(&mut plain, 0.5),
        pct(&mut plain, 0.95),
        p99_plain,
        pct(&mut own_site, 0.5),
        pct(&mut own_site, 0.95),
        p99_own,
        pct(&mut all_sites, 0.5),
        pct(&mut all_sites, 0.95),
        p99_all,
        p99_own / p99_plain.max(1e-6),
        p99_all / p99_plain.max(1e-6),
    );
    Ok(())
}
