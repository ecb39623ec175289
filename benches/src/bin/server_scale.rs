//! The server at scale: a data directory holding N documents (default
//! 1,000,000) is loaded, indexed by the server, restarted and queried.
//!
//! 1. Load: 10,000 cases over 20 sites and N document rows, written straight
//!    into the catalog (synced, from two threads) next to `--distinct`
//!    German letters as blobs; document i holds letter i mod distinct (blobs
//!    are deduplicated, so N documents need only that many files). The
//!    documents are queued for indexing, as after an upload.
//! 2. Index: `akte serve` on the directory indexes them from its queue;
//!    measured until a search finds every document with the marked term.
//! 3. Restart: the server is stopped (SIGTERM) and started again. Cold start:
//!    from starting the process to the first search answered.
//! 4. Queries for `--seconds` from 8 clients: case lookups by number, searches
//!    with a site filter, a case's document list, downloads.
//! 5. Ack to searchable: letters uploaded one at a time, each searched for
//!    until found.
//! 6. Crash: the server is killed (SIGKILL) and started again; cold start as
//!    in 3, now with the catalog's log to replay.
//!
//! Server memory is reported after each phase, as its own (anonymous) memory
//! and the mapped index files the kernel may drop. The bare-query baseline
//! for the same corpus is `search-scale`'s.
//!
//! `--memory-limit-mib 1024` runs the server in a memory cgroup of that size
//! (root only), to show it needs no more.
//!
//! `--dir DIR --reuse` runs phases 3 to 6 again on a directory loaded before.
//!
//! Usage: cargo run --release -p akte-benches --bin server-scale -- [DOCUMENTS]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akte_benches::corpus::{document as letter, MARKED};
use akte_benches::{millis, percentile};
use akte_blob::{open_backend, BlobStore};
use akte_catalog::Catalog;
use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_proto::v1::search_service_client::SearchServiceClient;
use akte_types::{
    now_millis, Case, CaseNumber, CaseNumberPattern, ContentHash, Document, IdGenerator, IndexState,
};
use clap::Parser;
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[derive(Parser, Debug)]
struct Args {
    /// Documents to load.
    #[arg(default_value_t = 1_000_000)]
    documents: usize,
    /// Distinct letters (blobs) the documents share.
    #[arg(long, default_value_t = 2000)]
    distinct: usize,
    /// Cases the documents are spread over.
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    /// Seconds of the query phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Data directory (default: a temporary one, removed at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The data directory holds the documents of an earlier run with the
    /// same numbers: skip loading and indexing.
    #[arg(long)]
    reuse: bool,
    /// Run the server in a memory cgroup limited to this many MiB (page
    /// cache of its files counted too, as the kernel does); needs root and
    /// a writable cgroup file system (v1 or v2).
    #[arg(long)]
    memory_limit_mib: Option<u64>,
}

/// A memory cgroup the servers of this run are put into.
struct MemoryCage {
    dir: PathBuf,
    v2: bool,
    limit: u64,
}

impl MemoryCage {
    fn new(limit: u64) -> anyhow::Result<Self> {
        let name = format!("akte-server-scale-{}", std::process::id());
        let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"));
        let dir = if v2 {
            PathBuf::from("/sys/fs/cgroup").join(name)
        } else {
            PathBuf::from("/sys/fs/cgroup/memory").join(name)
        };
        std::fs::create_dir(&dir)
            .map_err(|e| anyhow::anyhow!("creating the memory cgroup {}: {e}", dir.display()))?;
        let cage = Self { dir, v2, limit };
        if v2 {
            cage.write("memory.max", &limit.to_string())?;
            cage.write("memory.swap.max", "0").ok();
        } else {
            cage.write("memory.limit_in_bytes", &limit.to_string())?;
            // What the server allocated before it was moved moves with it,
            // where the kernel still offers that (deprecated in newer ones).
            cage.write("memory.move_charge_at_immigrate", "3").ok();
        }
        Ok(cage)
    }

    fn write(&self, file: &str, value: &str) -> anyhow::Result<()> {
        std::fs::write(self.dir.join(file), value)
            .map_err(|e| anyhow::anyhow!("{}/{file}: {e}", self.dir.display()))
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }

    fn admit(&self, pid: u32) -> anyhow::Result<()> {
        self.write("cgroup.procs", &pid.to_string())
    }

    /// Peak usage, how often the limit was hit and how many processes the
    /// kernel killed for memory.
    fn report(&self) -> String {
        let field = |text: &str, key: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let (peak, hits, kills) = if self.v2 {
            let events = self.read("memory.events");
            (
                self.read("memory.peak").trim().parse().unwrap_or(0),
                field(&events, "max "),
                field(&events, "oom_kill "),
            )
        } else {
            (
                self.read("memory.max_usage_in_bytes")
                    .trim()
                    .parse()
                    .unwrap_or(0),
                self.read("memory.failcnt").trim().parse().unwrap_or(0),
                field(&self.read("memory.oom_control"), "oom_kill "),
            )
        };
        format!(
            "memory cgroup limit {} MiB: peak usage {} MiB (own memory and page cache), limit reached {hits} times, processes killed for memory: {kills}",
            mib(self.limit),
            mib(peak)
        )
    }
}

impl Drop for MemoryCage {
    fn drop(&mut self) {
        // Empty once the servers have exited.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

const SITES: usize = 20;

fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// A field of `/proc/PID/status` in bytes; a missing one is 0.
fn status_bytes(pid: u32, name: &str) -> anyhow::Result<u64> {
    let pid = pid.to_string();
    std::fs::metadata(format!("/proc/{pid}/status"))?;
    Ok(akte_benches::status_bytes(&pid, name).unwrap_or(0))
}

/// Resident memory of a process: (anonymous, file-backed) bytes. File-backed
/// pages are mapped index files, which the kernel can drop at any time.
fn rss(pid: u32) -> anyhow::Result<(u64, u64)> {
    Ok((
        status_bytes(pid, "RssAnon:")?,
        status_bytes(pid, "RssFile:")? + status_bytes(pid, "RssShmem:")?,
    ))
}

/// The most resident memory the process has had so far (own and mapped
/// together), as the kernel counts it: no peak between samples is missed.
fn peak_rss(pid: u32) -> anyhow::Result<u64> {
    status_bytes(pid, "VmHWM:")
}

fn rss_text((anon, file): (u64, u64)) -> String {
    format!(
        "{} MiB ({} MiB own memory + {} MiB mapped index files)",
        mib(anon + file),
        mib(anon),
        mib(file)
    )
}

/// Loads cases, blobs and documents; returns the case numbers and how many
/// documents hold the marked term.
fn load(args: &Args, data: &std::path::Path) -> anyhow::Result<(Vec<CaseNumber>, u64)> {
    let rt = tokio::runtime::Runtime::new()?;
    let catalog = Arc::new(Catalog::open(&data.join("catalog"))?);
    let blobs = BlobStore::new(
        open_backend("", &Default::default(), &data.join("objects"))?,
        data.join("staging"),
    )?;
    let ids = Arc::new(IdGenerator::new());
    let pattern = CaseNumberPattern::default();
    let mut cases = Vec::with_capacity(args.cases);
    for i in 0..args.cases {
        let case = Case {
            status: Default::default(),
            restricted_to: None,
            case_id: ids.case_id(),
            case_number: case_number(&pattern, i)?,
            title: format!("Akte {i}"),
            site: format!("Standort{}", i % SITES),
            team: None,
            parties: vec![format!("Person {i}")],
            created_at: now_millis(),
        };
        catalog.create_case(&case)?;
        cases.push(case);
    }
    let mut rng = StdRng::seed_from_u64(11);
    let mut letters = Vec::with_capacity(args.distinct);
    for i in 0..args.distinct {
        let body = letter(&mut rng, i).body.into_bytes();
        let marked = String::from_utf8_lossy(&body).contains(MARKED);
        let hash = rt.block_on(async {
            let mut w = blobs.writer(u64::MAX);
            w.write(&body).await?;
            let staged = w.finish().await?;
            blobs.commit(&staged).await?;
            Ok::<_, anyhow::Error>(staged.hash())
        })?;
        letters.push((hash, body.len() as u64, marked));
    }
    let marked: u64 = (0..args.documents)
        .filter(|i| letters[i % letters.len()].2)
        .count() as u64;
    let letters = Arc::new(letters);
    let cases = Arc::new(cases);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (catalog, ids, letters, cases, next) = (
                Arc::clone(&catalog),
                Arc::clone(&ids),
                Arc::clone(&letters),
                Arc::clone(&cases),
                Arc::clone(&next),
            );
            let total = args.documents;
            std::thread::spawn(move || -> anyhow::Result<()> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok(());
                    }
                    let (hash, size, _): (ContentHash, u64, bool) = letters[i % letters.len()];
                    let case = &cases[i % cases.len()];
                    let now = now_millis();
                    catalog.insert_document(&Document {
                        document_id: ids.document_id(),
                        case_id: Some(case.case_id),
                        case_number: Some(case.case_number.clone()),
                        site: case.site.clone(),
                        sha256: hash,
                        size_bytes: size,
                        media_type: "text/plain".into(),
                        filename: format!("brief-{i}.txt"),
                        title: format!("Schreiben {i}"),
                        document_type: "Brief".into(),
                        source: "server-scale".into(),
                        received_at: now,
                        created_at: now,
                        index_state: IndexState::Pending,
                        index_error: None,
                        page_count: 0,
                        history: Vec::new(),
                        routing_note: None,
                        transfer_note: None,
                    })?;
                    if i % 100_000 == 0 && i > 0 {
                        eprintln!("  {i} documents loaded");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join()
            .map_err(|_| anyhow::anyhow!("loader thread panicked"))??;
    }
    let took = started.elapsed();
    println!(
        "Load: {} cases, {} distinct letters, {} documents in {:.0} s ({:.0} synced catalog writes/s from 2 threads); {} hold \"{MARKED}\".",
        args.cases,
        args.distinct,
        args.documents,
        took.as_secs_f64(),
        args.documents as f64 / took.as_secs_f64(),
        marked
    );
    let numbers = cases.iter().map(|c| c.case_number.clone()).collect();
    Ok((numbers, marked))
}

struct Clients {
    cases: CaseServiceClient<akte_e2e::Conn>,
    docs: DocumentServiceClient<akte_e2e::Conn>,
    search: SearchServiceClient<akte_e2e::Conn>,
}

async fn connect(server: &akte_e2e::Server) -> anyhow::Result<Clients> {
    let ch = server.channel().await?;
    Ok(Clients {
        cases: CaseServiceClient::new(ch.clone()),
        docs: DocumentServiceClient::new(ch.clone()),
        search: SearchServiceClient::new(ch),
    })
}

/// Letters uploaded one at a time to time how soon each is searchable.
const ACK_TO_SEARCH_LETTERS: usize = 20;

/// Uploads a German text letter into a case; returns when it is acknowledged.
async fn upload_text(c: &mut Clients, case_number: &str, text: String) -> anyhow::Result<()> {
    let header = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Header(
            pb::DocumentHeader {
                case_number: case_number.into(),
                media_type: "text/plain".into(),
                filename: "brief.txt".into(),
                document_type: "Schreiben".into(),
                ..Default::default()
            },
        )),
    };
    let chunk = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Chunk(
            text.into_bytes().into(),
        )),
    };
    c.docs
        .upload_document(futures::stream::iter([header, chunk]))
        .await?;
    Ok(())
}

async fn total_hits(c: &mut Clients, query: &str, site: &str) -> anyhow::Result<u64> {
    Ok(c.search
        .search(pb::SearchRequest {
            query: query.into(),
            site: site.into(),
            limit: 20,
            ..Default::default()
        })
        .await?
        .into_inner()
        .total_hits)
}

fn stop(server: akte_e2e::Server) -> anyhow::Result<()> {
    let pid = server.pid();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    let started = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
        && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let data = dir.join("data");
    let cage = args
        .memory_limit_mib
        .map(|m| MemoryCage::new(m * 1024 * 1024))
        .transpose()?;
    let (cases, marked) = if args.reuse {
        (case_numbers(&args)?, None)
    } else {
        let (cases, marked) = load(&args, &data)?;
        (cases, Some(marked))
    };
    let result = tokio::runtime::Runtime::new()?.block_on(serve_and_query(
        &args,
        &data,
        cases,
        marked,
        cage.as_ref(),
    ));
    if let Some(cage) = &cage {
        println!("\nServer in a {}.", cage.report());
    }
    result
}

/// Starts the server on `data`, inside `cage` if given.
fn start(
    data: &std::path::Path,
    config: &str,
    cage: Option<&MemoryCage>,
) -> anyhow::Result<akte_e2e::Server> {
    caged(akte_e2e::Server::start(data, Some(config))?, cage)
}

/// `server`, moved into `cage` if given.
fn caged(server: akte_e2e::Server, cage: Option<&MemoryCage>) -> anyhow::Result<akte_e2e::Server> {
    if let Some(cage) = cage {
        cage.admit(server.pid())?;
    }
    Ok(server)
}

/// Case number `i` of the loaded cases.
fn case_number(pattern: &CaseNumberPattern, i: usize) -> anyhow::Result<CaseNumber> {
    Ok(pattern.parse(&format!("{:05}BG{:07}", 10_000 + i % 90_000, i))?)
}

fn case_numbers(args: &Args) -> anyhow::Result<Vec<CaseNumber>> {
    let pattern = CaseNumberPattern::default();
    (0..args.cases).map(|i| case_number(&pattern, i)).collect()
}

async fn serve_and_query(
    args: &Args,
    data: &std::path::Path,
    cases: Vec<CaseNumber>,
    marked: Option<u64>,
    cage: Option<&MemoryCage>,
) -> anyhow::Result<()> {
    let config = "[ocr]\nmode = \"off\"\n";

    // Index.
    if let Some(marked) = marked {
        let started = Instant::now();
        let server = start(data, config, cage)?;
        let mut c = connect(&server).await?;
        let (mut peak_anon, mut peak_file) = (0, 0);
        loop {
            let (anon, file) = rss(server.pid())?;
            peak_anon = peak_anon.max(anon);
            peak_file = peak_file.max(file);
            let found = total_hits(&mut c, MARKED, "").await?;
            if found >= marked {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let index_time = started.elapsed();
        println!(
            "Index: {} documents indexed by the server in {:.0} s ({:.0} documents/s); server RSS at the end {}; at the most (sampled every 2 s) {} MiB own memory, {} MiB mapped files; peak RSS (VmHWM) {} MiB.",
            args.documents,
            index_time.as_secs_f64(),
            args.documents as f64 / index_time.as_secs_f64(),
            rss_text(rss(server.pid())?),
            mib(peak_anon),
            mib(peak_file),
            mib(peak_rss(server.pid())?)
        );
        drop(c);
        stop(server)?;
    }
    let du = Command::new("du").args(["-sh"]).arg(data).output()?;
    println!(
        "Data directory: {}",
        String::from_utf8_lossy(&du.stdout).trim()
    );

    // Cold start.
    let started = Instant::now();
    let server = start(data, config, cage)?;
    let mut c = connect(&server).await?;
    let found = total_hits(&mut c, MARKED, "Standort3").await?;
    let cold = started.elapsed();
    let rss_cold = rss(server.pid())?;
    println!(
        "Cold start after a shutdown: {:.0} ms from starting the process to the first search answered ({found} hits); server RSS {}.",
        millis(cold),
        rss_text(rss_cold)
    );

    // Queries.
    let ids: Vec<String> = c
        .docs
        .list_case_documents(pb::ListCaseDocumentsRequest {
            case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                cases[0].to_string(),
            )),
            page_size: 100,
            ..Default::default()
        })
        .await?
        .into_inner()
        .documents
        .into_iter()
        .map(|d| d.document_id)
        .collect();
    anyhow::ensure!(!ids.is_empty(), "case {} has no documents", cases[0]);
    let cases = Arc::new(cases);
    let ids = Arc::new(ids);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let mut c = connect(&server).await?;
        let (cases, ids) = (Arc::clone(&cases), Arc::clone(&ids));
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(t);
            let mut lat: [Vec<Duration>; 4] = Default::default();
            let words = [
                "Widerspruch",
                "Mietvertrag",
                "Heizkosten Nachweis",
                "Kindergeld",
            ];
            while Instant::now() < deadline {
                let kind = rng.random_range(0..4usize);
                let number = cases[rng.random_range(0..cases.len())].to_string();
                let t0 = Instant::now();
                match kind {
                    0 => {
                        c.cases
                            .get_case(pb::GetCaseRequest {
                                reason: None,
                                key: Some(pb::get_case_request::Key::CaseNumber(number)),
                            })
                            .await?;
                    }
                    1 => {
                        let w = words[rng.random_range(0..words.len())];
                        let site = format!("Standort{}", rng.random_range(0..SITES));
                        total_hits(&mut c, w, &site).await?;
                    }
                    2 => {
                        c.docs
                            .list_case_documents(pb::ListCaseDocumentsRequest {
                                case_key: Some(
                                    pb::list_case_documents_request::CaseKey::CaseNumber(number),
                                ),
                                page_size: 50,
                                ..Default::default()
                            })
                            .await?;
                    }
                    _ => {
                        let id = ids[rng.random_range(0..ids.len())].clone();
                        let mut s = c
                            .docs
                            .download_document(pb::DownloadDocumentRequest {
                                reason: None,
                                document_id: id,
                                offset: None,
                                length: None,
                            })
                            .await?
                            .into_inner();
                        while let Some(m) = s.next().await {
                            m?;
                        }
                    }
                }
                lat[kind].push(t0.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all: [Vec<Duration>; 4] = Default::default();
    for t in tasks {
        for (k, l) in t.await??.into_iter().enumerate() {
            all[k].extend(l);
        }
    }
    let rss_after = rss(server.pid())?;
    println!(
        "\nQueries, 8 clients for {} s ({} documents):\n",
        args.seconds, args.documents
    );
    println!("| query | count | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for (k, name) in [
        "case lookup by number",
        "search, one site (20 sites)",
        "a case's documents (50)",
        "download a letter, verified",
    ]
    .iter()
    .enumerate()
    {
        let l = &mut all[k];
        l.sort();
        println!(
            "| {name} | {} | {:.2} | {:.2} |",
            l.len(),
            millis(percentile(l, 0.5)),
            millis(percentile(l, 0.99))
        );
    }
    println!(
        "\nServer RSS after the queries: {}; peak RSS (VmHWM) since its start {} MiB.",
        rss_text(rss_after),
        mib(peak_rss(server.pid())?)
    );

    // From acknowledgement to searchable, on the full index.
    let mut waits = Vec::new();
    let mut rng = StdRng::seed_from_u64(99);
    for n in 0..ACK_TO_SEARCH_LETTERS {
        let word = format!("Eingangsvermerk{n}x{}", rng.random_range(0..u32::MAX));
        let mut text = letter(&mut rng, n).body;
        text.push(' ');
        text.push_str(&word);
        upload_text(&mut c, &cases[n % cases.len()].to_string(), text).await?;
        let acked = Instant::now();
        while total_hits(&mut c, &word, "").await? == 0 {
            anyhow::ensure!(
                acked.elapsed() < Duration::from_secs(60),
                "{word} not searchable after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waits.push(acked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    waits.sort();
    println!(
        "\nFrom acknowledgement to searchable, {} letters uploaded one at a time over gRPC on the index of {} documents: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (the indexer's batching wait, `index.commit_interval_ms`, is 200 ms of it).",
        waits.len(),
        args.documents,
        millis(percentile(&waits, 0.5)),
        millis(percentile(&waits, 0.95)),
        millis(percentile(&waits, 1.0))
    );
    drop(c);
    // A crash (SIGKILL) after the queries, then the same start again: the
    // catalog replays its write-ahead log.
    let started = Instant::now();
    let server = caged(server.restart()?, cage)?;
    let mut c = connect(&server).await?;
    let found = total_hits(&mut c, MARKED, "Standort3").await?;
    println!(
        "Cold start after a crash (SIGKILL after the queries): {:.0} ms to the first search answered ({found} hits); server RSS {}.",
        millis(started.elapsed()),
        rss_text(rss(server.pid())?)
    );
    drop(c);
    stop(server)?;
    Ok(())
}
