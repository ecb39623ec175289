//! `akte search`: hits with their snippets, bold on a terminal.

use std::io::IsTerminal;

use akte_proto::v1 as pb;
use akte_proto::v1::search_service_client::SearchServiceClient;
use clap::Args;

use super::{channel, print_document_line, status, Server};

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

pub async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let mut client = SearchServiceClient::new(channel(&args.server).await?);
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
            reason: args.server.access_reason(),
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
