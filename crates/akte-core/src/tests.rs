use std::time::Duration;

use akte_types::IndexState;
use bytes::Bytes;
use futures::StreamExt;

use crate::{Config, CoreError, ErrorCode, NewCase, SearchRequest, Store, UploadHeader};

fn store(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> Store {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    tweak(&mut config);
    Store::open(config.validate().unwrap()).unwrap()
}

fn chunks(data: &[u8]) -> impl futures::Stream<Item = crate::Result<Bytes>> + Send + 'static {
    let parts: Vec<crate::Result<Bytes>> = data
        .chunks(3)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(parts)
}

fn text_header(case: &str) -> UploadHeader {
    UploadHeader {
        case_number: case.into(),
        title: "Brief".into(),
        media_type: "text/plain".into(),
        filename: "brief.txt".into(),
        ..UploadHeader::default()
    }
}

async fn new_case(s: &Store, number: &str) {
    s.create_case(NewCase {
        case_number: number.into(),
        site: "Nord".into(),
        ..NewCase::default()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn upload_index_reindex_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    new_case(&s, "12345BG0000001").await;
    let doc = s
        .upload(
            text_header("12345BG0000001"),
            chunks("Die Beschäftigten".as_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(doc.index_state, IndexState::Pending);
    assert_eq!(s.queue_len().await.unwrap(), 1);
    assert_eq!(s.index_pending().await.unwrap(), 1);
    assert_eq!(s.queue_len().await.unwrap(), 0);
    assert_eq!(
        s.get_document(&doc.document_id.to_string())
            .await
            .unwrap()
            .index_state,
        IndexState::Indexed
    );
    let search = |q: &str| SearchRequest {
        query: q.into(),
        ..SearchRequest::default()
    };
    assert_eq!(
        s.search(search("beschaeftigte")).await.unwrap().total_hits,
        1
    );

    // Rebuilding from the catalog gives the same answers.
    assert_eq!(s.reindex_all().await.unwrap(), 1);
    assert_eq!(
        s.search(search("beschaeftigte")).await.unwrap().total_hits,
        1
    );
    assert_eq!(s.queue_len().await.unwrap(), 0);
}

#[tokio::test]
async fn failed_stream_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.limits.inline_upload_bytes = 16);
    new_case(&s, "12345BG0000002").await;
    let broken =
        chunks(b"Hallo Welt, dies ist ein langer Brief").chain(futures::stream::once(async {
            Err(CoreError::Cancelled("gone".into()))
        }));
    let err = s
        .upload(text_header("12345BG0000002"), broken)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert_eq!(
        std::fs::read_dir(dir.path().join("staging"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(s.catalog().document_count().unwrap(), 0);
    let listed: Vec<_> = s.blobs().list().collect().await;
    assert!(listed.is_empty());
}

#[tokio::test]
async fn garbage_collection_removes_only_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.gc.grace_secs = 0);
    new_case(&s, "12345BG0000003").await;
    let kept = s
        .upload(text_header("12345BG0000003"), chunks(b"Referenziert"))
        .await
        .unwrap();
    // An orphan: a blob written without a catalog row, as after a crash.
    let mut w = s.blobs().writer(1 << 20);
    w.write(b"verwaist").await.unwrap();
    let orphan = w.finish().await.unwrap();
    s.blobs().commit(&orphan).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;

    let report = s.collect_garbage().await.unwrap();
    assert_eq!(report.blobs_seen, 2);
    assert_eq!(report.blobs_deleted, 1);
    assert_eq!(report.bytes_deleted, 8);
    assert!(!s.blobs().exists(orphan.hash()).await.unwrap());
    assert!(s.blobs().exists(kept.sha256).await.unwrap());

    // A blob held by an upload in flight is left alone.
    s.blobs().commit(&orphan).await.unwrap();
    s.hold_blob(orphan.hash()).await;
    assert_eq!(s.collect_garbage().await.unwrap().blobs_deleted, 0);
    s.release_blob(orphan.hash()).await;
    assert_eq!(s.collect_garbage().await.unwrap().blobs_deleted, 1);
}

#[tokio::test]
async fn gc_is_off_by_default_for_s3() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    assert!(config.validate().unwrap().gc_enabled);
    config.storage.url = "s3://bucket/prefix".into();
    assert!(!config.validate().unwrap().gc_enabled);
    config.gc.mode = crate::config::GcMode::On;
    assert!(config.validate().unwrap().gc_enabled);
}
