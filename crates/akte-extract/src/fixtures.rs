//! Small, valid documents made on the fly, for tests and benchmarks. Built
//! with the `testing` feature only (and for this crate's own tests).
//!
//! The rendered pages need `pdftoppm` (poppler-utils). These are test
//! helpers: they panic, with a message saying why, when something fails.

use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageEncoder, ImageFormat, Luma};
use imageproc::geometric_transformations::{rotate_about_center, Border, Interpolation};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::cover::{cover_sheet_pdf, win_ansi, A4};
use crate::poppler;

/// A one-page PDF with a real text layer (Helvetica, WinAnsi encoding), one
/// line per entry of `lines`. German umlauts and ß are kept.
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT /F1 11 Tf 56 790 Td 14 TL\n".to_vec();
    for line in lines {
        content.push(b'(');
        let (encoded, _, _) = encoding_rs::WINDOWS_1252.encode(line);
        for &b in encoded.iter() {
            match b {
                b'(' | b')' | b'\\' => content.extend_from_slice(&[b'\\', b]),
                0x20..=0x7E => content.push(b),
                _ => content.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            }
        }
        content.extend_from_slice(b") Tj T*\n");
    }
    content.extend_from_slice(b"ET");

    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A German letter page: [`text_pdf`] of `lines` rendered at `dpi` as an
/// 8-bit grayscale PNG, like a clean scan.
pub fn letter_png(lines: &[&str], dpi: u32) -> Vec<u8> {
    render_png(&text_pdf(lines), dpi)
}

/// A cover sheet ([`cover_sheet_pdf`]) for `case_number` rendered at `dpi`
/// as an 8-bit grayscale PNG.
pub fn cover_sheet_png(case_number: &str, dpi: u32) -> Vec<u8> {
    render_png(
        &cover_sheet_pdf(case_number, "Weiterbewilligung", "Jobcenter Musterstadt"),
        dpi,
    )
}

/// `png` turned by `degrees` about its centre (white where the page was
/// left), with salt-and-pepper noise on the fraction `noise` of its pixels,
/// the same for the same `seed`.
pub fn skewed_noisy_png(png: &[u8], degrees: f32, noise: f32, seed: u64) -> Vec<u8> {
    let mut img = rotate_about_center(
        &decode_gray(png),
        degrees.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(Luma([255])),
    );
    let mut rng = StdRng::seed_from_u64(seed);
    for pixel in img.pixels_mut() {
        if rng.random::<f32>() < noise {
            pixel.0[0] = if rng.random::<bool>() { 0 } else { 255 };
        }
    }
    encode_png(&img)
}

/// A JPEG of the (upright) page `png` whose pixels are stored turned such
/// that a viewer honouring the EXIF `orientation` tag (1 to 8) it carries
/// shows the page upright again. For example 6 ("rotate 90° clockwise to
/// view", a camera held upright with the button at the top) stores the page
/// turned 90° counter-clockwise.
pub fn jpeg_with_orientation(png: &[u8], orientation: u8) -> Vec<u8> {
    let wanted = Orientation::from_exif(orientation)
        .unwrap_or_else(|| panic!("fixtures: EXIF orientation {orientation} is not 1 to 8"));
    // Store the inverse of what the viewer will do; flips and transpositions
    // are their own inverses.
    let stored = match wanted {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    };
    let mut img = DynamicImage::ImageLuma8(decode_gray(png));
    img.apply_orientation(stored);
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
    encoder
        .set_exif_metadata(exif_orientation(orientation))
        .unwrap_or_else(|e| panic!("fixtures: JPEG encoder takes no EXIF data: {e}"));
    img.write_with_encoder(encoder)
        .unwrap_or_else(|e| panic!("fixtures: JPEG encoding failed: {e}"));
    out
}

/// The smallest EXIF block that carries an orientation: a big-endian TIFF
/// header and IFD0 with the one tag 0x0112. The image crate embeds EXIF
/// blocks but has no writer for them, and this one is 26 fixed bytes.
fn exif_orientation(orientation: u8) -> Vec<u8> {
    let mut exif = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    exif.extend_from_slice(&1u16.to_be_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_be_bytes()); // one value
    exif.extend_from_slice(&u16::from(orientation).to_be_bytes());
    exif.extend_from_slice(&[0, 0]); // padding of the value field
    exif.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    exif
}

/// An image-only PDF (no text layer) with one A4 page per PNG in `pages`,
/// each image scaled to fit the page (embedded as grayscale JPEG).
pub fn image_pdf(pages: &[Vec<u8>]) -> Vec<u8> {
    let pages: Vec<PdfPage> = pages.iter().map(|png| PdfPage::Image(png)).collect();
    build_pdf(&pages)
}

/// A two-page PDF: page 1 has a text layer with `lines` (like
/// [`text_pdf`]), page 2 is the image `png` only.
pub fn text_and_image_pdf(lines: &[&str], png: &[u8]) -> Vec<u8> {
    build_pdf(&[PdfPage::Text(lines), PdfPage::Image(png)])
}

/// An image-only PDF with `pages` blank A4 pages that all show one tiny
/// shared image: many pages in a small file.
pub fn many_pages_pdf(pages: u32) -> Vec<u8> {
    let mut ids = (1..).map(Ref::new);
    let mut next = || ids.next().unwrap_or(Ref::new(1));
    let catalog_id = next();
    let pages_id = next();
    let image_id = next();
    let content_id = next();
    let page_ids: Vec<Ref> = (0..pages).map(|_| next()).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages).unwrap_or(i32::MAX));
    let (jpeg, width, height) = gray_jpeg(&GrayImage::from_pixel(8, 8, Luma([255])));
    write_image(&mut pdf, image_id, &jpeg, width, height);
    let mut content = Content::new();
    content.transform([100.0, 0.0, 0.0, 100.0, 100.0, 600.0]);
    content.x_object(Name(b"Im1"));
    let content = content.finish();
    pdf.stream(content_id, content.as_slice());
    for id in page_ids {
        let mut page = pdf.page(id);
        page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        page.parent(pages_id);
        page.contents(content_id);
        page.resources().x_objects().pair(Name(b"Im1"), image_id);
    }
    pdf.finish()
}

/// A multi-page 8-bit grayscale TIFF (LZW), one page per PNG in `pages`,
/// marked as 300 dpi.
pub fn multipage_tiff(pages: &[Vec<u8>]) -> Vec<u8> {
    use tiff::encoder::{colortype, Compression, Rational, TiffEncoder};
    use tiff::tags::ResolutionUnit;
    let mut out = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut out)
        .unwrap_or_else(|e| panic!("fixtures: TIFF encoder: {e}"))
        .with_compression(Compression::Lzw);
    for png in pages {
        let img = decode_gray(png);
        let mut page = encoder
            .new_image::<colortype::Gray8>(img.width(), img.height())
            .unwrap_or_else(|e| panic!("fixtures: TIFF page: {e}"));
        page.resolution(ResolutionUnit::Inch, Rational { n: 300, d: 1 });
        page.write_data(img.as_raw())
            .unwrap_or_else(|e| panic!("fixtures: TIFF page data: {e}"));
    }
    out.into_inner()
}

/// A PNG whose header claims `width` x `height` pixels (8-bit gray) but
/// whose body is a few bytes: decoding it would allocate the claimed size.
pub fn image_bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .unwrap_or_else(|e| panic!("fixtures: PNG header: {e}"));
        // The start of a deflate stream of zeros, far too short.
        writer
            .write_chunk(png::chunk::IDAT, &[0x78, 0x9c, 0x62, 0x60, 0x18, 0x05])
            .unwrap_or_else(|e| panic!("fixtures: PNG chunk: {e}"));
        // Dropping the writer ends the file (IEND).
    }
    out
}

/// Starts like a JPEG (SOI and a JFIF APP0 segment), then garbage: media
/// type detection says `image/jpeg`, decoding fails.
pub fn corrupt_jpeg() -> Vec<u8> {
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
    ];
    jpeg.extend((0u32..2048).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 & 0x7F));
    jpeg
}

enum PdfPage<'a> {
    Text(&'a [&'a str]),
    /// A PNG.
    Image(&'a [u8]),
}

fn build_pdf(pages: &[PdfPage]) -> Vec<u8> {
    let mut ids = (1..).map(Ref::new);
    let mut next = || ids.next().unwrap_or(Ref::new(1));
    let catalog_id = next();
    let pages_id = next();
    let font_id = next();
    let page_ids: Vec<Ref> = pages.iter().map(|_| next()).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (page, &page_id) in pages.iter().zip(&page_ids) {
        let content_id = next();
        let mut content = Content::new();
        let mut writer = pdf.page(page_id);
        writer.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        writer.parent(pages_id);
        writer.contents(content_id);
        match page {
            PdfPage::Text(lines) => {
                writer.resources().fonts().pair(Name(b"F1"), font_id);
                writer.finish();
                content.begin_text();
                content.set_font(Name(b"F1"), 11.0);
                content.set_leading(14.0);
                content.next_line(56.0, 790.0);
                for line in lines.iter() {
                    content.show(Str(&win_ansi(line)));
                    content.next_line_using_leading();
                }
                content.end_text();
            }
            PdfPage::Image(png) => {
                let image_id = next();
                writer.resources().x_objects().pair(Name(b"Im1"), image_id);
                writer.finish();
                let (jpeg, width, height) = gray_jpeg(&decode_gray(png));
                write_image(&mut pdf, image_id, &jpeg, width, height);
                // Scaled to fit the page, centred.
                let scale = (A4.0 / width as f32).min(A4.1 / height as f32);
                let (w, h) = (width as f32 * scale, height as f32 * scale);
                content.transform([w, 0.0, 0.0, h, (A4.0 - w) / 2.0, (A4.1 - h) / 2.0]);
                content.x_object(Name(b"Im1"));
            }
        }
        let content = content.finish();
        pdf.stream(content_id, content.as_slice());
    }
    pdf.finish()
}

fn write_image(pdf: &mut Pdf, id: Ref, jpeg: &[u8], width: u32, height: u32) {
    let mut image = pdf.image_xobject(id, jpeg);
    image.filter(Filter::DctDecode);
    image.width(i32::try_from(width).unwrap_or(i32::MAX));
    image.height(i32::try_from(height).unwrap_or(i32::MAX));
    image.color_space().device_gray();
    image.bits_per_component(8);
}

fn gray_jpeg(img: &GrayImage) -> (Vec<u8>, u32, u32) {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .unwrap_or_else(|e| panic!("fixtures: JPEG encoding failed: {e}"));
    (jpeg, img.width(), img.height())
}

fn decode_gray(png: &[u8]) -> GrayImage {
    image::load_from_memory_with_format(png, ImageFormat::Png)
        .unwrap_or_else(|e| panic!("fixtures: not a readable PNG: {e}"))
        .into_luma8()
}

fn encode_png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .unwrap_or_else(|e| panic!("fixtures: PNG encoding failed: {e}"));
    out.into_inner()
}

/// `pdf` page 1 rendered by pdftoppm at `dpi`, 8-bit gray, as PNG.
fn render_png(pdf: &[u8], dpi: u32) -> Vec<u8> {
    let dir =
        tempfile::tempdir().unwrap_or_else(|e| panic!("fixtures: no temporary directory: {e}"));
    let input = dir.path().join("page.pdf");
    write(&input, pdf);
    let png = poppler::render_page(
        &input,
        1,
        dpi,
        Duration::from_secs(120),
        &dir.path().join("page"),
    )
    .unwrap_or_else(|e| panic!("fixtures: pdftoppm (poppler-utils): {e}"));
    std::fs::read(&png).unwrap_or_else(|e| panic!("fixtures: reading {}: {e}", png.display()))
}

fn write(path: &Path, content: &[u8]) {
    std::fs::write(path, content)
        .unwrap_or_else(|e| panic!("fixtures: writing {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{detect, extract, Extracted};

    #[test]
    fn generated_pdf_has_extractable_text() {
        let pdf = text_pdf(&[
            "Sehr geehrte Beschäftigte,",
            "Ihr Weiterbewilligungsantrag (Größe) ist da.",
        ]);
        assert_eq!(detect(&pdf), Some("application/pdf"));
        match extract("application/pdf", &pdf, &std::env::temp_dir()).unwrap() {
            Extracted::Text(t) => {
                assert!(t.contains("Beschäftigte"), "{t}");
                assert!(t.contains("Weiterbewilligungsantrag (Größe)"), "{t}");
            }
            other => panic!("no text: {other:?}"),
        }
    }

    #[test]
    fn exif_orientation_turns_the_page_upright() {
        let png = letter_png(&["Oben links"], 30);
        let upright = decode_gray(&png);
        for orientation in 1..=8 {
            let jpeg = jpeg_with_orientation(&png, orientation);
            let mut decoder =
                image::ImageReader::with_format(Cursor::new(&jpeg), ImageFormat::Jpeg)
                    .into_decoder()
                    .unwrap();
            let seen = image::ImageDecoder::orientation(&mut decoder).unwrap();
            assert_eq!(seen.to_exif(), orientation);
            let mut img = DynamicImage::from_decoder(decoder).unwrap();
            if orientation >= 5 {
                assert_eq!(
                    (img.width(), img.height()),
                    (upright.height(), upright.width())
                );
            }
            img.apply_orientation(seen);
            let img = img.into_luma8();
            assert_eq!(img.dimensions(), upright.dimensions());
            let diff: u64 = img
                .pixels()
                .zip(upright.pixels())
                .map(|(a, b)| u64::from(a.0[0].abs_diff(b.0[0])))
                .sum();
            let mean = diff as f64 / f64::from(img.width() * img.height());
            assert!(
                mean < 4.0,
                "orientation {orientation}: mean difference {mean}"
            );
        }
    }

    #[test]
    fn made_up_documents_have_the_right_shape() {
        let bomb = image_bomb_png(50_000, 40_000);
        assert_eq!(
            image::ImageReader::with_format(Cursor::new(&bomb), ImageFormat::Png)
                .into_dimensions()
                .unwrap(),
            (50_000, 40_000)
        );
        assert!(image::load_from_memory(&corrupt_jpeg()).is_err());
        let page = letter_png(&["Seite"], 50);
        let tiff = multipage_tiff(&[page.clone(), page.clone(), page.clone()]);
        let mut decoder = tiff::decoder::Decoder::new(Cursor::new(&tiff)).unwrap();
        let mut pages = 1;
        while decoder.more_images() {
            decoder.next_image().unwrap();
            pages += 1;
        }
        assert_eq!(pages, 3);
        for (pdf, pages) in [
            (image_pdf(&[page.clone(), page.clone()]), 2),
            (text_and_image_pdf(&["Hallo"], &page), 2),
            (many_pages_pdf(7), 7),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("doc.pdf");
            std::fs::write(&path, &pdf).unwrap();
            assert_eq!(poppler::info(&path, 1).unwrap().pages, pages);
        }
    }
}
