//! Multi-page TIFF scans: page count and page sizes from the image
//! directories, all pages recognised in one tesseract run.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use image::codecs::tiff::TiffDecoder;
use image::{GrayImage, ImageDecoder};
use tiff::decoder::Decoder;

use super::image::{bad_image, decode_turned, limits};
use super::{check_pixels, qr, tesseract, OcrError, OcrOutput, OcrSettings};

/// Counting the pages of a TIFF stops here.
const TIFF_COUNT_CAP: u32 = 100_000;

/// The file is open: what goes wrong reading it is the content's fault.
fn bad_tiff(e: tiff::TiffError) -> OcrError {
    OcrError::BadImage(format!("TIFF: {e}"))
}

fn directories(path: &Path) -> Result<Decoder<BufReader<File>>, OcrError> {
    Decoder::new(BufReader::new(File::open(path)?)).map_err(bad_tiff)
}

/// The size of every page, from the image directories only.
fn page_sizes(path: &Path, settings: &OcrSettings) -> Result<Vec<(u32, u32)>, OcrError> {
    let mut decoder = directories(path)?;
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

/// The first page, upright and gray, if it is not too large.
pub(super) fn first_page(path: &Path, settings: &OcrSettings) -> Result<GrayImage, OcrError> {
    let (width, height) = directories(path)?.dimensions().map_err(bad_tiff)?;
    check_pixels(1, width.into(), height.into(), settings)?;
    let mut decoder = TiffDecoder::new(BufReader::new(File::open(path)?)).map_err(bad_image)?;
    decoder.set_limits(limits(settings)).map_err(bad_image)?;
    let orientation = decoder.orientation().map_err(bad_image)?;
    decode_turned(decoder, orientation)
}

pub(super) fn ocr_tiff(
    path: &Path,
    settings: &OcrSettings,
    want_codes: bool,
) -> Result<OcrOutput, OcrError> {
    let sizes = page_sizes(path, settings)?;
    for (page, &(width, height)) in (1..).zip(&sizes) {
        check_pixels(page, width.into(), height.into(), settings)?;
    }
    let count = u32::try_from(sizes.len()).unwrap_or(u32::MAX);
    // Tesseract reads all pages in one run and ends each with a form feed.
    let limit = settings.page_timeout.saturating_mul(count.max(1));
    let text = tesseract::recognise(path, None, settings, 0, limit)?;
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
        qr::codes_or_none(first_page(path, settings))
    } else {
        Vec::new()
    };
    Ok(OcrOutput {
        ocr_pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        pages,
        first_page_codes,
    })
}
