//! `akte upload`: files into a case or a site's inbox, with their SHA-256.

use std::path::PathBuf;

use akte_proto::v1 as pb;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use anyhow::{bail, Context};
use clap::Args;
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::{channel, status, Server};

const CHUNK: usize = 1024 * 1024;
#[derive(Args, Debug)]
pub struct UploadArgs {
    /// Files to upload.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Number of the case the documents belong to.
    #[arg(long = "case", required_unless_present = "site")]
    case_number: Option<String>,
    /// Without --case: the site whose inbox receives the documents whose
    /// case number the service does not find in them.
    #[arg(long, conflicts_with = "case_number")]
    site: Option<String>,
    /// Title (default: the file name).
    #[arg(long)]
    title: Option<String>,
    /// Kind of document, e.g. Antrag, Bescheid, Nachweis.
    #[arg(long = "type", default_value = "")]
    document_type: String,
    /// Media type (default: recognised by the server).
    #[arg(long, default_value = "")]
    media_type: String,
    #[arg(long, default_value = "cli")]
    source: String,
    #[command(flatten)]
    server: Server,
}

pub(crate) async fn file_sha256(path: &std::path::Path) -> anyhow::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub async fn upload(args: UploadArgs) -> anyhow::Result<()> {
    let mut client = DocumentServiceClient::new(channel(&args.server).await?);
    let progress = MultiProgress::new();
    let total: u64 = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let overall = progress.add(ProgressBar::new(total));
    overall.set_style(
        ProgressStyle::with_template(
            "{msg:30} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    if args.files.len() < 2 {
        overall.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut failures = 0;
    for (i, path) in args.files.iter().enumerate() {
        overall.set_message(format!("{}/{} {}", i + 1, args.files.len(), path.display()));
        match upload_one(&mut client, &args, path, &overall).await {
            Ok(doc) => {
                progress.suspend(|| {
                    println!(
                        "{}  {}  {}  {}",
                        doc.document_id,
                        doc.sha256,
                        doc.size_bytes,
                        path.display()
                    );
                });
            }
            Err(e) => {
                failures += 1;
                progress.suspend(|| eprintln!("error: {}: {e:#}", path.display()));
            }
        }
    }
    overall.finish_and_clear();
    if failures > 0 {
        bail!("{failures} of {} uploads failed", args.files.len());
    }
    Ok(())
}

async fn upload_one(
    client: &mut DocumentServiceClient<crate::client::Conn>,
    args: &UploadArgs,
    path: &std::path::Path,
    bar: &ProgressBar,
) -> anyhow::Result<pb::Document> {
    let sha256 = file_sha256(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let header = pb::DocumentHeader {
        case_number: args.case_number.clone().unwrap_or_default(),
        title: args.title.clone().unwrap_or_else(|| filename.clone()),
        document_type: args.document_type.clone(),
        media_type: args.media_type.clone(),
        filename,
        source: args.source.clone(),
        received_at: None,
        expected_sha256: Some(sha256),
        site: args.site.clone().unwrap_or_default(),
        transfer_note: None,
    };
    let stream = upload_stream(path, header, Some(bar.clone())).await?;
    let response = client.upload_document(stream).await.map_err(status)?;
    Ok(response.into_inner())
}

/// The messages of an upload: the header, then the file in chunks.
pub(crate) async fn upload_stream(
    path: &std::path::Path,
    header: pb::DocumentHeader,
    bar: Option<ProgressBar>,
) -> anyhow::Result<impl futures::Stream<Item = pb::UploadDocumentRequest> + Send + 'static> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let first = futures::stream::once(async move {
        pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Header(header)),
        }
    });
    let chunks = futures::stream::unfold(Some(file), move |file| {
        let bar = bar.clone();
        async move {
            let mut file = file?;
            let mut buf = bytes::BytesMut::with_capacity(CHUNK);
            while buf.len() < CHUNK {
                match file.read_buf(&mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    // A read error ends the stream early; the server sees an
                    // incomplete upload whose hash does not match and refuses it.
                    Err(_) => return None,
                }
            }
            if buf.is_empty() {
                return None;
            }
            if let Some(bar) = &bar {
                bar.inc(buf.len() as u64);
            }
            Some((
                pb::UploadDocumentRequest {
                    payload: Some(pb::upload_document_request::Payload::Chunk(buf.freeze())),
                },
                Some(file),
            ))
        }
    });
    Ok(first.chain(chunks))
}
