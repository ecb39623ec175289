//! QR codes of links as PNG images (for the page) and on printable cards.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module.
const SCALE: usize = 8;
/// Modules of white around the code.
const QUIET: usize = 4;

/// `text` as a QR code (error correction M), black on white, PNG.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (row, col) = (i / modules + QUIET, i % modules + QUIET);
        for y in row * SCALE..(row + 1) * SCALE {
            pixels[y * side + col * SCALE..y * side + (col + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_back() {
        let url = "https://akte.example/s/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
        let png = png(url).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, url);
    }
}
