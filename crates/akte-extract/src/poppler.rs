//! poppler-utils: the page count and page sizes (`pdfinfo`), the text layer
//! (`pdftotext`) and rendered pages (`pdftoppm`) of a PDF file. Every run is
//! bounded in time and output; the errors name the program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::text::{truncate, MAX_TEXT_BYTES};
use crate::tool::{run_tool, ToolError, ToolOutput};

/// Longest `pdfinfo` and `pdftotext` may run on one document.
const DOCUMENT_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub(crate) enum PopplerError {
    #[error("{tool} (poppler-utils) is not installed")]
    NotFound { tool: &'static str },
    /// `page` is the page being rendered, 0 for a run over the document.
    #[error("{tool} did not finish within {limit:?}")]
    TimedOut {
        tool: &'static str,
        page: u32,
        limit: Duration,
    },
    /// The program failed on the document (or left no page image).
    /// `reason`: the line of its standard error that says why, if any.
    #[error("{} ({tool}: {status})", reason.as_deref().unwrap_or("failed"))]
    Failed {
        tool: &'static str,
        reason: Option<String>,
        status: ExitStatus,
    },
    #[error("pdfinfo reported no page count")]
    NoPageCount,
    #[error("running poppler-utils: {0}")]
    Io(#[from] std::io::Error),
}

/// What `pdfinfo` says about a PDF.
pub(crate) struct PdfInfo {
    pub pages: u32,
    /// Page number to width and height in points.
    pub sizes: BTreeMap<u32, (f64, f64)>,
}

/// The text layer of a PDF as `pdftotext` gives it: every page ends with a
/// form feed.
pub(crate) struct PdfText {
    /// Cut off after [`MAX_TEXT_BYTES`] (at a character boundary).
    pub text: String,
    /// Whether there was more.
    pub cut: bool,
}

/// Page count, and the sizes of pages 1 to `last_page`.
pub(crate) fn info(path: &Path, last_page: u32) -> Result<PdfInfo, PopplerError> {
    let out = run("pdfinfo", 0, DOCUMENT_TIMEOUT, 4 * 1024 * 1024, |cmd| {
        cmd.args(["-enc", "UTF-8", "-f", "1", "-l"])
            .arg(last_page.max(1).to_string())
            .arg(path)
    })?;
    parse_info(&String::from_utf8_lossy(&out.stdout))
}

/// Document metadata (title, author...) comes first and might contain lines
/// that look like ours: the last occurrence wins, as the real ones follow.
fn parse_info(info: &str) -> Result<PdfInfo, PopplerError> {
    let mut pages = None;
    let mut sizes = BTreeMap::new();
    for line in info.lines() {
        if let Some(n) = line.strip_prefix("Pages:") {
            pages = n.trim().parse::<u32>().ok();
        } else if let Some(rest) = line.strip_prefix("Page ") {
            // "Page    1 size: 595.276 x 841.89 pts (A4)"
            let Some((number, size)) = rest.split_once(" size:") else {
                continue;
            };
            let mut parts = size.split_whitespace();
            let (Ok(page), Some(Ok(width)), Some("x"), Some(Ok(height))) = (
                number.trim().parse::<u32>(),
                parts.next().map(str::parse::<f64>),
                parts.next(),
                parts.next().map(str::parse::<f64>),
            ) else {
                continue;
            };
            sizes.insert(page, (width, height));
        }
    }
    match pages {
        Some(pages) => Ok(PdfInfo { pages, sizes }),
        None => Err(PopplerError::NoPageCount),
    }
}

/// The text layer of pages 1 to `last_page` (`None`: of all pages).
pub(crate) fn text(path: &Path, last_page: Option<u32>) -> Result<PdfText, PopplerError> {
    let out = run(
        "pdftotext",
        0,
        DOCUMENT_TIMEOUT,
        MAX_TEXT_BYTES + 4,
        |cmd| {
            cmd.args(["-q", "-enc", "UTF-8"]);
            if let Some(last) = last_page {
                cmd.args(["-f", "1", "-l"]).arg(last.to_string());
            }
            cmd.arg(path).arg("-")
        },
    )?;
    Ok(PdfText {
        cut: out.stdout.len() > MAX_TEXT_BYTES,
        text: truncate(String::from_utf8_lossy(&out.stdout).into_owned()),
    })
}

/// Renders page `page` at `dpi` as an 8-bit grayscale PNG, `prefix` with
/// the extension `png`, and returns its path.
pub(crate) fn render_page(
    path: &Path,
    page: u32,
    dpi: u32,
    timeout: Duration,
    prefix: &Path,
) -> Result<PathBuf, PopplerError> {
    let out = run("pdftoppm", page, timeout, 64 * 1024, |cmd| {
        cmd.args(["-q", "-r"])
            .arg(dpi.to_string())
            .args(["-gray", "-png", "-singlefile", "-f"])
            .arg(page.to_string())
            .arg("-l")
            .arg(page.to_string())
            .arg(path)
            .arg(prefix)
    })?;
    let png = prefix.with_extension("png");
    if !png.is_file() {
        return Err(failed("pdftoppm", &out));
    }
    Ok(png)
}

/// Runs `tool` with the arguments `args` adds and checks that it succeeded.
fn run(
    tool: &'static str,
    page: u32,
    timeout: Duration,
    max_output: usize,
    args: impl FnOnce(&mut Command) -> &mut Command,
) -> Result<ToolOutput, PopplerError> {
    let out = run_tool(args(&mut Command::new(tool)), timeout, max_output)
        .map_err(|e| tool_error(tool, page, e))?;
    if !out.status.success() {
        return Err(failed(tool, &out));
    }
    Ok(out)
}

/// Whether poppler's `pdftotext` can be run here (`pdftotext -v`).
pub fn pdf_text_available() -> bool {
    !matches!(
        run_tool(
            Command::new("pdftotext").arg("-v"),
            Duration::from_secs(30),
            64 * 1024
        ),
        Err(ToolError::NotFound)
    )
}

fn tool_error(tool: &'static str, page: u32, e: ToolError) -> PopplerError {
    match e {
        ToolError::NotFound => PopplerError::NotFound { tool },
        ToolError::TimedOut(limit) => PopplerError::TimedOut { tool, page, limit },
        ToolError::Io(e) => PopplerError::Io(e),
    }
}

fn failed(tool: &'static str, out: &ToolOutput) -> PopplerError {
    PopplerError::Failed {
        tool,
        reason: out.stderr_line().map(str::to_owned),
        status: out.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_takes_the_last_page_count() {
        let info = parse_info(
            "Title:          Pages: 1\nPages:          2\nPage    1 size: 595.276 x 841.89 pts (A4)\nPage    2 size: 842 x 595 pts\n",
        )
        .unwrap();
        assert_eq!(info.pages, 2);
        assert_eq!(info.sizes.get(&1), Some(&(595.276, 841.89)));
        assert_eq!(info.sizes.get(&2), Some(&(842.0, 595.0)));
        assert!(matches!(
            parse_info("Title: x\n"),
            Err(PopplerError::NoPageCount)
        ));
    }
}
