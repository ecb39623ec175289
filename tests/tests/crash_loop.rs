//! Crash loop: concurrent uploads, the server killed with SIGKILL at a random
//! moment, restarted, and checked, again and again:
//! - every acknowledged document is present and byte-exact;
//! - every listed document downloads with its hash (no row points at a
//!   missing or partial blob) and is one the clients sent in full (no
//!   partial document is visible);
//! - the staging area is empty after every start (it does not grow);
//! - at the end, the index converges to the catalog.
//!
//! Short form (20 loops) in the normal test run. Long form:
//! `AKTE_CRASH_LOOPS=1000 cargo nextest run -p akte-e2e -E 'binary(crash_loop)'`
//! (`AKTE_CRASH_SEED` repeats a run; the seed is printed).
//! `power_loss.rs` does the same with the power cut as well.
#![allow(clippy::unwrap_used)]

mod common;
mod crash;

use std::time::Instant;

use common::*;
use crash::*;

#[tokio::test]
async fn acknowledged_documents_survive_repeated_sigkill() {
    let loops = env_or("AKTE_CRASH_LOOPS", 20);
    let mut rng = seeded_rng(&format!("crash loop, {loops} loops"), "AKTE_CRASH_SEED");
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(&dir.path().join("data")).await;
    let mut ledger = Ledger::default();
    let started = Instant::now();
    for round in 0..loops {
        ledger.upload_until_killed(&mut server, &mut rng).await;
        server = server.restart().unwrap();
        let problems = ledger.problems(&server, round + 1 == loops).await;
        assert!(problems.is_empty(), "round {round}: {problems:#?}");
    }
    let mut c = clients(&server).await;
    let total = all_documents(&mut c).await.unwrap().len() as u64;
    wait_index_complete(&mut c, total).await;
    println!(
        "crash loop: {loops} loops, {} acknowledged, {total} stored, {:.1} s",
        ledger.acked.len(),
        started.elapsed().as_secs_f64()
    );
}
