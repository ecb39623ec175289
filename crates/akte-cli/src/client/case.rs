//! `akte case`: create, show, list cases, print a cover sheet.

use std::path::PathBuf;

use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use anyhow::Context;
use clap::Subcommand;

use super::{channel, print_case, print_document_line, status, status_name, time, Server};

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
        /// Only this group may see the case (e.g. a staff member's own case).
        #[arg(long)]
        restricted_to: Option<String>,
    },
    /// Set a case's status: received, in_progress, waiting_for_documents,
    /// decided or closed (another status on a closed case reopens it).
    Status {
        /// Case number.
        number: String,
        status: String,
        /// What the citizen is shown (default: the status's own text).
        #[arg(long, default_value = "")]
        public: String,
        /// A note for staff.
        #[arg(long, default_value = "")]
        internal: String,
    },
    /// Show what happened to a case, oldest first.
    Timeline {
        /// Case number.
        number: String,
    },
    /// Restrict a case to one group, or lift the restriction.
    Restrict {
        /// Case number.
        number: String,
        /// The only group that may see the case.
        #[arg(long, required_unless_present = "lift")]
        group: Option<String>,
        /// Lift the restriction.
        #[arg(long, conflicts_with = "group")]
        lift: bool,
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

pub async fn case(server: &Server, command: CaseCommand) -> anyhow::Result<()> {
    let mut client = CaseServiceClient::new(channel(server).await?);
    match command {
        CaseCommand::Create {
            number,
            title,
            site,
            team,
            parties,
            restricted_to,
        } => {
            let case = client
                .create_case(pb::CreateCaseRequest {
                    case_number: number,
                    title,
                    site,
                    team,
                    parties,
                    restricted_to,
                })
                .await
                .map_err(status)?
                .into_inner();
            print_case(&case);
        }
        CaseCommand::Status {
            number,
            status: name,
            public,
            internal,
        } => {
            let wanted = match name.as_str() {
                "received" => pb::CaseStatus::Received,
                "in_progress" => pb::CaseStatus::InProgress,
                "waiting_for_documents" => pb::CaseStatus::WaitingForDocuments,
                "decided" => pb::CaseStatus::Decided,
                "closed" => pb::CaseStatus::Closed,
                other => anyhow::bail!(
                    "unknown status {other:?}: received, in_progress, waiting_for_documents, decided or closed"
                ),
            };
            let case = client
                .update_case_status(pb::UpdateCaseStatusRequest {
                    case_number: number,
                    status: wanted as i32,
                    note_public: public,
                    note_internal: internal,
                })
                .await
                .map_err(status)?
                .into_inner();
            print_case(&case);
        }
        CaseCommand::Timeline { number } => {
            let events = client
                .get_case_timeline(pb::GetCaseTimelineRequest {
                    case_number: number,
                    reason: server.access_reason(),
                })
                .await
                .map_err(status)?
                .into_inner()
                .events;
            for e in &events {
                println!(
                    "{}  {:<18} {:<22} {}{}{}",
                    time(e.at.as_ref()),
                    e.kind,
                    status_name(e.status),
                    e.public_text,
                    if e.internal_text.is_empty() {
                        String::new()
                    } else {
                        format!("  [intern: {}]", e.internal_text)
                    },
                    if e.by.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", e.by)
                    }
                );
            }
        }
        CaseCommand::Restrict {
            number,
            group,
            lift,
        } => {
            let case = client
                .restrict_case(pb::RestrictCaseRequest {
                    case_number: number,
                    restricted_to: if lift {
                        String::new()
                    } else {
                        group.unwrap_or_default()
                    },
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
                .get_case(pb::GetCaseRequest {
                    key: Some(key),
                    reason: server.access_reason(),
                })
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
                    reason: server.access_reason(),
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
                    reason: server.access_reason(),
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
                        reason: server.access_reason(),
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
