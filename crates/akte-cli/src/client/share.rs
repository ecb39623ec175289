//! `akte share`: make, list and revoke share links (documents for an
//! employer, the status page for the citizen).

use std::time::SystemTime;

use akte_proto::v1 as pb;
use akte_proto::v1::share_service_client::ShareServiceClient;
use clap::Subcommand;

use super::{channel, status, time, Server};

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// Make a link to documents of a case (e.g. for an employer) or, with
    /// --status, to the case's status page (for the citizen). Prints the
    /// link's path on the web interface and its expiry; the path holds the
    /// link's secret, shown this once.
    Create {
        /// Case number.
        case: String,
        /// A document the link shows (repeatable, or several after one
        /// --document); none with --status.
        #[arg(
            long = "document",
            value_name = "ID",
            num_args = 1..,
            required_unless_present = "status",
            conflicts_with = "status"
        )]
        documents: Vec<String>,
        /// Whom the link is for, e.g. the employer's name.
        #[arg(long)]
        recipient: String,
        /// When the link stops working: a time span from now (14d, 36h) or an
        /// instant in UTC (RFC 3339, e.g. 2026-12-31T23:59:59Z). At most the
        /// server's shares.max_ttl_days ahead.
        #[arg(long)]
        expires: String,
        /// A link to the case's status page instead of documents.
        #[arg(long)]
        status: bool,
        /// The web interface's public address (`[web] public_url`, e.g.
        /// https://akte.jobcenter.example): prints the whole link, and is
        /// needed for --qr and --card.
        #[arg(long, env = "AKTE_WEB_URL")]
        web_url: Option<String>,
        /// Write the link's QR code to this file (PNG).
        #[arg(long, value_name = "FILE", requires = "web_url")]
        qr: Option<std::path::PathBuf>,
        /// Write a printable card with the link's QR code to this file (PDF,
        /// A5): the applicant card, or the status slip for a letter.
        #[arg(long, value_name = "FILE", requires = "web_url")]
        card: Option<std::path::PathBuf>,
    },
    /// Revoke a link: from then on it opens nothing.
    Revoke {
        /// The link's id (as `akte share list` shows it).
        id: String,
    },
    /// List the links of a case, newest first (revoked and expired ones too).
    List {
        /// Case number.
        case: String,
    },
}

/// An expiry as given: a span from now, or an instant (UTC).
fn expiry(text: &str) -> anyhow::Result<SystemTime> {
    let text = text.trim();
    if let Ok(span) = humantime::parse_duration(text) {
        return Ok(SystemTime::now() + span);
    }
    humantime::parse_rfc3339_weak(text).map_err(|_| {
        anyhow::anyhow!(
            "--expires {text:?}: give a time span (14d, 36h) or an instant in UTC (RFC 3339, \
             e.g. 2026-12-31T23:59:59Z)"
        )
    })
}

fn timestamp(t: SystemTime) -> anyhow::Result<prost_types::Timestamp> {
    let d = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| anyhow::anyhow!("--expires is before 1970"))?;
    Ok(prost_types::Timestamp {
        seconds: i64::try_from(d.as_secs())?,
        nanos: i32::try_from(d.subsec_nanos())?,
    })
}

fn purpose(p: i32) -> &'static str {
    match pb::SharePurpose::try_from(p) {
        Ok(pb::SharePurpose::Documents) => "documents",
        Ok(pb::SharePurpose::Status) => "status",
        _ => "?",
    }
}

fn state(s: &pb::Share) -> &'static str {
    if s.revoked_at.is_some() {
        "revoked"
    } else if s.active {
        "active"
    } else {
        "expired"
    }
}

fn print_share(s: &pb::Share) {
    println!("share     {}  ({})", s.share_id, purpose(s.purpose));
    println!("case      {}", s.case_number);
    println!("recipient {}", s.recipient);
    for d in &s.document_ids {
        println!("document  {d}");
    }
    println!(
        "created   {}  by {}",
        time(s.created_at.as_ref()),
        s.created_by
    );
    println!("expires   {}", time(s.expires_at.as_ref()));
    if s.revoked_at.is_some() {
        println!(
            "revoked   {}  by {}",
            time(s.revoked_at.as_ref()),
            s.revoked_by
        );
    }
}

pub async fn share(server: &Server, command: ShareCommand) -> anyhow::Result<()> {
    let mut client = ShareServiceClient::new(channel(server).await?);
    match command {
        ShareCommand::Create {
            case,
            documents,
            recipient,
            expires,
            status: for_status,
            web_url,
            qr,
            card,
        } => {
            let expires_at = timestamp(expiry(&expires)?)?;
            let made = client
                .create_share(pb::CreateShareRequest {
                    case_number: case,
                    document_ids: documents,
                    recipient,
                    expires_at: Some(expires_at),
                    purpose: if for_status {
                        pb::SharePurpose::Status
                    } else {
                        pb::SharePurpose::Documents
                    } as i32,
                })
                .await
                .map_err(status)?
                .into_inner();
            if let Some(s) = &made.share {
                print_share(s);
            }
            println!("path      {}", made.path);
            if let Some(base) = web_url {
                let url = format!("{}{}", base.trim().trim_end_matches('/'), made.path);
                println!("url       {url}");
                if let Some(file) = qr {
                    let png = akte_extract::qr_png(&url).map_err(|e| anyhow::anyhow!(e))?;
                    std::fs::write(&file, png)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    println!("qr code   {}", file.display());
                }
                if let Some(file) = card {
                    let expires = made
                        .share
                        .as_ref()
                        .map(|s| time(s.expires_at.as_ref()))
                        .unwrap_or_default();
                    let recipient = made
                        .share
                        .as_ref()
                        .map(|s| s.recipient.clone())
                        .unwrap_or_default();
                    let pdf = akte_extract::share_card_pdf(&url, &recipient, &expires, for_status);
                    std::fs::write(&file, pdf)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    println!("card      {}", file.display());
                }
            }
        }
        ShareCommand::Revoke { id } => {
            let s = client
                .revoke_share(pb::RevokeShareRequest { share_id: id })
                .await
                .map_err(status)?
                .into_inner();
            print_share(&s);
        }
        ShareCommand::List { case } => {
            let shares = client
                .list_shares(pb::ListSharesRequest { case_number: case })
                .await
                .map_err(status)?
                .into_inner()
                .shares;
            for s in &shares {
                println!(
                    "{}  {:<9} {:<7} expires {}  {}{}",
                    s.share_id,
                    purpose(s.purpose),
                    state(s),
                    time(s.expires_at.as_ref()),
                    s.recipient,
                    if s.document_ids.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", s.document_ids.join(", "))
                    }
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_a_span_or_an_instant() {
        let before = SystemTime::now();
        let in_two_weeks = expiry("14d").unwrap();
        let span = in_two_weeks.duration_since(before).unwrap().as_secs();
        assert!((14 * 86_400..14 * 86_400 + 60).contains(&span), "{span}");
        let at = expiry("2026-12-31T23:59:59Z").unwrap();
        assert_eq!(timestamp(at).unwrap().seconds, 1_798_761_599);
        assert!(expiry("soon").is_err());
        assert!(expiry("").is_err());
    }
}
