//! The server on an S3-compatible store (moto on 127.0.0.1), configured by
//! file with options and a secret read from a file.
#![allow(clippy::unwrap_used)]

mod common;

use akte_blob::testing::Moto;
use akte_e2e::Server;
use common::*;
use tonic::Code;

#[tokio::test]
async fn documents_on_s3() {
    let moto = Moto::start();
    moto.create_bucket("akte-e2e");
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("s3-secret");
    std::fs::write(&secret, "testing\n").unwrap();
    let options = moto.options();
    let config = format!(
        "[storage]\nurl = \"s3://akte-e2e/site-nord\"\n[storage.options]\nendpoint = \"{}\"\nregion = \"us-east-1\"\n\
         access_key_id = \"testing\"\nallow_http = \"true\"\nvirtual_hosted_style_request = \"false\"\n\
         [storage.option_files]\nsecret_access_key = \"{}\"\n",
        options["endpoint"],
        secret.display()
    );
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    let mut c = clients(&server).await;
    let a = create_case(&mut c, "12345BG0000081", "Nord").await;
    let b = create_case(&mut c, "12345BG0000082", "Nord").await;

    let text = "Lohnabrechnung der Beschäftigten für März".as_bytes();
    let small = upload(
        &mut c,
        header(&a.case_number, "text/plain", "lohn.txt"),
        text,
    )
    .await
    .unwrap();
    // Larger than the in-memory limit: staged, then a multipart upload.
    let scan = tiff(11 * 1024 * 1024, 21);
    let big = upload(
        &mut c,
        header(&a.case_number, "image/tiff", "scan.tif"),
        &scan,
    )
    .await
    .unwrap();
    let dup = upload(
        &mut c,
        header(&b.case_number, "image/tiff", "kopie.tif"),
        &scan,
    )
    .await
    .unwrap();
    assert_eq!(dup.sha256, big.sha256);
    assert!(
        files_below(&server.data_dir.join("objects")).is_empty(),
        "nothing stored locally"
    );

    let server = server.restart().unwrap();
    let mut c = clients(&server).await;
    for (doc, bytes) in [(&small, text), (&big, &scan[..]), (&dup, &scan[..])] {
        let (_, back) = download(&mut c, &doc.document_id, None, None)
            .await
            .unwrap();
        assert!(back == bytes);
    }
    wait_found(&mut c, "Beschaeftigte", &small.document_id).await;

    // Damaged in the bucket: DATA_LOSS.
    let key = format!(
        "site-nord/blobs/sha256/{}/{}",
        &small.sha256[..2],
        small.sha256
    );
    let damaged = "Lohnabrechnung der Beschäftigten für Mai!"
        .as_bytes()
        .to_vec();
    moto.put_object("akte-e2e", &key, damaged).await;
    let err = download(&mut c, &small.document_id, None, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::DataLoss);
}
