//! Client subcommands: talk to a running server over gRPC.

use std::io::IsTerminal;
use std::path::PathBuf;

use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_proto::v1::search_service_client::SearchServiceClient;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tonic::transport::Channel;

const CHUNK: usize = 1024 * 1024;

#[derive(Args, Debug)]
pub struct Server {
    /// Address of the akte server.
    #[arg(
        long,
        global = true,
        env = "AKTE_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
}

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// Create a case.
    Create {
        /// Case number, e.g. 12345BG0012345.
        number: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        team: Option<String>,
        /// A party of the case (repeatable).
        #[arg(long = "party")]
        parties: Vec<String>,
    },
    /// Show a case (by number or id) with its newest documents.
    Show {
        case: String,
        /// How many documents to list.
        #[arg(long, default_value_t = 50)]
        documents: u32,
    },
    /// Print a cover sheet (PDF) for a case: scanned in front of a letter,
    /// its QR code files the letter into the case.
    CoverSheet {
        /// Case number.
        number: String,
        /// Output file; `-` for standard output.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// List cases, ordered by number.
    List {
        #[arg(long, default_value = "")]
        site: String,
        /// At most this many cases.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

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

#[derive(Args, Debug)]
pub struct InboxArgs {
    /// Site whose inbox to list.
    site: String,
    #[arg(long, default_value_t = 100)]
    limit: usize,
    #[command(flatten)]
    server: Server,
}

#[derive(Args, Debug)]
pub struct AssignArgs {
    document_id: String,
    /// Case number to file the document into.
    case_number: String,
    /// Note for the document's history.
    #[arg(long, default_value = "")]
    note: String,
    #[command(flatten)]
    server: Server,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    document_id: String,
    /// Output file; `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    server: Server,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words, "phrases", AND / OR / NOT.
    #[arg(default_value = "")]
    query: String,
    #[arg(long = "case", default_value = "")]
    case_number: String,
    #[arg(long, default_value = "")]
    site: String,
    #[arg(long = "type", default_value = "")]
    document_type: String,
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[command(flatten)]
    server: Server,
}

pub(crate) async fn channel(server: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(server.to_owned())
        .context("invalid server address")?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {server}"))
}

fn status(e: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code(), e.message())
}

fn time(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| {
        let secs = u64::try_from(t.seconds).ok()?;
        let at =
            std::time::UNIX_EPOCH + std::time::Duration::new(secs, u32::try_from(t.nanos).ok()?);
        Some(humantime::format_rfc3339_seconds(at).to_string())
    })
    .unwrap_or_default()
}

fn state(d: &pb::Document) -> &'static str {
    match pb::IndexState::try_from(d.index_state) {
        Ok(pb::IndexState::Pending) => "pending",
        Ok(pb::IndexState::Indexed) => "indexed",
        Ok(pb::IndexState::Failed) => "failed",
        Ok(pb::IndexState::AwaitingText) => "awaiting text",
        Ok(pb::IndexState::Ocr) => "ocr",
        _ => "?",
    }
}

fn print_case(c: &pb::Case) {
    println!("case      {}  ({})", c.case_number, c.case_id);
    println!("title     {}", c.title);
    println!(
        "site      {}{}",
        c.site,
        if c.team.is_empty() {
            String::new()
        } else {
            format!(" / {}", c.team)
        }
    );
    if !c.parties.is_empty() {
        println!("parties   {}", c.parties.join(", "));
    }
    println!("created   {}", time(c.created_at.as_ref()));
    println!("documents {}", c.document_count);
}

fn print_document_line(d: &pb::Document) {
    println!(
        "{}  {}  {:>10}  {:<14} {}  {} [{}]{}",
        d.document_id,
        time(d.received_at.as_ref()),
        d.size_bytes,
        d.document_type,
        d.media_type,
        if d.title.is_empty() {
            &d.filename
        } else {
            &d.title
        },
        state(d),
        if d.routing_note.is_empty() {
            String::new()
        } else {
            format!("  ({})", d.routing_note)
        }
    );
}

pub async fn case(server: &str, command: CaseCommand) -> anyhow::Result<()> {
    let mut client = CaseServiceClient::new(channel(server).await?);
    match command {
        CaseCommand::Create {
            number,
            title,
            site,
            team,
            parties,
        } => {
            let case = client
                .create_case(pb::CreateCaseRequest {
                    case_number: number,
                    title,
                    site,
                    team,
                    parties,
                })
                .await
                .map_err(status)?
                .into_inner();
            print_case(&case);
        }
        CaseCommand::Show { case, documents } => {
            let key = if case.len() == 26 && case.parse::<akte_types::CaseId>().is_ok() {
                pb::get_case_request::Key::CaseId(case)
            } else {
                pb::get_case_request::Key::CaseNumber(case)
            };
            let c = client
                .get_case(pb::GetCaseRequest { key: Some(key) })
                .await
                .map_err(status)?
                .into_inner();
            print_case(&c);
            let mut docs = DocumentServiceClient::new(channel(server).await?);
            let page = docs
                .list_case_documents(pb::ListCaseDocumentsRequest {
                    case_key: Some(pb::list_case_documents_request::CaseKey::CaseId(c.case_id)),
                    page_size: documents,
                    page_token: String::new(),
                })
                .await
                .map_err(status)?
                .into_inner();
            for d in &page.documents {
                print_document_line(d);
            }
        }
        CaseCommand::CoverSheet { number, output } => {
            use std::io::Write;
            let c = client
                .get_case(pb::GetCaseRequest {
                    key: Some(pb::get_case_request::Key::CaseNumber(number)),
                })
                .await
                .map_err(status)?
                .into_inner();
            let pdf = akte_extract::cover_sheet_pdf(&c.case_number, &c.title, &c.site);
            if output.as_os_str() == "-" {
                std::io::stdout().write_all(&pdf)?;
            } else {
                std::fs::write(&output, &pdf)
                    .with_context(|| format!("writing {}", output.display()))?;
                eprintln!(
                    "cover sheet for {} written to {}",
                    c.case_number,
                    output.display()
                );
            }
        }
        CaseCommand::List { site, limit } => {
            let mut token = String::new();
            let mut shown = 0;
            loop {
                let page = client
                    .list_cases(pb::ListCasesRequest {
                        site: site.clone(),
                        page_size: u32::try_from((limit - shown).min(1000)).unwrap_or(1000),
                        page_token: token,
                    })
                    .await
                    .map_err(status)?
                    .into_inner();
                for c in &page.cases {
                    println!(
                        "{}  {:<12} {:>6}  {}",
                        c.case_number, c.site, c.document_count, c.title
                    );
                }
                shown += page.cases.len();
                if page.next_page_token.is_empty() || shown >= limit {
                    break;
                }
                token = page.next_page_token;
            }
        }
    }
    Ok(())
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
    let mut client = DocumentServiceClient::new(channel(&args.server.server).await?);
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
    client: &mut DocumentServiceClient<Channel>,
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

pub async fn inbox(args: InboxArgs) -> anyhow::Result<()> {
    let mut client = DocumentServiceClient::new(channel(&args.server.server).await?);
    let mut token = String::new();
    let mut shown = 0;
    loop {
        let page = client
            .list_inbox(pb::ListInboxRequest {
                site: args.site.clone(),
                page_size: u32::try_from((args.limit - shown).min(1000)).unwrap_or(1000),
                page_token: token,
            })
            .await
            .map_err(status)?
            .into_inner();
        for d in &page.documents {
            print_document_line(d);
        }
        shown += page.documents.len();
        if page.next_page_token.is_empty() || shown >= args.limit {
            break;
        }
        token = page.next_page_token;
    }
    if shown == 0 {
        eprintln!("the inbox of {} is empty", args.site);
    }
    Ok(())
}

pub async fn assign(args: AssignArgs) -> anyhow::Result<()> {
    let mut client = DocumentServiceClient::new(channel(&args.server.server).await?);
    let doc = client
        .assign_document(pb::AssignDocumentRequest {
            document_id: args.document_id,
            case_number: args.case_number,
            note: args.note,
        })
        .await
        .map_err(status)?
        .into_inner();
    println!("{} assigned to case {}", doc.document_id, doc.case_number);
    Ok(())
}

pub async fn get(args: GetArgs) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut client = DocumentServiceClient::new(channel(&args.server.server).await?);
    let mut stream = client
        .download_document(pb::DownloadDocumentRequest {
            document_id: args.document_id.clone(),
            offset: None,
            length: None,
        })
        .await
        .map_err(status)?
        .into_inner();
    let to_stdout = args.output.as_os_str() == "-";
    // Write to a temporary name and rename only after the stream was verified,
    // so that a damaged download never leaves a file that looks complete.
    let part = args.output.with_extension("part");
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin> = if to_stdout {
        Box::new(tokio::io::stdout())
    } else {
        Box::new(
            tokio::fs::File::create(&part)
                .await
                .with_context(|| format!("creating {}", part.display()))?,
        )
    };
    let mut written = 0u64;
    let result: anyhow::Result<()> = async {
        while let Some(msg) = stream.next().await {
            match msg.map_err(status)?.payload {
                Some(pb::download_document_response::Payload::Chunk(b)) => {
                    out.write_all(&b).await?;
                    written += b.len() as u64;
                }
                Some(pb::download_document_response::Payload::Document(_)) | None => {}
            }
        }
        out.flush().await?;
        Ok(())
    }
    .await;
    drop(out);
    if let Err(e) = result {
        if !to_stdout {
            let _ = tokio::fs::remove_file(&part).await;
        }
        return Err(e);
    }
    if !to_stdout {
        tokio::fs::rename(&part, &args.output).await?;
        eprintln!("{} bytes written to {}", written, args.output.display());
    }
    Ok(())
}

pub async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let mut client = SearchServiceClient::new(channel(&args.server.server).await?);
    let response = client
        .search(pb::SearchRequest {
            query: args.query,
            case_number: args.case_number,
            site: args.site,
            document_type: args.document_type,
            received_from: None,
            received_to: None,
            limit: args.limit,
            page_token: String::new(),
        })
        .await
        .map_err(status)?
        .into_inner();
    println!("{} hits", response.total_hits);
    for hit in &response.hits {
        if let Some(d) = &hit.document {
            let pages = if hit.pages.is_empty() {
                String::new()
            } else {
                format!(
                    "  pages {}",
                    hit.pages
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            let place = if hit.case_number.is_empty() {
                format!("inbox {}", d.site)
            } else {
                hit.case_number.clone()
            };
            println!("{:6.2}  {}  {}{pages}", hit.score, place, d.document_id);
            print!("        ");
            print_document_line(d);
            if !hit.snippet.is_empty() {
                // Bold on a terminal, unless NO_COLOR (no-color.org) is set.
                let bold = std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                println!("        {}", terminal_snippet(&hit.snippet, bold));
            }
        }
    }
    Ok(())
}

/// A search snippet as the server sends it (HTML: matched words in `<b>`,
/// text escaped) for a terminal: the words bold where `bold`, else plain
/// (piped into a file or another program), the text unescaped, on one line.
fn terminal_snippet(html: &str, bold: bool) -> String {
    let (on, off) = if bold {
        ("\x1b[1m", "\x1b[22m")
    } else {
        ("", "")
    };
    let mut out = String::with_capacity(html.len());
    for (i, part) in html.split("<b>").enumerate() {
        let (marked, rest) = match (i, part.split_once("</b>")) {
            (0, _) => ("", part),
            (_, None) => (part, ""),
            (_, Some((m, r))) => (m, r),
        };
        if !marked.is_empty() {
            out.push_str(on);
            out.push_str(&unescape(marked));
            out.push_str(off);
        }
        out.push_str(&unescape(rest));
    }
    out.replace(['\n', '\r'], " ")
}

fn unescape(text: &str) -> String {
    htmlescape::decode_html(text).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod snippet_tests {
    use super::terminal_snippet;

    #[test]
    fn snippets_are_bold_on_a_terminal_and_plain_when_piped() {
        let html = "Als <b>Beschäftigte</b> der Firma M&amp;M &lt;GmbH&gt;\nab <b>Mai</b>";
        assert_eq!(
            terminal_snippet(html, false),
            "Als Beschäftigte der Firma M&M <GmbH> ab Mai"
        );
        assert_eq!(
            terminal_snippet(html, true),
            "Als \x1b[1mBeschäftigte\x1b[22m der Firma M&M <GmbH> ab \x1b[1mMai\x1b[22m"
        );
        assert_eq!(terminal_snippet("ohne Treffer", true), "ohne Treffer");
        // A snippet cut inside a match does not lose text.
        assert_eq!(terminal_snippet("a <b>b", false), "a b");
    }
}
