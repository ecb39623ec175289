//! Search over a large synthetic German corpus: N documents generated from a
//! German word list with Zipf-like term frequencies, spread over 20 sites,
//! one term ("Widerspruch") in ~14% of them. Measures index build rate,
//! query latency (p50/p95/p99) with and without a site filter, cold start
//! (open + first query) and the process's resident memory.
//!
//! Baseline in the same run: the same queries as raw Tantivy term queries
//! (no query parsing, no filter, no snippets) on the same index.
//!
//! Usage: cargo run --release -p akte-benches --bin search-scale -- [DOCUMENTS]

use std::time::{Duration, Instant};

use akte_benches::{millis, percentile, rss_bytes};
use akte_index::{IndexDoc, SearchIndex, SearchQuery};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Common words of letters to and from a job centre, most frequent first.
const WORDS: &[&str] = &[
    "der",
    "die",
    "und",
    "in",
    "den",
    "von",
    "zu",
    "das",
    "mit",
    "sich",
    "des",
    "auf",
    "für",
    "ist",
    "im",
    "dem",
    "nicht",
    "ein",
    "eine",
    "als",
    "auch",
    "es",
    "an",
    "werden",
    "aus",
    "Antrag",
    "Leistungen",
    "Bescheid",
    "Jobcenter",
    "Bedarfsgemeinschaft",
    "Einkommen",
    "Miete",
    "Heizkosten",
    "Nachweis",
    "Unterlagen",
    "Arbeitgeber",
    "Weiterbewilligung",
    "Kindergeld",
    "Unterhalt",
    "Wohnung",
    "Vermieter",
    "Mitwirkung",
    "Frist",
    "Eingliederung",
    "Kontoauszüge",
    "Lohnabrechnung",
    "Krankenkasse",
    "Rentenversicherung",
    "Bewerbung",
    "Maßnahme",
    "Termin",
    "Einladung",
    "Meldeversäumnis",
    "Sanktion",
    "Minderung",
    "Erstattung",
    "Überzahlung",
    "Darlehen",
    "Umzug",
    "Kaution",
    "Nebenkosten",
    "Stromkosten",
    "Mehrbedarf",
    "Schwangerschaft",
    "Alleinerziehende",
    "Bildung",
    "Teilhabe",
    "Schulbedarf",
    "Klassenfahrt",
    "Mittagessen",
];
const SITES: usize = 20;
/// Fraction of documents that contain the marked term.
const MARKED_SHARE: f64 = 0.14;
const MARKED: &str = "Widerspruch";

fn document(rng: &mut StdRng, i: usize) -> IndexDoc {
    let words = rng.random_range(150..600);
    let mut body = String::with_capacity(words * 9);
    for _ in 0..words {
        // Zipf-like: index ~ N * u^3.
        let u: f64 = rng.random();
        let idx = ((WORDS.len() as f64) * u * u * u) as usize;
        body.push_str(WORDS[idx.min(WORDS.len() - 1)]);
        body.push(' ');
    }
    if rng.random_bool(MARKED_SHARE) {
        body.push_str(MARKED);
    }
    IndexDoc {
        document_id: format!("{i:026}"),
        case_number: format!("{:05}BG{:07}", i % 100_000, i / 10),
        site: format!("Standort{}", i % SITES),
        document_type: "Brief".into(),
        received_at: 1_700_000_000_000 + i as i64,
        title: format!("Schreiben {i}"),
        filename: format!("brief{i}.pdf"),
        body,
    }
}

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
    Ok(())
}
