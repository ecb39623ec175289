//! Scanned mail and citizens' photos end to end: real Tesseract, fixtures
//! rendered by the test (German letters at 300 dpi, image-only PDFs,
//! multi-page TIFFs, cover sheets, skewed and noisy scans, EXIF-rotated
//! phone photos) and hostile input.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use akte_e2e::Server;
use akte_extract::fixtures;
use akte_proto::v1 as pb;
use common::*;

const DPI: u32 = 300;

fn letter(lines: &[&str]) -> Vec<u8> {
    fixtures::letter_png(lines, DPI)
}

fn inbox_header(site: &str, media_type: &str, filename: &str) -> pb::DocumentHeader {
    pb::DocumentHeader {
        site: site.into(),
        source: "scan".into(),
        ..header("", media_type, filename)
    }
}

/// Waits until text recognition and indexing of a document are finished.
async fn wait_processed(c: &mut Clients, document_id: &str) -> pb::Document {
    let start = Instant::now();
    loop {
        let d = c
            .docs
            .get_document(pb::GetDocumentRequest {
                reason: None,
                document_id: document_id.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let state = pb::IndexState::try_from(d.index_state).unwrap();
        if matches!(state, pb::IndexState::Indexed | pb::IndexState::Failed) {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "document {document_id} still {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn search_in(
    c: &mut Clients,
    query: &str,
    case_number: &str,
    site: &str,
) -> pb::SearchResponse {
    c.search
        .search(pb::SearchRequest {
            query: query.into(),
            case_number: case_number.into(),
            site: site.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

async fn inbox(c: &mut Clients, site: &str) -> Vec<pb::Document> {
    c.docs
        .list_inbox(pb::ListInboxRequest {
            site: site.into(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .documents
}

#[tokio::test]
async fn scanned_letters_are_recognised_routed_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let a = create_case(&mut c, "12345BG0000101", "Nord").await;
    let b = create_case(&mut c, "12345BG0000102", "Nord").await;

    // A letter naming case a in its text, as a PNG scan.
    let png = letter(&[
        "Jobcenter Nord, Postfach 12 34",
        "Aktenzeichen: 12345BG0000101",
        "Weiterbewilligungsantrag",
        "Sehr geehrte Damen und Herren,",
        "anbei sende ich Ihnen die Kontoauszuege.",
        "Mit freundlichen Gruessen",
    ]);
    // Two pages, image only: the number of case b on page 1, a rare word on page 2.
    let pdf = fixtures::image_pdf(&[
        letter(&["Betreff: Mietbescheinigung", "BG-Nummer 12345 BG 0000102"]),
        letter(&["Anlage", "Nebenkostenabrechnung des Vermieters"]),
    ]);
    // A cover sheet for case a in front of a letter without a number (TIFF).
    let tiff = fixtures::multipage_tiff(&[
        fixtures::cover_sheet_png(&a.case_number, DPI),
        letter(&[
            "Sehr geehrte Frau Mustermann,",
            "Arbeitsbescheinigung des Arbeitgebers",
        ]),
    ]);
    // Skewed and noisy, naming case b.
    let skewed = fixtures::skewed_noisy_png(
        &letter(&[
            "Aktenzeichen 12345BG0000102",
            "Widerspruch gegen den Bescheid",
        ]),
        2.0,
        0.005,
        7,
    );
    // No number at all; and two numbers.
    let anonymous = letter(&[
        "Sehr geehrte Damen und Herren,",
        "Bewerbungsunterlagen anbei",
    ]);
    let ambiguous = letter(&["12345BG0000101 und 12345BG0000102", "Umzugskosten"]);

    let mut uploaded = Vec::new();
    for (media, name, bytes) in [
        ("image/png", "brief.png", &png),
        ("application/pdf", "miete.pdf", &pdf),
        ("image/tiff", "deckblatt.tif", &tiff),
        ("image/png", "schief.png", &skewed),
        ("image/png", "ohne.png", &anonymous),
        ("image/png", "zwei.png", &ambiguous),
    ] {
        let doc = upload(&mut c, inbox_header("Nord", media, name), bytes)
            .await
            .unwrap();
        // Acknowledged without waiting for recognition.
        assert!(doc.case_number.is_empty());
        assert_eq!(doc.index_state, pb::IndexState::Pending as i32);
        uploaded.push(doc);
    }
    // A citizen's phone photo, rotated by EXIF, into a named case.
    let photo =
        fixtures::jpeg_with_orientation(&letter(&["Lohnabrechnung Oktober", "Bruttoverdienst"]), 6);
    let mut h = header(&b.case_number, "image/jpeg", "foto.jpg");
    h.source = "citizen_app".into();
    let photo_doc = upload(&mut c, h, &photo).await.unwrap();

    let mut done = Vec::new();
    for d in &uploaded {
        done.push(wait_processed(&mut c, &d.document_id).await);
    }
    let photo_doc = wait_processed(&mut c, &photo_doc.document_id).await;
    for d in done.iter().chain([&photo_doc]) {
        assert_eq!(d.index_state, pb::IndexState::Indexed as i32, "{d:?}");
        assert!(d.page_count >= 1);
    }
    let by = |d: &pb::Document| pb::AssignedBy::try_from(d.assigned_by).unwrap();
    assert_eq!(done[0].case_number, a.case_number, "{:?}", done[0]);
    assert_eq!(by(&done[0]), pb::AssignedBy::Text);
    assert_eq!(done[1].case_number, b.case_number, "{:?}", done[1]);
    assert_eq!(done[1].page_count, 2);
    assert_eq!(done[2].case_number, a.case_number, "{:?}", done[2]);
    assert_eq!(by(&done[2]), pb::AssignedBy::Code);
    assert_eq!(done[3].case_number, b.case_number, "{:?}", done[3]);
    assert_eq!(by(&done[3]), pb::AssignedBy::Text);
    for d in &done[4..] {
        assert!(d.case_number.is_empty(), "{d:?}");
        assert_eq!(by(d), pb::AssignedBy::Unspecified);
    }
    assert!(
        done[4].routing_note.contains("no case number"),
        "{:?}",
        done[4]
    );
    assert!(done[5].routing_note.contains("several"), "{:?}", done[5]);
    let waiting: Vec<String> = inbox(&mut c, "Nord")
        .await
        .into_iter()
        .map(|d| d.document_id)
        .collect();
    assert_eq!(
        waiting,
        [done[4].document_id.clone(), done[5].document_id.clone()]
    );
    assert_eq!(by(&photo_doc), pb::AssignedBy::Upload);

    // The recognised words are found, in the right case, on the right page.
    // Routed documents are indexed again under their case: wait for that.
    for (query, doc, case) in [
        ("Weiterbewilligungsantrag", &done[0], &a.case_number),
        ("Nebenkostenabrechnung", &done[1], &b.case_number),
        ("Arbeitsbescheinigung", &done[2], &a.case_number),
        ("Widerspruch", &done[3], &b.case_number),
        ("Lohnabrechnung", &photo_doc, &b.case_number),
    ] {
        let start = Instant::now();
        loop {
            let r = search_in(&mut c, query, case, "").await;
            if r.hits
                .iter()
                .any(|h| h.document.as_ref().unwrap().document_id == doc.document_id)
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{query} not found in {case}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let r = search_in(&mut c, "Nebenkostenabrechnung", "", "").await;
    assert_eq!(r.hits[0].pages, [2]);
    // Inbox documents are found by site.
    let r = search_in(&mut c, "Bewerbungsunterlagen", "", "Nord").await;
    assert_eq!(r.total_hits, 1);

    // A person files the ambiguous letter; it leaves the inbox.
    let filed = c
        .docs
        .assign_document(pb::AssignDocumentRequest {
            document_id: done[5].document_id.clone(),
            case_number: b.case_number.clone(),
            note: "Umzug betrifft BG 102".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by(&filed), pb::AssignedBy::Manual);
    assert_eq!(filed.history.len(), 1);
    assert_eq!(inbox(&mut c, "Nord").await.len(), 1);
    wait_found(&mut c, "Umzugskosten", &filed.document_id).await;
}

#[tokio::test]
async fn hostile_images_fail_with_a_reason_and_the_worker_survives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        Some("[ocr]\nmax_pages = 50\npage_timeout_secs = 60\n"),
    )
    .unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000111", "Nord").await;
    let n = &k.case_number;
    let cases = [
        (
            "image/jpeg",
            "kaputt.jpg",
            fixtures::corrupt_jpeg(),
            "image",
        ),
        (
            "image/png",
            "bombe.png",
            fixtures::image_bomb_png(60_000, 60_000),
            "pixel",
        ),
        (
            "application/pdf",
            "akte.pdf",
            fixtures::many_pages_pdf(500),
            "500 pages",
        ),
    ];
    let mut docs = Vec::new();
    for (media, name, bytes, _) in &cases {
        docs.push(upload(&mut c, header(n, media, name), bytes).await.unwrap());
    }
    for (doc, (_, name, _, reason)) in docs.iter().zip(&cases) {
        let d = wait_processed(&mut c, &doc.document_id).await;
        assert_eq!(
            d.index_state,
            pb::IndexState::Failed as i32,
            "{name}: {d:?}"
        );
        assert!(
            d.index_error.to_lowercase().contains(reason),
            "{name}: {}",
            d.index_error
        );
        // Stored and retrievable all the same.
        let (_, bytes) = download(&mut c, &d.document_id, None, None).await.unwrap();
        assert_eq!(sha256_hex(&bytes), d.sha256);
    }
    // The worker is still there.
    let ok = upload(
        &mut c,
        header(n, "image/png", "gut.png"),
        &letter(&["Eingliederungsvereinbarung"]),
    )
    .await
    .unwrap();
    let d = wait_processed(&mut c, &ok.document_id).await;
    assert_eq!(d.index_state, pb::IndexState::Indexed as i32, "{d:?}");
    wait_found(&mut c, "Eingliederungsvereinbarung", &ok.document_id).await;
}
