//! Page previews: one page of a PDF or an image, scaled to a width, as PNG.
//! For the web interface's thumbnails and page views.

use std::path::Path;
use std::time::Duration;

use image::ImageReader;

use crate::poppler;

/// Longest the rendering of one preview may take.
const PREVIEW_TIMEOUT: Duration = Duration::from_secs(30);

/// Widest preview, in pixels.
pub const MAX_PREVIEW_WIDTH: u32 = 1600;

/// Largest image decoded for a preview (pixels), against decompression bombs.
const MAX_PIXELS: u64 = 200_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("page {0} does not exist")]
    NoSuchPage(u32),
    #[error("no preview for {0}")]
    Unsupported(String),
    #[error("{0}")]
    Failed(String),
}

/// Page `page` (1-based) of the file at `path` of `media_type`, `width`
/// pixels wide (at most [`MAX_PREVIEW_WIDTH`]), as a PNG. `work` is a
/// directory for intermediate files.
pub fn page_preview(
    media_type: &str,
    path: &Path,
    page: u32,
    width: u32,
    work: &Path,
) -> Result<Vec<u8>, PreviewError> {
    let width = width.clamp(32, MAX_PREVIEW_WIDTH);
    if page == 0 {
        return Err(PreviewError::NoSuchPage(page));
    }
    let failed = |e: &dyn std::fmt::Display| PreviewError::Failed(e.to_string());
    let rendered;
    let image_path = match media_type {
        "application/pdf" => {
            let info = poppler::info(path, page).map_err(|e| failed(&e))?;
            if page > info.pages {
                return Err(PreviewError::NoSuchPage(page));
            }
            let points = info.sizes.get(&page).map(|s| s.0).unwrap_or(595.0);
            // The resolution at which the page is `width` pixels wide.
            let dpi = ((f64::from(width) * 72.0 / points.max(1.0)).ceil() as u32).clamp(10, 600);
            rendered = poppler::render_page(
                path,
                page,
                dpi,
                PREVIEW_TIMEOUT,
                &work.join(format!("preview-{page}")),
            )
            .map_err(|e| failed(&e))?;
            rendered.as_path()
        }
        "image/png" | "image/jpeg" | "image/tiff" => {
            if page != 1 {
                return Err(PreviewError::NoSuchPage(page));
            }
            path
        }
        other => return Err(PreviewError::Unsupported(other.to_owned())),
    };
    let mut reader = ImageReader::open(image_path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| failed(&e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| failed(&e))?;
    if u64::from(img.width()) * u64::from(img.height()) > MAX_PIXELS {
        return Err(PreviewError::Failed("the image is too large".into()));
    }
    let img = if img.width() > width {
        let height = (u64::from(img.height()) * u64::from(width) / u64::from(img.width())).max(1);
        img.resize_exact(
            width,
            u32::try_from(height).unwrap_or(u32::MAX),
            image::imageops::FilterType::Triangle,
        )
    } else {
        img
    };
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| failed(&e))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn pdf_and_image_pages() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("a.pdf");
        std::fs::write(&pdf, fixtures::text_pdf(&["Bescheid", "Seite eins"])).unwrap();
        let png = page_preview("application/pdf", &pdf, 1, 200, dir.path()).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert!(img.width() <= 200 && img.width() >= 150, "{}", img.width());
        assert!(matches!(
            page_preview("application/pdf", &pdf, 2, 200, dir.path()),
            Err(PreviewError::NoSuchPage(2))
        ));
        let scan = dir.path().join("s.png");
        std::fs::write(&scan, fixtures::letter_png(&["Hallo"], 100)).unwrap();
        let png = page_preview("image/png", &scan, 1, 120, dir.path()).unwrap();
        assert_eq!(image::load_from_memory(&png).unwrap().width(), 120);
        assert!(matches!(
            page_preview("text/plain", &scan, 1, 120, dir.path()),
            Err(PreviewError::Unsupported(_))
        ));
    }
}
