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
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akte_e2e::Server;
use akte_proto::v1 as pb;
use common::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const CASE: &str = "12345BG0000401";
/// Uploads over this size go through the staging directory on disk.
const INLINE: usize = 64 * 1024;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A text document of `len` bytes with a word common to all and its own.
fn content(rng: &mut StdRng, serial: u64) -> Vec<u8> {
    let len = if rng.random_bool(0.2) {
        rng.random_range(INLINE..4 * INLINE)
    } else {
        rng.random_range(100..INLINE)
    };
    let mut text = format!("Absturzprobe Dokument{serial}x ");
    let words = [
        "Antrag",
        "Bescheid",
        "Miete",
        "Nachweis",
        "Einkommen",
        "Widerspruch",
    ];
    while text.len() < len {
        text.push_str(words[rng.random_range(0..words.len())]);
        text.push(' ');
    }
    text.into_bytes()
}

/// Every document of the case.
async fn all_documents(c: &mut Clients) -> Vec<pb::Document> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .docs
            .list_case_documents(pb::ListCaseDocumentsRequest {
                case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                    CASE.into(),
                )),
                page_size: 1000,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        out.extend(page.documents);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn acknowledged_documents_survive_repeated_sigkill() {
    let loops = env_or("AKTE_CRASH_LOOPS", 20);
    let seed = env_or(
        "AKTE_CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!("crash loop: {loops} loops, AKTE_CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let config =
        format!("[limits]\ninline_upload_bytes = {INLINE}\n[index]\ncommit_interval_ms = 20\n");
    let mut server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    {
        let mut c = clients(&server).await;
        create_case(&mut c, CASE, "Nord").await;
    }
    // Hash of every content sent in full, and the acknowledged documents.
    let sent: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut acked: HashMap<String, String> = HashMap::new();
    let mut serial = 0u64;
    // Documents already downloaded and verified after an earlier restart.
    let mut verified: HashSet<String> = HashSet::new();
    let started = Instant::now();
    for round in 0..loops {
        let c = clients(&server).await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let docs: Vec<Vec<u8>> = (0..8)
                .map(|_| {
                    serial += 1;
                    content(&mut rng, serial)
                })
                .collect();
            let mut c = Clients {
                cases: c.cases.clone(),
                docs: c.docs.clone(),
                search: c.search.clone(),
            };
            let tx = tx.clone();
            let sent = Arc::clone(&sent);
            tasks.push(tokio::spawn(async move {
                for d in docs {
                    let hash = sha256_hex(&d);
                    sent.lock().unwrap().insert(hash.clone());
                    match upload(&mut c, header(CASE, "text/plain", "probe.txt"), &d).await {
                        Ok(doc) => {
                            assert_eq!(doc.sha256, hash);
                            let _ = tx.send((doc.document_id, hash));
                        }
                        // The server is gone: this upload was not acknowledged.
                        Err(_) => return,
                    }
                }
            }));
        }
        drop(tx);
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..400))).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        while let Some((id, hash)) = rx.recv().await {
            acked.insert(id, hash);
        }
        server = server.restart().unwrap();
        assert!(
            files_below(&server.data_dir.join("staging")).is_empty(),
            "round {round}: staging not emptied at start"
        );
        let mut c = clients(&server).await;
        let listed = all_documents(&mut c).await;
        let listed_ids: HashSet<&str> = listed.iter().map(|d| d.document_id.as_str()).collect();
        for id in acked.keys() {
            assert!(
                listed_ids.contains(id.as_str()),
                "round {round}: acknowledged {id} lost"
            );
        }
        let sent_now = sent.lock().unwrap().clone();
        // Each document is read back once, after the restart that follows
        // its upload (and all of them again at the end).
        let last = round + 1 == loops;
        for d in &listed {
            assert!(
                sent_now.contains(&d.sha256),
                "round {round}: {} holds content nobody sent in full",
                d.document_id
            );
            if !last && !verified.insert(d.document_id.clone()) {
                continue;
            }
            let (_, bytes) = download(&mut c, &d.document_id, None, None)
                .await
                .unwrap_or_else(|e| panic!("round {round}: {} unreadable: {e:?}", d.document_id));
            assert_eq!(sha256_hex(&bytes), d.sha256, "round {round}");
            if let Some(h) = acked.get(&d.document_id) {
                assert_eq!(h, &d.sha256, "round {round}");
            }
        }
    }
    // The index converges to the catalog. Servers killed a few hundred
    // milliseconds after starting leave a backlog of documents to index that
    // grows with the number of loops, so the wait is for progress: the test
    // fails if the indexed count stops growing for 30 s short of the total.
    let mut c = clients(&server).await;
    let total = all_documents(&mut c).await.len() as u64;
    let mut indexed = 0;
    let mut progress_at = Instant::now();
    loop {
        let r = c
            .search
            .search(pb::SearchRequest {
                query: "Absturzprobe".into(),
                case_number: CASE.into(),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if r.total_hits == total {
            break;
        }
        if r.total_hits > indexed {
            indexed = r.total_hits;
            progress_at = Instant::now();
        }
        assert!(
            progress_at.elapsed() < Duration::from_secs(30),
            "index stuck at {} of {total} documents",
            r.total_hits
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "crash loop: {loops} loops, {} acknowledged, {total} stored, {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}
