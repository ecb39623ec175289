#[test]
fn dump() {
    let letter: &[&str] = &[
        "Jobcenter Musterstadt",
        "Bescheid über Ihren Weiterbewilligungsantrag",
        "Sehr geehrte Frau Müller,",
        "Ihr Weiterbewilligungsantrag vom 12. März 2024 ist bei uns eingegangen.",
        "Der neue Bewilligungszeitraum beginnt am 1. April 2024.",
        "Bitte reichen Sie die fehlenden Kontoauszüge bis zum 30. April ein.",
        "Mit freundlichen Grüßen",
        "Ihr Jobcenter",
    ];
    let png = akte_extract::fixtures::letter_png(letter, 300);
    std::fs::write("/tmp/letter.png", &png).unwrap();
    std::fs::write(
        "/tmp/noisy.png",
        akte_extract::fixtures::skewed_noisy_png(&png, 2.0, 0.01, 7),
    )
    .unwrap();
    std::fs::write(
        "/tmp/cover.png",
        akte_extract::fixtures::cover_sheet_png("12345BG0012345", 300),
    )
    .unwrap();
    std::fs::write(
        "/tmp/cover.pdf",
        akte_extract::cover_sheet_pdf(
            "12345BG0012345",
            "Weiterbewilligung Müller",
            "Jobcenter Köln",
        ),
    )
    .unwrap();
    std::fs::write(
        "/tmp/rot.jpg",
        akte_extract::fixtures::jpeg_with_orientation(&png, 6),
    )
    .unwrap();
}

#[test]
fn timing() {
    let s = akte_extract::OcrSettings::default();
    let w = tempfile::tempdir().unwrap();
    for f in ["/tmp/letter.png", "/tmp/cover.png", "/tmp/noisy.png"] {
        let t = std::time::Instant::now();
        let c = akte_extract::first_page_codes("image/png", std::path::Path::new(f), &s, w.path()).unwrap();
        eprintln!("{f}: {c:?} {:?}", t.elapsed());
    }
    let t = std::time::Instant::now();
    let c = akte_extract::first_page_codes("application/pdf", std::path::Path::new("/tmp/cover.pdf"), &s, w.path()).unwrap();
    eprintln!("pdf: {c:?} {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let png = akte_extract::fixtures::letter_png(&["Hallo"], 300);
    eprintln!("render: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _ = akte_extract::fixtures::skewed_noisy_png(&png, 2.0, 0.01, 1);
    eprintln!("skew: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _ = akte_extract::fixtures::image_pdf(&[png.clone()]);
    eprintln!("image_pdf: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _ = akte_extract::fixtures::multipage_tiff(&[png.clone()]);
    eprintln!("tiff: {:?}", t.elapsed());
}
