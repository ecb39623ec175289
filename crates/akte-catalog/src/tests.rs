use super::*;
use akte_types::{now_millis, CaseNumberPattern, IdGenerator};

fn case(ids: &IdGenerator, number: &str, site: &str) -> Case {
    Case {
        case_id: ids.case_id(),
        case_number: CaseNumberPattern::default().parse(number).unwrap(),
        title: format!("Akte {number}"),
        site: site.into(),
        team: None,
        parties: vec!["Erika Mustermann".into()],
        created_at: now_millis(),
    }
}

fn document(ids: &IdGenerator, case: &Case, content: &[u8]) -> Document {
    Document {
        document_id: ids.document_id(),
        case_id: case.case_id,
        case_number: case.case_number.clone(),
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
            cat.insert_document(d).unwrap();
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

    let queued = cat.queued(100).unwrap();
    assert_eq!(queued.len(), 5);
    assert!(queued.windows(2).all(|w| w[0].seq < w[1].seq));
    // New entries after reopen continue the sequence.
    let extra = document(&ids, &k, b"third");
    let e = cat.insert_document(&extra).unwrap();
    assert!(e.seq > queued[4].seq);

    let outcomes: Vec<IndexOutcome> = queued
        .iter()
        .map(|entry| IndexOutcome {
            entry: *entry,
            state: IndexState::Indexed,
            error: None,
        })
        .collect();
    cat.finish_indexing(&outcomes).unwrap();
    assert_eq!(cat.queued(100).unwrap(), vec![e]);
    assert_eq!(
        cat.get_document(docs[0].document_id)
            .unwrap()
            .unwrap()
            .index_state,
        IndexState::Indexed
    );
    let moved = cat.requeue(&[e]).unwrap();
    assert_eq!(cat.queued(100).unwrap(), moved);
    assert!(moved[0].seq > e.seq);
    assert_eq!(cat.enqueue_all().unwrap(), 6);
    assert_eq!(cat.queue_len().unwrap(), 7);
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

#[test]
fn access_log_is_kept_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    {
        let cat = Catalog::open(dir.path()).unwrap();
        for i in 0..3 {
            let record = akte_types::AccessRecord {
                at: now_millis(),
                action: akte_types::AccessAction::DownloadDocument,
                principal: None,
                peer: "127.0.0.1:1".into(),
                case_number: Some("12345BG0000001".into()),
                document_id: Some(format!("doc{i}")),
                detail: String::new(),
            };
            cat.log_access(ids.document_id().to_bytes(), &record)
                .unwrap();
        }
    }
    let cat = Catalog::open(dir.path()).unwrap();
    let log = cat.access_log(2).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].document_id.as_deref(), Some("doc2"));
    assert_eq!(log[1].document_id.as_deref(), Some("doc1"));
}
