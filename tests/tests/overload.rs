//! Overload: beyond capacity the server refuses uploads with
//! RESOURCE_EXHAUSTED instead of queueing them; memory stays bounded under
//! many slow uploaders; deadlines are honoured, by uploads and by streamed
//! downloads; downloads beyond capacity are refused too; nothing is left
//! behind.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use akte_e2e::Server;
use akte_proto::v1 as pb;
use common::*;

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn slow_uploaders_stay_within_memory_and_excess_is_shed() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[limits]\nmax_concurrent_uploads = 200\ninline_memory_bytes = 33554432\n[ocr]\nmode = \"off\"\n";
    let server = Server::start(&dir.path().join("data"), Some(config)).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000501", "Nord").await;
    let staging = server.data_dir.join("staging");
    let before = server.rss_bytes().unwrap();

    // 200 uploaders send 1 MiB each and then stall, streams open.
    let mut calls = Vec::new();
    let mut senders = Vec::new();
    for i in 0..200u64 {
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadDocumentRequest>(2);
        let mut docs = c.docs.clone();
        calls.push(tokio::spawn(async move {
            docs.upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        }));
        tx.send(header_msg(header(
            &k.case_number,
            "image/tiff",
            "langsam.tif",
        )))
        .await
        .unwrap();
        tx.send(chunk_msg(&tiff(MIB, i))).await.unwrap();
        senders.push(tx);
    }
    let staged_bytes = || -> u64 {
        files_below(&staging)
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()
    };
    // All but what fits in the 32 MiB budget went to staging on disk.
    wait_until("the uploads spilled to staging", || {
        files_below(&staging).len() >= 200 - 32 && staged_bytes() >= (200 - 32) * MIB as u64
    })
    .await;
    let first = server.rss_bytes().unwrap();
    // Each sends 3 MiB more, a MiB at a time once the last has arrived:
    // 600 MiB more in flight in total.
    for round in 0..3u64 {
        for (i, tx) in senders.iter().enumerate() {
            tx.send(chunk_msg(&noise(MIB, round * 1000 + i as u64)))
                .await
                .unwrap();
        }
        wait_until("the round reached staging", || {
            staged_bytes() >= (200 - 32) * (round + 2) * MIB as u64
        })
        .await;
    }
    wait_until("the data reached staging", || {
        staged_bytes() >= (200 - 32) * 4 * MIB as u64
    })
    .await;
    let last = server.rss_bytes().unwrap();
    let mib = |b: u64| b / MIB as u64;
    println!(
        "server RSS: {} MiB idle, {} MiB with 200 uploads of 1 MiB open, {} MiB after 600 MiB more",
        mib(before),
        mib(first),
        mib(last)
    );
    // Memory does not grow with the data the uploads bring: it is bounded by
    // the number of uploads and the memory budget, not by their size.
    assert!(
        last.saturating_sub(first) < 128 * MIB as u64,
        "server grew by {} MiB while 600 MiB more arrived",
        mib(last.saturating_sub(first))
    );
    assert!(last < 1024 * MIB as u64, "server RSS {} MiB", mib(last));

    // The 201st is refused at once, with a status a client retries on.
    let err = upload(
        &mut c,
        header(&k.case_number, "text/plain", "x.txt"),
        b"Hallo",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted);
    assert!(err.message().contains("busy"), "{}", err.message());

    // The uploaders give up (reset their streams): nothing is left. (The
    // senders live on until then: closing them would end the streams
    // cleanly, i.e. finish the uploads.)
    for call in &calls {
        call.abort();
    }
    wait_until("staging is empty again", || {
        files_below(&staging).is_empty()
    })
    .await;
    drop(senders);
    assert!(list_documents(&mut c, &k.case_number).await.is_empty());
    assert!(files_below(&server.data_dir.join("objects/blobs")).is_empty());
    // And capacity is back.
    upload(
        &mut c,
        header(&k.case_number, "text/plain", "x.txt"),
        b"Hallo",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn deadlines_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let c = clients(&server).await;
    let mut cc = clients(&server).await;
    let k = create_case(&mut cc, "12345BG0000502", "Nord").await;
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadDocumentRequest>(4);
    tx.send(header_msg(header(&k.case_number, "text/plain", "x.txt")))
        .await
        .unwrap();
    tx.send(chunk_msg(b"angefangen, nie beendet"))
        .await
        .unwrap();
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    request.set_timeout(Duration::from_millis(300));
    let mut docs = c.docs.clone();
    // The stream stays open (tx alive); the deadline ends the call.
    let result = tokio::time::timeout(Duration::from_secs(30), docs.upload_document(request))
        .await
        .expect("the server did not end the call at its deadline");
    let status = result.unwrap_err();
    assert!(
        matches!(
            status.code(),
            tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
        ),
        "{status:?}"
    );
    drop(tx);
    assert!(list_documents(&mut cc, &k.case_number).await.is_empty());
    wait_until("staging is empty", || {
        files_below(&server.data_dir.join("staging")).is_empty()
    })
    .await;
}

/// A server on `dir` holding one document of `len` bytes (a "TIFF"): the
/// server, a client, the document and its content.
async fn large_document(
    dir: &std::path::Path,
    config: Option<&str>,
    len: usize,
) -> (Server, Clients, pb::Document, Vec<u8>) {
    let server = Server::start(&dir.join("data"), config).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000503", "Nord").await;
    let content = tiff(len, 7);
    let doc = upload(
        &mut c,
        header(&k.case_number, "image/tiff", "gross.tif"),
        &content,
    )
    .await
    .unwrap();
    (server, c, doc, content)
}

/// Starts downloading a document with a deadline `timeout` from now.
async fn download_within(
    c: &mut Clients,
    id: &str,
    timeout: Duration,
) -> tonic::Streaming<pb::DownloadDocumentResponse> {
    let mut request = tonic::Request::new(pb::DownloadDocumentRequest {
        reason: None,
        document_id: id.into(),
        offset: None,
        length: None,
    });
    request.set_timeout(timeout);
    c.docs
        .download_document(request)
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_download_ends_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut c, doc, content) = large_document(dir.path(), None, 24 * MIB).await;

    // A reader that stalls after the first message: once the deadline has
    // passed the server ends the stream instead of holding it open.
    let mut stream = download_within(&mut c, &doc.document_id, Duration::from_millis(500)).await;
    stream.message().await.unwrap().expect("the document first");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut received = 0;
    let status = loop {
        match stream.message().await {
            Ok(Some(m)) => {
                if let Some(pb::download_document_response::Payload::Chunk(b)) = m.payload {
                    received += b.len();
                }
            }
            Ok(None) => panic!("the whole document ({received} bytes) came after the deadline"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    assert!(received < content.len());

    // Within its deadline the same download is whole.
    let mut stream = download_within(&mut c, &doc.document_id, Duration::from_secs(60)).await;
    let mut data = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        if let Some(pb::download_document_response::Payload::Chunk(b)) = m.payload {
            data.extend_from_slice(&b);
        }
    }
    assert!(data == content);
}

#[tokio::test]
async fn downloads_beyond_capacity_are_refused_until_one_ends() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[limits]\nmax_concurrent_reads = 2\n[ocr]\nmode = \"off\"\n";
    let (_server, mut c, doc, content) = large_document(dir.path(), Some(config), 8 * MIB).await;
    // Two readers that stall after the first message hold both slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = download_within(&mut c, &doc.document_id, Duration::from_secs(600)).await;
        s.message().await.unwrap().expect("the document first");
        held.push(s);
    }
    let status = download(&mut c, &doc.document_id, None, None)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("busy"), "{status:?}");
    // Lookups of one document are not limited.
    c.docs
        .get_document(pb::GetDocumentRequest {
            reason: None,
            document_id: doc.document_id.clone(),
        })
        .await
        .unwrap();
    // Once a reader goes away its slot is free again.
    drop(held.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let data = loop {
        match download(&mut c, &doc.document_id, None, None).await {
            Ok((_, data)) => break data,
            Err(s) if s.code() == tonic::Code::ResourceExhausted => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the slot never came back"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    };
    assert!(data == content);
}
