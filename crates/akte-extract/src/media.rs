//! Which media type content really has, judged by its first bytes.

/// How many leading bytes detection looks at.
pub const HEAD_LEN: usize = 64 * 1024;

pub const PDF: &str = "application/pdf";
pub const TIFF: &str = "image/tiff";
pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const TEXT: &str = "text/plain";
pub const EMAIL: &str = "message/rfc822";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const ODT: &str = "application/vnd.oasis.opendocument.text";

/// Every media type this crate can recognise.
pub const KNOWN_MEDIA_TYPES: [&str; 8] = [PDF, TIFF, PNG, JPEG, TEXT, EMAIL, DOCX, ODT];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("media type {declared:?} is not allowed here; allowed are: {}", allowed.join(", "))]
    NotAllowed {
        declared: String,
        allowed: Vec<String>,
    },
    #[error("content does not match the declared media type {declared}: it looks like {}", detected.as_deref().unwrap_or("none of the allowed types"))]
    Mismatch {
        declared: String,
        detected: Option<String>,
    },
    #[error("the media type of the content could not be recognised; declare one of: {}", allowed.join(", "))]
    Unknown { allowed: Vec<String> },
}

/// Lower-cases, drops parameters (`; charset=...`) and maps common aliases.
pub fn canonical_media_type(declared: &str) -> String {
    let base = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "image/jpg" | "image/pjpeg" => JPEG.into(),
        "image/tif" | "image/x-tiff" => TIFF.into(),
        "application/x-pdf" => PDF.into(),
        "message/eml" | "application/eml" => EMAIL.into(),
        _ => base,
    }
}

/// The media type that `head` (the first bytes of the content) has, if it is
/// one of [`KNOWN_MEDIA_TYPES`].
pub fn detect(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(JPEG);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(TIFF);
    }
    // PDF readers accept the header anywhere in the first kilobyte.
    if head[..head.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Some(PDF);
    }
    if head.starts_with(b"PK\x03\x04") {
        return match infer::get(head).map(|t| t.mime_type()) {
            Some(m) if m == DOCX => Some(DOCX),
            Some(m) if m == ODT => Some(ODT),
            _ => None,
        };
    }
    if !looks_like_text(head) {
        return None;
    }
    if looks_like_email(head) {
        Some(EMAIL)
    } else {
        Some(TEXT)
    }
}

/// Text: no NUL and no control characters but white space, and either UTF-8
/// (a sequence cut off at the end of `head` is fine) or single-byte Latin-1.
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let controls_ok = head
        .iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A));
    if !controls_ok {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // Incomplete UTF-8 at the very end: cut off by the head window.
        Err(e) if e.error_len().is_none() => true,
        // Otherwise Latin-1 / Windows-1252: every byte is a character; accept
        // unless DEL or C1 controls dominate.
        Err(_) => head.iter().filter(|&&b| b == 0x7F).count() * 100 < head.len(),
    }
}

fn looks_like_email(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let mut headers = 0;
    let mut known = 0;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // folded header line
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        headers += 1;
        if matches!(
            name.to_ascii_lowercase().as_str(),
            "from"
                | "to"
                | "subject"
                | "date"
                | "received"
                | "message-id"
                | "mime-version"
                | "return-path"
        ) {
            known += 1;
        }
    }
    headers >= 2 && known >= 2
}

/// Checks a declared media type against the allow-list and the content, and
/// returns the canonical type to store. An empty declaration takes the
/// detected type. Plain text declared for an e-mail is accepted (every e-mail
/// is text).
pub fn verify_declared(
    declared: &str,
    head: &[u8],
    allowed: &[String],
) -> Result<String, MediaError> {
    let detected = detect(head);
    let media_type = if declared.trim().is_empty() {
        match detected {
            Some(d) => d.to_owned(),
            None => {
                return Err(MediaError::Unknown {
                    allowed: allowed.to_vec(),
                })
            }
        }
    } else {
        canonical_media_type(declared)
    };
    if !allowed.iter().any(|a| a == &media_type) {
        return Err(MediaError::NotAllowed {
            declared: media_type,
            allowed: allowed.to_vec(),
        });
    }
    let matches = match detected {
        Some(d) => d == media_type || (media_type == TEXT && d == EMAIL),
        None => false,
    };
    if !matches {
        return Err(MediaError::Mismatch {
            declared: media_type,
            detected: detected.map(str::to_owned),
        });
    }
    Ok(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<String> {
        KNOWN_MEDIA_TYPES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_magic_bytes() {
        assert_eq!(detect(b"%PDF-1.7\n..."), Some(PDF));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0"), Some(PNG));
        assert_eq!(detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(JPEG));
        assert_eq!(detect(b"II*\0\x08\0\0\0"), Some(TIFF));
        assert_eq!(detect(b"MM\0*\0\0\0\x08"), Some(TIFF));
        assert_eq!(
            detect("Sehr geehrte Damen und Herren, Grüße".as_bytes()),
            Some(TEXT)
        );
        assert_eq!(detect(b"Gr\xfc\xdfe aus K\xf6ln"), Some(TEXT));
        assert_eq!(
            detect(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Antrag\r\n\r\nText"),
            Some(EMAIL)
        );
        assert_eq!(detect(b"\0\x01\x02binary"), None);
        assert_eq!(detect(b""), None);
    }

    fn zip_with_first_entry(name: &[u8], content: &[u8]) -> Vec<u8> {
        // Local file header: signature, 26 bytes of fields, then the name.
        let mut v = b"PK\x03\x04".to_vec();
        v.extend_from_slice(&[0u8; 22]);
        v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        v.extend_from_slice(&[0u8; 2]);
        v.extend_from_slice(name);
        v.extend_from_slice(content);
        v
    }

    #[test]
    fn detects_office_documents() {
        let odt = zip_with_first_entry(b"mimetype", ODT.as_bytes());
        assert_eq!(detect(&odt), Some(ODT));
        let docx = zip_with_first_entry(b"word/document.xml", b"<w:document/>");
        assert_eq!(detect(&docx), Some(DOCX));
        let other_zip = zip_with_first_entry(b"data.csv", b"a,b");
        assert_eq!(detect(&other_zip), None);
        let allowed: Vec<String> = KNOWN_MEDIA_TYPES.iter().map(|s| s.to_string()).collect();
        assert!(matches!(
            verify_declared(ODT, &docx, &allowed),
            Err(MediaError::Mismatch { .. })
        ));
        assert_eq!(verify_declared(DOCX, &docx, &allowed).unwrap(), DOCX);
    }

    #[test]
    fn declared_types_are_checked() {
        let allowed = all();
        assert_eq!(
            verify_declared("application/pdf", b"%PDF-1.4", &allowed).unwrap(),
            PDF
        );
        assert_eq!(
            verify_declared("image/JPG", &[0xFF, 0xD8, 0xFF, 0xDB], &allowed).unwrap(),
            JPEG
        );
        assert_eq!(
            verify_declared("text/plain; charset=utf-8", b"Hallo", &allowed).unwrap(),
            TEXT
        );
        assert_eq!(verify_declared("", b"%PDF-1.4", &allowed).unwrap(), PDF);
        assert!(matches!(
            verify_declared("application/pdf", b"Hallo Welt", &allowed),
            Err(MediaError::Mismatch { detected: Some(d), .. }) if d == TEXT
        ));
        assert!(matches!(
            verify_declared("application/x-msdownload", b"MZ\x90\0", &allowed),
            Err(MediaError::NotAllowed { .. })
        ));
        assert!(matches!(
            verify_declared("", b"\0\0\0", &allowed),
            Err(MediaError::Unknown { .. })
        ));
        let only_pdf = vec![PDF.to_string()];
        assert!(matches!(
            verify_declared("", b"Hallo", &only_pdf),
            Err(MediaError::NotAllowed { .. })
        ));
    }
}
