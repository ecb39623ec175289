//! Text from stored content, for the index.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::media::{DOCX, EMAIL, JPEG, ODT, PDF, PNG, TEXT, TIFF};
use crate::poppler::{self, PopplerError};

/// Extracted text beyond this many bytes is cut off (at a character boundary).
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// What extraction found.
#[derive(Debug, PartialEq, Eq)]
pub enum Extracted {
    /// The text of the document (may be empty).
    Text(String),
    /// An image, or a PDF without a text layer: the text must be recognised (OCR).
    NeedsOcr,
    /// A format whose text is not extracted (office documents).
    NotExtracted,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("pdftotext (poppler-utils) is not installed")]
    PdfToolMissing,
    #[error("the PDF could not be read: {0}")]
    BadPdf(String),
    #[error("reading the PDF took longer than {0:?}")]
    Timeout(Duration),
    #[error("text extraction i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Extracts the text of `content` of the (verified) `media_type`. Tools that
/// need the content as a file get one in `work_dir` (removed afterwards; the
/// caller should use a directory it empties at start, since a crash can leave
/// it there). Blocking: run it off the async executor.
pub fn extract(
    media_type: &str,
    content: &[u8],
    work_dir: &Path,
) -> Result<Extracted, ExtractError> {
    match media_type {
        TEXT | EMAIL => Ok(Extracted::Text(decode_text(content))),
        PDF => pdf_text(content, work_dir),
        TIFF | PNG | JPEG => Ok(Extracted::NeedsOcr),
        DOCX | ODT => Ok(Extracted::NotExtracted),
        _ => Ok(Extracted::NotExtracted),
    }
}

/// UTF-8 (with or without byte-order mark), else Windows-1252, a superset of
/// the printable Latin-1 range.
fn decode_text(content: &[u8]) -> String {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let content = &content[..content.len().min(MAX_TEXT_BYTES)];
    match std::str::from_utf8(content) {
        Ok(s) => s.to_owned(),
        Err(e) if e.error_len().is_none() => {
            // Cut inside the last character by the size limit.
            String::from_utf8_lossy(&content[..e.valid_up_to()]).into_owned()
        }
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(content)
            .0
            .into_owned(),
    }
}

pub(crate) fn truncate(mut s: String) -> String {
    if s.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn pdf_text(content: &[u8], work_dir: &Path) -> Result<Extracted, ExtractError> {
    let mut file = tempfile::Builder::new()
        .prefix("akte-pdf")
        .suffix(".pdf")
        .tempfile_in(work_dir)?;
    file.write_all(content)?;
    file.flush()?;
    let text = poppler::text(file.path(), None)?.text;
    if text.chars().all(|c| c.is_whitespace() || c == '\u{c}') {
        Ok(Extracted::NeedsOcr)
    } else {
        Ok(Extracted::Text(text))
    }
}

impl From<PopplerError> for ExtractError {
    fn from(e: PopplerError) -> Self {
        match e {
            PopplerError::NotFound { .. } => ExtractError::PdfToolMissing,
            PopplerError::TimedOut { limit, .. } => ExtractError::Timeout(limit),
            PopplerError::Io(e) => ExtractError::Io(e),
            PopplerError::Failed { reason, status, .. } => ExtractError::BadPdf(format!(
                "{} ({status})",
                reason.as_deref().unwrap_or("pdftotext failed")
            )),
            e @ PopplerError::NoPageCount => ExtractError::BadPdf(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_in_utf8_and_latin1() {
        assert_eq!(
            extract(TEXT, "Grüße".as_bytes(), &std::env::temp_dir()).unwrap(),
            Extracted::Text("Grüße".into())
        );
        assert_eq!(
            extract(TEXT, b"\xEF\xBB\xBFHallo", &std::env::temp_dir()).unwrap(),
            Extracted::Text("Hallo".into())
        );
        assert_eq!(
            extract(TEXT, b"Gr\xfc\xdfe", &std::env::temp_dir()).unwrap(),
            Extracted::Text("Grüße".into())
        );
    }

    #[test]
    fn images_need_ocr_and_office_is_not_extracted() {
        assert_eq!(
            extract(PNG, b"\x89PNG", &std::env::temp_dir()).unwrap(),
            Extracted::NeedsOcr
        );
        assert_eq!(
            extract(DOCX, b"PK", &std::env::temp_dir()).unwrap(),
            Extracted::NotExtracted
        );
    }

    #[test]
    fn broken_pdf_is_an_error_not_a_panic() {
        match extract(PDF, b"%PDF-1.4 garbage", &std::env::temp_dir()) {
            Err(ExtractError::BadPdf(_)) | Err(ExtractError::PdfToolMissing) => {}
            // pdftotext may also print nothing for garbage and succeed.
            Ok(Extracted::NeedsOcr) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}
