//! The evidence of documents: every document's proof verifies against the
//! signed root, a changed hash does not, the document's readers alone get
//! it, and documents stored before the evidence log get their leaves.

use akte_catalog::Log;
use akte_types::{AccessAction, AccessDecision, ContentHash, Document};

use crate::access::{Caller, Principal, PrincipalKind};
use crate::tests::{admin, chunks, new_case, store, text_header};
use crate::{DocumentEvidence, ErrorCode, Store};

async fn upload(s: &Store, text: &str) -> Document {
    s.upload(
        &admin(),
        text_header("12345BG0000001"),
        chunks(text.as_bytes()),
    )
    .await
    .unwrap()
}

async fn evidence(s: &Store, doc: &Document) -> DocumentEvidence {
    s.document_evidence(&admin(), &doc.document_id.to_string())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_documents_proof_verifies_and_a_changed_hash_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    new_case(&s, "12345BG0000001").await;
    let mut docs = Vec::new();
    for i in 0..7 {
        docs.push(upload(&s, &format!("Nachweis Nummer {i}")).await);
    }
    let key = s.checkpoint_public_key();
    for (i, doc) in docs.iter().enumerate() {
        let e = evidence(&s, doc).await;
        assert_eq!(e.leaf_index, i as u64);
        assert_eq!(e.leaf.document_id, doc.document_id);
        assert_eq!(
            e.leaf.sha256,
            ContentHash::of(format!("Nachweis Nummer {i}").as_bytes())
        );
        assert_eq!(e.leaf.size_bytes, doc.size_bytes);
        assert_eq!(e.leaf.created_at, doc.created_at);
        // One root, signed when it was first asked for, covers all seven.
        assert_eq!(e.root.size, 7);
        assert_eq!(e.public_key, key);
        assert!(e.verify(&key), "the proof of leaf {i}");

        let mut changed = e.clone();
        changed.leaf.sha256 = ContentHash::of(b"ein anderes Dokument");
        assert!(!changed.verify(&key), "a changed hash of leaf {i}");
        let mut changed = e.clone();
        changed.leaf.size_bytes += 1;
        assert!(!changed.verify(&key));
        let mut tampered = e.clone();
        tampered.path[0][0] ^= 1;
        assert!(!tampered.verify(&key), "a changed path of leaf {i}");
        let mut resigned = e.clone();
        resigned.root.at += 1;
        assert!(!resigned.verify(&key), "a root with another time");
    }
    assert_eq!(s.catalog().checkpoints(Log::Evidence).unwrap().len(), 1);

    // The root is in the object store, beside the key, never overwritten.
    let catalog_id = s.catalog().catalog_id().to_owned();
    let objects = dir.path().join("objects/evidence").join(&catalog_id);
    let root: crate::checkpoint::Checkpoint = serde_json::from_slice(
        &std::fs::read(objects.join("roots/00000000000000000007.json")).unwrap(),
    )
    .unwrap();
    assert!(root.verify(Log::Evidence, &key));
    assert!(
        !root.verify(Log::Access, &key),
        "not an access log checkpoint"
    );
    assert_eq!(
        std::fs::read_to_string(objects.join("checkpoint-key.pub")).unwrap(),
        hex::encode(&key)
    );

    // A later document gets a newer root; the older ones prove into it too.
    let later = upload(&s, "Noch ein Nachweis").await;
    let e = evidence(&s, &later).await;
    assert_eq!((e.leaf_index, e.root.size), (7, 8));
    assert!(e.verify(&key));
    let first = evidence(&s, &docs[0]).await;
    assert_eq!(first.root.size, 8);
    assert!(first.verify(&key));
    // Nothing new: no new root.
    assert!(s.write_checkpoint(Log::Evidence).await.unwrap().is_none());
}

#[tokio::test]
async fn only_readers_of_the_document_get_its_evidence_and_each_asking_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    new_case(&s, "12345BG0000001").await;
    let doc = upload(&s, "Mietvertrag").await;
    let id = doc.document_id.to_string();
    let of = |name: &str, site: &str| {
        Caller::new(
            Principal::new(PrincipalKind::Caseworker, name).with_sites(&[site]),
            "10.0.0.7:5000",
        )
    };
    let nord = of("anna", "Nord");
    assert!(s.document_evidence(&nord, &id).await.is_ok());
    let sued = of("bernd", "Süd");
    let err = s.document_evidence(&sued, &id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    // An unknown document answers alike.
    let unknown = akte_types::IdGenerator::new().document_id().to_string();
    let err = s.document_evidence(&nord, &unknown).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);

    let auditor = Caller::new(Principal::new(PrincipalKind::Auditor, "revision"), "");
    let log = s.access_log(&auditor, 100).await.unwrap();
    let asked: Vec<_> = log
        .iter()
        .filter(|r| r.action == AccessAction::GetDocumentEvidence)
        .map(|r| {
            (
                r.principal.clone().unwrap_or_default(),
                r.decision,
                r.document_id.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        [
            (
                "caseworker:anna".to_owned(),
                Some(AccessDecision::Denied),
                unknown
            ),
            (
                "caseworker:bernd".to_owned(),
                Some(AccessDecision::Denied),
                id.clone()
            ),
            (
                "caseworker:anna".to_owned(),
                Some(AccessDecision::Allowed),
                id
            ),
        ]
    );
}

#[tokio::test]
async fn a_leaf_changed_in_the_catalog_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    new_case(&s, "12345BG0000001").await;
    let docs = [
        upload(&s, "Erster Brief").await,
        upload(&s, "Zweiter Brief").await,
    ];
    assert!(evidence(&s, &docs[1])
        .await
        .verify(&s.checkpoint_public_key()));
    // Someone swaps the blob and edits the leaf to its hash.
    let (index, mut leaf) = s
        .catalog()
        .evidence_of(docs[1].document_id)
        .unwrap()
        .unwrap();
    leaf.sha256 = ContentHash::of(b"untergeschoben");
    s.catalog().tamper_put_evidence_leaf(index, &leaf).unwrap();
    let err = s
        .document_evidence(&admin(), &docs[1].document_id.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DataLoss);
    // The other document's proof still holds.
    assert!(evidence(&s, &docs[0])
        .await
        .verify(&s.checkpoint_public_key()));
}

#[tokio::test]
async fn documents_stored_before_the_evidence_log_get_their_leaves_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let docs;
    {
        let s = store(dir.path(), |_| {});
        new_case(&s, "12345BG0000001").await;
        docs = [
            upload(&s, "Antrag").await,
            upload(&s, "Bescheid").await,
            upload(&s, "Nachweis").await,
        ];
        // As a catalog written by a version without the evidence log.
        s.catalog().forget_evidence().unwrap();
        assert!(s
            .catalog()
            .evidence_of(docs[0].document_id)
            .unwrap()
            .is_none());
    }
    let s = store(dir.path(), |_| {});
    assert_eq!(s.catalog().log_size(Log::Evidence), 3);
    let key = s.checkpoint_public_key();
    for (i, doc) in docs.iter().enumerate() {
        let e = evidence(&s, doc).await;
        assert_eq!(e.leaf_index, i as u64, "in document id order");
        assert_eq!(e.leaf, akte_types::EvidenceLeaf::of(doc));
        assert!(e.verify(&key));
    }
    drop(s);
    // Once only: the next start adds nothing.
    let s = store(dir.path(), |_| {});
    assert_eq!(s.catalog().log_size(Log::Evidence), 3);
}
