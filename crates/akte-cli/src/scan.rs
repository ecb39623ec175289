//! `akte scan`: the scanning-station client. Uploads every file of a folder
//! (several at once) into the inbox of a site, where the service routes each
//! to its case; moves each acknowledged file to `done/` and each refused one
//! to `error/` with a `.reason` file beside it. A file is only ever moved
//! after the server acknowledged it, never deleted. Uploads carry the
//! station id and the file's SHA-256, so a file sent again (after an
//! interruption between acknowledgement and move) is recognised by the
//! server and not stored twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use akte_proto::v1 as pb;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use anyhow::Context;
use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::{channel, upload_stream, Server};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Folder the scanner writes to.
    dir: PathBuf,
    /// Id of this scanning station (kept in each document's transfer note).
    #[arg(long)]
    station: String,
    /// Site whose inbox receives documents whose case is not found.
    #[arg(long)]
    site: String,
    /// Who operates the station (default: the user name).
    #[arg(long, env = "USER", default_value = "")]
    operator: String,
    /// Keep watching the folder for new files (polling, which also works on
    /// network shares).
    #[arg(long)]
    watch: bool,
    /// Uploads at the same time.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Seconds between looks at the folder with --watch.
    #[arg(long, default_value_t = 2.0)]
    interval: f64,
    /// With --watch, a file is sent once its size and modification time did
    /// not change for this many seconds (the scanner has finished writing).
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// Kind of document, e.g. Posteingang.
    #[arg(long = "type", default_value = "")]
    document_type: String,
    /// The scanner post-processes images (deskew, crop, compression): how.
    #[arg(long)]
    post_processing: Option<String>,
    #[command(flatten)]
    server: Server,
}

/// What became of one file.
enum Outcome {
    Stored(Box<pb::Document>),
    /// The server refused the file for good: moved to error/.
    Refused(String),
    /// Not sent now (server unreachable, overloaded, ...): tried again later.
    Later(String),
}

/// A status the same file will get again: retrying does not help.
fn is_refusal(status: &tonic::Status) -> bool {
    use tonic::Code;
    match status.code() {
        Code::InvalidArgument
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::AlreadyExists
        | Code::PermissionDenied
        | Code::OutOfRange => true,
        // The size limit; overload is RESOURCE_EXHAUSTED too, and passes.
        Code::ResourceExhausted => status.message().contains("limit of"),
        _ => false,
    }
}

/// Files of `dir` (not sub-folders, not hidden or partial files), by name.
fn candidates(dir: &Path) -> anyhow::Result<Vec<(PathBuf, u64, SystemTime)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        out.push((entry.path(), meta.len(), meta.modified()?));
    }
    out.sort();
    Ok(out)
}

/// `dir/name`, or `dir/name.N` if that is taken.
fn free_name(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    (1u32..)
        .map(|i| {
            let mut n = name.to_owned();
            n.push(format!(".{i}"));
            dir.join(n)
        })
        .find(|p| !p.exists())
        .unwrap_or(first)
}

fn move_into(file: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let name = file.file_name().context("file without a name")?;
    let target = free_name(dir, name);
    std::fs::rename(file, &target)
        .with_context(|| format!("moving {} to {}", file.display(), target.display()))?;
    Ok(target)
}

async fn send(
    mut client: DocumentServiceClient<crate::client::Conn>,
    args: &ScanArgs,
    path: &Path,
    modified: SystemTime,
) -> Outcome {
    let sha256 = match crate::client::file_sha256(path).await {
        Ok(h) => h,
        Err(e) => return Outcome::Later(format!("reading the file: {e:#}")),
    };
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let scanned_at = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| prost_types::Timestamp {
            seconds: i64::try_from(d.as_secs()).unwrap_or(0),
            nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
        });
    let header = pb::DocumentHeader {
        case_number: String::new(),
        title: filename.clone(),
        document_type: args.document_type.clone(),
        media_type: String::new(),
        filename,
        source: "scan".into(),
        received_at: scanned_at,
        expected_sha256: Some(sha256),
        site: args.site.clone(),
        transfer_note: Some(pb::TransferNote {
            station_id: args.station.clone(),
            operator: args.operator.clone(),
            scanned_at,
            page_count: 0,
            post_processing: args.post_processing.is_some(),
            post_processing_detail: args.post_processing.clone().unwrap_or_default(),
            sha256: String::new(),
        }),
    };
    let stream = match upload_stream(path, header, None).await {
        Ok(s) => s,
        Err(e) => return Outcome::Later(format!("reading the file: {e:#}")),
    };
    match client.upload_document(stream).await {
        Ok(r) => Outcome::Stored(Box::new(r.into_inner())),
        Err(status) if is_refusal(&status) => {
            Outcome::Refused(format!("{:?}: {}", status.code(), status.message()))
        }
        Err(status) => Outcome::Later(format!("{:?}: {}", status.code(), status.message())),
    }
}

pub async fn scan(args: ScanArgs) -> anyhow::Result<()> {
    if args.station.trim().is_empty() || args.site.trim().is_empty() {
        anyhow::bail!("--station and --site must not be empty");
    }
    let done = args.dir.join("done");
    let error = args.dir.join("error");
    for d in [&done, &error] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let client = DocumentServiceClient::new(channel(&args.server).await?);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let jobs = args.jobs.max(1);
    let interval = Duration::from_secs_f64(args.interval.max(0.05));
    let settle = Duration::from_secs_f64(args.settle.max(0.0));
    // Size and modification time of each file when first seen unchanged.
    let mut seen: HashMap<PathBuf, (u64, SystemTime, std::time::Instant)> = HashMap::new();
    let (mut stored, mut refused) = (0usize, 0usize);
    // Files not sent in the last round (a watching client never stops).
    let later = loop {
        let now = std::time::Instant::now();
        let mut ready = Vec::new();
        let found = candidates(&args.dir)?;
        seen.retain(|p, _| found.iter().any(|(f, _, _)| f == p));
        for (path, size, modified) in found {
            if !args.watch {
                ready.push((path, modified));
                continue;
            }
            let entry = seen.entry(path.clone()).or_insert((size, modified, now));
            if (entry.0, entry.1) != (size, modified) {
                *entry = (size, modified, now);
            } else if now.duration_since(entry.2) >= settle {
                ready.push((path, modified));
            }
        }
        bar.inc_length(ready.len() as u64);
        let args_ref = &args;
        let mut results = futures::stream::iter(ready)
            .map(|(path, modified)| {
                let client = client.clone();
                async move {
                    let outcome = send(client, args_ref, &path, modified).await;
                    (path, outcome)
                }
            })
            .buffer_unordered(jobs);
        let mut round_later = 0;
        while let Some((path, outcome)) = results.next().await {
            bar.inc(1);
            match outcome {
                Outcome::Stored(doc) => {
                    let moved = move_into(&path, &done)?;
                    seen.remove(&path);
                    stored += 1;
                    let place = if doc.case_number.is_empty() {
                        format!("inbox {}", doc.site)
                    } else {
                        format!("case {}", doc.case_number)
                    };
                    bar.suspend(|| {
                        println!("stored {}  {}  {}", doc.document_id, place, moved.display());
                    });
                }
                Outcome::Refused(reason) => {
                    let moved = move_into(&path, &error)?;
                    let mut reason_file = moved.clone().into_os_string();
                    reason_file.push(".reason");
                    std::fs::write(&reason_file, format!("{reason}\n"))
                        .with_context(|| format!("writing {reason_file:?}"))?;
                    seen.remove(&path);
                    refused += 1;
                    bar.suspend(|| println!("refused {}: {reason}", moved.display()));
                }
                Outcome::Later(reason) => {
                    round_later += 1;
                    bar.suspend(|| eprintln!("not sent, will retry: {}: {reason}", path.display()));
                }
            }
            bar.set_message(format!("{stored} stored, {refused} refused"));
        }
        drop(results);
        if !args.watch {
            break round_later;
        }
        tokio::time::sleep(interval).await;
    };
    bar.finish_and_clear();
    println!("{stored} stored, {refused} refused, {later} not sent");
    if refused > 0 || later > 0 {
        anyhow::bail!("{} files were not stored", refused + later);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_retries() {
        assert!(is_refusal(&tonic::Status::invalid_argument("bad")));
        assert!(is_refusal(&tonic::Status::resource_exhausted(
            "upload exceeds the limit of 10 bytes"
        )));
        assert!(!is_refusal(&tonic::Status::resource_exhausted(
            "server busy"
        )));
        assert!(!is_refusal(&tonic::Status::unavailable("down")));
        assert!(!is_refusal(&tonic::Status::cancelled("reset")));
    }

    #[test]
    fn moved_files_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("done");
        std::fs::create_dir(&done).unwrap();
        for content in ["a", "b", "c"] {
            let f = dir.path().join("brief.pdf");
            std::fs::write(&f, content).unwrap();
            move_into(&f, &done).unwrap();
        }
        let mut names: Vec<_> = std::fs::read_dir(&done)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["brief.pdf", "brief.pdf.1", "brief.pdf.2"]);
        assert_eq!(
            std::fs::read_to_string(done.join("brief.pdf.2")).unwrap(),
            "c"
        );
    }

    #[test]
    fn candidates_skip_folders_hidden_and_partial_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("done")).unwrap();
        for name in ["b.tif", "a.pdf", ".hidden", "c.part"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let names: Vec<_> = candidates(dir.path())
            .unwrap()
            .into_iter()
            .map(|(p, _, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.pdf", "b.tif"]);
    }
}
