//! `akte-bench`: load generator for a running akte server, over gRPC.
//!
//! Scenarios (each with its baselines measured in the same run, on the same
//! disk and with the same build):
//! - `ingest`: 200 KB scans uploaded with durable ack by 1, 8 and 32
//!   concurrent clients; reported against the raw "write file + fsync +
//!   rename + directory fsync" rate of the disk.
//! - `large`: 20 MB uploads; reported against min(SHA-256, disk write).
//! - `lookup`: case lookup by number, 32 clients.
//! - `download`: 200 KB documents, 32 clients.
//! - `mix`: the day of a job centre: scanned letters of 1–4 pages of
//!   50 KB–5 MB each (log-uniform), German text letters, downloads, case
//!   lookups and searches, 32 clients.
//!
//! Without `--server` it starts `target/debug/akte` (or `AKTE_BIN`) on a
//! temporary data directory (OCR off: the storage path is measured) and
//! reports the server's RSS and CPU. Prints Markdown tables.
//!
//! Before each scenario it waits until the started server is idle again
//! (indexing of earlier uploads done), so that scenarios do not measure each
//! other's leftovers.
//!
//! Usage: cargo run -p akte-benches --bin akte-bench -- [--scenario all] [--count 2000]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akte_benches::{millis, percentile, rss_bytes};
use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_proto::v1::search_service_client::SearchServiceClient;
use bytes::Bytes;
use clap::Parser;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

#[derive(Parser, Debug)]
struct Args {
    /// A running server; without it one is started on a temporary directory.
    #[arg(long)]
    server: Option<String>,
    /// ingest, sizes, large, lookup, download, mix, sweep or all.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Operations per scenario and client count.
    #[arg(long, default_value_t = 2000)]
    count: usize,
    /// Where the `sweep` scenario draws latency against load (PNG).
    #[arg(long, default_value = "benches/latency-vs-load.png")]
    plot: PathBuf,
    /// Directory for the baselines' files and the started server's data
    /// (default: a temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

const KB: usize = 1000;
const MB: usize = 1000 * 1000;

fn ms(d: Duration) -> String {
    format!("{:.2}", millis(d))
}

/// 32 MB of random bytes, made once: documents are cut from it, so that the
/// load generator spends its time on requests, not on random numbers.
static POOL: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let mut v = vec![0u8; 32 * MB];
    StdRng::seed_from_u64(7).fill_bytes(&mut v);
    v
});

/// A "scan": TIFF magic and incompressible bytes, unique per call (a random
/// offset into the pool and a random stamp).
fn scan(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(16));
    v.extend_from_slice(b"II*\0");
    v.extend_from_slice(&rng.random::<u64>().to_le_bytes());
    while v.len() < len {
        let start = rng.random_range(0..POOL.len() / 2);
        let take = (len - v.len()).min(POOL.len() - start);
        v.extend_from_slice(&POOL[start..start + take]);
    }
    v
}

const WORDS: &[&str] = &[
    "der",
    "die",
    "und",
    "Antrag",
    "Bescheid",
    "Leistungen",
    "Bedarfsgemeinschaft",
    "Miete",
    "Heizkosten",
    "Einkommen",
    "Nachweis",
    "Arbeitgeber",
    "Weiterbewilligung",
    "Kindergeld",
    "Unterhalt",
    "Wohnung",
    "Vermieter",
    "Widerspruch",
    "Eingliederung",
    "Jobcenter",
    "bitte",
    "Unterlagen",
    "Kontoauszüge",
    "Mitwirkung",
    "Frist",
];

fn german_letter(rng: &mut StdRng) -> Vec<u8> {
    let words = rng.random_range(300..1200);
    let mut text = String::from("Sehr geehrte Damen und Herren,\n");
    for i in 0..words {
        // Zipf-like: early words far more often.
        let r: f64 = rng.random();
        let idx = ((WORDS.len() as f64) * r * r) as usize;
        text.push_str(WORDS[idx.min(WORDS.len() - 1)]);
        text.push(if i % 12 == 11 { '\n' } else { ' ' });
    }
    text.into_bytes()
}

/// The size of one scanned page: 50 KB to 5 MB, evenly spread on a log
/// scale (half of the pages under 500 KB: black-and-white or greyscale
/// scans; the rest up to colour pages and phone photos of 5 MB).
fn page_size(rng: &mut StdRng) -> usize {
    let (lo, hi) = ((50.0 * KB as f64).ln(), (5.0 * MB as f64).ln());
    rng.random_range(lo..hi).exp() as usize
}

// ------------------------------------------------------------- baselines

struct Baselines {
    sha256_mb_s: f64,
    fsync_serial_per_s: f64,
    fsync_serial_p50_ms: f64,
    fsync_serial_p99_ms: f64,
    fsync_32_per_s: f64,
    disk_write_mb_s: f64,
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Write + fsync + rename + directory fsync of `n` files of `size` bytes;
/// the time each took.
fn durable_writes(dir: &Path, n: usize, size: usize, tag: &str) -> std::io::Result<Vec<Duration>> {
    let data = vec![7u8; size];
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        let t0 = Instant::now();
        let tmp = dir.join(format!("{tag}-{i}.tmp"));
        let dst = dir.join(format!("{tag}-{i}"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &dst)?;
        sync_dir(dir)?;
        took.push(t0.elapsed());
    }
    Ok(took)
}

fn baselines(dir: &Path) -> anyhow::Result<Baselines> {
    let data = vec![0x5au8; 64 * 1024 * 1024];
    let started = Instant::now();
    let digest = Sha256::digest(&data);
    let sha256_mb_s = data.len() as f64 / MB as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(digest.len() == 32);

    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw)?;
    let n = 300;
    let started = Instant::now();
    let mut serial = durable_writes(&raw, n, 200 * KB, "serial")?;
    let fsync_serial_per_s = n as f64 / started.elapsed().as_secs_f64();
    serial.sort();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..32 {
            let raw = &raw;
            s.spawn(move || durable_writes(raw, n / 32 + 1, 200 * KB, &format!("par{t}")));
        }
    });
    let fsync_32_per_s = (32 * (n / 32 + 1)) as f64 / started.elapsed().as_secs_f64();

    let big = vec![3u8; 20 * MB];
    let started = Instant::now();
    for i in 0..5 {
        let mut f = std::fs::File::create(raw.join(format!("big{i}")))?;
        f.write_all(&big)?;
        f.sync_all()?;
    }
    let disk_write_mb_s = 100.0 / started.elapsed().as_secs_f64();
    std::fs::remove_dir_all(&raw)?;
    Ok(Baselines {
        sha256_mb_s,
        fsync_serial_per_s,
        fsync_serial_p50_ms: millis(percentile(&serial, 0.5)),
        fsync_serial_p99_ms: millis(percentile(&serial, 0.99)),
        fsync_32_per_s,
        disk_write_mb_s,
    })
}

// ------------------------------------------------------------- server

/// CPU seconds and resident memory of a process (Linux /proc).
fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Clock ticks are 100 per second on Linux.
    Some((ticks / 100.0, rss_bytes(&pid.to_string())?))
}

#[derive(Clone)]
struct Clients {
    cases: CaseServiceClient<akte_e2e::Conn>,
    docs: DocumentServiceClient<akte_e2e::Conn>,
    search: SearchServiceClient<akte_e2e::Conn>,
}

async fn connect(addr: &str, token: Option<&str>) -> anyhow::Result<Clients> {
    let ch = akte_e2e::with_token(
        Channel::from_shared(addr.to_owned())?.connect().await?,
        token,
    );
    Ok(Clients {
        cases: CaseServiceClient::new(ch.clone()),
        docs: DocumentServiceClient::new(ch.clone())
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20),
        search: SearchServiceClient::new(ch),
    })
}

async fn upload(
    c: &mut Clients,
    case: &str,
    media: &str,
    data: Vec<u8>,
) -> anyhow::Result<pb::Document> {
    let header = pb::DocumentHeader {
        case_number: case.into(),
        media_type: media.into(),
        filename: "bench".into(),
        source: "bench".into(),
        ..Default::default()
    };
    let data = Bytes::from(data);
    let mut msgs = vec![pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Header(header)),
    }];
    let mut off = 0;
    while off < data.len() {
        let end = (off + 1024 * 1024).min(data.len());
        msgs.push(pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Chunk(
                data.slice(off..end),
            )),
        });
        off = end;
    }
    Ok(c.docs
        .upload_document(futures::stream::iter(msgs))
        .await?
        .into_inner())
}

async fn download(c: &mut Clients, id: &str) -> anyhow::Result<usize> {
    let mut s = c
        .docs
        .download_document(pb::DownloadDocumentRequest {
            reason: None,
            document_id: id.into(),
            offset: None,
            length: None,
        })
        .await?
        .into_inner();
    let mut n = 0;
    while let Some(m) = s.next().await {
        if let Some(pb::download_document_response::Payload::Chunk(b)) = m?.payload {
            n += b.len();
        }
    }
    Ok(n)
}

/// Result of running operations from several clients.
struct Run {
    ops: usize,
    bytes: usize,
    wall: Duration,
    lat: Vec<Duration>,
    cpu: Option<f64>,
    rss: Option<u64>,
}

/// How late tokio's timer may wake without it counting as latency.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Runs `op` `count` times spread over `clients` concurrent clients, each on
/// its own connection from `pool`. Without `rate` every client sends its next
/// request when the last is answered (closed loop, the most the server
/// takes). With `rate` (operations per second over all clients) requests are
/// due on a fixed schedule, and latency counts from when a request was due,
/// so that time spent waiting behind a slow answer is not hidden (beyond
/// [`TIMER_SLACK`]).
async fn drive<F, Fut>(
    pool: &[Clients],
    pid: Option<u32>,
    clients: usize,
    count: usize,
    rate: Option<f64>,
    op: F,
) -> anyhow::Result<Run>
where
    F: Fn(Clients, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<usize>> + Send,
{
    let op = Arc::new(op);
    let before = pid.and_then(proc_usage);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for t in 0..clients {
        let c = pool[t % pool.len()].clone();
        let op = Arc::clone(&op);
        let mine = count / clients + usize::from(t < count % clients);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(mine);
            let mut bytes = 0;
            for i in 0..mine {
                let t0 = match rate {
                    Some(rate) => {
                        let due =
                            started + Duration::from_secs_f64((i * clients + t) as f64 / rate);
                        tokio::time::sleep_until(due).await;
                        // Tokio's timer wakes up to a millisecond late; only
                        // lateness beyond that is the server's doing.
                        let now = tokio::time::Instant::now();
                        if now.duration_since(due) <= TIMER_SLACK {
                            now
                        } else {
                            due
                        }
                    }
                    None => tokio::time::Instant::now(),
                };
                bytes += op(c.clone(), t * 1_000_000 + i).await?;
                lat.push(t0.elapsed());
            }
            Ok::<_, anyhow::Error>((lat, bytes))
        }));
    }
    let mut lat = Vec::with_capacity(count);
    let mut bytes = 0;
    for t in tasks {
        let (l, b) = t.await??;
        lat.extend(l);
        bytes += b;
    }
    let wall = started.elapsed();
    let after = pid.and_then(proc_usage);
    lat.sort();
    Ok(Run {
        ops: lat.len(),
        bytes,
        wall,
        lat,
        cpu: match (before, after) {
            (Some(b), Some(a)) => Some((a.0 - b.0) / wall.as_secs_f64()),
            _ => None,
        },
        rss: after.map(|a| a.1),
    })
}

/// The operations whose latency is drawn against load.
#[derive(Clone, Copy, Debug)]
enum Op {
    Lookup,
    Download,
    Ingest,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Lookup => "case lookup by number",
            Op::Download => "download 200 KB, verified",
            Op::Ingest => "ingest 200 KB, durable ack",
        }
    }

    /// The p99 target of the operation, if it has one.
    fn target_ms(self) -> Option<f64> {
        match self {
            Op::Lookup => Some(2.0),
            Op::Download => Some(10.0),
            Op::Ingest => None,
        }
    }

    fn run(
        self,
        case: Arc<String>,
        ids: Arc<Vec<String>>,
    ) -> impl Fn(Clients, usize) -> BoxFuture<'static, anyhow::Result<usize>> + Send + Sync + 'static
    {
        move |mut c, i| {
            let case = Arc::clone(&case);
            let ids = Arc::clone(&ids);
            async move {
                match self {
                    Op::Lookup => {
                        c.cases
                            .get_case(pb::GetCaseRequest {
                                reason: None,
                                key: Some(pb::get_case_request::Key::CaseNumber((*case).clone())),
                            })
                            .await?;
                        Ok(0)
                    }
                    Op::Download => download(&mut c, &ids[i % ids.len()]).await,
                    Op::Ingest => {
                        let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x5a5a);
                        let data = scan(&mut rng, 200 * KB);
                        let n = data.len();
                        upload(&mut c, &case, "image/tiff", data).await?;
                        Ok(n)
                    }
                }
            }
            .boxed()
        }
    }
}

/// One measured point: offered rate (None: closed loop), achieved ops/s,
/// p50 and p99 in milliseconds.
struct Point {
    offered: Option<f64>,
    achieved: f64,
    p50: f64,
    p99: f64,
}

/// Draws p50 and p99 latency against achieved throughput, one panel per
/// operation, on a log latency axis.
fn plot(path: &Path, curves: &[(Op, Vec<Point>)]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    let bytes: &'static [u8] = Box::leak(
        std::fs::read(FONT)
            .map_err(|e| anyhow::anyhow!("{FONT} (Debian package fonts-dejavu-core): {e}"))?
            .into_boxed_slice(),
    );
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{FONT} is not a usable font"))?;
    let root = BitMapBackend::new(path, (1500, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, panels) = root.split_vertically(40);
    title.titled(
        "akte: latency against load (32 clients, one connection each; 2 cores shared with the load generator)",
        ("sans-serif", 20),
    )?;
    let panels = panels.split_evenly((1, curves.len()));
    for (area, (op, points)) in panels.iter().zip(curves) {
        let max_x = points.iter().map(|p| p.achieved).fold(1.0, f64::max) * 1.05;
        let max_y = points.iter().map(|p| p.p99).fold(10.0, f64::max) * 1.5;
        let mut chart = ChartBuilder::on(area)
            .caption(op.name(), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..max_x, (0.1..max_y).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("operations per second")
            .y_desc("latency, ms")
            .x_labels(6)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y}"))
            .draw()?;
        for (label, color, pick) in [
            ("p50", BLUE, (|p: &Point| p.p50) as fn(&Point) -> f64),
            ("p99", RED, |p: &Point| p.p99),
        ] {
            let series: Vec<(f64, f64)> = points.iter().map(|p| (p.achieved, pick(p))).collect();
            chart
                .draw_series(LineSeries::new(series.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            chart.draw_series(series.iter().map(|&xy| Circle::new(xy, 4, color.filled())))?;
        }
        if let Some(t) = op.target_ms() {
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, t), (max_x, t)],
                    BLACK.mix(0.5).stroke_width(1),
                ))?
                .label(format!("p99 target {t} ms"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Waits until the server has finished the work earlier scenarios left
/// behind (indexing, compaction): its CPU use below 5% over half a second,
/// for at most a minute. Without a pid (a server not started here) it
/// returns at once.
async fn settle(pid: Option<u32>) {
    let Some(pid) = pid else { return };
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let Some((before, _)) = proc_usage(pid) else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some((after, _)) = proc_usage(pid) else {
            return;
        };
        if after - before < 0.025 {
            return;
        }
    }
}

fn row(name: &str, clients: usize, r: &Run, baseline: &str, ratio: &str) -> String {
    format!(
        "| {name} | {clients} | {} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {baseline} | {ratio} |",
        r.ops,
        r.ops as f64 / r.wall.as_secs_f64(),
        r.bytes as f64 / MB as f64 / r.wall.as_secs_f64(),
        ms(percentile(&r.lat, 0.5)),
        ms(percentile(&r.lat, 0.95)),
        ms(percentile(&r.lat, 0.99)),
        r.cpu.map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
        r.rss.map_or("-".into(), |b| format!("{}", b / (1024 * 1024))),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let all = args.scenario == "all";
    let want = |s: &str| all || args.scenario == s;

    eprintln!("measuring baselines in {}", dir.display());
    let base = baselines(&dir)?;
    let mut server = None;
    let addr = match &args.server {
        Some(a) => a.clone(),
        None => {
            let s = akte_e2e::Server::start(
                &dir.join("data"),
                Some("[ocr]\nmode = \"off\"\n[limits]\nmax_concurrent_uploads = 256\n"),
            )?;
            let a = s.addr.clone();
            server = Some(s);
            a
        }
    };
    let pid = server.as_ref().map(akte_e2e::Server::pid);
    // The started server's admin token, or AKTE_TOKEN for a given server.
    let token = match &server {
        Some(s) => Some(std::fs::read_to_string(s.admin_token_file())?),
        None => std::env::var("AKTE_TOKEN").ok(),
    };
    let token = token.as_deref();
    let c = connect(&addr, token).await?;
    // One connection per client, as 32 caseworkers would have.
    let mut pool = Vec::new();
    for _ in 0..32 {
        pool.push(connect(&addr, token).await?);
    }
    let case = format!("{:05}BG0000001", std::process::id() % 100_000);
    let mut cc = c.clone();
    cc.cases
        .create_case(pb::CreateCaseRequest {
            case_number: case.clone(),
            title: "Lasttest".into(),
            site: "Nord".into(),
            ..Default::default()
        })
        .await?;

    println!("Baselines (same run, same disk): SHA-256 {:.0} MB/s; write 200 KB + fsync + rename + dir fsync: {:.0}/s one at a time (each p50 {:.2} ms, p99 {:.2} ms), {:.0}/s from 32 threads; sequential write + fsync {:.0} MB/s.\n",
        base.sha256_mb_s, base.fsync_serial_per_s, base.fsync_serial_p50_ms, base.fsync_serial_p99_ms, base.fsync_32_per_s, base.disk_write_mb_s);
    println!("| scenario | clients | ops | ops/s | MB/s | p50 ms | p95 ms | p99 ms | server CPU | server RSS MiB | baseline | ratio |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let case = Arc::new(case);
    let mut ids: Vec<String> = Vec::new();

    if want("ingest") {
        for clients in [1, 8, 32] {
            let count = if clients == 1 {
                args.count / 4
            } else {
                args.count
            };
            let case = Arc::clone(&case);
            let r = drive(&pool, pid, clients, count, None, move |mut c, i| {
                let case = Arc::clone(&case);
                async move {
                    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x5eed);
                    let data = scan(&mut rng, 200 * KB);
                    let n = data.len();
                    upload(&mut c, &case, "image/tiff", data).await?;
                    Ok(n)
                }
            })
            .await?;
            let ratio = r.ops as f64 / r.wall.as_secs_f64() / base.fsync_serial_per_s;
            println!(
                "{}",
                row(
                    "ingest 200 KB, durable ack",
                    clients,
                    &r,
                    &format!("{:.0}/s raw fsync'd writes", base.fsync_serial_per_s),
                    &format!("{:.0}%", ratio * 100.0)
                )
            );
        }
    }
    settle(pid).await;
    if want("sizes") {
        // One client: how the acknowledgement time grows with the size.
        for size in [KB, 16 * KB, 64 * KB, 200 * KB, MB, 4 * MB] {
            let case = Arc::clone(&case);
            let count = (args.count / 10).max(20);
            let r = drive(&pool, pid, 1, count, None, move |mut c, i| {
                let case = Arc::clone(&case);
                async move {
                    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x512e);
                    let data = scan(&mut rng, size);
                    upload(&mut c, &case, "image/tiff", data).await?;
                    Ok(size)
                }
            })
            .await?;
            println!(
                "{}",
                row(
                    &format!("ingest {} KB, one client", size / KB),
                    1,
                    &r,
                    "-",
                    "-"
                )
            );
        }
    }
    settle(pid).await;
    if want("large") {
        let case = Arc::clone(&case);
        let r = drive(
            &pool,
            pid,
            2,
            (args.count / 200).max(6),
            None,
            move |mut c, i| {
                let case = Arc::clone(&case);
                async move {
                    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x1a);
                    let data = scan(&mut rng, 20 * MB);
                    let n = data.len();
                    upload(&mut c, &case, "image/tiff", data).await?;
                    Ok(n)
                }
            },
        )
        .await?;
        let limit = base.sha256_mb_s.min(base.disk_write_mb_s);
        let ratio = r.bytes as f64 / MB as f64 / r.wall.as_secs_f64() / limit;
        println!(
            "{}",
            row(
                "upload 20 MB",
                2,
                &r,
                &format!("{limit:.0} MB/s = min(SHA-256, disk)"),
                &format!("{:.0}%", ratio * 100.0)
            )
        );
    }
    if want("download") || want("mix") || want("sweep") {
        // Documents to read: 200 KB each.
        let mut rng = StdRng::seed_from_u64(99);
        let mut cl = c.clone();
        for _ in 0..64 {
            ids.push(
                upload(&mut cl, &case, "image/tiff", scan(&mut rng, 200 * KB))
                    .await?
                    .document_id,
            );
        }
    }
    settle(pid).await;
    if want("lookup") {
        let case = Arc::clone(&case);
        let r = drive(&pool, pid, 32, args.count * 2, None, move |mut c, _| {
            let case = Arc::clone(&case);
            async move {
                c.cases
                    .get_case(pb::GetCaseRequest {
                        reason: None,
                        key: Some(pb::get_case_request::Key::CaseNumber((*case).clone())),
                    })
                    .await?;
                Ok(0)
            }
        })
        .await?;
        println!(
            "{}",
            row("case lookup by number", 32, &r, "target p99 ≤ 2 ms", "-")
        );
    }
    settle(pid).await;
    if want("download") {
        let ids = Arc::new(ids.clone());
        let r = drive(&pool, pid, 32, args.count, None, move |mut c, i| {
            let ids = Arc::clone(&ids);
            async move { download(&mut c, &ids[i % ids.len()]).await }
        })
        .await?;
        println!(
            "{}",
            row(
                "download 200 KB, verified",
                32,
                &r,
                "target p99 ≤ 10 ms",
                "-"
            )
        );
    }
    settle(pid).await;
    if want("mix") {
        let ids = Arc::new(ids.clone());
        let case = Arc::clone(&case);
        let r = drive(&pool, pid, 32, args.count, None, move |mut c, i| {
            let ids = Arc::clone(&ids);
            let case = Arc::clone(&case);
            async move {
                let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x3141);
                let pick: f64 = rng.random();
                if pick < 0.25 {
                    // A scanned letter: 1–4 pages of 50 KB–5 MB each.
                    let pages = rng.random_range(1..=4);
                    let size: usize = (0..pages).map(|_| page_size(&mut rng)).sum();
                    upload(&mut c, &case, "image/tiff", scan(&mut rng, size)).await?;
                    Ok(size)
                } else if pick < 0.4 {
                    let text = german_letter(&mut rng);
                    let n = text.len();
                    upload(&mut c, &case, "text/plain", text).await?;
                    Ok(n)
                } else if pick < 0.7 {
                    download(&mut c, &ids[i % ids.len()]).await
                } else if pick < 0.9 {
                    c.cases
                        .get_case(pb::GetCaseRequest {
                            reason: None,
                            key: Some(pb::get_case_request::Key::CaseNumber((*case).clone())),
                        })
                        .await?;
                    Ok(0)
                } else {
                    let w = WORDS[rng.random_range(3..WORDS.len())];
                    c.search
                        .search(pb::SearchRequest {
                            query: w.into(),
                            site: "Nord".into(),
                            limit: 20,
                            ..Default::default()
                        })
                        .await?;
                    Ok(0)
                }
            }
        })
        .await?;
        println!("{}", row("mix: 25% scans 1–4 pages, 15% text letters, 30% downloads, 20% lookups, 10% searches", 32, &r, "-", "-"));
    }
    settle(pid).await;
    if want("sweep") {
        println!("\nLatency against load: 32 clients; first as fast as answers come (closed loop), then at fixed fractions of that rate, latency counted from when each request was due.\n");
        println!("| operation | offered ops/s | achieved ops/s | p50 ms | p99 ms |");
        println!("|---|---|---|---|---|");
        let ids = Arc::new(ids.clone());
        let mut curves = Vec::new();
        for op in [Op::Lookup, Op::Download, Op::Ingest] {
            settle(pid).await;
            let mut points = Vec::new();
            let count = match op {
                Op::Lookup => args.count * 2,
                _ => args.count,
            };
            let closed = drive(
                &pool,
                pid,
                32,
                count,
                None,
                op.run(Arc::clone(&case), Arc::clone(&ids)),
            )
            .await?;
            let capacity = closed.ops as f64 / closed.wall.as_secs_f64();
            for fraction in [0.1, 0.25, 0.5, 0.75, 0.9] {
                let rate = capacity * fraction;
                // About eight seconds per point: long enough that one
                // stall of the machine does not make the p99 of a point.
                let n = ((rate * 8.0) as usize).clamp(200, 60_000);
                let r = drive(
                    &pool,
                    pid,
                    32,
                    n,
                    Some(rate),
                    op.run(Arc::clone(&case), Arc::clone(&ids)),
                )
                .await?;
                points.push(Point {
                    offered: Some(rate),
                    achieved: r.ops as f64 / r.wall.as_secs_f64(),
                    p50: millis(percentile(&r.lat, 0.5)),
                    p99: millis(percentile(&r.lat, 0.99)),
                });
            }
            points.push(Point {
                offered: None,
                achieved: capacity,
                p50: millis(percentile(&closed.lat, 0.5)),
                p99: millis(percentile(&closed.lat, 0.99)),
            });
            for p in &points {
                println!(
                    "| {} | {} | {:.0} | {:.2} | {:.2} |",
                    op.name(),
                    p.offered
                        .map_or("closed loop".into(), |r| format!("{r:.0}")),
                    p.achieved,
                    p.p50,
                    p.p99
                );
            }
            curves.push((op, points));
        }
        plot(&args.plot, &curves)?;
        println!("\nPlot: {}", args.plot.display());
    }
    drop(server);
    Ok(())
}
