//! Damaged blobs are reported as DATA_LOSS; cancelled uploads leave nothing.
#![allow(clippy::unwrap_used)]

mod common;

use akte_e2e::Server;
use akte_proto::v1 as pb;
use common::*;
use tonic::Code;

#[tokio::test]
async fn altered_blob_fails_with_data_loss() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000051", "Nord").await;
    let small = b"Bescheid vom 1. Januar".to_vec();
    let big = tiff(2 * 1024 * 1024, 5);
    let s = upload(
        &mut c,
        header(&k.case_number, "text/plain", "s.txt"),
        &small,
    )
    .await
    .unwrap();
    let b = upload(&mut c, header(&k.case_number, "image/tiff", "b.tif"), &big)
        .await
        .unwrap();

    // Flip one byte of each on disk, keeping the size.
    for (doc, data) in [(&s, &small), (&b, &big)] {
        let path = blob_path(&server.data_dir, &doc.sha256);
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(&bytes == data);
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let err = download(&mut c, &doc.document_id, None, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::DataLoss, "{}", err.message());
        // A range read checks the whole blob too.
        let err = download(&mut c, &doc.document_id, Some(0), Some(5))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::DataLoss);
    }
    // A truncated blob, and a missing one.
    std::fs::write(blob_path(&server.data_dir, &s.sha256), b"short").unwrap();
    assert_eq!(
        download(&mut c, &s.document_id, None, None)
            .await
            .unwrap_err()
            .code(),
        Code::DataLoss
    );
    std::fs::remove_file(blob_path(&server.data_dir, &s.sha256)).unwrap();
    assert_eq!(
        download(&mut c, &s.document_id, None, None)
            .await
            .unwrap_err()
            .code(),
        Code::DataLoss
    );

    // Uploading the same content again repairs the stored blob.
    upload(
        &mut c,
        header(&k.case_number, "text/plain", "s2.txt"),
        &small,
    )
    .await
    .unwrap();
    let (_, back) = download(&mut c, &s.document_id, None, None).await.unwrap();
    assert_eq!(back, small);
}

#[tokio::test]
async fn cancelled_upload_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000061", "Nord").await;
    let staging = server.data_dir.join("staging");
    // 12 MiB: beyond the in-memory limit, so a staging file exists.
    let data = tiff(12 * 1024 * 1024, 11);

    // The client cancels the call while its request stream is still open:
    // the server sees the stream reset, not its end.
    let (tx, call) = start_unfinished_upload(
        &c,
        &staging,
        header(&k.case_number, "image/tiff", "halb.tif"),
        &data,
    )
    .await;
    call.abort();
    wait_until("the staging file is removed", || {
        files_below(&staging).is_empty()
    })
    .await;
    assert!(list_documents(&mut c, &k.case_number).await.is_empty());
    assert!(files_below(&server.data_dir.join("objects/blobs")).is_empty());
    drop(tx);

    // Killed in the middle of an upload: nothing visible after the restart,
    // and the staging area is empty.
    let (_tx, _call) = start_unfinished_upload(
        &c,
        &staging,
        header(&k.case_number, "image/tiff", "halb.tif"),
        &data[..10 << 20],
    )
    .await;
    let server = server.restart().unwrap();
    assert!(files_below(&server.data_dir.join("staging")).is_empty());
    let mut c = clients(&server).await;
    assert!(list_documents(&mut c, &k.case_number).await.is_empty());
    let case = c
        .cases
        .get_case(pb::GetCaseRequest {
            reason: None,
            key: Some(pb::get_case_request::Key::CaseNumber(k.case_number.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.document_count, 0);
}
