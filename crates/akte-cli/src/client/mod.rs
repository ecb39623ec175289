//! Client subcommands: talk to a running server over gRPC.

mod case;
mod documents;
mod evidence;
mod search;
mod share;
mod upload;

use akte_proto::v1 as pb;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

use tonic::metadata::AsciiMetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

pub use case::{case, CaseCommand};
pub use documents::{assign, get, inbox, AssignArgs, GetArgs, InboxArgs};
pub use evidence::{evidence, EvidenceArgs};
pub use search::{search, SearchArgs};
pub use share::{share, ShareCommand};
pub(crate) use upload::{file_sha256, upload_stream};
pub use upload::{upload, UploadArgs};

#[derive(Args, Debug)]
pub struct Server {
    /// Address of the akte server (https://... for a server with TLS).
    #[arg(
        long,
        global = true,
        env = "AKTE_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// CA certificate (PEM) the server's certificate is verified against;
    /// without it, the system's trusted CAs.
    #[arg(long, global = true, env = "AKTE_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for a server that asks for one (with
    /// --client-key).
    #[arg(
        long,
        visible_alias = "cert",
        global = true,
        env = "AKTE_CLIENT_CERT",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(
        long,
        visible_alias = "key",
        global = true,
        env = "AKTE_CLIENT_KEY",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
    /// Bearer token (from the identity provider, or `akte token issue`).
    /// Without it, --token-file; without that, the admin token of a server
    /// on this machine (`admin.token` in the data directory that
    /// AKTE_DATA_DIR or the AKTE_CONFIG file names, default ./akte-data),
    /// if readable; else none (a client certificate may identify the caller).
    #[arg(long, global = true, env = "AKTE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding the bearer token.
    #[arg(long, global = true, env = "AKTE_TOKEN_FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// Why this call reads a case of another site (a code such as
    /// "vertretung"; with --reason). Kept in the access log.
    #[arg(long, global = true, requires = "reason")]
    pub reason_code: Option<String>,
    /// Why, in a sentence (with --reason-code).
    #[arg(long, global = true, requires = "reason_code")]
    pub reason: Option<String>,
}

impl Server {
    /// The reason to send with reads, if one was given.
    pub(crate) fn access_reason(&self) -> Option<pb::AccessReason> {
        match (&self.reason_code, &self.reason) {
            (Some(code), Some(text)) => Some(pb::AccessReason {
                code: code.clone(),
                text: text.clone(),
            }),
            _ => None,
        }
    }

    /// The bearer token to send, if any.
    fn bearer(&self) -> anyhow::Result<Option<String>> {
        if let Some(t) = &self.token {
            return Ok(Some(t.trim().to_owned()));
        }
        if let Some(path) = &self.token_file {
            let t = std::fs::read_to_string(path)
                .with_context(|| format!("reading the token file {}", path.display()))?;
            return Ok(Some(t.trim().to_owned()));
        }
        // The data directory a server on this machine uses: as AKTE_DATA_DIR
        // or the AKTE_CONFIG file names it, else the default.
        let dir = match (
            std::env::var_os("AKTE_DATA_DIR"),
            std::env::var_os("AKTE_CONFIG"),
        ) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(config)) => akte_core::Config::from_file(std::path::Path::new(&config))
                .map(|c| c.data_dir)
                .unwrap_or_else(|_| PathBuf::from(akte_core::config::DEFAULT_DATA_DIR)),
            (None, None) => PathBuf::from(akte_core::config::DEFAULT_DATA_DIR),
        };
        Ok(
            std::fs::read_to_string(dir.join(akte_core::auth::ADMIN_TOKEN_FILE))
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        )
    }
}

/// Adds the bearer token to every call.
#[derive(Clone)]
pub(crate) struct Bearer(Option<AsciiMetadataValue>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// A connection to the server that authenticates every call.
pub(crate) type Conn = InterceptedService<Channel, Bearer>;

pub(crate) async fn channel(server: &Server) -> anyhow::Result<Conn> {
    let bearer = match server.bearer()? {
        Some(t) => Some(
            AsciiMetadataValue::try_from(format!("Bearer {t}"))
                .context("the token contains characters a header cannot carry")?,
        ),
        None => None,
    };
    let channel = connect(server).await?;
    Ok(InterceptedService::new(channel, Bearer(bearer)))
}

async fn connect(server: &Server) -> anyhow::Result<Channel> {
    let address = &server.server;
    let mut endpoint = Channel::from_shared(address.clone()).context("invalid server address")?;
    if address.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        tls = match &server.ca_cert {
            Some(ca) => tls.ca_certificate(Certificate::from_pem(
                std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?,
            )),
            None => tls.with_native_roots(),
        };
        if let (Some(cert), Some(key)) = (&server.client_cert, &server.client_key) {
            tls = tls.identity(Identity::from_pem(
                std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?,
                std::fs::read(key).with_context(|| format!("reading {}", key.display()))?,
            ));
        }
        endpoint = endpoint.tls_config(tls).context("TLS settings")?;
    } else if server.ca_cert.is_some() || server.client_cert.is_some() {
        anyhow::bail!("--ca-cert and --client-cert need an https:// server address");
    }
    endpoint
        .connect()
        .await
        .with_context(|| format!("cannot connect to {address}"))
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

/// A case status as the CLI names it.
pub(crate) fn status_name(s: i32) -> &'static str {
    match pb::CaseStatus::try_from(s) {
        Ok(pb::CaseStatus::Received) => "received",
        Ok(pb::CaseStatus::InProgress) => "in_progress",
        Ok(pb::CaseStatus::WaitingForDocuments) => "waiting_for_documents",
        Ok(pb::CaseStatus::Decided) => "decided",
        Ok(pb::CaseStatus::Closed) => "closed",
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
    println!("status    {}", status_name(c.status));
    if !c.restricted_to.is_empty() {
        println!("restricted to group {}", c.restricted_to);
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
