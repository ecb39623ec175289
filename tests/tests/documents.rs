//! Upload, download, dedup, search and restart against the real binary.
#![allow(clippy::unwrap_used)]

mod common;

use akte_e2e::Server;
use akte_proto::v1 as pb;
use common::*;

#[tokio::test]
async fn round_trip_dedup_listing_and_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let a = create_case(&mut c, "12345BG0000001", "Nord").await;
    let b = create_case(&mut c, "12345bg0000002 ", "Süd").await;
    assert_eq!(b.case_number, "12345BG0000002", "numbers are normalised");
    assert_eq!(a.parties.len(), 2);

    // A scan of several MiB, in 1 MiB chunks.
    let scan = tiff(6 * 1024 * 1024 + 123, 7);
    let mut h = header(&a.case_number, "image/tiff", "C:\\scans\\brief.tif");
    h.expected_sha256 = Some(sha256_hex(&scan).to_uppercase());
    h.received_at = Some(prost_types::Timestamp {
        seconds: 1_700_000_000,
        nanos: 0,
    });
    let doc = upload(&mut c, h, &scan).await.unwrap();
    assert_eq!(doc.sha256, sha256_hex(&scan));
    assert_eq!(doc.size_bytes, scan.len() as u64);
    assert_eq!(doc.filename, "brief.tif");
    assert_eq!(doc.media_type, "image/tiff");
    assert_eq!(doc.case_id, a.case_id);
    assert_eq!(doc.site, "Nord");
    assert_eq!(doc.received_at.unwrap().seconds, 1_700_000_000);

    let (meta, bytes) = download(&mut c, &doc.document_id, None, None)
        .await
        .unwrap();
    assert_eq!(meta.document_id, doc.document_id);
    assert!(bytes == scan, "downloaded bytes differ");
    let (_, part) = download(&mut c, &doc.document_id, Some(1_000_000), Some(3_000_000))
        .await
        .unwrap();
    assert!(part == scan[1_000_000..4_000_000]);
    let (_, tail) = download(
        &mut c,
        &doc.document_id,
        Some(scan.len() as u64 - 10),
        Some(1_000),
    )
    .await
    .unwrap();
    assert_eq!(tail, &scan[scan.len() - 10..]);

    // The same bytes into another case: a second document over the same blob.
    let again = upload(&mut c, header(&b.case_number, "", "kopie.tif"), &scan)
        .await
        .unwrap();
    assert_ne!(again.document_id, doc.document_id);
    assert_eq!(again.sha256, doc.sha256);
    assert_eq!(again.media_type, "image/tiff", "detected from content");
    let blobs: Vec<_> = files_below(&server.data_dir.join("objects/blobs"));
    assert_eq!(blobs.len(), 1, "one blob for both documents: {blobs:?}");
    assert_eq!(blobs[0], blob_path(&server.data_dir, &doc.sha256));

    // Listing, newest first, with paging.
    let text = "Kurze Notiz".as_bytes();
    let mut ids = vec![doc.document_id.clone()];
    for i in 0..3 {
        let d = upload(
            &mut c,
            header(&a.case_number, "text/plain", &format!("n{i}.txt")),
            text,
        )
        .await
        .unwrap();
        ids.push(d.document_id);
    }
    ids.reverse();
    let mut listed = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .docs
            .list_case_documents(pb::ListCaseDocumentsRequest {
                reason: None,
                case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                    a.case_number.clone(),
                )),
                page_size: 3,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        listed.extend(page.documents.into_iter().map(|d| d.document_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(listed, ids);

    let got = c
        .docs
        .get_document(pb::GetDocumentRequest {
            reason: None,
            document_id: doc.document_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.sha256, doc.sha256);
    let case = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseId(a.case_id.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.document_count, 4);

    // Cases by site, paged.
    let nord = c
        .cases
        .list_cases(pb::ListCasesRequest {
            reason: None,
            site: "Nord".into(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        nord.cases
            .iter()
            .map(|c| c.case_number.as_str())
            .collect::<Vec<_>>(),
        ["12345BG0000001"]
    );
    let first = c
        .cases
        .list_cases(pb::ListCasesRequest {
            reason: None,
            site: String::new(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.cases[0].case_number, "12345BG0000001");
    let second = c
        .cases
        .list_cases(pb::ListCasesRequest {
            reason: None,
            site: String::new(),
            page_size: 1,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.cases[0].case_number, "12345BG0000002");
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn german_search_over_text_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let nord = create_case(&mut c, "12345BG0000011", "Nord").await;
    let sued = create_case(&mut c, "12345BG0000012", "Süd").await;

    let letter = "Sehr geehrte Damen und Herren,\nals Beschäftigte der Firma Müller beantrage ich \
                  die Weiterbewilligung der Leistungen.\nMit freundlichen Grüßen";
    let txt = upload(
        &mut c,
        header(&nord.case_number, "text/plain", "brief.txt"),
        letter.as_bytes(),
    )
    .await
    .unwrap();
    let latin1: Vec<u8> = b"Nachweis \xfcber Besch\xe4ftigten-Verh\xe4ltnis".to_vec();
    let lat = upload(
        &mut c,
        header(&sued.case_number, "text/plain", "alt.txt"),
        &latin1,
    )
    .await
    .unwrap();
    let pdf = akte_extract::fixtures::text_pdf(&[
        "Bescheid über den Weiterbewilligungsantrag",
        "Die Beschäftigten erhalten Leistungen nach dem SGB II.",
    ]);
    let pdfdoc = upload(
        &mut c,
        header(&sued.case_number, "application/pdf", "bescheid.pdf"),
        &pdf,
    )
    .await
    .unwrap();
    assert_eq!(pdfdoc.index_state, pb::IndexState::Pending as i32);

    // Inflected and transliterated forms meet.
    let hit = wait_found(&mut c, "Beschaeftigten", &txt.document_id).await;
    assert_eq!(hit.case_number, nord.case_number);
    assert!(hit.snippet.contains("<b>"), "{}", hit.snippet);
    wait_found(&mut c, "beschäftigte", &lat.document_id).await;
    let hit = wait_found(&mut c, "Weiterbewilligungsantrag", &pdfdoc.document_id).await;
    assert_eq!(hit.case_number, sued.case_number);
    wait_found(&mut c, "\"Firma Mueller\"", &txt.document_id).await;
    wait_found(&mut c, "Bescheid AND NOT Firma", &pdfdoc.document_id).await;

    let r = search(&mut c, "Beschäftigte").await;
    assert_eq!(r.total_hits, 3);
    let filtered = c
        .search
        .search(pb::SearchRequest {
            query: "Beschäftigte".into(),
            site: "Süd".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got: Vec<_> = filtered
        .hits
        .iter()
        .map(|h| h.document.clone().unwrap().document_id)
        .collect();
    got.sort();
    let mut want = vec![lat.document_id.clone(), pdfdoc.document_id.clone()];
    want.sort();
    assert_eq!(got, want);
    let by_case = c
        .search
        .search(pb::SearchRequest {
            query: "Beschäftigte".into(),
            case_number: nord.case_number.clone(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_case.total_hits, 1);
    // Paging.
    let p1 = c
        .search
        .search(pb::SearchRequest {
            query: "Beschäftigte".into(),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p1.hits.len(), 2);
    let p2 = c
        .search
        .search(pb::SearchRequest {
            query: "Beschäftigte".into(),
            limit: 2,
            page_token: p1.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p2.hits.len(), 1);
    assert!(p2.next_page_token.is_empty());

    // Index state is visible on the document.
    let d = c
        .docs
        .get_document(pb::GetDocumentRequest {
            reason: None,
            document_id: pdfdoc.document_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.index_state, pb::IndexState::Indexed as i32);

    // Bad queries are INVALID_ARGUMENT.
    let err = c
        .search
        .search(pb::SearchRequest {
            query: "title:".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let err = c
        .search
        .search(pb::SearchRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn images_are_stored_and_await_text_without_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), Some("[ocr]\nmode = \"off\"\n")).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000021", "Nord").await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(noise(5000, 3));
    let mut h = header(&k.case_number, "image/png", "foto.png");
    h.title = "Mietbescheinigung Foto".into();
    let doc = upload(&mut c, h, &png).await.unwrap();
    // Found by its title; marked as awaiting text.
    wait_found(&mut c, "Mietbescheinigung", &doc.document_id).await;
    let d = c
        .docs
        .get_document(pb::GetDocumentRequest {
            reason: None,
            document_id: doc.document_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.index_state, pb::IndexState::AwaitingText as i32);
}

#[tokio::test]
async fn acknowledged_documents_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000031", "Nord").await;
    let mut acked = Vec::new();
    for i in 0..5u64 {
        let text = format!("Antrag auf Erstausstattung Nummer {i} der Wohnung");
        let d = upload(
            &mut c,
            header(&k.case_number, "text/plain", "a.txt"),
            text.as_bytes(),
        )
        .await
        .unwrap();
        acked.push((d, text.into_bytes()));
    }
    let big = tiff(3 * 1024 * 1024, 9);
    let d = upload(&mut c, header(&k.case_number, "image/tiff", "b.tif"), &big)
        .await
        .unwrap();
    acked.push((d, big));
    // SIGKILL right after the last acknowledgement.
    server.kill();
    let server = server.restart().unwrap();
    let mut c = clients(&server).await;
    for (doc, bytes) in &acked {
        let (meta, back) = download(&mut c, &doc.document_id, None, None)
            .await
            .unwrap();
        assert_eq!(meta.sha256, doc.sha256);
        assert!(&back == bytes);
    }
    // The indexing queue is replayed after the crash.
    wait_found(&mut c, "Erstausstattung", &acked[4].0.document_id).await;
    let r = search(&mut c, "Erstausstattung").await;
    assert_eq!(r.total_hits, 5);
    let case = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseNumber(k.case_number)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.document_count, 6);
}
