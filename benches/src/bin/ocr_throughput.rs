//! Text recognition throughput per core: akte's OCR pipeline against plain
//! `tesseract` on the same pages, in the same run.
//!
//! Baseline: `tesseract PAGE stdout -l deu` run once per page, one at a time,
//! with OMP_THREAD_LIMIT=1 (single-threaded), on PNG files of German letters
//! rendered at 300 dpi.
//! Measured: the same pages uploaded (without a case, as the mail room does)
//! to an `akte_core::Store` with one OCR worker; time from the first upload to
//! the moment the last page's text is searchable. This includes the upload
//! (hash, fsync, catalog), reading the blob back and verifying it, bound
//! checks, recognition, routing, and indexing.
//!
//! Usage: cargo run --release -p akte-benches --bin ocr-throughput [-- PAGES [--case]]
//! (`--case`: into a named case, without routing and its QR code search).
//! Prints a Markdown table for BENCHMARKS.md.

use std::process::Command;
use std::time::{Duration, Instant};

use akte_core::{Config, NewCase, SearchRequest, Store, UploadHeader};
use bytes::Bytes;

const LINES: &[&str] = &[
    "Jobcenter Nord, Postfach 12 34, 12345 Musterstadt",
    "Sehr geehrte Damen und Herren,",
    "hiermit beantrage ich die Weiterbewilligung der Leistungen",
    "zur Sicherung des Lebensunterhalts nach dem SGB II.",
    "Anbei sende ich Ihnen die Kontoauszuege der letzten drei Monate,",
    "die Mietbescheinigung meines Vermieters und die Nebenkostenabrechnung.",
    "Mein Arbeitgeber hat die Arbeitsbescheinigung bereits uebersandt.",
    "Bitte teilen Sie mir mit, ob weitere Unterlagen benoetigt werden.",
    "Mit freundlichen Gruessen",
    "Erika Mustermann",
];

/// One word per page, long and plain enough that OCR reads it exactly.
const MARKERS: &[&str] = &[
    "Apfelbaum",
    "Birnenkorb",
    "Kirschgarten",
    "Pflaumenmus",
    "Quittengelee",
    "Zitronenfalter",
    "Orangensaft",
    "Bananenschale",
    "Erdbeerfeld",
    "Himbeerstrauch",
    "Johannisbeere",
    "Stachelbeere",
    "Holunderbluete",
    "Walnusskern",
    "Haselnussstrauch",
    "Kastanienallee",
];

fn page(i: usize) -> Vec<u8> {
    let marker = format!("Vorgang {}", MARKERS[i % MARKERS.len()]);
    let mut lines: Vec<&str> = LINES.to_vec();
    lines.insert(1, &marker);
    akte_extract::fixtures::letter_png(&lines, 300)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10)
        .min(MARKERS.len());
    // `--case`: upload into a case, so no routing (and no QR code search).
    let into_case = std::env::args().any(|a| a == "--case");
    let pages: Vec<Vec<u8>> = (0..n).map(page).collect();
    let dir = tempfile::tempdir()?;

    // Baseline: plain tesseract, one page at a time.
    let mut baseline = Duration::ZERO;
    for (i, p) in pages.iter().enumerate() {
        let file = dir.path().join(format!("page{i}.png"));
        std::fs::write(&file, p)?;
        let started = Instant::now();
        let out = Command::new("tesseract")
            .arg(&file)
            .arg("stdout")
            .args(["-l", "deu"])
            .env("OMP_THREAD_LIMIT", "1")
            .output()?;
        baseline += started.elapsed();
        anyhow::ensure!(out.status.success(), "tesseract failed");
        let text = String::from_utf8_lossy(&out.stdout);
        anyhow::ensure!(
            text.contains("Weiterbewilligung"),
            "tesseract misread: {text}"
        );
    }

    // akte: the same pages through the store's pipeline, one OCR worker.
    let config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let settings = config.validate()?;
    // The bench calls the store directly, as an administrator.
    let admin = akte_core::access::Caller::local_admin("bench");
    let store = Store::open(settings)?;
    anyhow::ensure!(
        store.ocr_enabled(),
        "tesseract with German data is not installed"
    );
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
    let _indexer = store.spawn_indexer();
    let _workers = store.spawn_ocr_workers();
    let started = Instant::now();
    let mut ack = Duration::ZERO;
    for (i, p) in pages.iter().enumerate() {
        let header = UploadHeader {
            case_number: if into_case {
                "12345BG0000001".into()
            } else {
                String::new()
            },
            site: "Nord".into(),
            media_type: "image/png".into(),
            filename: format!("page{i}.png"),
            source: "scan".into(),
            ..UploadHeader::default()
        };
        let t = Instant::now();
        store
            .upload(
                &admin,
                header,
                futures::stream::iter([Ok(Bytes::from(p.clone()))]),
            )
            .await?;
        ack = ack.max(t.elapsed());
    }
    for (i, marker) in MARKERS.iter().enumerate().take(n) {
        loop {
            let found = store
                .search(
                    &admin,
                    SearchRequest {
                        query: (*marker).to_owned(),
                        limit: 1,
                        ..SearchRequest::default()
                    },
                )
                .await?;
            if found.total_hits == 1 {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60 + 30 * n as u64),
                "page {i} never became searchable"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let akte = started.elapsed();
    let per_page = |d: Duration| d.as_secs_f64() / n as f64;
    println!("| pages | plain tesseract (1 thread) | per page | akte, 1 worker, upload→searchable | per page | akte / tesseract | slowest ack |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {} | {:.2} s | {} | {:.2} s | {:.2} | {:.0} ms |",
        secs(baseline),
        per_page(baseline),
        secs(akte),
        per_page(akte),
        akte.as_secs_f64() / baseline.as_secs_f64(),
        ack.as_secs_f64() * 1000.0
    );
    Ok(())
}
