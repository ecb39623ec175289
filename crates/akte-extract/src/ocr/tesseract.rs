//! Running tesseract: the language check and the recognition of one image
//! file.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{OcrError, OcrSettings};
use crate::text::{truncate, MAX_TEXT_BYTES};
use crate::tool::{run_tool, ToolError};

/// Longest `tesseract --list-langs` may run.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the configured tesseract runs and has the configured language
/// (`tesseract --list-langs`).
pub fn ocr_available(settings: &OcrSettings) -> Result<(), OcrError> {
    let out = run_tool(
        Command::new(&settings.tesseract)
            .arg("--list-langs")
            .env("OMP_THREAD_LIMIT", "1"),
        PROBE_TIMEOUT,
        64 * 1024,
    )
    .map_err(|e| tesseract_missing(settings, e))?;
    if settings.language.trim().is_empty() {
        return Err(OcrError::ToolMissing(
            "no OCR language is configured".into(),
        ));
    }
    if !out.status.success() {
        return Err(OcrError::ToolMissing(format!(
            "{} --list-langs failed: {}",
            settings.tesseract.display(),
            out.error_line(&out.status.to_string())
        )));
    }
    // The first line names the data directory, one language per line follows.
    let listed = String::from_utf8_lossy(&out.stdout);
    let have: Vec<&str> = listed.lines().skip(1).map(str::trim).collect();
    let missing: Vec<&str> = settings
        .language
        .split('+')
        .map(str::trim)
        .filter(|lang| !have.contains(lang))
        .collect();
    if !missing.is_empty() {
        return Err(OcrError::ToolMissing(format!(
            "tesseract has no language data for {} (installed: {})",
            missing.join(", "),
            have.join(", ")
        )));
    }
    Ok(())
}

fn tesseract_missing(settings: &OcrSettings, e: ToolError) -> OcrError {
    match e {
        ToolError::NotFound => OcrError::ToolMissing(format!(
            "{} (tesseract-ocr) is not installed",
            settings.tesseract.display()
        )),
        ToolError::TimedOut(limit) => OcrError::ToolMissing(format!(
            "{} did not answer within {limit:?}",
            settings.tesseract.display()
        )),
        ToolError::Io(e) => OcrError::Io(e),
    }
}

/// Recognises the text of image file `input` (all its pages, separated by
/// form feeds). `page` is only for the error; `dpi` the known resolution.
pub(super) fn recognise(
    input: &Path,
    dpi: Option<u32>,
    settings: &OcrSettings,
    page: u32,
    limit: Duration,
) -> Result<String, OcrError> {
    let mut cmd = Command::new(&settings.tesseract);
    cmd.arg(input)
        .arg("stdout")
        .arg("-l")
        .arg(&settings.language)
        .args(["--psm", "1"])
        .env("OMP_THREAD_LIMIT", "1");
    if let Some(dpi) = dpi {
        cmd.arg("--dpi").arg(dpi.to_string());
    }
    let out = run_tool(&mut cmd, limit, MAX_TEXT_BYTES + 4).map_err(|e| match e {
        ToolError::TimedOut(limit) => OcrError::Timeout { page, limit },
        e => tesseract_missing(settings, e),
    })?;
    // A missing language among several is only a warning to tesseract, but
    // the text would not be what is configured.
    let stderr = &out.stderr;
    if stderr.contains("Failed loading language")
        || stderr.contains("Error opening data file")
        || stderr.contains("Could not initialize tesseract")
    {
        return Err(OcrError::ToolMissing(format!(
            "tesseract has no language data for {}: {}",
            settings.language,
            out.error_line("")
        )));
    }
    if !out.status.success() {
        return Err(OcrError::BadImage(
            out.error_line(&format!("tesseract failed ({})", out.status)),
        ));
    }
    Ok(truncate(String::from_utf8_lossy(&out.stdout).into_owned()))
}
