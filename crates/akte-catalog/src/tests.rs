use super::*;
use akte_types::{now_millis, AssignedBy, CaseMove, CaseNumberPattern, ContentHash, IdGenerator};

pub(crate) fn case(ids: &IdGenerator, number: &str, site: &str) -> Case {
    Case {
        case_id: ids.case_id(),
        case_number: CaseNumberPattern::default().parse(number).unwrap(),
        title: format!("Akte {number}"),
        site: site.into(),
        team: None,
        parties: vec!["Erika Mustermann".into()],
        created_at: now_millis(),
        restricted_to: None,
        status: akte_types::CaseStatus::default(),
    }
}

pub(crate) fn document(ids: &IdGenerator, case: &Case, content: &[u8]) -> Document {
    Document {
        document_id: ids.document_id(),
        case_id: Some(case.case_id),
        case_number: Some(case.case_number.clone()),
        site: case.site.clone(),
        sha256: ContentHash::of(content),
        size_bytes: content.len() as u64,
        media_type: "text/plain".into(),
        filename: "brief.txt".into(),
        title: "Brief".into(),
        document_type: "Antrag".into(),
        source: "test".into(),
        received_at: now_millis(),
        created_at: now_millis(),
        index_state: IndexState::Pending,
        index_error: None,
        page_count: 0,
        history: Vec::new(),
        routing_note: None,
        transfer_note: None,
    }
}

/// A document uploaded into the inbox of `site`, without a case.
fn inbox_document(ids: &IdGenerator, site: &str, content: &[u8]) -> Document {
    let mut doc = document(ids, &case(ids, "00000BG0000000", site), content);
    doc.case_id = None;
    doc.case_number = None;
    doc
}

pub(crate) fn new_entry(inserted: Inserted) -> QueueEntry {
    match inserted {
        Inserted::New(e) => e,
        Inserted::Existing(d) => panic!("not inserted, existing {}", d.document_id),
    }
}

#[test]
fn cases_are_unique_and_found_by_id_number_and_site() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let ids = IdGenerator::new();
    let a = case(&ids, "12345BG0000002", "Nord");
    let b = case(&ids, "12345BG0000001", "Nord");
    let c = case(&ids, "12345BG0000003", "Süd");
    for x in [&a, &b, &c] {
        cat.create_case(x).unwrap();
    }
    let dup = case(&ids, "12345BG0000002", "Süd");
    assert!(matches!(
        cat.create_case(&dup),
        Err(CatalogError::CaseExists(_))
    ));
    assert_eq!(cat.get_case(a.case_id).unwrap().unwrap(), a);
    assert_eq!(cat.get_case_by_number(&c.case_number).unwrap().unwrap(), c);

    let nord = cat.list_cases(Some("Nord"), None, 10).unwrap();
    assert_eq!(
        nord.iter()
            .map(|c| c.case_number.as_str())
            .collect::<Vec<_>>(),
        ["12345BG0000001", "12345BG0000002"]
    );
    let page2 = cat
        .list_cases(Some("Nord"), Some(&b.case_number), 10)
        .unwrap();
    assert_eq!(page2, vec![a.clone()]);
    assert!(cat.list_cases(Some("Nor"), None, 10).unwrap().is_empty());
    let all = cat.list_cases(None, None, 2).unwrap();
    assert_eq!(all, vec![b.clone(), a.clone()]);
    assert_eq!(
        cat.list_cases(None, Some(&a.case_number), 2).unwrap(),
        vec![c]
    );
}

#[test]
fn documents_counts_queue_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let k = case(&ids, "12345BG0000001", "Nord");
    let docs: Vec<Document>;
    {
        let cat = Catalog::open(dir.path()).unwrap();
        cat.create_case(&k).unwrap();
        docs = (0..5)
            .map(|i| document(&ids, &k, if i % 2 == 0 { b"same" } else { b"other" }))
            .collect();
        for d in &docs {
            new_entry(cat.insert_document(d).unwrap());
        }
        assert_eq!(cat.blob_refcount(&ContentHash::of(b"same")).unwrap(), 3);
        assert_eq!(cat.blob_refcount(&ContentHash::of(b"other")).unwrap(), 2);
        assert_eq!(cat.blob_refcount(&ContentHash::of(b"none")).unwrap(), 0);
        assert_eq!(cat.case_document_count(k.case_id).unwrap(), 5);
    }
    let cat = Catalog::open(dir.path()).unwrap();
    // Newest first, paged.
    let first = cat.list_case_documents(k.case_id, None, 3).unwrap();
    assert_eq!(
        first.iter().map(|d| d.document_id).collect::<Vec<_>>(),
        [
            docs[4].document_id,
            docs[3].document_id,
            docs[2].document_id
        ]
    );
    let rest = cat
        .list_case_documents(k.case_id, Some(docs[2].document_id), 3)
        .unwrap();
    assert_eq!(
        rest.iter().map(|d| d.document_id).collect::<Vec<_>>(),
        [docs[1].document_id, docs[0].document_id]
    );
    assert_eq!(cat.document_count().unwrap(), 5);

    let queued = cat.queued(Queue::Index, 100).unwrap();
    assert_eq!(queued.len(), 5);
    assert!(queued.windows(2).all(|w| w[0].seq < w[1].seq));
    // New entries after reopen continue the sequence.
    let extra = document(&ids, &k, b"third");
    let e = new_entry(cat.insert_document(&extra).unwrap());
    assert!(e.seq > queued[4].seq);

    let updates: Vec<DocUpdate> = queued
        .iter()
        .map(|entry| DocUpdate {
            state: Some((IndexState::Indexed, None)),
            dequeue: Some((Queue::Index, entry.seq)),
            ..DocUpdate::new(entry.document_id)
        })
        .collect();
    cat.update_documents(&updates, false).unwrap();
    assert_eq!(cat.queued(Queue::Index, 100).unwrap(), vec![e]);
    assert_eq!(
        cat.get_document(docs[0].document_id)
            .unwrap()
            .unwrap()
            .index_state,
        IndexState::Indexed
    );
    let moved = cat.requeue(Queue::Index, &[e]).unwrap();
    assert_eq!(cat.queued(Queue::Index, 100).unwrap(), moved);
    assert!(moved[0].seq > e.seq);
    assert_eq!(cat.enqueue_all().unwrap(), 6);
    assert_eq!(cat.queue_len(Queue::Index).unwrap(), 7);
}

#[test]
fn texts_and_the_ocr_queue() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let k = case(&ids, "12345BG0000001", "Nord");
    let doc = document(&ids, &k, b"scan");
    let seq;
    {
        let cat = Catalog::open(dir.path()).unwrap();
        cat.create_case(&k).unwrap();
        let e = new_entry(cat.insert_document(&doc).unwrap());
        // Indexing finds no text layer: to the OCR queue, in one write.
        cat.update_documents(
            &[DocUpdate {
                state: Some((IndexState::Ocr, None)),
                enqueue: Some(Queue::Ocr),
                dequeue: Some((Queue::Index, e.seq)),
                ..DocUpdate::new(doc.document_id)
            }],
            false,
        )
        .unwrap();
        assert_eq!(cat.queue_len(Queue::Index).unwrap(), 0);
        let ocr = cat.queued(Queue::Ocr, 10).unwrap();
        assert_eq!(ocr.len(), 1);
        seq = ocr[0].seq;
    }
    // Sequence numbers continue after both queues on reopen.
    let cat = Catalog::open(dir.path()).unwrap();
    let text = DocumentText {
        pages: vec!["Seite eins".into(), "Seite zwei".into()],
        ocr_pages: 2,
        failure: None,
    };
    let out = cat
        .update_documents(
            &[DocUpdate {
                state: Some((IndexState::Pending, None)),
                text: Some(text.clone()),
                enqueue: Some(Queue::Index),
                dequeue: Some((Queue::Ocr, seq)),
                ..DocUpdate::new(doc.document_id)
            }],
            true,
        )
        .unwrap();
    assert_eq!(out[0].page_count, 2);
    assert_eq!(cat.get_text(doc.document_id).unwrap(), Some(text));
    assert_eq!(cat.queue_len(Queue::Ocr).unwrap(), 0);
    let next = cat.queued(Queue::Index, 10).unwrap();
    assert!(next[0].seq > seq);
}

#[test]
fn inbox_routing_and_moves_keep_counts_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let ids = IdGenerator::new();
    let a = case(&ids, "12345BG0000001", "Nord");
    let b = case(&ids, "12345BG0000002", "Süd");
    cat.create_case(&a).unwrap();
    cat.create_case(&b).unwrap();
    let d1 = inbox_document(&ids, "Nord", b"eins");
    let d2 = inbox_document(&ids, "Nord", b"zwei");
    let d3 = inbox_document(&ids, "Süd", b"drei");
    for d in [&d1, &d2, &d3] {
        new_entry(cat.insert_document(d).unwrap());
    }
    // Without a case a document is in no case and not yet in the inbox.
    assert_eq!(cat.case_document_count(a.case_id).unwrap(), 0);
    assert!(cat.list_inbox("Nord", None, 10).unwrap().is_empty());
    let to_inbox = |d: &Document| DocUpdate {
        place: Some(Placement {
            from: None,
            to: Destination::Inbox {
                reason: "no case number found".into(),
            },
        }),
        ..DocUpdate::new(d.document_id)
    };
    cat.update_documents(&[to_inbox(&d1), to_inbox(&d2), to_inbox(&d3)], true)
        .unwrap();
    let inbox = cat.list_inbox("Nord", None, 10).unwrap();
    assert_eq!(
        inbox.iter().map(|d| d.document_id).collect::<Vec<_>>(),
        [d1.document_id, d2.document_id]
    );
    assert_eq!(
        inbox[0].routing_note.as_deref(),
        Some("no case number found")
    );
    assert_eq!(
        cat.list_inbox("Nord", Some(d1.document_id), 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(cat.list_inbox("Süd", None, 10).unwrap().len(), 1);

    let place = |d: &Document, from: Option<&Case>, case: &Case, by: AssignedBy| DocUpdate {
        place: Some(Placement {
            from: from.map(|c| c.case_id),
            to: Destination::Case {
                case: Box::new(case.clone()),
                entry: CaseMove {
                    at: now_millis(),
                    from: from.map(|c| c.case_number.clone()),
                    to: case.case_number.clone(),
                    by,
                    detail: String::new(),
                },
            },
        }),
        ..DocUpdate::new(d.document_id)
    };
    // Read from the text: out of the inbox into case a, queued for the index.
    let before = cat.queue_len(Queue::Index).unwrap();
    let out = cat
        .update_documents(&[place(&d1, None, &a, AssignedBy::Text)], true)
        .unwrap();
    assert_eq!(out[0].case_id, Some(a.case_id));
    assert_eq!(out[0].assigned_by(), Some(AssignedBy::Text));
    assert_eq!(out[0].routing_note, None);
    assert_eq!(cat.queue_len(Queue::Index).unwrap(), before + 1);
    assert_eq!(cat.list_inbox("Nord", None, 10).unwrap().len(), 1);
    assert_eq!(cat.case_document_count(a.case_id).unwrap(), 1);
    // A placement decided for a document in no case does not apply once
    // it has one.
    let out = cat
        .update_documents(&[place(&d1, None, &b, AssignedBy::Code)], true)
        .unwrap();
    assert_eq!(out[0].case_id, Some(a.case_id));
    // A person moves it to case b (another site): history kept, counts moved.
    let out = cat
        .update_documents(&[place(&d1, Some(&a), &b, AssignedBy::Manual)], true)
        .unwrap();
    let moved = &out[0];
    assert_eq!(moved.case_number.as_ref(), Some(&b.case_number));
    assert_eq!(moved.site, "Süd");
    assert_eq!(moved.history.len(), 2);
    assert_eq!(moved.history[0].to, a.case_number);
    assert_eq!(moved.history[1].from.as_ref(), Some(&a.case_number));
    assert_eq!(moved.history[1].by, AssignedBy::Manual);
    assert_eq!(cat.case_document_count(a.case_id).unwrap(), 0);
    assert_eq!(cat.case_document_count(b.case_id).unwrap(), 1);
    assert!(cat
        .list_case_documents(a.case_id, None, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        cat.list_case_documents(b.case_id, None, 10).unwrap()[0].document_id,
        d1.document_id
    );
    // A routed document does not go back to the inbox.
    cat.update_documents(&[to_inbox(&d1)], true).unwrap();
    assert_eq!(cat.list_inbox("Süd", None, 10).unwrap().len(), 1);
}

#[test]
fn a_station_stores_the_same_content_once() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let ids = IdGenerator::new();
    let scanned = |station: &str| {
        let mut d = inbox_document(&ids, "Nord", b"brief");
        d.transfer_note = Some(akte_types::TransferNote {
            station_id: station.into(),
            sha256: Some(d.sha256),
            ..Default::default()
        });
        d
    };
    let first = scanned("poststelle-1");
    new_entry(cat.insert_document(&first).unwrap());
    match cat.insert_document(&scanned("poststelle-1")).unwrap() {
        Inserted::Existing(d) => assert_eq!(d.document_id, first.document_id),
        Inserted::New(_) => panic!("stored twice"),
    }
    // Another station may store the same bytes.
    new_entry(cat.insert_document(&scanned("poststelle-2")).unwrap());
    assert_eq!(cat.document_count().unwrap(), 2);
    assert_eq!(cat.blob_refcount(&first.sha256).unwrap(), 2);
    assert_eq!(
        cat.station_document("poststelle-1", &first.sha256)
            .unwrap()
            .map(|d| d.document_id),
        Some(first.document_id)
    );
}

#[test]
fn unknown_records_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let ids = IdGenerator::new();
    assert!(cat.get_case(ids.case_id()).unwrap().is_none());
    assert!(cat.get_document(ids.document_id()).unwrap().is_none());
    assert!(cat
        .list_case_documents(ids.case_id(), None, 10)
        .unwrap()
        .is_empty());
}

fn access(i: u64) -> akte_types::AccessRecord {
    akte_types::AccessRecord {
        seq: None,
        at: now_millis(),
        action: akte_types::AccessAction::GetCase,
        principal: Some("caseworker:anna".into()),
        peer: "127.0.0.1:1".into(),
        case_number: Some("12345BG0000001".into()),
        document_id: None,
        detail: format!("read {i}"),
        decision: Some(akte_types::AccessDecision::Allowed),
        policies: vec![],
        reason: None,
    }
}

/// The root over the records as stored, leaf by leaf.
fn recomputed_root(cat: &Catalog) -> akte_types::merkle::Hash {
    let mut f = akte_types::merkle::Frontier::default();
    for item in cat.audit_scan() {
        let (_, bytes) = item.unwrap();
        f.push(akte_types::merkle::leaf_hash(&bytes));
    }
    f.root()
}

#[test]
fn concurrent_accesses_share_writes_and_form_one_tree() {
    let dir = tempfile::tempdir().unwrap();
    let cat = std::sync::Arc::new(Catalog::open(dir.path()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let cat = std::sync::Arc::clone(&cat);
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| cat.log_access(&access(t * 100 + i)).unwrap())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..200).collect::<Vec<u64>>());
    assert_eq!(cat.log_size(Log::Access), 200);
    let root = cat.log_root(Log::Access, 200).unwrap();
    assert_eq!(root, recomputed_root(&cat));
    // Every record knows its place.
    for (i, item) in cat.audit_scan().enumerate() {
        let (_, bytes) = item.unwrap();
        assert_eq!(Catalog::decode_access(&bytes).unwrap().seq, Some(i as u64));
    }
    drop(cat);
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.log_size(Log::Access), 200);
    cat.log_access(&access(999)).unwrap();
    assert_eq!(
        cat.log_root(Log::Access, 201).unwrap(),
        recomputed_root(&cat)
    );
    assert_eq!(cat.log_root(Log::Access, 200).unwrap(), root);
}

#[test]
fn records_of_the_log_before_the_tree_are_moved_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    {
        let cat = Catalog::open(dir.path()).unwrap();
        for i in 0..3 {
            cat.db
                .put_cf(cat.cf(CF_ACCESS_LOG), ids.raw(), codec::encode(&access(i)))
                .unwrap();
        }
    }
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.log_size(Log::Access), 3);
    let details: Vec<String> = cat
        .access_log(10)
        .unwrap()
        .into_iter()
        .map(|r| r.detail)
        .collect();
    assert_eq!(details, ["read 2", "read 1", "read 0"]);
    assert!(cat
        .db
        .iterator_cf(cat.cf(CF_ACCESS_LOG), rocksdb::IteratorMode::Start)
        .next()
        .is_none());
    assert_eq!(cat.log_root(Log::Access, 3).unwrap(), recomputed_root(&cat));
}

#[test]
fn access_log_is_kept_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    {
        let cat = Catalog::open(dir.path()).unwrap();
        for i in 0..3 {
            let record = akte_types::AccessRecord {
                seq: None,
                at: now_millis(),
                action: akte_types::AccessAction::DownloadDocument,
                principal: None,
                peer: "127.0.0.1:1".into(),
                case_number: Some("12345BG0000001".into()),
                document_id: Some(format!("doc{i}")),
                detail: String::new(),
                decision: Some(akte_types::AccessDecision::Allowed),
                policies: vec!["caseworker-own-site".into()],
                reason: None,
            };
            assert_eq!(cat.log_access(&record).unwrap(), i);
        }
    }
    let cat = Catalog::open(dir.path()).unwrap();
    let log = cat.access_log(2).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].document_id.as_deref(), Some("doc2"));
    assert_eq!(log[1].document_id.as_deref(), Some("doc1"));
}

/// Bytes of write-ahead log files in the catalog directory.
fn wal_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// Polls `f` for up to ten seconds (RocksDB flushes in the background).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < until, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn write_ahead_logs_stay_bounded_and_shutdown_flushes_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog");
    let catalog = Catalog::open_with_wal_limit(&path, 1024 * 1024).unwrap();
    let ids = IdGenerator::new();
    // The cases column family is written once and never again: without a
    // bound every log since would be kept for its sake.
    let c = case(&ids, "12345BG0000077", "Nord");
    catalog.create_case(&c).unwrap();
    // RocksDB enforces the bound when it is written to: a write past it
    // flushes the column families holding the oldest log. Logs that grew
    // while such a flush was running stay until the next write, so writing
    // goes on (as in a server) until the bound shows.
    let mut written = 0u32;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while written < 8000 || wal_bytes(&path) >= 2 * 1024 * 1024 {
        assert!(
            written < 8000 || std::time::Instant::now() < until,
            "logs not bounded: {} bytes after {written} documents",
            wal_bytes(&path)
        );
        catalog
            .insert_document(&document(&ids, &c, &written.to_le_bytes()))
            .unwrap();
        written += 1;
        if written > 8000 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    catalog.flush().unwrap();
    // Column families are flushed one job each; a log a later job still
    // needed may be left (seen: 84 KB of the 2 MB) until the next write.
    // What matters is that almost nothing is left to replay at the next start.
    eventually("logs flushed", || wal_bytes(&path) < 256 * 1024);
    drop(catalog);
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.document_count().unwrap(), u64::from(written));
    assert_eq!(
        catalog.case_document_count(c.case_id).unwrap(),
        u64::from(written)
    );
}

#[test]
fn damaged_counters_are_errors_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let ids = IdGenerator::new();
    let a = case(&ids, "12345BG0000031", "Nord");
    cat.create_case(&a).unwrap();
    let d = document(&ids, &a, b"gezaehlt");
    new_entry(cat.insert_document(&d).unwrap());
    assert_eq!(cat.blob_refcount(&d.sha256).unwrap(), 1);

    // An operand that does not decode: the merge fails, the read says so.
    let key = crate::keys::blob_counter_key(&d.sha256);
    cat.db
        .merge_cf(cat.cf(CF_COUNTERS), &key, b"\x01kaputt")
        .unwrap();
    assert!(cat.blob_refcount(&d.sha256).is_err());
    // It stays damaged through later merges and a flush, and the rest of
    // the catalog goes on working.
    cat.db
        .merge_cf(cat.cf(CF_COUNTERS), &key, codec::encode_counter(1))
        .unwrap();
    cat.flush().unwrap();
    assert!(cat.blob_refcount(&d.sha256).is_err());
    let e = document(&ids, &a, b"danach");
    new_entry(cat.insert_document(&e).unwrap());
    assert_eq!(cat.blob_refcount(&e.sha256).unwrap(), 1);

    // A stored value that does not decode.
    let other = ContentHash::of(b"anderes");
    let key = crate::keys::blob_counter_key(&other);
    cat.db.put_cf(cat.cf(CF_COUNTERS), &key, b"\x07").unwrap();
    assert!(cat.blob_refcount(&other).is_err());

    // A count below zero is damage too, not 0.
    let key = crate::keys::case_counter_key(a.case_id);
    cat.db
        .merge_cf(cat.cf(CF_COUNTERS), &key, codec::encode_counter(-5))
        .unwrap();
    assert!(cat.case_document_count(a.case_id).is_err());
}

#[test]
fn the_catalog_keeps_its_identity() {
    let dir = tempfile::tempdir().unwrap();
    let id = Catalog::open(dir.path()).unwrap().catalog_id().to_owned();
    assert_eq!(id.len(), 26);
    assert_eq!(Catalog::open(dir.path()).unwrap().catalog_id(), id);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(Catalog::open(other.path()).unwrap().catalog_id(), id);
}

#[test]
fn the_last_checkpoint_is_the_largest_size() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.last_checkpoint(Log::Access).unwrap(), None);
    cat.add_access_class("case\u{1f}Nord\u{1f}").unwrap();
    for size in [5u64, 300, 12] {
        cat.put_checkpoint(Log::Access, size, size.to_string().as_bytes())
            .unwrap();
    }
    assert_eq!(
        cat.last_checkpoint(Log::Access).unwrap(),
        Some((300, b"300".to_vec()))
    );
    assert_eq!(cat.checkpoints(Log::Access).unwrap().len(), 3);
}

fn share(ids: &IdGenerator, case: &Case, docs: &[&Document]) -> akte_types::ShareRecord {
    akte_types::ShareRecord {
        share_id: ids.share_id(),
        case_id: case.case_id,
        case_number: case.case_number.clone(),
        purpose: akte_types::SharePurpose::Documents,
        document_ids: docs.iter().map(|d| d.document_id).collect(),
        recipient: "Bäckerei Schmidt GmbH".into(),
        created_by: "caseworker:anna".into(),
        created_at: now_millis(),
        expires_at: now_millis() + 86_400_000,
        revoked_at: None,
        revoked_by: None,
    }
}

#[test]
fn share_links_are_found_by_their_token_hash_listed_by_case_and_revoked_once() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let nord = case(&ids, "12345BG0000001", "Nord");
    let other = case(&ids, "12345BG0000002", "Nord");
    let doc = document(&ids, &nord, b"Lebenslauf");
    let first = share(&ids, &nord, &[&doc]);
    let second = share(&ids, &nord, &[]);
    let elsewhere = share(&ids, &other, &[]);
    {
        let cat = Catalog::open(dir.path()).unwrap();
        cat.create_case(&nord).unwrap();
        cat.create_case(&other).unwrap();
        cat.create_share(&first, &[1; 32]).unwrap();
        cat.create_share(&second, &[2; 32]).unwrap();
        cat.create_share(&elsewhere, &[3; 32]).unwrap();
    }
    // Durable: found again after reopening.
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.share_by_token(&[1; 32]).unwrap(), Some(first.clone()));
    assert_eq!(cat.share_by_token(&[2; 32]).unwrap(), Some(second.clone()));
    assert_eq!(cat.share_by_token(&[9; 32]).unwrap(), None);
    assert_eq!(cat.get_share(ids.share_id()).unwrap(), None);
    // A case's links, newest first, and only its own.
    let listed = cat.case_shares(nord.case_id, 10).unwrap();
    assert_eq!(listed, [second.clone(), first.clone()]);
    assert_eq!(
        cat.case_shares(nord.case_id, 1).unwrap(),
        std::slice::from_ref(&second)
    );
    assert_eq!(cat.case_shares(other.case_id, 10).unwrap(), [elsewhere]);

    let revoked = cat
        .revoke_share(first.share_id, 1000, "caseworker:anna".into())
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(1000));
    assert_eq!(revoked.revoked_by.as_deref(), Some("caseworker:anna"));
    // The first revocation stays.
    let again = cat
        .revoke_share(first.share_id, 2000, "admin:root".into())
        .unwrap()
        .unwrap();
    assert_eq!(again, revoked);
    assert_eq!(cat.share_by_token(&[1; 32]).unwrap(), Some(revoked));
    assert_eq!(
        cat.revoke_share(ids.share_id(), 1, "x".into()).unwrap(),
        None
    );
}

#[test]
fn timeline_events_survive_a_restart_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let c = case(&ids, "12345BG0000001", "Nord");
    {
        let cat = Catalog::open(dir.path()).unwrap();
        cat.create_case(&c).unwrap();
        cat.set_case_status(
            c.case_id,
            akte_types::CaseStatus::InProgress,
            "in Bearbeitung".into(),
            String::new(),
            None,
        )
        .unwrap();
    }
    // Reopened with empty queues, the sequence numbers start again; the
    // events written now neither replace nor sort before the earlier ones.
    let cat = Catalog::open(dir.path()).unwrap();
    cat.set_case_status(
        c.case_id,
        akte_types::CaseStatus::Decided,
        "entschieden".into(),
        String::new(),
        None,
    )
    .unwrap();
    let events = cat.timeline(c.case_id, 0, 100).unwrap();
    let texts: Vec<&str> = events.iter().map(|e| e.public_text.as_str()).collect();
    assert_eq!(events.len(), 3, "{texts:?}");
    assert_eq!(&texts[1..], ["in Bearbeitung", "entschieden"]);
    assert_eq!(events[0].kind, akte_types::TimelineKind::Created);
    assert_eq!(
        cat.timeline(c.case_id, 1, 1).unwrap()[0].public_text,
        "in Bearbeitung"
    );
}
