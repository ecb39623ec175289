use std::time::Duration;

use akte_types::{ContentHash, IndexState};
use bytes::Bytes;
use futures::StreamExt;

use crate::{Config, CoreError, ErrorCode, NewCase, SearchRequest, Store, UploadHeader};

/// The calls of these tests: an administrator, whom the reference rules let
/// manage every site.
pub(crate) fn admin() -> crate::access::Caller {
    crate::access::Caller::new(
        crate::access::Principal::new(crate::access::PrincipalKind::Admin, "test"),
        "test",
    )
}

pub(crate) fn store(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> Store {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    tweak(&mut config);
    Store::open(config.validate().unwrap()).unwrap()
}

pub(crate) fn chunks(
    data: &[u8],
) -> impl futures::Stream<Item = crate::Result<Bytes>> + Send + 'static {
    let parts: Vec<crate::Result<Bytes>> = data
        .chunks(3)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(parts)
}

pub(crate) fn text_header(case: &str) -> UploadHeader {
    UploadHeader {
        case_number: case.into(),
        title: "Brief".into(),
        media_type: "text/plain".into(),
        filename: "brief.txt".into(),
        ..UploadHeader::default()
    }
}

pub(crate) async fn new_case(s: &Store, number: &str) {
    s.create_case(
        &admin(),
        NewCase {
            case_number: number.into(),
            site: "Nord".into(),
            ..NewCase::default()
        },
    )
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
            &admin(),
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
        s.get_document(&admin(), &doc.document_id.to_string())
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
        s.search(&admin(), search("beschaeftigte"))
            .await
            .unwrap()
            .total_hits,
        1
    );

    // Rebuilding from the catalog gives the same answers.
    assert_eq!(s.reindex_all().await.unwrap(), 1);
    assert_eq!(
        s.search(&admin(), search("beschaeftigte"))
            .await
            .unwrap()
            .total_hits,
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
        .upload(&admin(), text_header("12345BG0000002"), broken)
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
        .upload(
            &admin(),
            text_header("12345BG0000003"),
            chunks(b"Referenziert"),
        )
        .await
        .unwrap();
    // An orphan: a blob written without a catalog row, as after a crash.
    let mut w = s.blobs().writer(1 << 20);
    w.write(b"verwaist").await.unwrap();
    let orphan = w.finish().await.unwrap();
    s.blobs().commit(&orphan).await.unwrap();

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
async fn gc_is_decided_by_the_opened_store_not_the_url_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let open = |url: &str, mode: crate::config::GcMode, sharing: akte_blob::Sharing| {
        let mut config = Config {
            data_dir: dir.path().join(format!("d{}", uuid_like())),
            ..Config::default()
        };
        config.storage.url = url.into();
        config.storage.sharing = sharing;
        config.gc.mode = mode;
        config
            .storage
            .options
            .insert("region".into(), "eu-central-1".into());
        Store::open(config.validate().unwrap()).unwrap()
    };
    use crate::config::GcMode::{Auto, On};
    use akte_blob::Sharing::{Exclusive, Reader, Shared};
    for url in [
        "s3://akte-blobs/jobcenter",
        "S3://akte-blobs/jobcenter",
        "s3a://akte-blobs/jobcenter",
        "https://akte-blobs.s3.eu-central-1.amazonaws.com/jobcenter",
    ] {
        assert!(!open(url, Auto, Exclusive).gc_enabled(), "{url}");
        assert!(!open(url, Auto, Shared).gc_enabled(), "{url}");
        assert!(!open(url, Auto, Reader).gc_enabled(), "{url}");
        // Asked for explicitly, on a store used exclusively: the owner
        // record guards it.
        assert!(open(url, On, Exclusive).gc_enabled(), "{url}");
    }
    let local = format!("FILE://{}", dir.path().join("blobs").display());
    assert!(open(&local, Auto, Exclusive).gc_enabled());
    assert!(open("", Auto, Exclusive).gc_enabled());
    assert!(!open("", Auto, Shared).gc_enabled());
}

/// A distinct name per call within a test.
fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test]
async fn a_second_catalog_on_the_same_blobs_is_refused_and_sharing_stops_gc() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = format!("file://{}", dir.path().join("blobs").display());
    let node = |name: &str, sharing: akte_blob::Sharing| {
        let mut config = Config {
            data_dir: dir.path().join(name),
            ..Config::default()
        };
        config.storage.url = blobs.clone();
        config.storage.sharing = sharing;
        config.gc.grace_secs = 0;
        config.ocr.mode = crate::config::OcrMode::Off;
        Store::open(config.validate().unwrap()).unwrap()
    };
    use akte_blob::Sharing::{Exclusive, Reader, Shared};
    let a = node("a", Exclusive);
    a.claim_storage().await.unwrap();
    new_case(&a, "12345BG0000011").await;
    a.upload(
        &admin(),
        text_header("12345BG0000011"),
        chunks(b"Bescheid A"),
    )
    .await
    .unwrap();

    // A second catalog on the same directory: refused, nothing collected.
    let b = node("b", Exclusive);
    let err = b.claim_storage().await.unwrap_err().to_string();
    assert!(err.contains("belongs to catalog"), "{err}");
    assert!(b.collect_garbage().await.is_err());
    assert!(a
        .blobs()
        .exists(ContentHash::of(b"Bescheid A"))
        .await
        .unwrap());
    // Joining as shared is refused while A holds it exclusively.
    drop(b);
    let b = node("b", Shared);
    assert!(b.claim_storage().await.is_err());
    // A reader reads and stores nothing.
    drop(b);
    let r = node("r", Reader);
    r.claim_storage().await.unwrap();
    new_case(&r, "12345BG0000012").await;
    let err = r
        .upload(&admin(), text_header("12345BG0000012"), chunks(b"Brief"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::FailedPrecondition);
    drop(r);

    // A switches to shared; B joins and stores a blob A does not know.
    drop(a);
    let a = node("a", Shared);
    a.claim_storage().await.unwrap();
    assert!(!a.gc_enabled());
    let b = node("b", Shared);
    b.claim_storage().await.unwrap();
    new_case(&b, "12345BG0000013").await;
    b.upload(
        &admin(),
        text_header("12345BG0000013"),
        chunks(b"Bescheid B"),
    )
    .await
    .unwrap();
    drop(a);
    // A back in exclusive mode (as by a config mistake) would delete B's
    // blob: refused.
    let a = node("a", Exclusive);
    assert!(a.gc_enabled());
    let err = a.collect_garbage().await.unwrap_err().to_string();
    assert!(err.contains("marked shared"), "{err}");
    assert!(b
        .blobs()
        .exists(ContentHash::of(b"Bescheid B"))
        .await
        .unwrap());
}

fn inbox_header(site: &str, filename: &str) -> UploadHeader {
    UploadHeader {
        site: site.into(),
        title: "Posteingang".into(),
        media_type: "text/plain".into(),
        filename: filename.into(),
        ..UploadHeader::default()
    }
}

#[tokio::test]
async fn caseless_uploads_are_routed_by_their_text_or_wait_in_the_inbox() {
    use akte_types::AssignedBy;
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.ocr.mode = crate::config::OcrMode::Off);
    new_case(&s, "12345BG0000001").await;
    new_case(&s, "12345BG0000002").await;
    let upload = |name: &'static str, text: &'static str| {
        let s = s.clone();
        async move {
            s.upload(
                &admin(),
                inbox_header("Nord", name),
                chunks(text.as_bytes()),
            )
            .await
            .unwrap()
        }
    };
    let clear = upload(
        "a.txt",
        "Jobcenter Nord\nIhr Zeichen: 12345 BG 00OO001\nAntrag auf Weiterbewilligung",
    )
    .await;
    let none = upload(
        "b.txt",
        "Sehr geehrte Damen und Herren, anbei die Unterlagen.",
    )
    .await;
    let several = upload("c.txt", "betrifft 12345BG0000001 und 12345BG0000002").await;
    let unknown = upload("d.txt", "betrifft 99999BG0000009").await;
    assert!(clear.case_id.is_none() && clear.site == "Nord");
    // Refused without case and site.
    let err = s
        .upload(&admin(), inbox_header("", "x.txt"), chunks(b"x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);

    s.index_pending().await.unwrap();
    let get = |d: &akte_types::Document| {
        let s = s.clone();
        let id = d.document_id.to_string();
        async move { s.get_document(&admin(), &id).await.unwrap() }
    };
    let routed = get(&clear).await;
    assert_eq!(routed.case_number_str(), "12345BG0000001");
    assert_eq!(routed.assigned_by(), Some(AssignedBy::Text));
    assert!(
        routed.history[0].detail.contains("page 1"),
        "{:?}",
        routed.history
    );
    assert_eq!(routed.index_state, IndexState::Indexed);
    let inbox = s
        .list_inbox(&admin(), "Nord", 10, "")
        .await
        .unwrap()
        .documents;
    let notes: Vec<(akte_types::DocumentId, String)> = inbox
        .iter()
        .map(|d| (d.document_id, d.routing_note.clone().unwrap_or_default()))
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(notes[0].0, none.document_id);
    assert!(notes[0].1.contains("no case number"), "{notes:?}");
    assert_eq!(notes[1].0, several.document_id);
    assert!(notes[1].1.contains("several"), "{notes:?}");
    assert_eq!(notes[2].0, unknown.document_id);
    assert!(notes[2].1.contains("99999BG0000009"), "{notes:?}");

    // The routed document is searchable under its case (indexed again).
    s.index_pending().await.unwrap();
    let hits = s
        .search(
            &admin(),
            SearchRequest {
                query: "Weiterbewilligung".into(),
                case_number: Some("12345BG0000001".into()),
                ..SearchRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.total_hits, 1);
    assert_eq!(hits.hits[0].pages, [1]);
    // Inbox documents are found with the site filter.
    let hits = s
        .search(
            &admin(),
            SearchRequest {
                query: "Unterlagen".into(),
                site: Some("Nord".into()),
                ..SearchRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.total_hits, 1);

    // A person files one; it leaves the inbox, the case counts it.
    let assigned = s
        .assign_document(
            &admin(),
            &several.document_id.to_string(),
            "12345bg0000002",
            "geprüft",
        )
        .await
        .unwrap();
    assert_eq!(assigned.assigned_by(), Some(AssignedBy::Manual));
    assert_eq!(
        s.list_inbox(&admin(), "Nord", 10, "")
            .await
            .unwrap()
            .documents
            .len(),
        2
    );
    assert_eq!(
        s.get_case_by_number(&admin(), "12345BG0000002")
            .await
            .unwrap()
            .document_count,
        1
    );
    // And moves it on: history kept.
    let moved = s
        .assign_document(
            &admin(),
            &several.document_id.to_string(),
            "12345BG0000001",
            "",
        )
        .await
        .unwrap();
    assert_eq!(moved.history.len(), 2);
    assert_eq!(
        moved.history[1].from.as_ref().map(|n| n.as_str()),
        Some("12345BG0000002")
    );
    for (id, case, code) in [
        ("nope", "12345BG0000001", ErrorCode::InvalidArgument),
        (
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "12345BG0000001",
            // Answered like a denial: callers cannot probe for what exists.
            ErrorCode::PermissionDenied,
        ),
    ] {
        assert_eq!(
            s.assign_document(&admin(), id, case, "")
                .await
                .unwrap_err()
                .code(),
            code
        );
    }
    assert_eq!(
        s.assign_document(
            &admin(),
            &none.document_id.to_string(),
            "99999BG0000009",
            ""
        )
        .await
        .unwrap_err()
        .code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.list_inbox(&admin(), " ", 10, "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[tokio::test]
async fn a_station_sending_the_same_scan_again_gets_the_first_document() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.ocr.mode = crate::config::OcrMode::Off);
    let scan = |expected: Option<String>| UploadHeader {
        transfer_note: Some(akte_types::TransferNote {
            station_id: "poststelle-1".into(),
            operator: "Schmidt".into(),
            page_count: 2,
            ..Default::default()
        }),
        expected_sha256: expected,
        ..inbox_header("Nord", "scan.txt")
    };
    let first = s
        .upload(&admin(), scan(None), chunks(b"Brief vom Amt"))
        .await
        .unwrap();
    let note = first.transfer_note.clone().unwrap();
    assert_eq!(note.sha256, Some(first.sha256));
    assert_eq!(note.operator, "Schmidt");
    // Again, without and with the hash announced: the same document.
    let again = s
        .upload(&admin(), scan(None), chunks(b"Brief vom Amt"))
        .await
        .unwrap();
    assert_eq!(again.document_id, first.document_id);
    let announced = s
        .upload(
            &admin(),
            scan(Some(first.sha256.to_hex())),
            futures::stream::empty(),
        )
        .await
        .unwrap();
    assert_eq!(announced.document_id, first.document_id);
    assert_eq!(s.catalog().document_count().unwrap(), 1);
    // Without a station id the note is refused.
    let mut h = scan(None);
    if let Some(n) = h.transfer_note.as_mut() {
        n.station_id = " ".into();
    }
    assert_eq!(
        s.upload(&admin(), h, chunks(b"x"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[tokio::test]
async fn recognised_text_is_kept_so_a_rebuild_does_not_recognise_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    assert!(s.ocr_enabled(), "tests need tesseract with German data");
    new_case(&s, "12345BG0000005").await;
    let png = akte_extract::fixtures::letter_png(
        &["Aktenzeichen 12345BG0000005", "Eingliederungsvereinbarung"],
        300,
    );
    let doc = s
        .upload(
            &admin(),
            UploadHeader {
                site: "Nord".into(),
                media_type: "image/png".into(),
                filename: "scan.png".into(),
                ..UploadHeader::default()
            },
            chunks(&png),
        )
        .await
        .unwrap();
    // Indexing finds no text: metadata indexed, document queued for OCR.
    s.index_pending().await.unwrap();
    let id = doc.document_id.to_string();
    assert_eq!(
        s.get_document(&admin(), &id).await.unwrap().index_state,
        IndexState::Ocr
    );
    assert_eq!(s.ocr_queue_len().await.unwrap(), 1);
    assert_eq!(s.ocr_pending().await.unwrap(), 1);
    s.index_pending().await.unwrap();
    let d = s.get_document(&admin(), &id).await.unwrap();
    assert_eq!(d.index_state, IndexState::Indexed);
    assert_eq!(d.case_number_str(), "12345BG0000005");
    assert_eq!(d.page_count, 1);
    let find = || SearchRequest {
        query: "Eingliederungsvereinbarung".into(),
        case_number: Some("12345BG0000005".into()),
        ..SearchRequest::default()
    };
    s.index_pending().await.unwrap();
    assert_eq!(s.search(&admin(), find()).await.unwrap().total_hits, 1);
    // A rebuild takes the stored text: nothing goes to OCR again.
    s.reindex_all().await.unwrap();
    assert_eq!(s.ocr_queue_len().await.unwrap(), 0);
    let hits = s.search(&admin(), find()).await.unwrap();
    assert_eq!(hits.total_hits, 1);
    assert_eq!(hits.hits[0].pages, [1]);
}

/// A store on a local blob directory wrapped with injectable faults.
fn faulty_store(
    dir: &std::path::Path,
    tweak: impl FnOnce(&mut Config),
) -> (Store, std::sync::Arc<akte_blob::faulty::Faults>) {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    config.ocr.mode = crate::config::OcrMode::Off;
    tweak(&mut config);
    let local =
        akte_blob::open_object_store("", &Default::default(), &dir.join("objects")).unwrap();
    let (objects, faults) = akte_blob::faulty::FaultyStore::new(local);
    let store = Store::open_with_object_store(config.validate().unwrap(), objects).unwrap();
    (store, faults)
}

async fn nothing_left(s: &Store, dir: &std::path::Path) {
    assert_eq!(s.catalog().document_count().unwrap(), 0);
    assert_eq!(s.queue_len().await.unwrap(), 0);
    assert_eq!(
        std::fs::read_dir(dir.join("staging")).unwrap().count(),
        0,
        "staging not cleaned"
    );
}

#[tokio::test]
async fn uploads_under_storage_faults_fail_retryably_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, faults) = faulty_store(dir.path(), |c| {
        c.limits.inline_upload_bytes = 1024;
        c.gc.grace_secs = 0;
        // The faulty wrapper is not a local directory: asked for explicitly.
        c.gc.mode = crate::config::GcMode::On;
    });
    new_case(&s, "12345BG0000006").await;
    let small = b"Kurzer Brief".to_vec();
    let large = vec![b'x'; 200 * 1024];
    for content in [&small, &large] {
        // A failing put (single put for small, multipart for spilled uploads).
        faults.fail_puts(1);
        let err = s
            .upload(&admin(), text_header("12345BG0000006"), chunks(content))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unavailable, "{err}");
        assert!(
            err.client_message().contains("retry"),
            "{}",
            err.client_message()
        );
        nothing_left(&s, dir.path()).await;
        let listed: Vec<_> = s.blobs().list().collect().await;
        assert!(listed.is_empty());
    }
    // A torn write leaves half an object behind, unreferenced: no document
    // points at it, garbage collection removes it, a retry stores it whole.
    faults.tear_puts(1);
    let err = s
        .upload(&admin(), text_header("12345BG0000006"), chunks(&small))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unavailable);
    nothing_left(&s, dir.path()).await;
    let listed: Vec<_> = s.blobs().list().collect().await;
    assert_eq!(listed.len(), 1, "the torn half");
    let retried = s
        .upload(&admin(), text_header("12345BG0000006"), chunks(&small))
        .await
        .unwrap();
    let (_, stream) = s
        .download(&admin(), &retried.document_id.to_string(), None, None)
        .await
        .unwrap();
    let back: Vec<Bytes> = stream.map(|c| c.unwrap()).collect().await;
    assert_eq!(back.concat(), small);
    faults.tear_puts(1);
    assert!(s
        .upload(
            &admin(),
            text_header("12345BG0000006"),
            chunks(b"Noch ein Brief")
        )
        .await
        .is_err());
    assert_eq!(s.collect_garbage().await.unwrap().blobs_deleted, 1);
}

#[tokio::test]
async fn reads_under_faults_fail_with_unavailable_or_data_loss() {
    let dir = tempfile::tempdir().unwrap();
    let (s, faults) = faulty_store(dir.path(), |_| {});
    new_case(&s, "12345BG0000007").await;
    let doc = s
        .upload(
            &admin(),
            text_header("12345BG0000007"),
            chunks(b"Bescheid vom Amt"),
        )
        .await
        .unwrap();
    let id = doc.document_id.to_string();
    let read = |s: Store, id: String| async move {
        let (_, stream) = s.download(&admin(), &id, None, None).await?;
        let parts: Vec<crate::Result<Bytes>> = stream.collect().await;
        parts.into_iter().collect::<crate::Result<Vec<Bytes>>>()
    };
    faults.fail_gets(1);
    assert_eq!(
        read(s.clone(), id.clone()).await.unwrap_err().code(),
        ErrorCode::Unavailable
    );
    faults.corrupt_gets(1);
    assert_eq!(
        read(s.clone(), id.clone()).await.unwrap_err().code(),
        ErrorCode::DataLoss
    );
    // Slow storage is slow, not wrong.
    faults.set_latency(Duration::from_millis(30));
    assert_eq!(
        read(s.clone(), id.clone()).await.unwrap().concat(),
        b"Bescheid vom Amt"
    );
}

#[tokio::test]
async fn uploads_beyond_capacity_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.limits.max_concurrent_uploads = 1);
    new_case(&s, "12345BG0000008").await;
    // One upload whose stream does not end yet.
    let (tx, rx) = futures::channel::mpsc::unbounded::<crate::Result<Bytes>>();
    let first = tokio::spawn({
        let s = s.clone();
        async move { s.upload(&admin(), text_header("12345BG0000008"), rx).await }
    });
    tx.unbounded_send(Ok(Bytes::from_static(b"Teil eins ")))
        .unwrap();
    wait_for("the first upload to take its slot", || {
        s.inner.upload_slots.available_permits() == 0
    })
    .await;
    let err = s
        .upload(
            &admin(),
            text_header("12345BG0000008"),
            chunks(b"zweiter Brief"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResourceExhausted);
    assert!(err.to_string().contains("busy"), "{err}");
    drop(tx);
    first.await.unwrap().unwrap();
    // Capacity is back.
    s.upload(
        &admin(),
        text_header("12345BG0000008"),
        chunks(b"zweiter Brief"),
    )
    .await
    .unwrap();
}

/// Waits until `cond` holds, failing after 30 s.
async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn an_upload_holds_its_slot_until_its_commit_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let (s, faults) = faulty_store(dir.path(), |c| c.limits.max_concurrent_uploads = 1);
    new_case(&s, "12345BG0000014").await;
    // Slow storage: the commit takes a while.
    faults.set_latency(Duration::from_millis(300));
    let upload = tokio::spawn({
        let s = s.clone();
        async move {
            s.upload(
                &admin(),
                text_header("12345BG0000014"),
                chunks(b"langsamer Brief"),
            )
            .await
        }
    });
    let in_commit = || {
        !s.inner
            .blobs_in_flight
            .try_lock()
            .map_or(true, |h| h.is_empty())
    };
    wait_for("the upload to reach its commit", in_commit).await;
    // The client goes away; the commit goes on and keeps the slot.
    upload.abort();
    let err = s
        .upload(
            &admin(),
            text_header("12345BG0000014"),
            chunks(b"zweiter Brief"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResourceExhausted);
    wait_for("the commit to finish", || {
        s.inner.upload_slots.available_permits() == 1
    })
    .await;
    // It finished durably: the document is there.
    assert_eq!(s.catalog().document_count().unwrap(), 1);
    faults.set_latency(Duration::ZERO);
    s.upload(
        &admin(),
        text_header("12345BG0000014"),
        chunks(b"zweiter Brief"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn reads_beyond_capacity_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.limits.max_concurrent_reads = 1);
    new_case(&s, "12345BG0000009").await;
    let doc = s
        .upload(
            &admin(),
            text_header("12345BG0000009"),
            chunks(b"Kontoauszug Mai"),
        )
        .await
        .unwrap();
    let id = doc.document_id.to_string();
    let busy = |e: CoreError| {
        assert_eq!(e.code(), ErrorCode::ResourceExhausted);
        assert!(e.to_string().contains("busy"), "{e}");
    };
    // A download stream not read to its end holds its slot.
    let (_, stream) = s.download(&admin(), &id, None, None).await.unwrap();
    busy(s.download(&admin(), &id, None, None).await.err().unwrap());
    busy(
        s.search(
            &admin(),
            SearchRequest {
                query: "Kontoauszug".into(),
                ..SearchRequest::default()
            },
        )
        .await
        .unwrap_err(),
    );
    busy(
        s.list_case_documents(&admin(), None, Some("12345BG0000009"), 10, "")
            .await
            .unwrap_err(),
    );
    busy(s.list_cases(&admin(), "", 10, "").await.unwrap_err());
    busy(s.list_inbox(&admin(), "Nord", 10, "").await.unwrap_err());
    // Point reads are not limited.
    s.get_document(&admin(), &id).await.unwrap();
    s.get_case_by_number(&admin(), "12345BG0000009")
        .await
        .unwrap();
    drop(stream);
    // Capacity is back.
    let (_, stream) = s.download(&admin(), &id, None, None).await.unwrap();
    let bytes: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
    assert_eq!(bytes.concat(), b"Kontoauszug Mai");
    assert_eq!(
        s.list_case_documents(&admin(), None, Some("12345BG0000009"), 10, "")
            .await
            .unwrap()
            .documents
            .len(),
        1
    );
}

/// A store keeping a disk reserve of 10 MB, whose disks have `free` bytes
/// free, `shrink` fewer at every look.
fn store_with_disk(
    dir: &std::path::Path,
    inline: u64,
    free: u64,
    shrink: u64,
) -> (Store, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let mut s = store(dir, |c| {
        c.limits.reserved_disk_bytes = 10_000_000;
        c.limits.inline_upload_bytes = inline;
    });
    let free = std::sync::Arc::new(AtomicU64::new(free));
    let f = std::sync::Arc::clone(&free);
    s.set_free_space(Box::new(move |_| Ok(f.fetch_sub(shrink, Ordering::SeqCst))));
    (s, free)
}

#[tokio::test]
async fn uploads_that_would_eat_into_the_disk_reserve_are_refused_before_writing() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let (s, free) = store_with_disk(dir.path(), 1024 * 1024, u64::MAX, 0);
    new_case(&s, "12345BG0000031").await;
    let refused = |err: CoreError| {
        assert_eq!(err.code(), ErrorCode::ResourceExhausted, "{err}");
        assert!(
            err.client_message().contains("disk is full"),
            "{}",
            err.client_message()
        );
    };
    // Below the reserve already: refused at once.
    free.store(9_000_000, Ordering::SeqCst);
    refused(
        s.upload(&admin(), text_header("12345BG0000031"), chunks(b"Brief"))
            .await
            .unwrap_err(),
    );
    // Above it, but 600 KB held in memory would go below it once written.
    free.store(10_500_000, Ordering::SeqCst);
    let content = vec![b'a'; 600_000];
    refused(
        s.upload(&admin(), text_header("12345BG0000031"), chunks(&content))
            .await
            .unwrap_err(),
    );
    nothing_left(&s, dir.path()).await;
    let listed: Vec<_> = s.blobs().list().collect().await;
    assert!(listed.is_empty());
    // A small one still fits; space returns and the large one is stored.
    s.upload(&admin(), text_header("12345BG0000031"), chunks(b"Kurz"))
        .await
        .unwrap();
    free.store(u64::MAX, Ordering::SeqCst);
    s.upload(&admin(), text_header("12345BG0000031"), chunks(&content))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_large_upload_stops_while_received_when_it_reaches_the_disk_reserve() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    // Each look at the disk finds a MB less free, as if the content
    // received meanwhile had landed there: 11.5 MB, 10.5 MB, then 9.5 MB.
    let (s, _) = store_with_disk(dir.path(), 64 * 1024, 11_500_000, 1_000_000);
    new_case(&s, "12345BG0000032").await;
    let content = vec![b'b'; 5 * 1024 * 1024];
    let parts: Vec<crate::Result<Bytes>> = content
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let pulled = Arc::new(AtomicU64::new(0));
    let p = Arc::clone(&pulled);
    let stream = futures::stream::iter(parts).inspect(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let err = s
        .upload(&admin(), text_header("12345BG0000032"), stream)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ResourceExhausted, "{err}");
    assert!(err.client_message().contains("disk is full"));
    // Refused at the second MiB (32 parts of 64 KiB), not after all five.
    let pulled = pulled.load(Ordering::SeqCst);
    assert!(pulled <= 33, "{pulled} parts taken");
    nothing_left(&s, dir.path()).await;
}

#[tokio::test]
async fn scrub_reports_missing_corrupt_and_unreferenced_blobs_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.ocr.mode = crate::config::OcrMode::Off);
    new_case(&s, "12345BG0000021").await;
    let mut docs = Vec::new();
    for text in ["Bescheid eins", "Bescheid zwei", "Bescheid drei"] {
        docs.push(
            s.upload(
                &admin(),
                text_header("12345BG0000021"),
                chunks(text.as_bytes()),
            )
            .await
            .unwrap(),
        );
    }
    // The same content twice: one blob, two documents.
    let twin = s
        .upload(
            &admin(),
            text_header("12345BG0000021"),
            chunks(b"Bescheid drei"),
        )
        .await
        .unwrap();
    let clean = s.scrub(None).await.unwrap();
    assert_eq!(clean.blobs_checked, 3);
    assert!(!clean.damaged() && clean.unreferenced.is_empty());

    let path = |hash: ContentHash| {
        let hex = hash.to_string();
        dir.path()
            .join("objects/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
    };
    std::fs::remove_file(path(docs[0].sha256)).unwrap();
    std::fs::write(path(docs[2].sha256), b"Bescheid dreI").unwrap();
    let mut w = s.blobs().writer(1 << 20);
    w.write(b"verwaist").await.unwrap();
    let orphan = w.finish().await.unwrap();
    s.blobs().commit(&orphan).await.unwrap();

    let report = s.scrub(Some(1 << 30)).await.unwrap();
    assert!(report.damaged());
    assert_eq!(report.blobs_checked, 3);
    assert_eq!(report.missing.len(), 1);
    assert_eq!(report.missing[0].documents, [docs[0].document_id]);
    assert_eq!(report.corrupt.len(), 1);
    let mut hit = report.corrupt[0].documents.clone();
    hit.sort();
    let mut expected = vec![docs[2].document_id, twin.document_id];
    expected.sort();
    assert_eq!(hit, expected);
    assert_eq!(report.unreferenced, [(orphan.hash(), 8)]);
    // Nothing was repaired or removed.
    assert!(s.blobs().exists(orphan.hash()).await.unwrap());
    assert!(!s.blobs().exists(docs[0].sha256).await.unwrap());
    assert_eq!(s.catalog().document_count().unwrap(), 4);
}
