//! PDFs: pages with a text layer keep it, the others are rendered with
//! `pdftoppm` and recognised one by one.

use std::path::{Path, PathBuf};

use image::GrayImage;

use super::image::decode_gray;
use super::{check_pixels, qr, tesseract, OcrError, OcrOutput, OcrSettings};
use crate::media::PNG;
use crate::poppler::{self, PdfInfo, PopplerError};

/// Resolution at which the first page of a PDF is rendered for QR codes only.
const QR_DPI: u32 = 150;

impl From<PopplerError> for OcrError {
    fn from(e: PopplerError) -> Self {
        match e {
            PopplerError::NotFound { .. } => OcrError::ToolMissing(e.to_string()),
            PopplerError::TimedOut { page, limit, .. } if page > 0 => {
                OcrError::Timeout { page, limit }
            }
            PopplerError::Io(e) => OcrError::Io(e),
            PopplerError::TimedOut { .. }
            | PopplerError::Failed { .. }
            | PopplerError::NoPageCount => OcrError::BadPdf(e.to_string()),
        }
    }
}

/// Pixels of a page `points` long at `dpi`.
pub(super) fn pixels(points: f64, dpi: u32) -> u64 {
    let px = (points.abs() * f64::from(dpi) / 72.0).ceil();
    if px.is_finite() && px < u64::MAX as f64 {
        px as u64
    } else {
        u64::MAX
    }
}

fn check_page(info: &PdfInfo, page: u32, dpi: u32, settings: &OcrSettings) -> Result<(), OcrError> {
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
/// many pages are complete: text beyond [`crate::MAX_TEXT_BYTES`] is cut
/// off, and the pages it would have reached are left empty, not recognised.
fn page_texts(path: &Path, pages: u32) -> Result<(Vec<String>, usize), OcrError> {
    let layer = poppler::text(path, Some(pages))?;
    // Every page ends with a form feed.
    let mut texts: Vec<String> = layer.text.split('\u{c}').map(str::to_owned).collect();
    let complete = if layer.cut {
        texts.len().saturating_sub(1)
    } else {
        pages as usize
    };
    texts.resize(pages as usize, String::new());
    Ok((texts, complete))
}

/// Renders one page as an 8-bit grayscale PNG into `scratch`.
fn render_page(
    path: &Path,
    page: u32,
    dpi: u32,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<PathBuf, OcrError> {
    let prefix = scratch.join(format!("page-{page}"));
    Ok(poppler::render_page(
        path,
        page,
        dpi,
        settings.page_timeout,
        &prefix,
    )?)
}

pub(super) fn ocr_pdf(
    path: &Path,
    settings: &OcrSettings,
    scratch: &Path,
    want_codes: bool,
) -> Result<OcrOutput, OcrError> {
    let info = poppler::info(path, settings.max_pages)?;
    if info.pages > settings.max_pages {
        return Err(OcrError::TooManyPages {
            pages: info.pages,
            max: settings.max_pages,
        });
    }
    let (mut pages, complete) = page_texts(path, info.pages)?;
    // Pages with a text layer are not rendered: only the others must fit.
    let needs_ocr: Vec<bool> = pages
        .iter()
        .enumerate()
        .map(|(i, t)| i < complete && t.trim().is_empty())
        .collect();
    for (page, _) in (1..).zip(&needs_ocr).filter(|(_, &ocr)| ocr) {
        check_page(&info, page, settings.dpi, settings)?;
    }
    let mut output = OcrOutput::default();
    for ((page, text), needs_ocr) in (1..).zip(pages.iter_mut()).zip(needs_ocr) {
        let want_codes_here = want_codes && page == 1;
        if needs_ocr {
            let rendered = render_page(path, page, settings.dpi, settings, scratch)?;
            *text = tesseract::recognise(
                &rendered,
                Some(settings.dpi),
                settings,
                page,
                settings.page_timeout,
            )?;
            output.ocr_pages += 1;
            if want_codes_here {
                output.first_page_codes = qr::codes_or_none(decode_gray(PNG, &rendered, settings));
            }
            std::fs::remove_file(&rendered)?;
        } else if want_codes_here {
            output.first_page_codes =
                qr::codes_or_none(page_image(path, &info, page, QR_DPI, settings, scratch));
        }
    }
    output.pages = pages;
    Ok(output)
}

pub(super) fn first_page_codes(
    path: &Path,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<Vec<String>, OcrError> {
    let info = poppler::info(path, 1)?;
    if info.pages == 0 {
        return Ok(Vec::new());
    }
    page_image(path, &info, 1, QR_DPI, settings, scratch).map(qr::codes)
}

/// Page `page` rendered at `dpi`, if it is not too large.
fn page_image(
    path: &Path,
    info: &PdfInfo,
    page: u32,
    dpi: u32,
    settings: &OcrSettings,
    scratch: &Path,
) -> Result<GrayImage, OcrError> {
    check_page(info, page, dpi, settings)?;
    let rendered = render_page(path, page, dpi, settings, scratch)?;
    let img = decode_gray(PNG, &rendered, settings);
    std::fs::remove_file(&rendered)?;
    img
}
