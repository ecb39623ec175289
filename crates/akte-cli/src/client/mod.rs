//! Client subcommands: talk to a running server over gRPC.

mod case;
mod documents;
mod search;
mod upload;

use akte_proto::v1 as pb;
use anyhow::Context;
use clap::Args;
use tonic::transport::Channel;

pub use case::{case, CaseCommand};
pub use documents::{assign, get, inbox, AssignArgs, GetArgs, InboxArgs};
pub use search::{search, SearchArgs};
pub(crate) use upload::{file_sha256, upload_stream};
pub use upload::{upload, UploadArgs};

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
