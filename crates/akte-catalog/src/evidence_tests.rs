//! The evidence log: a leaf for every document, written with its row.

use std::sync::Arc;

use akte_types::merkle::{self, Frontier};
use akte_types::{EvidenceLeaf, IdGenerator};

use crate::tests::{case, document, new_entry};
use crate::{Catalog, Log};

/// The root over the leaves as stored, one by one.
fn recomputed_root(cat: &Catalog, docs: &[akte_types::Document]) -> merkle::Hash {
    let mut by_index: Vec<(u64, EvidenceLeaf)> = docs
        .iter()
        .map(|d| cat.evidence_of(d.document_id).unwrap().unwrap())
        .collect();
    by_index.sort_by_key(|(i, _)| *i);
    let mut f = Frontier::default();
    for (_, leaf) in &by_index {
        f.push(leaf.hash());
    }
    f.root()
}

#[test]
fn concurrent_documents_get_one_leaf_each_in_one_tree() {
    let dir = tempfile::tempdir().unwrap();
    let ids = Arc::new(IdGenerator::new());
    let k = case(&ids, "12345BG0000001", "Nord");
    let cat = Arc::new(Catalog::open(dir.path()).unwrap());
    cat.create_case(&k).unwrap();
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let (cat, ids, k) = (Arc::clone(&cat), Arc::clone(&ids), k.clone());
            std::thread::spawn(move || {
                (0..10u8)
                    .map(|i| {
                        let d = document(&ids, &k, &[t, i]);
                        new_entry(cat.insert_document(&d).unwrap());
                        d
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let docs: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(cat.log_size(Log::Evidence), 80);
    let mut places: Vec<u64> = docs
        .iter()
        .map(|d| {
            let (index, leaf) = cat.evidence_of(d.document_id).unwrap().unwrap();
            assert_eq!(leaf, EvidenceLeaf::of(d));
            index
        })
        .collect();
    places.sort_unstable();
    assert_eq!(places, (0..80).collect::<Vec<u64>>());
    let root = cat.log_root(Log::Evidence, 80).unwrap();
    assert_eq!(root, recomputed_root(&cat, &docs));
    for d in &docs {
        let (index, leaf) = cat.evidence_of(d.document_id).unwrap().unwrap();
        let path = cat.log_inclusion_proof(Log::Evidence, index, 80).unwrap();
        assert!(merkle::verify_inclusion(
            index,
            80,
            &leaf.hash(),
            &path,
            &root
        ));
    }
    // The access log is a tree of its own.
    assert_eq!(cat.log_size(Log::Access), 0);
    drop(cat);
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.log_size(Log::Evidence), 80);
    let later = document(&ids, &k, b"later");
    new_entry(cat.insert_document(&later).unwrap());
    assert_eq!(cat.evidence_of(later.document_id).unwrap().unwrap().0, 80);
    assert_eq!(cat.log_root(Log::Evidence, 80).unwrap(), root);
}

#[test]
fn a_station_storing_the_same_content_again_adds_no_leaf() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let cat = Catalog::open(dir.path()).unwrap();
    let k = case(&ids, "12345BG0000001", "Nord");
    let scanned = || {
        let mut d = document(&ids, &k, b"scan");
        d.case_id = None;
        d.case_number = None;
        d.transfer_note = Some(akte_types::TransferNote {
            station_id: "poststelle-1".into(),
            ..Default::default()
        });
        d
    };
    let first = scanned();
    new_entry(cat.insert_document(&first).unwrap());
    let again = scanned();
    assert!(matches!(
        cat.insert_document(&again).unwrap(),
        crate::Inserted::Existing(_)
    ));
    assert_eq!(cat.log_size(Log::Evidence), 1);
    assert!(cat.evidence_of(again.document_id).unwrap().is_none());
}

#[test]
fn documents_of_a_catalog_from_before_get_leaves_in_id_order_once() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let k = case(&ids, "12345BG0000001", "Nord");
    let docs: Vec<_> = (0..5u8).map(|i| document(&ids, &k, &[i])).collect();
    {
        let cat = Catalog::open(dir.path()).unwrap();
        cat.create_case(&k).unwrap();
        // Stored newest id first: the leaves' order is the order of storing.
        for d in docs.iter().rev() {
            new_entry(cat.insert_document(d).unwrap());
        }
        assert_eq!(cat.evidence_of(docs[4].document_id).unwrap().unwrap().0, 0);
        // As a catalog of a version without the evidence log.
        cat.forget_evidence().unwrap();
        assert_eq!(cat.log_size(Log::Evidence), 0);
        assert!(cat.evidence_of(docs[0].document_id).unwrap().is_none());
    }
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.log_size(Log::Evidence), 5);
    for (i, d) in docs.iter().enumerate() {
        let (index, leaf) = cat.evidence_of(d.document_id).unwrap().unwrap();
        assert_eq!(index, i as u64, "leaves in document id order");
        assert_eq!(leaf, EvidenceLeaf::of(d));
    }
    let root = cat.log_root(Log::Evidence, 5).unwrap();
    assert_eq!(root, recomputed_root(&cat, &docs));
    drop(cat);
    // Once: the next open adds nothing, and new documents follow.
    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.log_size(Log::Evidence), 5);
    let later = document(&ids, &k, b"later");
    new_entry(cat.insert_document(&later).unwrap());
    assert_eq!(cat.evidence_of(later.document_id).unwrap().unwrap().0, 5);
    assert_eq!(cat.log_root(Log::Evidence, 5).unwrap(), root);
}

#[test]
fn checkpoints_of_the_two_logs_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    cat.put_checkpoint(Log::Access, 7, b"access").unwrap();
    cat.put_checkpoint(Log::Evidence, 3, b"evidence").unwrap();
    assert_eq!(
        cat.last_checkpoint(Log::Access).unwrap(),
        Some((7, b"access".to_vec()))
    );
    assert_eq!(
        cat.last_checkpoint(Log::Evidence).unwrap(),
        Some((3, b"evidence".to_vec()))
    );
    assert_eq!(cat.checkpoints(Log::Evidence).unwrap().len(), 1);
}
