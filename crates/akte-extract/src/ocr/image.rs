//! PNG and JPEG scans: decoding within the pixel limit, and pages turned
//! upright by their EXIF orientation.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{check_pixels, qr, tesseract, tiff, OcrError, OcrOutput, OcrSettings};
use crate::media::{JPEG, TIFF};

fn image_format(media_type: &str) -> ImageFormat {
    match media_type {
        JPEG => ImageFormat::Jpeg,
        TIFF => ImageFormat::Tiff,
        _ => ImageFormat::Png,
    }
}

/// Decoding limits: a second guard behind the header checks.
pub(super) fn limits(settings: &OcrSettings) -> Limits {
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

pub(super) fn bad_image(e: image::ImageError) -> OcrError {
    OcrError::BadImage(e.to_string())
}

/// Image file `path` of `media_type` decoded as it is stored, in gray.
pub(super) fn decode_gray(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<GrayImage, OcrError> {
    Ok(image_reader(media_type, path, settings)?
        .decode()
        .map_err(bad_image)?
        .into_luma8())
}

/// The image of `decoder` turned by `orientation`, in gray.
pub(super) fn decode_turned(
    decoder: impl ImageDecoder,
    orientation: Orientation,
) -> Result<GrayImage, OcrError> {
    let mut img = DynamicImage::from_decoder(decoder).map_err(bad_image)?;
    img.apply_orientation(orientation);
    Ok(img.into_luma8())
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
    if orientation == Orientation::NoTransforms {
        return Ok(None);
    }
    decode_turned(decoder, orientation).map(Some)
}

/// The first page of an image document, upright and gray, for QR codes.
pub(super) fn first_page(
    media_type: &str,
    path: &Path,
    settings: &OcrSettings,
) -> Result<GrayImage, OcrError> {
    if media_type == TIFF {
        return tiff::first_page(path, settings);
    }
    check_image_header(media_type, path, settings)?;
    match upright_image(media_type, path, settings)? {
        Some(img) => Ok(img),
        None => decode_gray(media_type, path, settings),
    }
}

pub(super) fn ocr_image(
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
    let text = tesseract::recognise(&input, None, settings, 1, settings.page_timeout)?;
    let first_page_codes = if want_codes {
        match upright {
            Some(img) => qr::codes(img),
            None => qr::codes_or_none(first_page(media_type, path, settings)),
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
