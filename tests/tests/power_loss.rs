//! Power loss: the crash loop with the power cut as well. SIGKILL leaves the
//! kernel's page cache alone, so a crash test cannot notice a missing fsync
//! of a file or directory; here the server's whole data directory (catalog,
//! blobs, staging, index) lies on a file system ([`TestFs`]) that, when the
//! power is cut, forgets whatever was not synced. Each loop: concurrent
//! uploads, SIGKILL at a random moment, power cut, restart, and the crash
//! loop's checks (every acknowledged document present and byte-exact, no
//! listed document with a missing or damaged blob, staging empty); at the
//! end the index converges to the catalog.
//!
//! Short form (10 cuts) in the normal test run. Long form:
//! `AKTE_POWER_LOSS_LOOPS=200 cargo nextest run -p akte-e2e -E 'binary(power_loss)'`
//! (`AKTE_POWER_LOSS_SEED` repeats a run; the seed is printed).
//!
//! The checks are shown to notice a missing sync: with the syncs of blob
//! files (or of the blob directories) turned into no-ops, acknowledged
//! documents are lost after a cut.
#![allow(clippy::unwrap_used)]

mod common;
mod crash;

use std::path::Path;
use std::time::Instant;

use akte_e2e::Server;
use akte_testfs::{Faults, TestFs};
use common::*;
use crash::*;
use rand::RngExt;

fn mount(dir: &Path) -> TestFs {
    TestFs::mount(dir)
        .unwrap_or_else(|e| panic!("the power-loss tests need the test file system: {e}"))
}

/// Kills the server, cuts the power and starts the server again.
fn kill_cut_restart(mut server: Server, fs: &mut TestFs, round: u64) -> (Server, u64) {
    server.kill();
    let report = fs.cut_power().unwrap();
    let server = server
        .restart()
        .unwrap_or_else(|e| panic!("round {round}: no start after the power cut: {e}"));
    (server, report.lost_bytes)
}

#[tokio::test]
async fn acknowledged_documents_survive_power_cuts() {
    let loops = env_or("AKTE_POWER_LOSS_LOOPS", 10);
    let mut rng = seeded_rng(&format!("power loss, {loops} cuts"), "AKTE_POWER_LOSS_SEED");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut fs = mount(&data);
    let mut server = start_server(&data).await;
    let mut ledger = Ledger::default();
    let mut unsynced_bytes = 0;
    let started = Instant::now();
    for round in 0..loops {
        ledger.upload_until_killed(&mut server, &mut rng).await;
        let lost;
        (server, lost) = kill_cut_restart(server, &mut fs, round);
        unsynced_bytes += lost;
        let problems = ledger.problems(&server, round + 1 == loops).await;
        assert!(
            problems.is_empty(),
            "round {round}: {problems:#?}\nthe cut took: {:#?}",
            fs.stats().last_cut
        );
    }
    let mut c = clients(&server).await;
    let total = all_documents(&mut c).await.unwrap().len() as u64;
    wait_index_complete(&mut c, total).await;
    let stats = fs.stats();
    // The cuts did take away what was not synced, and syncs were seen.
    assert!(stats.file_fsyncs > 0 && stats.dir_fsyncs > 0, "{stats:?}");
    assert!(loops == 0 || unsynced_bytes > 0, "{stats:?}");
    println!(
        "power loss: {loops} cuts, {} acknowledged, {total} stored, 0 lost, {:.1} s; \
         {} file and {} directory syncs, {unsynced_bytes} bytes not synced at the cuts",
        ledger.acked.len(),
        started.elapsed().as_secs_f64(),
        stats.file_fsyncs,
        stats.dir_fsyncs,
    );
}

/// Starts a server, then, with `faults`, uploads a few small documents
/// (written through the blob directory, not staging), cuts the power after
/// their acknowledgements, and returns what the checks find.
async fn problems_with(faults: Faults) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut fs = mount(&data);
    // What the server writes when it starts (the object store's owner
    // record, for one) stays durable: the fault is in the uploads only.
    let server = start_server(&data).await;
    fs.set_faults(faults).unwrap();
    let mut rng = seeded_rng("missing sync", "AKTE_POWER_LOSS_SEED");
    let mut ledger = Ledger::default();
    let small: fn(&mut rand::rngs::StdRng, u64) -> Vec<u8> = |rng, serial| {
        let len = rng.random_range(100..INLINE / 2);
        text(rng, serial, len)
    };
    let uploads = ledger.start_uploads(&server, &mut rng, 2, 4, small).await;
    ledger.finish(uploads).await;
    assert_eq!(ledger.acked.len(), 8, "all uploads acknowledged");
    let (server, _) = kill_cut_restart(server, &mut fs, 0);
    assert!(fs.stats().ignored_fsyncs > 0, "{:?}", fs.stats());
    let problems = ledger.problems(&server, true).await;
    println!("{problems:#?}");
    problems
}

#[tokio::test]
async fn a_missing_blob_file_sync_is_noticed() {
    let problems = problems_with(Faults {
        ignore_file_fsync_under: Some("objects".into()),
        ignore_dir_fsync_under: None,
    })
    .await;
    assert!(
        problems.iter().any(|p| p.contains("unreadable")),
        "unsynced blobs went unnoticed: {problems:?}"
    );
}

#[tokio::test]
async fn a_missing_blob_directory_sync_is_noticed() {
    let problems = problems_with(Faults {
        ignore_file_fsync_under: None,
        ignore_dir_fsync_under: Some("objects".into()),
    })
    .await;
    assert!(
        problems.iter().any(|p| p.contains("unreadable")),
        "blob names never synced went unnoticed: {problems:?}"
    );
}
