//! Text recognition (OCR) of scanned documents with tesseract, and QR codes
//! on their first page.
//!
//! Images (PNG, JPEG, multi-page TIFF) go to tesseract as they are, unless
//! their EXIF orientation asks for a rotation: then the upright page is
//! written as a grayscale PNG first. PDF pages that have a text layer keep
//! it; the others are rendered with `pdftoppm` and recognised one by one.
//! Page count and page sizes are checked from the headers before anything
//! is decoded or rendered.

mod image;
mod pdf;
mod qr;
mod tesseract;
mod tiff;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::media::{JPEG, PDF, PNG, TIFF};

pub use tesseract::ocr_available;

/// How documents are recognised, and the bounds they must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrSettings {
    /// The tesseract program (default `tesseract`, looked up on `PATH`).
    pub tesseract: PathBuf,
    /// Tesseract language(s), e.g. `deu` or `deu+eng` (default `deu`).
    pub language: String,
    /// Resolution at which PDF pages without text are rendered (default 300).
    pub dpi: u32,
    /// Documents with more pages are refused (default 200).
    pub max_pages: u32,
    /// Pages with more pixels are refused (default 40 million; an A4 page
    /// at 300 dpi has about 8.7 million). For PDFs, at `dpi`.
    pub max_page_pixels: u64,
    /// Longest the rendering or the recognition of one page may take
    /// (default 120 s).
    pub page_timeout: Duration,
}

impl Default for OcrSettings {
    fn default() -> Self {
        OcrSettings {
            tesseract: PathBuf::from("tesseract"),
            language: "deu".into(),
            dpi: 300,
            max_pages: 200,
            max_page_pixels: 40_000_000,
            page_timeout: Duration::from_secs(120),
        }
    }
}

/// The recognised text of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OcrOutput {
    /// Text per page, in page order (page 1 first). For PDFs: pages that
    /// have a text layer keep it (pdftotext), pages without one are OCR'd.
    pub pages: Vec<String>,
    /// Contents of QR codes found on the first page (only when asked for),
    /// e.g. `AKTE:12345BG0012345`.
    pub first_page_codes: Vec<String>,
    /// How many pages were OCR'd (the rest came from a text layer).
    pub ocr_pages: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// A program (tesseract, pdftoppm, pdfinfo) or tesseract's language data
    /// is missing.
    #[error("{0}")]
    ToolMissing(String),
    #[error("the document has {pages} pages, more than the limit of {max}")]
    TooManyPages { pages: u32, max: u32 },
    #[error(
        "page {page} is {width} x {height} pixels, more than the limit of {max_pixels} pixels"
    )]
    PageTooLarge {
        page: u32,
        width: u64,
        height: u64,
        max_pixels: u64,
    },
    /// Rendering or recognising page `page` took longer than `limit`. A
    /// multi-page TIFF is recognised in one run: then `page` is 0 and
    /// `limit` is the time allowed for all its pages.
    #[error("{}", timeout_message(*page, limit))]
    Timeout { page: u32, limit: Duration },
    #[error("the image could not be read: {0}")]
    BadImage(String),
    #[error("the PDF could not be read: {0}")]
    BadPdf(String),
    #[error("OCR i/o: {0}")]
    Io(#[from] std::io::Error),
}

fn timeout_message(page: u32, limit: &Duration) -> String {
    if page == 0 {
        format!("recognising the text of the document took longer than {limit:?}")
    } else {
        format!("recognising the text of page {page} took longer than {limit:?}")
    }
}

impl OcrError {
    /// True when the document itself is at fault (it is stored and marked
    /// failed with this reason); false for a missing tool or an i/o error,
    /// which may go away (the caller retries later).
    pub fn is_document_fault(&self) -> bool {
        !matches!(self, OcrError::ToolMissing(_) | OcrError::Io(_))
    }
}

/// Recognises the text of a stored document of verified `media_type`
/// (`image/png`, `image/jpeg`, `image/tiff` (multi-page), `application/pdf`)
/// whose content is in file `path`. Scratch files go to `work_dir` (a
/// directory the caller empties at start) and are removed afterwards.
/// `want_codes`: also decode QR codes on the first page. Blocking: run it off
/// the async executor.
pub fn ocr_document(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
    work_dir: &Path,
    want_codes: bool,
) -> Result<OcrOutput, OcrError> {
    in_scratch_dir(work_dir, "akte-ocr", |scratch| match media_type {
        PNG | JPEG => image::ocr_image(media_type, path, settings, scratch, want_codes),
        TIFF => tiff::ocr_tiff(path, settings, want_codes),
        PDF => pdf::ocr_pdf(path, settings, scratch, want_codes),
        other => Err(unsupported(other)),
    })
}

/// QR codes on the first page only (no OCR), for documents that had a text
/// layer. Same media types and scratch directory as [`ocr_document`].
pub fn first_page_codes(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
    work_dir: &Path,
) -> Result<Vec<String>, OcrError> {
    in_scratch_dir(work_dir, "akte-qr", |scratch| match media_type {
        PNG | JPEG | TIFF => image::first_page(media_type, path, settings).map(qr::codes),
        PDF => pdf::first_page_codes(path, settings, scratch),
        other => Err(unsupported(other)),
    })
}

/// Runs `work` with a new directory in `work_dir` (its name starting with
/// `prefix`), which is removed afterwards.
fn in_scratch_dir<T>(
    work_dir: &Path,
    prefix: &str,
    work: impl FnOnce(&Path) -> Result<T, OcrError>,
) -> Result<T, OcrError> {
    let scratch = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(work_dir)?;
    let result = work(scratch.path());
    let removed = scratch.close();
    let output = result?;
    removed?;
    Ok(output)
}

fn unsupported(media_type: &str) -> OcrError {
    OcrError::BadImage(format!("text recognition does not handle {media_type}"))
}

/// Refuses page `page` of `width` x `height` pixels if it has more than
/// the limit.
fn check_pixels(
    page: u32,
    width: u64,
    height: u64,
    settings: &OcrSettings,
) -> Result<(), OcrError> {
    if width.saturating_mul(height) > settings.max_page_pixels {
        return Err(OcrError::PageTooLarge {
            page,
            width,
            height,
            max_pixels: settings.max_page_pixels,
        });
    }
    Ok(())
}
