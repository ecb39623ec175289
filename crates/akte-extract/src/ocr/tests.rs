//! OCR of made-up documents with the real tesseract and poppler-utils.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use image::{GrayImage, ImageFormat};

use super::pdf::pixels;
use super::{first_page_codes, ocr_available, ocr_document, OcrError, OcrOutput, OcrSettings};
use crate::fixtures::{
    corrupt_jpeg, cover_sheet_png, image_bomb_png, image_pdf, jpeg_with_orientation, letter_png,
    many_pages_pdf, multipage_tiff, skewed_noisy_png, text_and_image_pdf, text_pdf,
};
use crate::media::{JPEG, PDF, PNG, TIFF};
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
fn pdf_page_pixels_at_a_resolution() {
    assert_eq!(pixels(841.89, 300), 3508);
    assert_eq!(pixels(-595.0, 72), 595);
}
