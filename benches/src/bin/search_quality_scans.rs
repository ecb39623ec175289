//! Writes the scanned form of the search evaluation set: every document of
//! `benches/eval/docs/` printed on a page (`akte_extract::fixtures::letter_png`,
//! Helvetica 11 pt, rendered by poppler), turned a little and speckled like a
//! scan from the mail room (`skewed_noisy_png`), then recognised by akte's
//! own OCR pipeline (`akte_extract::ocr_document`, Tesseract `deu`). The
//! recognised text goes to `benches/eval/scans/<id>.txt`, the way each page
//! was spoiled to `benches/eval/scans.tsv`.
//!
//! The pages differ, as scans do: resolution 200 or 300 dpi, turned by up to
//! ±2.5°, 0.5 to 6% of the pixels flipped to black or white. All of it follows
//! from the document's number, so a run writes the same images; the text
//! can still change with another Tesseract or poppler version (the README of
//! the set names the versions used for the committed files).
//!
//! Takes about 2 s a page on one core; `--jobs N` runs N pages at a time.
//!
//! Usage: cargo run --release -p akte-benches --bin search-quality-scans --
//!        [--jobs N] [--only d001,d002] [--out DIR]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use akte_benches::eval::{eval_dir, load_docs};
use akte_extract::fixtures::{letter_png, skewed_noisy_png};
use akte_extract::{ocr_document, OcrSettings};
use anyhow::Context;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How one page was spoiled before recognition.
#[derive(Clone, Copy, Debug)]
struct Spoil {
    dpi: u32,
    degrees: f32,
    noise: f32,
    seed: u64,
}

fn spoil_for(number: u64) -> Spoil {
    let mut rng = StdRng::seed_from_u64(0x5ca9_0000 + number);
    let dpi = if rng.random::<f32>() < 0.4 { 200 } else { 300 };
    let degrees = rng.random_range(-2.5f32..2.5);
    let noise = rng.random_range(0.005f32..0.04);
    Spoil {
        dpi,
        degrees: (degrees * 100.0).round() / 100.0,
        noise: (noise * 1000.0).round() / 1000.0,
        seed: number,
    }
}

fn scan(text: &str, spoil: Spoil, work: &Path) -> anyhow::Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    let page = skewed_noisy_png(
        &letter_png(&lines, spoil.dpi),
        spoil.degrees,
        spoil.noise,
        spoil.seed,
    );
    let file = work.join("page.png");
    std::fs::write(&file, page)?;
    let out = ocr_document("image/png", &file, &OcrSettings::default(), work, false)?;
    Ok(out.pages.join("\n"))
}

fn main() -> anyhow::Result<()> {
    let mut jobs = 1usize;
    let mut only: Option<Vec<String>> = None;
    let mut out_dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--jobs" => jobs = args.next().context("--jobs N")?.parse()?,
            "--only" => {
                only = Some(
                    args.next()
                        .context("--only ID,ID")?
                        .split(',')
                        .map(str::to_owned)
                        .collect(),
                )
            }
            "--out" => out_dir = Some(args.next().context("--out DIR")?.into()),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let docs = load_docs(&eval_dir().join("docs"))?;
    let docs: Vec<_> = docs
        .into_iter()
        .filter(|(id, _)| only.as_ref().is_none_or(|o| o.contains(id)))
        .collect();
    let out_dir = out_dir.unwrap_or_else(|| eval_dir().join("scans"));
    std::fs::create_dir_all(&out_dir)?;

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let rows = Mutex::new(Vec::new());
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    let work = tempfile::tempdir()?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, text)) = docs.get(i) else {
                            return Ok(());
                        };
                        let number: u64 = id.trim_start_matches('d').parse()?;
                        let spoil = spoil_for(number);
                        let recognised =
                            scan(text, spoil, work.path()).with_context(|| id.clone())?;
                        std::fs::write(out_dir.join(format!("{id}.txt")), recognised)?;
                        rows.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!(
                                "{id}\t{}\t{}\t{}\t{}",
                                spoil.dpi, spoil.degrees, spoil.noise, spoil.seed
                            ));
                        eprintln!(
                            "{id} ({} of {}, {:.0} s)",
                            i + 1,
                            docs.len(),
                            started.elapsed().as_secs_f64()
                        );
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        }
        Ok(())
    })?;
    let mut rows = rows
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    rows.sort();
    if only.is_none() {
        let mut tsv = String::from("id\tdpi\tdegrees\tnoise\tseed\n");
        for r in rows {
            tsv.push_str(&r);
            tsv.push('\n');
        }
        std::fs::write(eval_dir().join("scans.tsv"), tsv)?;
    }
    println!(
        "{} pages in {:.0} s",
        docs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
