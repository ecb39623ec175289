//! Text recognition (OCR) of scanned documents with tesseract, and QR codes
//! on their first page.
//!
//! Images (PNG, JPEG, multi-page TIFF) go to tesseract as they are, unless
//! their EXIF orientation asks for a rotation: then the upright page is
//! written as a grayscale PNG first. PDF pages that have a text layer keep
//! it; the others are rendered with `pdftoppm` and recognised one by one.
//! Page count and page sizes are checked from the headers before anything
//! is decoded or rendered.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::media::{JPEG, PDF, PNG, TIFF};
use crate::text::{truncate, MAX_TEXT_BYTES};
use crate::tool::{run_tool, ToolError, ToolOutput};

/// Longest `pdfinfo` and `pdftotext` may run on one document.
const PDF_TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest `tesseract --list-langs` may run.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Resolution at which the first page of a PDF is rendered for QR codes only.
const QR_DPI: u32 = 150;
/// Pages whose longer side has more pixels than this are scaled down before
/// looking for QR codes (an A4 page at 150 dpi is 1754 pixels high): the
/// cover sheet's code stays large enough, and detection is much faster.
const QR_MAX_SIDE: u32 = 1800;
/// Counting the pages of a TIFF stops here.
const TIFF_COUNT_CAP: u32 = 100_000;

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
    let scratch = tempfile::Builder::new()
        .prefix("akte-ocr")
        .tempdir_in(work_dir)?;
    let result = match media_type {
        PNG | JPEG => ocr_image(media_type, path, settings, scratch.path(), want_codes),
        TIFF => ocr_tiff(path, settings, want_codes),
        PDF => ocr_pdf(path, settings, scratch.path(), want_codes),
        other => Err(unsupported(other)),
    };
    let removed = scratch.close();
    let output = result?;
    removed?;
    Ok(output)
}

/// QR codes on the first page only (no OCR), for documents that had a text
/// layer. Same media types and scratch directory as [`ocr_document`].
pub fn first_page_codes(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
    work_dir: &Path,
) -> Result<Vec<String>, OcrError> {
    let scratch = tempfile::Builder::new()
        .prefix("akte-qr")
        .tempdir_in(work_dir)?;
    let result = match media_type {
        PNG | JPEG | TIFF => first_image_page(media_type, path, settings).map(qr_codes),
        PDF => pdf_first_page_codes(path, settings, scratch.path()),
        other => Err(unsupported(other)),
    };
    let removed = scratch.close();
    let codes = result?;
    removed?;
    Ok(codes)
}

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

fn unsupported(media_type: &str) -> OcrError {
    OcrError::BadImage(format!("text recognition does not handle {media_type}"))
}

// ---------------------------------------------------------------- images

fn image_format(media_type: &str) -> ImageFormat {
    match media_type {
        JPEG => ImageFormat::Jpeg,
        TIFF => ImageFormat::Tiff,
        _ => ImageFormat::Png,
    }
}

/// Decoding limits: a second guard behind the header checks.
fn limits(settings: &OcrSettings) -> Limits {
    let mut limits = Limits::default();
    let side = u32::try_from(settings.max_page_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    // Up to 8 bytes a pixel (16-bit RGBA) while converting.
    limits.max_alloc = Some(settings.max_page_pixels.saturating_mul(8));
    limits
}

fn image_reader(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<ImageReader<BufReader<File>>, OcrError> {
    let mut reader =
        ImageReader::with_format(BufReader::new(File::open(path)?), image_format(media_type));
    reader.limits(limits(settings));
    Ok(reader)
}

fn bad_image(e: image::ImageError) -> OcrError {
    OcrError::BadImage(e.to_string())
}

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

/// Dimensions from the header of a PNG or JPEG, checked against the limit.
fn check_image_header(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<(), OcrError> {
    let (width, height) = image_reader(media_type, path, settings)?
        .into_dimensions()
        .map_err(bad_image)?;
    check_pixels(1, width.into(), height.into(), settings)
}

/// A PNG or JPEG: the EXIF orientation, and the upright page when it needs
/// turning (`None` when the stored pixels are upright already).
fn upright_image(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<Option<GrayImage>, OcrError> {
    let mut decoder = image_reader(media_type, path, settings)?
        .into_decoder()
        .map_err(bad_image)?;
    let orientation = decoder.orientation().map_err(bad_image)?;
    if orientation == image::metadata::Orientation::NoTransforms {
        return Ok(None);
    }
    let mut img = DynamicImage::from_decoder(decoder).map_err(bad_image)?;
    img.apply_orientation(orientation);
    Ok(Some(img.into_luma8()))
}

/// The first page of an image document, upright and gray, for QR codes.
fn first_image_page(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<GrayImage, OcrError> {
    if media_type == TIFF {
        let (width, height) = tiff_first_page_size(path)?;
        check_pixels(1, width.into(), height.into(), settings)?;
        let mut decoder = image::codecs::tiff::TiffDecoder::new(BufReader::new(File::open(path)?))
            .map_err(bad_image)?;
        decoder.set_limits(limits(settings)).map_err(bad_image)?;
        let orientation = decoder.orientation().map_err(bad_image)?;
        let mut img = DynamicImage::from_decoder(decoder).map_err(bad_image)?;
        img.apply_orientation(orientation);
        return Ok(img.into_luma8());
    }
    check_image_header(media_type, path, settings)?;
    match upright_image(media_type, path, settings)? {
        Some(img) => Ok(img),
        None => Ok(image_reader(media_type, path, settings)?
            .decode()
            .map_err(bad_image)?
            .into_luma8()),
    }
}

fn ocr_image(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
    scratch: &Path,
    want_codes: bool,
) -> Result<OcrOutput, OcrError> {
    check_image_header(media_type, path, settings)?;
    let upright = upright_image(media_type, path, settings)?;
    let input = match &upright {
        Some(img) => {
            let png = scratch.join("page-1.png");
            write_gray_png(img, &png)?;
            png
        }
        None => path.to_owned(),
    };
    let text = tesseract(&input, None, settings, 1, settings.page_timeout)?;
    let first_page_codes = if want_codes {
        match upright {
            Some(img) => qr_codes(img),
            None => codes_or_none(first_image_page(media_type, path, settings)),
        }
    } else {
        Vec::new()
    };
    Ok(OcrOutput {
        pages: vec![text],
        first_page_codes,
        ocr_pages: 1,
    })
}

/// The text was recognised, so a first page the image decoder cannot read
/// costs only its codes.
fn codes_or_none(page: Result<GrayImage, OcrError>) -> Vec<String> {
    match page {
        Ok(img) => qr_codes(img),
        Err(e) => {
            tracing::warn!("first page not searched for QR codes: {e}");
            Vec::new()
        }
    }
}

fn write_gray_png(img: &GrayImage, path: &Path) -> Result<(), OcrError> {
    let file = std::io::BufWriter::new(File::create(path)?);
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        file,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    );
    img.write_with_encoder(encoder).map_err(|e| match e {
        image::ImageError::IoError(e) => OcrError::Io(e),
        e => OcrError::BadImage(e.to_string()),
    })
}

// ---------------------------------------------------------------- TIFF

/// The file is open: what goes wrong reading it is the content's fault.
fn bad_tiff(e: tiff::TiffError) -> OcrError {
    OcrError::BadImage(format!("TIFF: {e}"))
}

fn tiff_first_page_size(path: &Path) -> Result<(u32, u32), OcrError> {
    let mut decoder =
        tiff::decoder::Decoder::new(BufReader::new(File::open(path)?)).map_err(bad_tiff)?;
    decoder.dimensions().map_err(bad_tiff)
}

/// The size of every page, from the image directories only.
fn tiff_page_sizes(path: &Path, settings: &OcrSettings) -> Result<Vec<(u32, u32)>, OcrError> {
    let mut decoder =
        tiff::decoder::Decoder::new(BufReader::new(File::open(path)?)).map_err(bad_tiff)?;
    let mut sizes = Vec::new();
    let mut pages: u32 = 0;
    loop {
        pages += 1;
        if pages <= settings.max_pages {
            sizes.push(decoder.dimensions().map_err(bad_tiff)?);
        }
        if !decoder.more_images() || pages >= TIFF_COUNT_CAP {
            break;
        }
        decoder.next_image().map_err(bad_tiff)?;
    }
    if pages > settings.max_pages {
        return Err(OcrError::TooManyPages {
            pages,
            max: settings.max_pages,
        });
    }
    Ok(sizes)
}

fn ocr_tiff(path: &Path, settings: &OcrSettings, want_codes: bool) -> Result<OcrOutput, OcrError> {
    let sizes = tiff_page_sizes(path, settings)?;
    for (page, &(width, height)) in (1..).zip(&sizes) {
        check_pixels(page, width.into(), height.into(), settings)?;
    }
    let count = u32::try_from(sizes.len()).unwrap_or(u32::MAX);
    // Tesseract reads all pages in one run and ends each with a form feed.
    let limit = settings.page_timeout.saturating_mul(count.max(1));
    let text = tesseract(path, None, settings, 0, limit)?;
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) && pages.len() > sizes.len() {
        pages.pop();
    }
    if pages.len() != sizes.len() {
        tracing::warn!(
            "tesseract returned {} pages for a TIFF of {} pages",
            pages.len(),
            sizes.len()
        );
        pages.resize(sizes.len().max(1), String::new());
    }
    let first_page_codes = if want_codes {
        codes_or_none(first_image_page(TIFF, path, settings))
    } else {
        Vec::new()
    };
    Ok(OcrOutput {
        ocr_pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        pages,
        first_page_codes,
    })
}

// ---------------------------------------------------------------- PDF

/// What `pdfinfo` says about a PDF.
struct PdfInfo {
    pages: u32,
    /// Page number to width and height in points.
    sizes: BTreeMap<u32, (f64, f64)>,
}

fn poppler_error(tool: &str, page: u32, e: ToolError) -> OcrError {
    match e {
        ToolError::NotFound => {
            OcrError::ToolMissing(format!("{tool} (poppler-utils) is not installed"))
        }
        ToolError::TimedOut(limit) if page > 0 => OcrError::Timeout { page, limit },
        ToolError::TimedOut(limit) => {
            OcrError::BadPdf(format!("{tool} did not finish within {limit:?}"))
        }
        ToolError::Io(e) => OcrError::Io(e),
    }
}

fn failed(tool: &str, out: &ToolOutput) -> OcrError {
    OcrError::BadPdf(format!(
        "{} ({tool}: {})",
        out.error_line("failed"),
        out.status
    ))
}

/// Page count, and the sizes of pages 1 to `last_page`.
fn pdf_info(path: &Path, last_page: u32) -> Result<PdfInfo, OcrError> {
    let out = run_tool(
        Command::new("pdfinfo")
            .args(["-enc", "UTF-8", "-f", "1", "-l"])
            .arg(last_page.max(1).to_string())
            .arg(path),
        PDF_TOOL_TIMEOUT,
        4 * 1024 * 1024,
    )
    .map_err(|e| poppler_error("pdfinfo", 0, e))?;
    if !out.status.success() {
        return Err(failed("pdfinfo", &out));
    }
    parse_pdf_info(&String::from_utf8_lossy(&out.stdout))
}

/// Document metadata (title, author...) comes first and might contain lines
/// that look like ours: the last occurrence wins, as the real ones follow.
fn parse_pdf_info(info: &str) -> Result<PdfInfo, OcrError> {
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
        None => Err(OcrError::BadPdf("pdfinfo reported no page count".into())),
    }
}

/// Pixels of a page `points` long at `dpi`.
fn pixels(points: f64, dpi: u32) -> u64 {
    let px = (points.abs() * f64::from(dpi) / 72.0).ceil();
    if px.is_finite() && px < u64::MAX as f64 {
        px as u64
    } else {
        u64::MAX
    }
}

fn check_pdf_page(
    info: &PdfInfo,
    page: u32,
    dpi: u32,
    settings: &OcrSettings,
) -> Result<(), OcrError> {
    match info.sizes.get(&page) {
        Some(&(width, height)) => {
            check_pixels(page, pixels(width, dpi), pixels(height, dpi), settings)
        }
        None => Err(OcrError::BadPdf(format!(
            "pdfinfo reported no size for page {page}"
        ))),
    }
}

/// The text layer of every page (empty for pages without one), and how
/// many pages are complete: text beyond [`MAX_TEXT_BYTES`] is cut off, and
/// the pages it would have reached are left empty, not recognised.
fn pdf_page_texts(path: &Path, pages: u32) -> Result<(Vec<String>, usize), OcrError> {
    let out = run_tool(
        Command::new("pdftotext")
            .args(["-q", "-enc", "UTF-8", "-f", "1", "-l"])
            .arg(pages.to_string())
            .arg(path)
            .arg("-"),
        PDF_TOOL_TIMEOUT,
        MAX_TEXT_BYTES + 4,
    )
    .map_err(|e| poppler_error("pdftotext", 0, e))?;
    if !out.status.success() {
        return Err(failed("pdftotext", &out));
    }
    let cut = out.stdout.len() > MAX_TEXT_BYTES;
    let text = truncate(String::from_utf8_lossy(&out.stdout).into_owned());
    // Every page ends with a form feed.
    let mut texts: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    let complete = if cut {
        texts.len().saturating_sub(1)
    } else {
        pages as usize
    };
    texts.resize(pages as usize, String::new());
    Ok((texts, complete))
}

/// Renders one page as an 8-bit grayscale PNG into `scratch`.
fn render_pdf_page(
    path: &Path,
    page: u32,
    dpi: u32,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<PathBuf, OcrError> {
    let prefix = scratch.join(format!("page-{page}"));
    let out = run_tool(
        Command::new("pdftoppm")
            .args(["-q", "-r"])
            .arg(dpi.to_string())
            .args(["-gray", "-png", "-singlefile", "-f"])
            .arg(page.to_string())
            .arg("-l")
            .arg(page.to_string())
            .arg(path)
            .arg(&prefix),
        settings.page_timeout,
        64 * 1024,
    )
    .map_err(|e| poppler_error("pdftoppm", page, e))?;
    let png = prefix.with_extension("png");
    if !out.status.success() || !png.is_file() {
        return Err(failed("pdftoppm", &out));
    }
    Ok(png)
}

fn ocr_pdf(
    path: &Path,
    settings: &OcrSettings,
    scratch: &Path,
    want_codes: bool,
) -> Result<OcrOutput, OcrError> {
    let info = pdf_info(path, settings.max_pages)?;
    if info.pages > settings.max_pages {
        return Err(OcrError::TooManyPages {
            pages: info.pages,
            max: settings.max_pages,
        });
    }
    let (mut pages, complete) = pdf_page_texts(path, info.pages)?;
    // Pages with a text layer are not rendered: only the others must fit.
    let needs_ocr: Vec<bool> = pages
        .iter()
        .enumerate()
        .map(|(i, t)| i < complete && t.trim().is_empty())
        .collect();
    for (page, _) in (1..).zip(&needs_ocr).filter(|(_, &ocr)| ocr) {
        check_pdf_page(&info, page, settings.dpi, settings)?;
    }
    let mut output = OcrOutput::default();
    for ((page, text), needs_ocr) in (1..).zip(pages.iter_mut()).zip(needs_ocr) {
        let want_codes_here = want_codes && page == 1;
        if needs_ocr {
            let rendered = render_pdf_page(path, page, settings.dpi, settings, scratch)?;
            *text = tesseract(
                &rendered,
                Some(settings.dpi),
                settings,
                page,
                settings.page_timeout,
            )?;
            output.ocr_pages += 1;
            if want_codes_here {
                output.first_page_codes = codes_or_none(read_gray_png(&rendered, settings));
            }
            std::fs::remove_file(&rendered)?;
        } else if want_codes_here {
            output.first_page_codes =
                codes_or_none(pdf_page_image(path, &info, page, QR_DPI, settings, scratch));
        }
    }
    output.pages = pages;
    Ok(output)
}

fn pdf_first_page_codes(
    path: &Path,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<Vec<String>, OcrError> {
    let info = pdf_info(path, 1)?;
    if info.pages == 0 {
        return Ok(Vec::new());
    }
    pdf_page_image(path, &info, 1, QR_DPI, settings, scratch).map(qr_codes)
}

/// Page `page` rendered at `dpi`, if it is not too large.
fn pdf_page_image(
    path: &Path,
    info: &PdfInfo,
    page: u32,
    dpi: u32,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<GrayImage, OcrError> {
    check_pdf_page(info, page, dpi, settings)?;
    let rendered = render_pdf_page(path, page, dpi, settings, scratch)?;
    let img = read_gray_png(&rendered, settings);
    std::fs::remove_file(&rendered)?;
    img
}

fn read_gray_png(path: &Path, settings: &OcrSettings) -> Result<GrayImage, OcrError> {
    Ok(image_reader(PNG, path, settings)?
        .decode()
        .map_err(bad_image)?
        .into_luma8())
}

// ---------------------------------------------------------------- tesseract

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
fn tesseract(
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

// ---------------------------------------------------------------- QR codes

/// Contents of the QR codes in `img` (each once, in the order found).
fn qr_codes(img: GrayImage) -> Vec<String> {
    let longer = img.width().max(img.height());
    let img = if longer > QR_MAX_SIDE {
        let scale = f64::from(QR_MAX_SIDE) / f64::from(longer);
        let width = ((f64::from(img.width()) * scale).round() as u32).max(1);
        let height = ((f64::from(img.height()) * scale).round() as u32).max(1);
        // Averaging source pixels: fast, and it smooths scanner noise.
        image::imageops::thumbnail(&img, width, height)
    } else {
        img
    };
    let (found, codes) = decode_qr(img.clone());
    if found > 0 && codes.is_empty() {
        // A code was seen but not read: specks (salt-and-pepper noise) on
        // the module centres where the decoder samples are the usual cause,
        // and a median filter removes them.
        return decode_qr(imageproc::filter::median_filter(&img, 1, 1)).1;
    }
    codes
}

/// How many codes were seen, and the contents of those read.
fn decode_qr(img: GrayImage) -> (usize, Vec<String>) {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let mut codes = Vec::new();
    for grid in &grids {
        match grid.decode() {
            Ok((_, content)) => {
                if !codes.contains(&content) {
                    codes.push(content);
                }
            }
            Err(e) => tracing::debug!("QR code found but not read: {e}"),
        }
    }
    (grids.len(), codes)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::fixtures::{
        corrupt_jpeg, cover_sheet_png, image_bomb_png, image_pdf, jpeg_with_orientation,
        letter_png, many_pages_pdf, multipage_tiff, skewed_noisy_png, text_and_image_pdf, text_pdf,
    };
    use crate::{case_number_from_code, cover_sheet_pdf};

    const CASE: &str = "12345BG0012345";

    const LETTER: &[&str] = &[
        "Jobcenter Musterstadt",
        "Bescheid über Ihren Weiterbewilligungsantrag",
        "Sehr geehrte Frau Müller,",
        "Ihr Weiterbewilligungsantrag vom 12. März 2024 ist bei uns eingegangen.",
        "Der neue Bewilligungszeitraum beginnt am 1. April 2024.",
        "Bitte reichen Sie die fehlenden Kontoauszüge bis zum 30. April ein.",
        "Mit freundlichen Grüßen",
        "Ihr Jobcenter",
    ];
    // Not "Jobcenter": poppler's stand-in for Helvetica leaves a gap after
    // the J, and tesseract rightly reads "J obcenter".
    const LETTER_WORDS: &[&str] = &[
        "Weiterbewilligungsantrag",
        "Bescheid",
        "Musterstadt",
        "Bewilligungszeitraum",
        "Kontoauszüge",
        "Grüßen",
    ];

    const SECOND: &[&str] = &[
        "Anlage zum Antrag auf Bürgergeld",
        "Nachweis über die Mietkosten der Wohnung",
        "Die Heizkostenabrechnung liegt bei.",
    ];
    const SECOND_WORDS: &[&str] = &["Mietkosten", "Heizkostenabrechnung", "Bürgergeld"];

    fn assert_words(text: &str, words: &[&str]) {
        let lower = text.to_lowercase();
        for word in words {
            assert!(
                lower.contains(&word.to_lowercase()),
                "{word:?} not recognised in:\n{text}"
            );
        }
    }

    fn assert_lacks(text: &str, words: &[&str]) {
        let lower = text.to_lowercase();
        for word in words {
            assert!(
                !lower.contains(&word.to_lowercase()),
                "{word:?} in:\n{text}"
            );
        }
    }

    /// A work directory and the document written into a file beside it.
    struct Doc {
        work: tempfile::TempDir,
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    impl Doc {
        fn new(content: &[u8]) -> Doc {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("content");
            std::fs::write(&path, content).unwrap();
            Doc {
                work: tempfile::tempdir().unwrap(),
                _dir: dir,
                path,
            }
        }

        fn ocr(
            &self,
            media_type: &str,
            settings: &OcrSettings,
            want_codes: bool,
        ) -> Result<OcrOutput, OcrError> {
            let result = ocr_document(
                media_type,
                &self.path,
                settings,
                self.work.path(),
                want_codes,
            );
            self.assert_clean();
            result
        }

        fn codes(&self, media_type: &str, settings: &OcrSettings) -> Result<Vec<String>, OcrError> {
            let result = first_page_codes(media_type, &self.path, settings, self.work.path());
            self.assert_clean();
            result
        }

        fn assert_clean(&self) {
            let left: Vec<_> = std::fs::read_dir(self.work.path()).unwrap().collect();
            assert!(left.is_empty(), "left in the work directory: {left:?}");
        }
    }

    fn small_png(value: u8) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        GrayImage::from_pixel(20, 10, image::Luma([value]))
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn letter_png_is_recognised() {
        let doc = Doc::new(&letter_png(LETTER, 300));
        let out = doc.ocr(PNG, &OcrSettings::default(), true).unwrap();
        assert_eq!(out.pages.len(), 1);
        assert_eq!(out.ocr_pages, 1);
        assert!(out.first_page_codes.is_empty());
        assert_words(&out.pages[0], LETTER_WORDS);
    }

    #[test]
    fn multipage_tiff_gives_one_text_per_page() {
        let tiff = multipage_tiff(&[letter_png(LETTER, 300), letter_png(SECOND, 300)]);
        assert_eq!(crate::detect(&tiff), Some(TIFF));
        let doc = Doc::new(&tiff);
        let out = doc.ocr(TIFF, &OcrSettings::default(), false).unwrap();
        assert_eq!(out.pages.len(), 2);
        assert_eq!(out.ocr_pages, 2);
        assert_words(&out.pages[0], LETTER_WORDS);
        assert_lacks(&out.pages[0], SECOND_WORDS);
        assert_words(&out.pages[1], SECOND_WORDS);
        assert_lacks(&out.pages[1], &["Weiterbewilligungsantrag"]);
    }

    #[test]
    fn image_pdf_with_cover_sheet_gives_codes_and_page_texts() {
        let pdf = image_pdf(&[cover_sheet_png(CASE, 300), letter_png(LETTER, 300)]);
        let doc = Doc::new(&pdf);
        let out = doc.ocr(PDF, &OcrSettings::default(), true).unwrap();
        assert_eq!(out.pages.len(), 2);
        assert_eq!(out.ocr_pages, 2);
        assert_eq!(out.first_page_codes, vec![format!("AKTE:{CASE}")]);
        assert_words(&out.pages[0], &["Deckblatt", CASE]);
        assert_words(&out.pages[1], LETTER_WORDS);
        // Codes alone, without OCR.
        assert_eq!(
            doc.codes(PDF, &OcrSettings::default()).unwrap(),
            vec![format!("AKTE:{CASE}")]
        );
    }

    #[test]
    fn pdf_pages_with_text_keep_it() {
        let pdf = text_and_image_pdf(SECOND, &letter_png(LETTER, 300));
        let doc = Doc::new(&pdf);
        let out = doc.ocr(PDF, &OcrSettings::default(), true).unwrap();
        assert_eq!(out.pages.len(), 2);
        assert_eq!(out.ocr_pages, 1);
        // Exactly the text layer.
        for line in SECOND {
            assert!(out.pages[0].contains(line), "{}", out.pages[0]);
        }
        assert_words(&out.pages[1], LETTER_WORDS);
        assert!(out.first_page_codes.is_empty());
    }

    #[test]
    fn jpeg_is_read_upright_by_its_exif_orientation() {
        let jpeg = jpeg_with_orientation(&letter_png(LETTER, 300), 6);
        assert_eq!(crate::detect(&jpeg), Some(JPEG));
        // Stored sideways: wider than high.
        let (w, h) = image::load_from_memory(&jpeg)
            .unwrap()
            .into_luma8()
            .dimensions();
        assert!(w > h, "{w} x {h}");
        let doc = Doc::new(&jpeg);
        let out = doc.ocr(JPEG, &OcrSettings::default(), false).unwrap();
        assert_words(&out.pages[0], LETTER_WORDS);
    }

    #[test]
    fn skewed_noisy_scan_is_recognised() {
        let png = skewed_noisy_png(&letter_png(LETTER, 300), 2.0, 0.01, 7);
        let doc = Doc::new(&png);
        let out = doc.ocr(PNG, &OcrSettings::default(), false).unwrap();
        assert_words(&out.pages[0], LETTER_WORDS);
    }

    #[test]
    fn cover_sheet_code_is_found() {
        let settings = OcrSettings::default();
        let png = cover_sheet_png(CASE, 300);
        let codes = Doc::new(&png).codes(PNG, &settings).unwrap();
        assert_eq!(codes, vec![format!("AKTE:{CASE}")]);
        assert_eq!(case_number_from_code(&codes[0]).as_deref(), Some(CASE));
        // Skewed and noisy, also at lower resolutions.
        for (dpi, seed) in [(150, 1), (200, 3), (300, 1)] {
            let noisy = skewed_noisy_png(&cover_sheet_png(CASE, dpi), 2.0, 0.02, seed);
            assert_eq!(
                Doc::new(&noisy).codes(PNG, &settings).unwrap(),
                vec![format!("AKTE:{CASE}")],
                "{dpi} dpi, seed {seed}"
            );
        }
        // A turned JPEG and a TIFF.
        let jpeg = jpeg_with_orientation(&png, 8);
        assert_eq!(
            Doc::new(&jpeg).codes(JPEG, &settings).unwrap(),
            vec![format!("AKTE:{CASE}")]
        );
        let tiff = multipage_tiff(&[png, small_png(255)]);
        assert_eq!(
            Doc::new(&tiff).codes(TIFF, &settings).unwrap(),
            vec![format!("AKTE:{CASE}")]
        );
        // The PDF itself, which has a text layer.
        let pdf = cover_sheet_pdf(CASE, "Weiterbewilligung", "Jobcenter Musterstadt");
        assert_eq!(
            Doc::new(&pdf).codes(PDF, &settings).unwrap(),
            vec![format!("AKTE:{CASE}")]
        );
        // A letter has none.
        let letter = text_pdf(LETTER);
        assert!(Doc::new(&letter).codes(PDF, &settings).unwrap().is_empty());
    }

    #[test]
    fn image_bomb_is_refused_from_its_header() {
        let bomb = image_bomb_png(50_000, 50_000);
        assert!(bomb.len() < 200, "{}", bomb.len());
        assert_eq!(crate::detect(&bomb), Some(PNG));
        let doc = Doc::new(&bomb);
        let started = Instant::now();
        for result in [
            doc.ocr(PNG, &OcrSettings::default(), true).map(|_| ()),
            doc.codes(PNG, &OcrSettings::default()).map(|_| ()),
        ] {
            match result {
                Err(e @ OcrError::PageTooLarge { .. }) => {
                    assert!(e.is_document_fault());
                    assert!(matches!(
                        e,
                        OcrError::PageTooLarge {
                            page: 1,
                            width: 50_000,
                            height: 50_000,
                            max_pixels: 40_000_000
                        }
                    ));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn too_many_pages_are_refused() {
        let pdf = many_pages_pdf(500);
        assert!(pdf.len() < 100_000, "{}", pdf.len());
        let doc = Doc::new(&pdf);
        let started = Instant::now();
        match doc.ocr(PDF, &OcrSettings::default(), false) {
            Err(
                e @ OcrError::TooManyPages {
                    pages: 500,
                    max: 200,
                },
            ) => {
                assert!(e.is_document_fault());
                assert_eq!(
                    e.to_string(),
                    "the document has 500 pages, more than the limit of 200"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));

        let tiff = multipage_tiff(&[small_png(255), small_png(0), small_png(128)]);
        let settings = OcrSettings {
            max_pages: 2,
            ..OcrSettings::default()
        };
        assert!(matches!(
            Doc::new(&tiff).ocr(TIFF, &settings, false),
            Err(OcrError::TooManyPages { pages: 3, max: 2 })
        ));
    }

    #[test]
    fn large_pages_are_refused_before_rendering() {
        let settings = OcrSettings {
            max_page_pixels: 1_000_000,
            ..OcrSettings::default()
        };
        // Image-only A4 at 300 dpi: 2480 x 3508.
        let doc = Doc::new(&image_pdf(&[small_png(255)]));
        assert!(matches!(
            doc.ocr(PDF, &settings, false),
            Err(OcrError::PageTooLarge {
                page: 1,
                width: 2480,
                height: 3509,
                ..
            })
        ));
        // Pages with text are not rendered: no limit applies to them.
        let doc = Doc::new(&text_pdf(SECOND));
        let out = doc.ocr(PDF, &settings, false).unwrap();
        assert_eq!(out.ocr_pages, 0);
        assert_words(&out.pages[0], SECOND_WORDS);
    }

    #[test]
    fn corrupt_images_are_document_faults() {
        let doc = Doc::new(&corrupt_jpeg());
        assert_eq!(crate::detect(&corrupt_jpeg()), Some(JPEG));
        match doc.ocr(JPEG, &OcrSettings::default(), false) {
            Err(e @ OcrError::BadImage(_)) => assert!(e.is_document_fault(), "{e}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            doc.codes(JPEG, &OcrSettings::default()),
            Err(OcrError::BadImage(_))
        ));
        let doc = Doc::new(b"%PDF-1.4 garbage");
        assert!(matches!(
            doc.ocr(PDF, &OcrSettings::default(), false),
            Err(OcrError::BadPdf(_))
        ));
        let doc = Doc::new(b"II*\0garbage");
        assert!(matches!(
            doc.ocr(TIFF, &OcrSettings::default(), false),
            Err(OcrError::BadImage(_))
        ));
    }

    #[test]
    fn slow_pages_time_out() {
        let settings = OcrSettings {
            page_timeout: Duration::from_millis(1),
            ..OcrSettings::default()
        };
        let png = letter_png(SECOND, 150);
        let doc = Doc::new(&png);
        match doc.ocr(PNG, &settings, false) {
            Err(e @ OcrError::Timeout { page: 1, .. }) => {
                assert!(e.is_document_fault());
                assert_eq!(
                    e.to_string(),
                    "recognising the text of page 1 took longer than 1ms"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let doc = Doc::new(&image_pdf(std::slice::from_ref(&png)));
        assert!(matches!(
            doc.ocr(PDF, &settings, false),
            Err(OcrError::Timeout { page: 1, .. })
        ));
        let doc = Doc::new(&multipage_tiff(&[png.clone(), png]));
        assert!(matches!(
            doc.ocr(TIFF, &settings, false),
            Err(OcrError::Timeout { page: 0, .. })
        ));
    }

    #[test]
    fn missing_tools_are_not_document_faults() {
        assert!(ocr_available(&OcrSettings::default()).is_ok());
        let no_language = OcrSettings {
            language: "deu+xyz".into(),
            ..OcrSettings::default()
        };
        match ocr_available(&no_language) {
            Err(e @ OcrError::ToolMissing(_)) => {
                assert!(!e.is_document_fault());
                assert!(e.to_string().contains("xyz"), "{e}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let png = small_png(255);
        let doc = Doc::new(&png);
        assert!(matches!(
            doc.ocr(PNG, &no_language, false),
            Err(OcrError::ToolMissing(_))
        ));
        let no_tesseract = OcrSettings {
            tesseract: "/nonexistent/tesseract".into(),
            ..OcrSettings::default()
        };
        assert!(matches!(
            ocr_available(&no_tesseract),
            Err(OcrError::ToolMissing(_))
        ));
        match doc.ocr(PNG, &no_tesseract, false) {
            Err(e @ OcrError::ToolMissing(_)) => assert!(!e.is_document_fault()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn pdf_info_takes_the_last_page_count() {
        let info = parse_pdf_info(
            "Title:          Pages: 1\nPages:          2\nPage    1 size: 595.276 x 841.89 pts (A4)\nPage    2 size: 842 x 595 pts\n",
        )
        .unwrap();
        assert_eq!(info.pages, 2);
        assert_eq!(info.sizes.get(&1), Some(&(595.276, 841.89)));
        assert_eq!(info.sizes.get(&2), Some(&(842.0, 595.0)));
        assert_eq!(pixels(841.89, 300), 3508);
        assert!(matches!(
            parse_pdf_info("Title: x\n"),
            Err(OcrError::BadPdf(_))
        ));
    }
}
