//! QR codes on a page image (the cover sheet's code).

use image::GrayImage;

use super::OcrError;

/// Pages whose longer side has more pixels than this are scaled down before
/// looking for QR codes (an A4 page at 150 dpi is 1754 pixels high): the
/// cover sheet's code stays large enough, and detection is much faster.
const QR_MAX_SIDE: u32 = 1800;

/// Contents of the QR codes in `img` (each once, in the order found).
pub(super) fn codes(img: GrayImage) -> Vec<String> {
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

/// The text was recognised, so a first page the image decoder cannot read
/// costs only its codes.
pub(super) fn codes_or_none(page: Result<GrayImage, OcrError>) -> Vec<String> {
    match page {
        Ok(img) => codes(img),
        Err(e) => {
            tracing::warn!("first page not searched for QR codes: {e}");
            Vec::new()
        }
    }
}
