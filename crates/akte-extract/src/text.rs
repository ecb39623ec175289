//! Text from stored content, for the index.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::media::{EMAIL, JPEG, PDF, PNG, TEXT, TIFF};
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

/// What the text of a media type is extracted from.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// Nothing needs to be read: this is the outcome.
    Nothing(Extracted),
    /// The content's bytes ([`extract`]).
    Bytes,
    /// The content in a file, which the caller may use for more (QR codes
    /// on the first page) ([`extract_file`]).
    File,
}

/// What extracting the text of `media_type` needs, so that the content is
/// read once and only when needed: images go to text recognition without
/// being read here, office documents are not extracted.
pub fn input_for(media_type: &str) -> Input {
    match media_type {
        TEXT | EMAIL => Input::Bytes,
        PDF => Input::File,
        TIFF | PNG | JPEG => Input::Nothing(Extracted::NeedsOcr),
        _ => Input::Nothing(Extracted::NotExtracted),
    }
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
    match input_for(media_type) {
        Input::Nothing(outcome) => Ok(outcome),
        Input::Bytes => Ok(Extracted::Text(decode_text(content))),
        Input::File => {
            let mut file = tempfile::Builder::new()
                .prefix("akte-pdf")
                .suffix(".pdf")
                .tempfile_in(work_dir)?;
            file.write_all(content)?;
            file.flush()?;
            extract_file(media_type, file.path())
        }
    }
}

/// Extracts the text of the content in file `path` of the (verified)
/// `media_type`. Blocking: run it off the async executor.
pub fn extract_file(media_type: &str, path: &Path) -> Result<Extracted, ExtractError> {
    match input_for(media_type) {
        Input::Nothing(outcome) => Ok(outcome),
        Input::Bytes => {
            use std::io::Read;
            let mut content = Vec::new();
            std::fs::File::open(path)?
                .take(MAX_TEXT_BYTES as u64 + 3)
                .read_to_end(&mut content)?;
            Ok(Extracted::Text(decode_text(&content)))
        }
        Input::File => pdf_text(path),
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

fn pdf_text(path: &Path) -> Result<Extracted, ExtractError> {
    let text = poppler::text(path, None)?.text;
    if text.chars().all(|c| c.is_whitespace() || c == '\u{c}') {
        Ok(Extracted::NeedsOcr)
    } else {
        Ok(Extracted::Text(text))
    }
}

impl ExtractError {
    /// True when the document itself is at fault (it is marked failed with
    /// this reason); false for a missing tool or an i/o error, which may go
    /// away (the caller tries again later). The same rule as
    /// [`crate::OcrError::is_document_fault`].
    pub fn is_document_fault(&self) -> bool {
        !matches!(self, ExtractError::PdfToolMissing | ExtractError::Io(_))
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
    use crate::media::DOCX;

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
    fn a_file_gives_the_same_text_as_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brief.txt");
        std::fs::write(&path, b"Gr\xfc\xdfe").unwrap();
        assert_eq!(
            extract_file(TEXT, &path).unwrap(),
            Extracted::Text("Grüße".into())
        );
        // Images are not read at all.
        assert_eq!(input_for(TIFF), Input::Nothing(Extracted::NeedsOcr));
        assert_eq!(
            extract_file(PNG, &dir.path().join("missing.png")).unwrap(),
            Extracted::NeedsOcr
        );
        assert!(!ExtractError::PdfToolMissing.is_document_fault());
        assert!(ExtractError::BadPdf("x".into()).is_document_fault());
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
