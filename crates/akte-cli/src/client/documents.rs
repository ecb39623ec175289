//! `akte inbox`, `akte assign`, `akte get`: a site's inbox, filing, verified download.

use std::path::PathBuf;

use akte_proto::v1 as pb;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use anyhow::Context;
use clap::Args;
use futures::StreamExt;

use super::{channel, print_document_line, status, Server};

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

pub async fn inbox(args: InboxArgs) -> anyhow::Result<()> {
    let mut client = DocumentServiceClient::new(channel(&args.server).await?);
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
    let mut client = DocumentServiceClient::new(channel(&args.server).await?);
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
    let mut client = DocumentServiceClient::new(channel(&args.server).await?);
    let mut stream = client
        .download_document(pb::DownloadDocumentRequest {
            document_id: args.document_id.clone(),
            offset: None,
            length: None,
            reason: args.server.access_reason(),
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
