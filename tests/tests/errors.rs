//! Every kind of bad input gets a clear status and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use akte_e2e::Server;
use akte_proto::v1 as pb;
use common::*;
use tonic::Code;

fn assert_status(r: Result<impl std::fmt::Debug, tonic::Status>, code: Code, needle: &str) {
    match r {
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), code, "{}", s.message());
            assert!(
                s.message().to_lowercase().contains(&needle.to_lowercase()),
                "message {:?} does not mention {needle:?}",
                s.message()
            );
        }
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[limits]\nmax_upload_bytes = 100000\n[media]\nallowed = [\"application/pdf\", \"text/plain\", \"image/tiff\"]\n";
    let server = Server::start(&dir.path().join("data"), Some(config)).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000041", "Nord").await;

    // Cases.
    let dup = c
        .cases
        .create_case(pb::CreateCaseRequest {
            case_number: "12345BG0000041".into(),
            site: "Süd".into(),
            ..Default::default()
        })
        .await;
    assert_status(dup, Code::AlreadyExists, "12345BG0000041");
    let bad = c
        .cases
        .create_case(pb::CreateCaseRequest {
            case_number: "12345-BG-1".into(),
            site: "Nord".into(),
            ..Default::default()
        })
        .await;
    assert_status(bad, Code::InvalidArgument, "does not match");
    let no_site = c
        .cases
        .create_case(pb::CreateCaseRequest {
            case_number: "12345BG0000049".into(),
            ..Default::default()
        })
        .await;
    assert_status(no_site, Code::InvalidArgument, "site");
    let missing = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseNumber(
                "12345BG9999999".into(),
            )),
        })
        .await;
    // Not told apart from a case the caller may not see.
    assert_status(missing, Code::PermissionDenied, "12345BG9999999");
    assert_status(
        c.cases
            .get_case(pb::GetCaseRequest {
                key: None,
                reason: None,
            })
            .await,
        Code::InvalidArgument,
        "required",
    );
    let bad_id = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseId("nope".into())),
        })
        .await;
    assert_status(bad_id, Code::InvalidArgument, "id");

    let text = b"Hallo Jobcenter".as_slice();
    let n = &k.case_number;
    // Unknown case.
    assert_status(
        upload(
            &mut c,
            header("12345BG7777777", "text/plain", "a.txt"),
            text,
        )
        .await,
        Code::PermissionDenied,
        "12345BG7777777",
    );
    // Malformed case number.
    assert_status(
        upload(&mut c, header("BG12", "text/plain", "a.txt"), text).await,
        Code::InvalidArgument,
        "case number",
    );
    // Empty upload: header only, and no message at all.
    assert_status(
        upload(&mut c, header(n, "text/plain", "a.txt"), b"").await,
        Code::InvalidArgument,
        "no content",
    );
    assert_status(
        upload_messages(&mut c, vec![]).await,
        Code::InvalidArgument,
        "header",
    );
    // Header missing / sent twice.
    assert_status(
        upload_messages(&mut c, vec![chunk_msg(text)]).await,
        Code::InvalidArgument,
        "header missing",
    );
    assert_status(
        upload_messages(
            &mut c,
            vec![
                header_msg(header(n, "text/plain", "a")),
                chunk_msg(text),
                header_msg(header(n, "text/plain", "a")),
            ],
        )
        .await,
        Code::InvalidArgument,
        "header sent twice",
    );
    assert_status(
        upload_messages(
            &mut c,
            vec![
                header_msg(header(n, "text/plain", "a")),
                pb::UploadDocumentRequest { payload: None },
            ],
        )
        .await,
        Code::InvalidArgument,
        "neither",
    );
    // Media type not allowed (PNG is allowed by default, not by this config).
    assert_status(
        upload(
            &mut c,
            header(n, "image/png", "a.png"),
            b"\x89PNG\r\n\x1a\n....",
        )
        .await,
        Code::InvalidArgument,
        "not allowed",
    );
    assert_status(
        upload(&mut c, header(n, "video/mp4", "a.mp4"), text).await,
        Code::InvalidArgument,
        "not allowed",
    );
    // A "PDF" that is not one.
    assert_status(
        upload(&mut c, header(n, "application/pdf", "fake.pdf"), text).await,
        Code::InvalidArgument,
        "does not match",
    );
    // Binary content declared as text.
    assert_status(
        upload(&mut c, header(n, "text/plain", "x.txt"), &noise(1000, 1)).await,
        Code::InvalidArgument,
        "does not match",
    );
    // Unrecognisable content without a declared type.
    assert_status(
        upload(&mut c, header(n, "", "x.bin"), &noise(1000, 2)).await,
        Code::InvalidArgument,
        "could not be recognised",
    );
    // Wrong expected hash, and one that is not a hash.
    let mut h = header(n, "text/plain", "a.txt");
    h.expected_sha256 = Some(sha256_hex(b"something else"));
    assert_status(
        upload(&mut c, h, text).await,
        Code::InvalidArgument,
        "expected_sha256",
    );
    let mut h = header(n, "text/plain", "a.txt");
    h.expected_sha256 = Some("abc".into());
    assert_status(
        upload(&mut c, h, text).await,
        Code::InvalidArgument,
        "expected_sha256",
    );
    // Over the size limit.
    assert_status(
        upload(
            &mut c,
            header(n, "image/tiff", "big.tif"),
            &tiff(200_000, 3),
        )
        .await,
        Code::ResourceExhausted,
        "limit",
    );
    // Bad timestamps.
    let mut h = header(n, "text/plain", "a.txt");
    h.received_at = Some(prost_types::Timestamp {
        seconds: i64::MAX,
        nanos: 0,
    });
    assert_status(
        upload(&mut c, h, text).await,
        Code::InvalidArgument,
        "received_at",
    );

    // Downloads of what is not there.
    assert_status(
        download(&mut c, "01ARZ3NDEKTSV4RRFFQ69G5FAV", None, None).await,
        Code::PermissionDenied,
        "does not exist",
    );
    assert_status(
        download(&mut c, "../../etc/passwd", None, None).await,
        Code::InvalidArgument,
        "document id",
    );
    assert_status(
        c.docs
            .list_case_documents(pb::ListCaseDocumentsRequest {
                reason: None,
                case_key: None,
                page_size: 0,
                page_token: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "required",
    );
    assert_status(
        c.docs
            .list_case_documents(pb::ListCaseDocumentsRequest {
                reason: None,
                case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                    n.clone(),
                )),
                page_size: 0,
                page_token: "garbage".into(),
            })
            .await,
        Code::InvalidArgument,
        "page_token",
    );

    // A search page far beyond any result window.
    let deep = c
        .search
        .search(pb::SearchRequest {
            query: "Hallo".into(),
            page_token: "100000000000".into(),
            ..Default::default()
        })
        .await;
    assert_status(deep, Code::InvalidArgument, "up to hit");
    let bad = c
        .search
        .search(pb::SearchRequest {
            query: "Hallo".into(),
            page_token: "-1".into(),
            ..Default::default()
        })
        .await;
    assert_status(bad, Code::InvalidArgument, "page_token");

    // Inbox and assignment.
    let no_place = upload(&mut c, header("", "text/plain", "x.txt"), b"Hallo").await;
    assert_status(no_place, Code::InvalidArgument, "site is required");
    let mut h = header("", "text/plain", "x.txt");
    h.site = "Nord".into();
    h.transfer_note = Some(pb::TransferNote {
        station_id: String::new(),
        ..Default::default()
    });
    assert_status(
        upload(&mut c, h, b"Hallo").await,
        Code::InvalidArgument,
        "station_id",
    );
    assert_status(
        c.docs
            .list_inbox(pb::ListInboxRequest {
                site: " ".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "site",
    );
    assert_status(
        c.docs
            .list_inbox(pb::ListInboxRequest {
                site: "Nord".into(),
                page_token: "garbage".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "page_token",
    );
    for (id, case, code, needle) in [
        ("nope", n.as_str(), Code::InvalidArgument, "document id"),
        (
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            n.as_str(),
            Code::PermissionDenied,
            "does not exist",
        ),
        (
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "12-BG",
            Code::InvalidArgument,
            "case number",
        ),
    ] {
        assert_status(
            c.docs
                .assign_document(pb::AssignDocumentRequest {
                    document_id: id.into(),
                    case_number: case.into(),
                    note: String::new(),
                })
                .await,
            code,
            needle,
        );
    }

    // Nothing changed: no document, no blob, no staging data.
    assert!(list_documents(&mut c, n).await.is_empty());
    let case = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseNumber(n.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.document_count, 0);
    assert!(files_below(&server.data_dir.join("objects/blobs")).is_empty());
    assert!(files_below(&server.data_dir.join("staging")).is_empty());

    // The server still works afterwards.
    let ok = upload(&mut c, header(n, "text/plain", "ok.txt"), text)
        .await
        .unwrap();
    assert_eq!(ok.sha256, sha256_hex(text));
}
