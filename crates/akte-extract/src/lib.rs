//! Media type detection (magic bytes), text extraction, OCR of scanned
//! documents and QR codes on their cover sheets, for akte.

mod cover;
#[cfg(any(test, feature = "testing"))]
pub mod fixtures;
mod media;
mod ocr;
mod poppler;
mod preview;
mod text;
mod tool;

pub use cover::{
    case_number_from_code, cover_sheet_pdf, link_card_pdf, qr_png, share_card_pdf,
    COVER_SHEET_CODE_PREFIX,
};

pub use media::{
    canonical_media_type, detect, verify_declared, MediaError, HEAD_LEN, KNOWN_MEDIA_TYPES, PDF,
};
pub use ocr::{first_page_codes, ocr_available, ocr_document, OcrError, OcrOutput, OcrSettings};
pub use poppler::pdf_text_available;
pub use preview::{page_preview, PreviewError, MAX_PREVIEW_WIDTH};
pub use text::{extract, extract_file, input_for, ExtractError, Extracted, Input, MAX_TEXT_BYTES};
