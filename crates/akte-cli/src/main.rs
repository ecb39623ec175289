//! `akte`: the electronic case-file store's server and command-line client.

mod client;
mod scan;

use std::io::Write as _;
use std::path::PathBuf;

use akte_core::{Config, Store};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "akte",
    version,
    about = "Electronic case-file (eAkte) document store"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct ServerArgs {
    /// Configuration file (TOML); without it the built-in defaults apply.
    #[arg(long, env = "AKTE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (catalog, index, local blobs), overriding the config.
    #[arg(long, env = "AKTE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Blob storage URL (file:///dir, s3://bucket/prefix), overriding the config.
    #[arg(long, env = "AKTE_STORAGE_URL")]
    storage_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the gRPC server.
    Serve {
        #[command(flatten)]
        server: ServerArgs,
        /// Address to listen on, overriding the config.
        #[arg(long, env = "AKTE_LISTEN")]
        listen: Option<String>,
        /// Address of the web interface, overriding the config ("" for none).
        #[arg(long, env = "AKTE_WEB_LISTEN")]
        web_listen: Option<String>,
        /// Listen on an address other than loopback without TLS (e.g. behind
        /// a proxy on the same host that terminates TLS).
        #[arg(long)]
        insecure_listen: bool,
    },
    /// Rebuild the search index from the catalog (with the server stopped).
    Reindex {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Check every stored document's blob: read it whole and verify its
    /// SHA-256; list blobs no document references (with the server stopped).
    /// Nothing is repaired or deleted. Exits with 1 if a blob is missing or
    /// corrupt.
    Scrub {
        #[command(flatten)]
        server: ServerArgs,
        /// Read at most this many MiB a second (0: as fast as the disk goes).
        #[arg(long, default_value_t = 0)]
        max_mib_per_sec: u64,
    },
    /// Read the access log on this machine's data directory (with the
    /// server stopped). Reading it is logged, as an auditor named after the
    /// operating-system user.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Mint tokens signed by this server's key (in the data directory), for
    /// development, tests and services without an identity provider.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Create, show and list cases.
    Case {
        #[command(subcommand)]
        command: client::CaseCommand,
        #[command(flatten)]
        client: client::Server,
    },
    /// Make, list and revoke share links: documents of a case for an
    /// employer, its status page for the citizen.
    Share {
        #[command(subcommand)]
        command: client::ShareCommand,
        #[command(flatten)]
        client: client::Server,
    },
    /// Upload documents into a case, or into a site's inbox for routing.
    Upload(client::UploadArgs),
    /// Scanning station: upload every file of a folder into a site's inbox
    /// (routed to cases by the number found in them), moving each to done/
    /// or error/.
    Scan(scan::ScanArgs),
    /// List the inbox of a site: documents whose case was not found.
    Inbox(client::InboxArgs),
    /// File a document into a case (from the inbox or another case).
    Assign(client::AssignArgs),
    /// Download a document.
    Get(client::GetArgs),
    /// The proof that a document is unchanged since it was stored: its leaf
    /// in the evidence log, the newest signed root and the path between
    /// them (README, "Proving a document unchanged"). Exits with 1 if it
    /// does not verify.
    Evidence(client::EvidenceArgs),
    /// Search documents.
    Search(client::SearchArgs),
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// The newest records, newest first.
    Show {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        filter: AuditFilter,
    },
    /// The records as JSON, one per line, newest first.
    Export {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        filter: AuditFilter,
    },
    /// Recompute the log's Merkle tree from its records and check it against
    /// every signed checkpoint (catalog and object store); print where it
    /// breaks. Exits with 1 if it does.
    Verify {
        #[command(flatten)]
        server: ServerArgs,
        /// The checkpoint key's public half (hex, as GetCheckpoint and
        /// `audit/<catalog>/checkpoint-key.pub` give it), kept apart from
        /// this machine; without it, the key in the data directory is
        /// trusted.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Args, Debug)]
struct AuditFilter {
    /// How many records.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Only records about this case.
    #[arg(long)]
    case: Option<String>,
    /// Only records of this principal ("kind:name", e.g. caseworker:anna).
    #[arg(long)]
    principal: Option<String>,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Print a new token.
    Issue {
        #[command(flatten)]
        server: ServerArgs,
        /// The principal's name (subject).
        #[arg(long)]
        sub: String,
        /// caseworker, mail_room, station, service, auditor or admin.
        #[arg(long, default_value = "caseworker")]
        role: akte_core::access::PrincipalKind,
        /// A site the principal works for (repeatable).
        #[arg(long = "site")]
        sites: Vec<String>,
        /// A team (repeatable).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// A group that may see restricted cases (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// A service's scope (repeatable): cases:write, documents:read,
        /// documents:upload, search.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// How long it is valid, e.g. 8h, 30d.
        #[arg(long, default_value = "8h")]
        ttl: humantime::Duration,
    },
}

/// The local operator, for offline commands on the data directory.
fn local(kind: akte_core::access::PrincipalKind, command: &str) -> akte_core::access::Caller {
    let mut caller = akte_core::access::Caller::local_admin(command);
    caller.principal.kind = kind;
    caller
}

fn load_config(args: &ServerArgs, listen: Option<String>) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(dir) = &args.data_dir {
        config.data_dir.clone_from(dir);
    }
    if let Some(url) = &args.storage_url {
        config.storage.url.clone_from(url);
    }
    if let Some(listen) = listen {
        config.listen = listen;
    }
    Ok(config)
}

/// Logs to standard error, filtered by `RUST_LOG`; as JSON lines when
/// `AKTE_LOG_FORMAT=json`.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("AKTE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}

/// `akte audit verify`.
async fn audit_verify(server: &ServerArgs, public_key: Option<&str>) -> anyhow::Result<()> {
    let pinned = public_key
        .map(|k| hex::decode(k.trim()).context("--public-key must be hex"))
        .transpose()?;
    init_logging("warn");
    let settings = load_config(server, None)?.validate()?;
    let store =
        Store::open(settings).context("opening the store (is the server still running?)")?;
    let v = store.verify_access_log(pinned.as_deref()).await?;
    for p in &v.problems {
        println!("BROKEN  {p}");
    }
    println!(
        "{} records, {} checkpoints: {}",
        v.records,
        v.checkpoints,
        if v.intact() { "intact" } else { "BROKEN" }
    );
    if !v.intact() {
        anyhow::bail!("the access log does not verify: see above");
    }
    Ok(())
}

/// `akte audit show` and `akte audit export` (`json`).
async fn audit_list(server: &ServerArgs, filter: AuditFilter, json: bool) -> anyhow::Result<()> {
    init_logging("warn");
    let settings = load_config(server, None)?.validate()?;
    let store =
        Store::open(settings).context("opening the store (is the server still running?)")?;
    let auditor = local(akte_core::access::PrincipalKind::Auditor, "audit");
    let records = store
        .access_records(
            &auditor,
            akte_core::AccessFilter {
                case_number: filter.case,
                principal: filter.principal,
                limit: filter.limit,
                ..akte_core::AccessFilter::default()
            },
        )
        .await?;
    for r in records {
        if json {
            println!("{}", serde_json::to_string(&r)?);
            continue;
        }
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(r.at).unwrap_or(0));
        let decision = match r.decision {
            Some(akte_types::AccessDecision::Denied) => "DENIED",
            _ => "",
        };
        println!(
            "{}  {:<20} {:<6} {:<24} {:<22} {:<15} {:<27} {}{}",
            humantime::format_rfc3339_millis(at),
            format!("{:?}", r.action),
            decision,
            r.principal.as_deref().unwrap_or("-"),
            r.peer,
            r.case_number.as_deref().unwrap_or("-"),
            r.document_id.as_deref().unwrap_or("-"),
            r.detail,
            r.reason
                .map(|(code, text)| format!(" reason={code}: {text}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            server,
            listen,
            web_listen,
            insecure_listen,
        } => {
            init_logging("info");
            let mut config = load_config(&server, listen)?;
            if let Some(web) = web_listen {
                config.web.listen = web;
            }
            let settings = config.validate()?;
            let listen = settings.listen;
            for addr in std::iter::once(listen).chain(settings.web.listen) {
                if settings.tls.is_none() && !addr.ip().is_loopback() && !insecure_listen {
                    anyhow::bail!(
                        "refusing to listen on {addr} without TLS: case files are social data and \
                         would cross the network readable by anyone on it. Set [tls] cert_file \
                         and key_file, listen on a loopback address, or pass --insecure-listen \
                         (e.g. behind a proxy on this host that terminates TLS)"
                    );
                }
            }
            let web_settings = settings.web.clone();
            let tls = settings.tls.clone();
            let auth = akte_core::auth::Authenticator::open(&settings.data_dir, &settings.auth)
                .context("opening the token signing key")?;
            let admin_token = auth
                .local_key()
                .write_admin_token(&settings.data_dir, &settings.auth)?;
            let store = Store::open(settings).context("opening the store")?;
            // Refused here, before serving, if another catalog uses the
            // object store in a way that does not allow this one.
            store.claim_storage().await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            // Tests and scripts read the bound address (e.g. with port 0) from here.
            println!("akte listening on {}", listener.local_addr()?);
            println!("admin token in {}", admin_token.display());
            let auth = std::sync::Arc::new(auth);
            // Either interface ending (a signal, or a failure) stops both.
            let stop = tokio_util::sync::CancellationToken::new();
            {
                let stop = stop.clone();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    stop.cancel();
                });
            }
            let web = match web_settings.listen {
                Some(addr) => {
                    let web_listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("listening on {addr} (web interface)"))?;
                    let web = akte_web::Web::new(
                        store.clone(),
                        std::sync::Arc::clone(&auth),
                        web_settings,
                        web_listener.local_addr()?,
                        tls.is_some(),
                    )
                    .map_err(|e| anyhow::anyhow!("web interface: {e}"))?;
                    // Whoever started the service may have stopped reading.
                    let mut out = std::io::stdout();
                    let _ = writeln!(out, "web interface on {}", web.public_url());
                    let _ = writeln!(
                        out,
                        "log in once as the local admin (valid 10 minutes): {}",
                        web.one_time_login(akte_core::auth::LocalKey::admin_principal())
                    );
                    let _ = out.flush();
                    let stop = stop.clone();
                    let tls = tls.clone();
                    Some(tokio::spawn(async move {
                        let served =
                            akte_web::serve(web, web_listener, tls, stop.clone().cancelled_owned())
                                .await;
                        stop.cancel();
                        served
                    }))
                }
                None => None,
            };
            let served = akte_server::serve(
                store,
                listener,
                tls.as_ref(),
                auth,
                stop.clone().cancelled_owned(),
            )
            .await;
            stop.cancel();
            let web = match web {
                Some(web) => match web.await {
                    Ok(r) => r.map_err(|e| anyhow::anyhow!("the web interface failed: {e}")),
                    Err(e) => Err(anyhow::anyhow!("the web interface failed: {e}")),
                },
                None => Ok(()),
            };
            served.map_err(|e| anyhow::anyhow!(e))?;
            web
        }
        Command::Reindex { server } => {
            init_logging("info");
            let settings = load_config(&server, None)?.validate()?;
            // The index is rebuilt from nothing: an index of another version
            // (which would not open) is simply replaced.
            let store = Store::open_discarding_index(settings)
                .context("opening the store (is the server still running?)")?;
            let n = store.reindex_all().await?;
            println!("reindexed {n} documents");
            Ok(())
        }
        Command::Scrub {
            server,
            max_mib_per_sec,
        } => {
            init_logging("warn");
            let settings = load_config(&server, None)?.validate()?;
            let store = Store::open(settings)
                .context("opening the store (is the server still running?)")?;
            let rate = (max_mib_per_sec > 0).then(|| max_mib_per_sec.saturating_mul(1 << 20));
            let report = store.scrub(rate).await?;
            println!(
                "checked {} blobs ({} bytes) of the documents",
                report.blobs_checked, report.bytes_checked
            );
            for (what, list) in [("missing", &report.missing), ("corrupt", &report.corrupt)] {
                for d in list {
                    let docs: Vec<String> = d.documents.iter().map(ToString::to_string).collect();
                    println!(
                        "{what:<12} {}  documents {}: {}",
                        d.sha256,
                        docs.join(", "),
                        d.detail
                    );
                }
            }
            for (hash, size) in &report.unreferenced {
                println!("unreferenced {hash}  {size} bytes");
            }
            println!(
                "{} missing, {} corrupt, {} unreferenced",
                report.missing.len(),
                report.corrupt.len(),
                report.unreferenced.len()
            );
            if report.damaged() {
                anyhow::bail!("stored documents are damaged: see above");
            }
            Ok(())
        }
        Command::Audit { command } => match command {
            AuditCommand::Verify { server, public_key } => {
                audit_verify(&server, public_key.as_deref()).await
            }
            AuditCommand::Show { server, filter } => audit_list(&server, filter, false).await,
            AuditCommand::Export { server, filter } => audit_list(&server, filter, true).await,
        },
        Command::Token {
            command:
                TokenCommand::Issue {
                    server,
                    sub,
                    role,
                    sites,
                    teams,
                    groups,
                    scopes,
                    ttl,
                },
        } => {
            init_logging("warn");
            let settings = load_config(&server, None)?.validate()?;
            let key = akte_core::auth::LocalKey::open_or_create(&settings.data_dir)?;
            let principal = akte_core::access::Principal {
                kind: role,
                name: sub,
                sites,
                teams,
                groups,
                scopes,
            };
            println!(
                "{}",
                key.issue(&principal, ttl.into(), &settings.auth.audience)?
            );
            Ok(())
        }
        Command::Case { command, client } => {
            init_logging("warn");
            client::case(&client, command).await
        }
        Command::Share { command, client } => {
            init_logging("warn");
            client::share(&client, command).await
        }
        Command::Upload(args) => {
            init_logging("warn");
            client::upload(args).await
        }
        Command::Scan(args) => {
            init_logging("warn");
            scan::scan(args).await
        }
        Command::Inbox(args) => {
            init_logging("warn");
            client::inbox(args).await
        }
        Command::Assign(args) => {
            init_logging("warn");
            client::assign(args).await
        }
        Command::Get(args) => {
            init_logging("warn");
            client::get(args).await
        }
        Command::Search(args) => {
            init_logging("warn");
            client::search(args).await
        }
        Command::Evidence(args) => {
            init_logging("warn");
            client::evidence(args).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_override_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("akte.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1\"\ndata_dir = \"/from/file\"\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "akte",
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--data-dir",
            "/from/flag",
            "--listen",
            "127.0.0.1:2",
        ])
        .unwrap();
        let Command::Serve { server, listen, .. } = cli.command else {
            panic!("not serve");
        };
        let config = load_config(&server, listen).unwrap();
        assert_eq!(config.data_dir, std::path::PathBuf::from("/from/flag"));
        assert_eq!(config.listen, "127.0.0.1:2");
        let cli =
            Cli::try_parse_from(["akte", "serve", "--config", file.to_str().unwrap()]).unwrap();
        let Command::Serve { server, listen, .. } = cli.command else {
            panic!("not serve");
        };
        let config = load_config(&server, listen).unwrap();
        assert_eq!(config.data_dir, std::path::PathBuf::from("/from/file"));
        assert!(
            Cli::try_parse_from(["akte", "upload", "--case", "1"]).is_err(),
            "files are required"
        );
        assert!(
            Cli::try_parse_from(["akte", "upload", "a.pdf"]).is_err(),
            "a case or a site is required"
        );
        assert!(Cli::try_parse_from(["akte", "upload", "--site", "Nord", "a.pdf"]).is_ok());
    }
}
