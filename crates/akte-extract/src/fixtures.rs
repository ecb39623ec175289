//! Small, valid documents made on the fly, for tests and benchmarks.

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
}
