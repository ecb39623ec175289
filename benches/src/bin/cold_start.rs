//! Cold start with many blobs on disk: N blob files (default 1,000,000) in
//! the local blob directory's 256 shard directories, a few interrupted
//! writes left in its temporary directory, then the time to open it.
//!
//! Baseline in the same run: a walk of the whole blob tree (what opening a
//! blob directory cost before interrupted writes had a directory of their
//! own), on the same files. Page caches are dropped before each measurement
//! where the kernel allows it (as root); the output says whether it did.
//!
//! Usage: cargo run --release -p akte-benches --bin cold-start -- [BLOBS] [DIR]
//! (DIR: where to create the files, default a temporary directory; it is
//! reused if it already holds them).

use std::path::Path;
use std::time::{Duration, Instant};

use akte_blob::DurableLocal;
use akte_types::ContentHash;

/// Drops the page, dentry and inode caches; false where not allowed.
fn drop_caches() -> bool {
    // SAFETY of the data: sync first, so dirty pages are written, not lost.
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Every directory entry under `dir`, recursively: the old open's walk.
fn walk(dir: &Path) -> std::io::Result<u64> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        n += 1;
        if entry.file_type()?.is_dir() {
            n += walk(&entry.path())?;
        }
    }
    Ok(n)
}

fn create(root: &Path, blobs: u64) -> anyhow::Result<()> {
    let marker = root.join(format!(".created-{blobs}"));
    if marker.exists() {
        println!("reusing {blobs} blobs in {}", root.display());
        return Ok(());
    }
    let started = Instant::now();
    // Opening creates the shard directories.
    drop(DurableLocal::open(root)?);
    for i in 0..blobs {
        let hash = ContentHash::of(&i.to_le_bytes());
        // A small blob: its content does not matter for opening.
        std::fs::write(root.join(hash.object_key()), i.to_le_bytes())?;
        if i % 100_000 == 0 && i > 0 {
            println!("  {i} blobs written");
        }
    }
    for i in 0..10 {
        std::fs::write(
            root.join(akte_blob::TEMP_DIR).join(format!("x#{i}")),
            b"torn",
        )?;
    }
    std::fs::write(marker, b"")?;
    println!(
        "created {blobs} blobs in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(Duration, T)> {
    let started = Instant::now();
    let out = f()?;
    Ok((started.elapsed(), out))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let blobs: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let temp;
    let root = match args.next() {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().join("objects")
        }
    };
    create(&root, blobs)?;
    let mut rows = Vec::new();
    for round in 0..3 {
        let cold = drop_caches();
        let (open, _) = timed(|| Ok(DurableLocal::open(&root)?))?;
        let cold_walk = drop_caches();
        let (walked, entries) = timed(|| Ok(walk(&root)?))?;
        println!(
            "round {round}: open {:.1} ms ({}), walk of the tree {:.1} ms ({}, {entries} entries)",
            open.as_secs_f64() * 1e3,
            if cold { "caches dropped" } else { "warm" },
            walked.as_secs_f64() * 1e3,
            if cold_walk { "caches dropped" } else { "warm" },
        );
        rows.push((open, walked));
    }
    rows.sort();
    let (open, walked) = rows[rows.len() / 2];
    println!(
        "median: open {:.1} ms, baseline walk {:.1} ms, open/walk = {:.4}",
        open.as_secs_f64() * 1e3,
        walked.as_secs_f64() * 1e3,
        open.as_secs_f64() / walked.as_secs_f64()
    );
    Ok(())
}
