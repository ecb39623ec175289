//! The cover sheet ("Deckblatt") put in front of a letter before scanning:
//! its QR code tells which case file the scan belongs to.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};

/// A cover sheet's QR code holds this prefix followed by the case number.
pub const COVER_SHEET_CODE_PREFIX: &str = "AKTE:";

/// A4 in points.
pub(crate) const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
/// Side of the QR code: 50 mm.
const QR_SIDE: f32 = 50.0 / 25.4 * 72.0;
const INSTRUCTION: &str = "Bitte dieses Blatt vor das Schreiben legen und mit scannen.";

/// An A4 PDF cover sheet to put in front of a scanned letter: the case
/// number in large type, `title` and `site` lines, a short instruction, and
/// a 50 mm QR code (error correction Q) holding [`COVER_SHEET_CODE_PREFIX`]
/// and the case number. All text is real PDF text (Helvetica, WinAnsi), so
/// text extraction finds the case number too.
pub fn cover_sheet_pdf(case_number: &str, title: &str, site: &str) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let regular_id = Ref::new(5);
    let bold_id = Ref::new(6);
    let info_id = Ref::new(7);
    let regular = Name(b"F1");
    let bold = Name(b"F2");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
    page.parent(pages_id);
    page.contents(content_id);
    page.resources()
        .fonts()
        .pair(regular, regular_id)
        .pair(bold, bold_id);
    page.finish();
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(TextStr(&format!("Deckblatt {case_number}")))
        .producer(TextStr("akte"));

    let width = A4.0 - 2.0 * MARGIN;
    // Helvetica is about half an em wide per character on average.
    let chars = |size: f32| width / (size * 0.55);
    let mut content = Content::new();
    text_line(&mut content, bold, 28.0, 760.0, "Deckblatt");
    text_line(&mut content, regular, 12.0, 722.0, "Aktenzeichen");
    // The number in full: smaller type when it is long.
    let number_size = (width / (0.62 * case_number.chars().count().max(1) as f32)).min(36.0);
    text_line(&mut content, bold, number_size, 684.0, case_number);
    text_line(&mut content, regular, 14.0, 646.0, &fit(title, chars(14.0)));
    text_line(&mut content, regular, 12.0, 626.0, &fit(site, chars(12.0)));
    text_line(&mut content, regular, 12.0, 330.0, INSTRUCTION);
    text_line(
        &mut content,
        regular,
        10.0,
        310.0,
        "Das Schreiben wird anhand des QR-Codes der Akte zugeordnet.",
    );

    let code = QrCode::with_error_correction_level(
        format!("{COVER_SHEET_CODE_PREFIX}{case_number}").as_bytes(),
        EcLevel::Q,
    );
    match code {
        Ok(code) => draw_qr(&mut content, &code, (A4.0 - QR_SIDE) / 2.0, 580.0, QR_SIDE),
        Err(e) => tracing::warn!("no QR code on the cover sheet for {case_number:?}: {e}"),
    }

    let stream = content.finish();
    pdf.stream(content_id, stream.as_slice());
    pdf.finish()
}

/// Pixels per module of a QR code image.
const QR_SCALE: usize = 8;
/// Modules of white around a QR code image.
const QR_QUIET: usize = 4;

/// `text` as a QR code image (error correction M), black on white, PNG.
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (row, col) = (i / modules + QR_QUIET, i % modules + QR_QUIET);
        for y in row * QR_SCALE..(row + 1) * QR_SCALE {
            pixels[y * side + col * QR_SCALE..y * side + (col + 1) * QR_SCALE].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The printable card of a share link (`status`: of a status link):
/// heading, recipient, expiry and a hint in German, the QR code and the URL.
pub fn share_card_pdf(url: &str, recipient: &str, expires: &str, status: bool) -> Vec<u8> {
    let recipient = format!("Für: {recipient}");
    let expires = format!("Gültig bis {expires}");
    let (heading, hint) = if status {
        (
            "Bearbeitungsstand Ihres Anliegens",
            "Scannen Sie den Code, um den Stand Ihres Anliegens zu sehen.",
        )
    } else {
        (
            "Bewerbungsunterlagen",
            "Scannen Sie den Code, um die freigegebenen Unterlagen zu öffnen.",
        )
    };
    link_card_pdf(heading, &[&recipient, &expires, hint], url)
}

/// A5 in points.
const A5: (f32, f32) = (420.0, 595.0);

/// A printable A5 card for a link: `heading`, `lines` of text, a 60 mm QR
/// code (error correction M) holding `url`, and `url` itself in small type
/// (broken into lines), for handing to a person who opens it on a phone.
pub fn link_card_pdf(heading: &str, lines: &[&str], url: &str) -> Vec<u8> {
    let (catalog_id, pages_id, page_id, content_id) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let (regular_id, bold_id, info_id) = (Ref::new(5), Ref::new(6), Ref::new(7));
    let (regular, bold) = (Name(b"F1"), Name(b"F2"));
    let margin = 36.0;
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, A5.0, A5.1));
    page.parent(pages_id);
    page.contents(content_id);
    page.resources()
        .fonts()
        .pair(regular, regular_id)
        .pair(bold, bold_id);
    page.finish();
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(TextStr(heading))
        .producer(TextStr("akte"));
    let width = A5.0 - 2.0 * margin;
    let chars = |size: f32| width / (size * 0.55);
    let mut content = Content::new();
    text_at(
        &mut content,
        bold,
        18.0,
        margin,
        540.0,
        &fit(heading, chars(18.0)),
    );
    let mut y = 512.0;
    for line in lines {
        text_at(
            &mut content,
            regular,
            11.0,
            margin,
            y,
            &fit(line, chars(11.0)),
        );
        y -= 16.0;
    }
    let side = 60.0 / 25.4 * 72.0;
    match QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) {
        Ok(code) => draw_qr(&mut content, &code, (A5.0 - side) / 2.0, y - 12.0, side),
        Err(e) => tracing::warn!("no QR code on the card: {e}"),
    }
    y -= side + 36.0;
    let per_line = (width / (8.0 * 0.6)) as usize;
    let url_chars: Vec<char> = url.chars().collect();
    for part in url_chars.chunks(per_line.max(1)) {
        let part: String = part.iter().collect();
        text_at(&mut content, regular, 8.0, margin, y, &part);
        y -= 11.0;
    }
    let stream = content.finish();
    pdf.stream(content_id, stream.as_slice());
    pdf.finish()
}

/// Case number from a decoded QR code content, if it carries
/// [`COVER_SHEET_CODE_PREFIX`] (trimmed, upper-cased); else `None`.
pub fn case_number_from_code(code: &str) -> Option<String> {
    let code = code.trim();
    let prefix = code.get(..COVER_SHEET_CODE_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(COVER_SHEET_CODE_PREFIX) {
        return None;
    }
    let number = code[COVER_SHEET_CODE_PREFIX.len()..].trim().to_uppercase();
    (!number.is_empty()).then_some(number)
}

/// Draws `code` as black squares, `side` wide, its top left corner at
/// (`left`, `top`). The page around it is white (the quiet zone).
fn draw_qr(content: &mut Content, code: &QrCode, left: f32, top: f32, side: f32) {
    let modules = code.width();
    let module = side / modules as f32;
    let colors = code.to_colors();
    content.save_state();
    content.set_fill_gray(0.0);
    for (row, line) in colors.chunks(modules).enumerate() {
        let y = top - (row + 1) as f32 * module;
        // One rectangle per run of dark modules; a hair wider so that
        // neighbours do not show seams.
        let mut col = 0;
        while col < modules {
            if line[col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < modules && line[col] == Color::Dark {
                col += 1;
            }
            content.rect(
                left + start as f32 * module,
                y,
                (col - start) as f32 * module,
                module + 0.05,
            );
        }
    }
    content.fill_nonzero();
    content.restore_state();
}

fn text_line(content: &mut Content, font: Name, size: f32, y: f32, line: &str) {
    text_at(content, font, size, MARGIN, y, line);
}

fn text_at(content: &mut Content, font: Name, size: f32, x: f32, y: f32, line: &str) {
    content.begin_text();
    content.set_font(font, size);
    content.next_line(x, y);
    content.show(Str(&win_ansi(line)));
    content.end_text();
}

/// `line` cut to at most `max` characters (with an ellipsis).
fn fit(line: &str, max: f32) -> String {
    let max = max.max(1.0) as usize;
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` in Windows-1252 (what WinAnsiEncoding is), `?` for characters it
/// does not have.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if unmappable || c.is_control() {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_number_only_from_our_codes() {
        assert_eq!(
            case_number_from_code("AKTE:12345BG0012345").as_deref(),
            Some("12345BG0012345")
        );
        assert_eq!(
            case_number_from_code(" akte: 12345bg0012345 \n").as_deref(),
            Some("12345BG0012345")
        );
        assert_eq!(case_number_from_code("AKTE:"), None);
        assert_eq!(case_number_from_code("https://example.org"), None);
        assert_eq!(case_number_from_code("ÄKTE:1"), None);
        assert_eq!(case_number_from_code(""), None);
    }

    #[test]
    fn win_ansi_keeps_umlauts_and_replaces_the_rest() {
        assert_eq!(win_ansi("Grüße €"), b"Gr\xfc\xdfe \x80");
        assert_eq!(win_ansi("a\u{4e2d}\n"), b"a??");
    }

    #[test]
    fn cover_sheet_text_is_extractable() {
        let pdf = cover_sheet_pdf(
            "12345BG0012345",
            "Weiterbewilligung Müller",
            "Jobcenter Köln",
        );
        assert_eq!(crate::detect(&pdf), Some(crate::media::PDF));
        match crate::extract(crate::media::PDF, &pdf, &std::env::temp_dir()).unwrap() {
            crate::Extracted::Text(t) => {
                assert!(t.contains("12345BG0012345"), "{t}");
                assert!(t.contains("Weiterbewilligung Müller"), "{t}");
                assert!(t.contains("Jobcenter Köln"), "{t}");
                assert!(t.contains(INSTRUCTION), "{t}");
            }
            other => panic!("no text: {other:?}"),
        }
    }

    #[test]
    fn qr_png_decodes_back() {
        let url = "https://akte.example/s/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
        let png = qr_png(url).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
    }

    #[test]
    fn link_card_carries_its_link_as_code_and_text() {
        let url = "https://akte.example/s/0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
        let pdf = link_card_pdf(
            "Bewerbungsunterlagen",
            &["Für: Bäckerei Schmidt", "Gültig bis 17.12.2026"],
            url,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let codes = crate::first_page_codes(
            crate::media::PDF,
            &path,
            &crate::OcrSettings::default(),
            dir.path(),
        )
        .unwrap();
        assert_eq!(codes, vec![url.to_owned()]);
        match crate::extract(crate::media::PDF, &pdf, dir.path()).unwrap() {
            crate::Extracted::Text(t) => {
                assert!(t.contains("Bäckerei Schmidt"), "{t}");
                assert!(t.contains("https://akte.example/s/"), "{t}");
            }
            other => panic!("no text: {other:?}"),
        }
    }
}
