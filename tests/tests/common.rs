//! Shared helpers of the end-to-end tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::{Duration, Instant};

pub use akte_blob::testing::noise;
use akte_e2e::Conn;
use akte_e2e::Server;
use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_proto::v1::search_service_client::SearchServiceClient;
use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

pub struct Clients {
    pub cases: CaseServiceClient<Conn>,
    pub docs: DocumentServiceClient<Conn>,
    pub search: SearchServiceClient<Conn>,
}

pub async fn clients(server: &Server) -> Clients {
    let ch = server.channel().await.expect("connect");
    Clients {
        cases: CaseServiceClient::new(ch.clone()),
        docs: DocumentServiceClient::new(ch.clone())
            .max_decoding_message_size(16 << 20)
            .max_encoding_message_size(16 << 20),
        search: SearchServiceClient::new(ch),
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub async fn create_case(c: &mut Clients, number: &str, site: &str) -> pb::Case {
    c.cases
        .create_case(pb::CreateCaseRequest {
            restricted_to: None,
            case_number: number.into(),
            title: format!("Bedarfsgemeinschaft {number}"),
            site: site.into(),
            team: Some("Team 1".into()),
            parties: vec!["Erika Mustermann".into(), "Max Mustermann".into()],
        })
        .await
        .expect("create case")
        .into_inner()
}

pub fn header(case_number: &str, media_type: &str, filename: &str) -> pb::DocumentHeader {
    pb::DocumentHeader {
        case_number: case_number.into(),
        title: format!("Eingang {filename}"),
        document_type: "Antrag".into(),
        media_type: media_type.into(),
        filename: filename.into(),
        source: "e2e".into(),
        received_at: None,
        expected_sha256: None,
        site: String::new(),
        transfer_note: None,
    }
}

pub fn header_msg(h: pb::DocumentHeader) -> pb::UploadDocumentRequest {
    pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Header(h)),
    }
}

pub fn chunk_msg(b: &[u8]) -> pb::UploadDocumentRequest {
    pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Chunk(
            Bytes::copy_from_slice(b),
        )),
    }
}

pub async fn upload_messages(
    c: &mut Clients,
    msgs: Vec<pb::UploadDocumentRequest>,
) -> Result<pb::Document, tonic::Status> {
    c.docs
        .upload_document(futures::stream::iter(msgs))
        .await
        .map(tonic::Response::into_inner)
}

pub async fn upload(
    c: &mut Clients,
    h: pb::DocumentHeader,
    data: &[u8],
) -> Result<pb::Document, tonic::Status> {
    let mut msgs = vec![header_msg(h)];
    msgs.extend(data.chunks(1 << 20).map(chunk_msg));
    upload_messages(c, msgs).await
}

/// Downloads a document: its metadata and bytes, or the status it failed with.
pub async fn download(
    c: &mut Clients,
    id: &str,
    offset: Option<u64>,
    length: Option<u64>,
) -> Result<(pb::Document, Vec<u8>), tonic::Status> {
    let mut stream = c
        .docs
        .download_document(pb::DownloadDocumentRequest {
            reason: None,
            document_id: id.into(),
            offset,
            length,
        })
        .await?
        .into_inner();
    let mut doc = None;
    let mut data = Vec::new();
    while let Some(msg) = stream.next().await {
        match msg?.payload {
            Some(pb::download_document_response::Payload::Document(d)) => doc = Some(d),
            Some(pb::download_document_response::Payload::Chunk(b)) => data.extend_from_slice(&b),
            None => {}
        }
    }
    Ok((doc.expect("metadata first"), data))
}

pub async fn search(c: &mut Clients, query: &str) -> pb::SearchResponse {
    c.search
        .search(pb::SearchRequest {
            query: query.into(),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner()
}

/// Searches until `query` finds `document_id` (indexing runs in the
/// background); gives up after 30 s.
pub async fn wait_found(c: &mut Clients, query: &str, document_id: &str) -> pb::SearchHit {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = search(c, query).await;
        if let Some(hit) = r.hits.into_iter().find(|h| {
            h.document
                .as_ref()
                .is_some_and(|d| d.document_id == document_id)
        }) {
            return hit;
        }
        assert!(
            Instant::now() < deadline,
            "{query:?} never found {document_id}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A "TIFF": the magic bytes and then `len` bytes of noise.
pub fn tiff(len: usize, seed: u64) -> Vec<u8> {
    let mut v = b"II*\0".to_vec();
    v.extend(noise(len, seed));
    v
}

/// Every file below `dir`.
pub fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

pub fn blob_path(data_dir: &std::path::Path, sha256: &str) -> std::path::PathBuf {
    data_dir
        .join("objects/blobs/sha256")
        .join(&sha256[..2])
        .join(sha256)
}

/// The documents of a case (first page, default size).
pub async fn list_documents(c: &mut Clients, case_number: &str) -> Vec<pb::Document> {
    c.docs
        .list_case_documents(pb::ListCaseDocumentsRequest {
            reason: None,
            case_key: Some(pb::list_case_documents_request::CaseKey::CaseNumber(
                case_number.to_owned(),
            )),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .documents
}

/// Waits (at most 20 s) until `cond` holds; `what` names it for the failure.
pub async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts an upload of `data` whose stream stays open (not finished) until
/// the returned sender is dropped; returns once the server has staged part
/// of it.
pub async fn start_unfinished_upload(
    c: &Clients,
    staging: &std::path::Path,
    h: pb::DocumentHeader,
    data: &[u8],
) -> (
    tokio::sync::mpsc::Sender<pb::UploadDocumentRequest>,
    tokio::task::JoinHandle<Result<tonic::Response<pb::Document>, tonic::Status>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadDocumentRequest>(4);
    let mut docs = c.docs.clone();
    let call = tokio::spawn(async move {
        docs.upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tx.send(header_msg(h)).await.unwrap();
    for chunk in data.chunks(1 << 20) {
        tx.send(chunk_msg(chunk)).await.unwrap();
    }
    wait_until("the upload reached staging", || {
        !files_below(staging).is_empty()
    })
    .await;
    (tx, call)
}
