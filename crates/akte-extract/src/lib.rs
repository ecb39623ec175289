//! Media type detection (magic bytes) and text extraction for akte.

pub mod fixtures;
mod media;
mod text;

pub use media::{
    canonical_media_type, detect, verify_declared, MediaError, HEAD_LEN, KNOWN_MEDIA_TYPES,
};
pub use text::{extract, ExtractError, Extracted, MAX_TEXT_BYTES};
