//! What the crash loop (SIGKILL) and the power-loss loop (SIGKILL and a power
//! cut) share: the uploaders, the record of what was sent and acknowledged,
//! and the checks after a restart.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akte_e2e::Server;
use akte_proto::v1 as pb;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::common::*;

pub const CASE: &str = "12345BG0000401";
/// Uploads over this size go through the staging directory on disk.
pub const INLINE: usize = 64 * 1024;

/// The server's configuration: uploads over [`INLINE`] staged, frequent
/// index commits.
pub fn config() -> String {
    format!("[limits]\ninline_upload_bytes = {INLINE}\n[index]\ncommit_interval_ms = 20\n")
}

pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts a server on `data` with [`config`] and creates the case.
pub async fn start_server(data: &std::path::Path) -> Server {
    let server = Server::start(data, Some(&config())).unwrap();
    let mut c = clients(&server).await;
    create_case(&mut c, CASE, "Nord").await;
    server
}

/// A random generator seeded from `seed_var`, else from the clock; the seed
/// is printed, so that a run can be repeated.
pub fn seeded_rng(what: &str, seed_var: &str) -> StdRng {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let seed = env_or(seed_var, clock);
    println!("{what}: {seed_var}={seed}");
    StdRng::seed_from_u64(seed)
}

/// A text document of `len` bytes with a word common to all and its own.
pub fn text(rng: &mut StdRng, serial: u64, len: usize) -> Vec<u8> {
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

/// A text document; one in five is over [`INLINE`] and goes through staging.
pub fn content(rng: &mut StdRng, serial: u64) -> Vec<u8> {
    let len = if rng.random_bool(0.2) {
        rng.random_range(INLINE..4 * INLINE)
    } else {
        rng.random_range(100..INLINE)
    };
    text(rng, serial, len)
}

/// Every document of the case.
pub async fn all_documents(c: &mut Clients) -> Result<Vec<pb::Document>, tonic::Status> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .docs
            .list_case_documents(pb::ListCaseDocumentsRequest {
                reason: None,
                case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                    CASE.into(),
                )),
                page_size: 1000,
                page_token: token,
            })
            .await?
            .into_inner();
        out.extend(page.documents);
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

/// Uploaders at work.
pub struct Uploads {
    tasks: Vec<JoinHandle<()>>,
    acks: UnboundedReceiver<(String, String)>,
}

/// What the clients sent and what the server acknowledged, over restarts.
#[derive(Default)]
pub struct Ledger {
    /// Hash of every content sent in full.
    sent: Arc<Mutex<HashSet<String>>>,
    /// Acknowledged documents: id and hash.
    pub acked: HashMap<String, String>,
    /// Documents already downloaded and verified after an earlier restart.
    verified: HashSet<String>,
    serial: u64,
}

impl Ledger {
    /// Starts `writers` concurrent clients, each uploading `docs` documents
    /// made by `make` one after the other, until one fails (the server is
    /// gone).
    pub async fn start_uploads(
        &mut self,
        server: &Server,
        rng: &mut StdRng,
        writers: usize,
        docs: usize,
        make: fn(&mut StdRng, u64) -> Vec<u8>,
    ) -> Uploads {
        let c = clients(server).await;
        let (tx, acks) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let docs: Vec<Vec<u8>> = (0..docs)
                .map(|_| {
                    self.serial += 1;
                    make(rng, self.serial)
                })
                .collect();
            let mut c = Clients {
                cases: c.cases.clone(),
                docs: c.docs.clone(),
                search: c.search.clone(),
            };
            let tx = tx.clone();
            let sent = Arc::clone(&self.sent);
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
        Uploads { tasks, acks }
    }

    /// A round of uploads: 4 clients upload 8 documents each (see
    /// [`content`]) until the server is killed with SIGKILL, 20 to 400 ms
    /// in; records what was acknowledged.
    pub async fn upload_until_killed(&mut self, server: &mut Server, rng: &mut StdRng) {
        let uploads = self.start_uploads(server, rng, 4, 8, content).await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..400))).await;
        server.kill();
        self.finish(uploads).await;
    }

    /// Waits until the uploaders are done (all sent, or the server gone) and
    /// records what was acknowledged.
    pub async fn finish(&mut self, mut uploads: Uploads) {
        for t in uploads.tasks {
            t.await.unwrap();
        }
        while let Some((id, hash)) = uploads.acks.recv().await {
            self.acked.insert(id, hash);
        }
    }

    /// The problems of a freshly started server, none if all is well:
    /// staging not empty, an acknowledged document missing or with other
    /// contents, a listed document that does not download with its hash or
    /// holds content nobody sent in full. Each document is read back once,
    /// after the first restart that lists it, or again with `all`.
    pub async fn problems(&mut self, server: &Server, all: bool) -> Vec<String> {
        let mut out = Vec::new();
        let staged = files_below(&server.data_dir.join("staging"));
        if !staged.is_empty() {
            out.push(format!("staging not emptied at start: {staged:?}"));
        }
        let mut c = clients(server).await;
        let listed = match all_documents(&mut c).await {
            Ok(l) => l,
            Err(e) => {
                out.push(format!("the case cannot be listed: {e:?}"));
                return out;
            }
        };
        let listed_ids: HashSet<&str> = listed.iter().map(|d| d.document_id.as_str()).collect();
        for id in self.acked.keys() {
            if !listed_ids.contains(id.as_str()) {
                out.push(format!("acknowledged {id} lost"));
            }
        }
        let sent = self.sent.lock().unwrap().clone();
        for d in &listed {
            let id = &d.document_id;
            if !sent.contains(&d.sha256) {
                out.push(format!("{id} holds content nobody sent in full"));
            }
            if let Some(h) = self.acked.get(id).filter(|h| **h != d.sha256) {
                out.push(format!(
                    "{id} acknowledged with {h}, listed with {}",
                    d.sha256
                ));
            }
            if !all && !self.verified.insert(id.clone()) {
                continue;
            }
            match download(&mut c, id, None, None).await {
                Ok((_, bytes)) if sha256_hex(&bytes) == d.sha256 => {}
                Ok(_) => out.push(format!("{id} downloads with another hash")),
                Err(e) => out.push(format!("{id} unreadable: {:?} {}", e.code(), e.message())),
            }
        }
        out
    }
}

/// Waits until the index holds every document of the case. Servers killed
/// a few hundred milliseconds after starting leave a backlog to index, so
/// the wait is for progress: fails if the indexed count stops growing for
/// 30 s short of the total.
pub async fn wait_index_complete(c: &mut Clients, total: u64) {
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
            return;
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
}
