//! The evidence log: every document ever stored, one leaf each, as an RFC
//! 6962 Merkle tree (see `tree`) whose signed roots prove the documents'
//! contents unchanged.
//!
//! A document's leaf ([`EvidenceLeaf`]: id, SHA-256, size, time) is written
//! in the same batch as its row, under the next index in `evidence`, with
//! the completed subtrees in `evidence_nodes` and the index under the
//! document's id in `evidence_documents`. Leaves are only ever appended:
//! nothing that later changes or removes a document touches them.

use akte_types::merkle::Hash;
use akte_types::{CaseId, Document, DocumentId, EvidenceLeaf, TimelineEvent};
use rocksdb::WriteBatch;

use crate::keys::{blob_counter_key, case_counter_key, case_document_key};
use crate::tree::Leaf;
use crate::{codec, synced, Catalog, CatalogError, Result};
use crate::{
    CF_CASE_DOCUMENTS, CF_COUNTERS, CF_DOCUMENTS, CF_EVIDENCE, CF_EVIDENCE_DOCUMENTS,
    CF_INDEX_QUEUE, CF_META, CF_STATION_DOCUMENTS,
};

/// Key in `meta` saying that every document has its leaf (written by the
/// migration of a catalog from before the evidence log, or at creation).
const META_EVIDENCE_COMPLETE: &[u8] = b"evidence_complete";

/// Documents given their leaves in one write by the migration.
const MIGRATION_CHUNK: usize = 1024;

/// A document stored now: its row and everything written with it.
pub(crate) struct NewDocument {
    pub doc: Document,
    /// The station's record of the content (station, sha256), for a scan.
    pub station_key: Option<Vec<u8>>,
    /// The event on the case's timeline, for a document with a case.
    pub event: Option<(CaseId, TimelineEvent)>,
    /// Its place in the index queue.
    pub queue_seq: u64,
}

/// A leaf of the evidence log.
pub(crate) enum DocumentLeaf {
    New(Box<NewDocument>),
    /// A document stored before the evidence log existed (migration); its
    /// row is there already.
    Existing(EvidenceLeaf),
}

impl Leaf for DocumentLeaf {
    fn place(self, catalog: &Catalog, index: u64, batch: &mut WriteBatch) -> (Vec<u8>, Hash) {
        let leaf = match self {
            DocumentLeaf::New(new) => {
                let leaf = EvidenceLeaf::of(&new.doc);
                catalog.put_new_document(batch, *new);
                leaf
            }
            DocumentLeaf::Existing(leaf) => leaf,
        };
        batch.put_cf(
            catalog.cf(CF_EVIDENCE_DOCUMENTS),
            leaf.document_id.to_bytes(),
            index.to_be_bytes(),
        );
        (codec::encode(&leaf), leaf.hash())
    }
}

impl Catalog {
    /// The place of a document's leaf in the evidence log.
    fn evidence_index(&self, document: DocumentId) -> Result<Option<u64>> {
        self.db
            .get_pinned_cf(self.cf(CF_EVIDENCE_DOCUMENTS), document.to_bytes())?
            .map(|v| codec::decode_u64(&v, CF_EVIDENCE_DOCUMENTS))
            .transpose()
    }

    /// A document's leaf in the evidence log and its place there, if it
    /// has one.
    pub fn evidence_of(&self, document: DocumentId) -> Result<Option<(u64, EvidenceLeaf)>> {
        let Some(index) = self.evidence_index(document)? else {
            return Ok(None);
        };
        let corrupt = |reason: String| CatalogError::Corrupt {
            cf: CF_EVIDENCE,
            reason,
        };
        let record = self
            .evidence
            .record(self, index)?
            .ok_or_else(|| corrupt(format!("leaf {index} of document {document} is missing")))?;
        let leaf: EvidenceLeaf = codec::decode(&record)?;
        if leaf.document_id != document {
            return Err(corrupt(format!(
                "leaf {index} names document {}, not {document}",
                leaf.document_id
            )));
        }
        Ok(Some((index, leaf)))
    }

    /// At open: the evidence log's size; in a catalog from before the log
    /// existed, a leaf appended for every document without one, in
    /// document id order. Resumes where a crash stopped it.
    pub(crate) fn open_evidence(&self) -> Result<()> {
        self.evidence.open(self)?;
        if self
            .db
            .get_pinned_cf(self.cf(CF_META), META_EVIDENCE_COMPLETE)?
            .is_some()
        {
            return Ok(());
        }
        let mut after: Option<DocumentId> = None;
        let mut added = 0usize;
        loop {
            let docs = self.list_documents(after, MIGRATION_CHUNK)?;
            let Some(last) = docs.last() else { break };
            after = Some(last.document_id);
            let mut leaves = Vec::new();
            for doc in &docs {
                if self.evidence_index(doc.document_id)?.is_none() {
                    leaves.push(DocumentLeaf::Existing(EvidenceLeaf::of(doc)));
                }
            }
            added += leaves.len();
            if !leaves.is_empty() {
                self.evidence
                    .append_all(self, leaves, WriteBatch::default())?;
            }
        }
        self.db.put_cf_opt(
            self.cf(CF_META),
            META_EVIDENCE_COMPLETE,
            codec::encode(&format!("{added} documents given their leaves at open")),
            &synced(),
        )?;
        if added > 0 {
            tracing::info!(
                documents = added,
                "documents stored before the evidence log were given their leaves"
            );
        }
        Ok(())
    }

    /// The row of a document and what goes with it, as a leaf of the
    /// evidence log places it.
    fn put_new_document(&self, batch: &mut WriteBatch, new: NewDocument) {
        let NewDocument {
            doc,
            station_key,
            event,
            queue_seq,
        } = new;
        if let Some(key) = station_key {
            batch.put_cf(
                self.cf(CF_STATION_DOCUMENTS),
                key,
                doc.document_id.to_bytes(),
            );
        }
        batch.put_cf(
            self.cf(CF_DOCUMENTS),
            doc.document_id.to_bytes(),
            codec::encode(&doc),
        );
        if let Some((case_id, event)) = event {
            self.add_event(batch, case_id, &event);
            batch.put_cf(
                self.cf(CF_CASE_DOCUMENTS),
                case_document_key(case_id, doc.document_id),
                [],
            );
            batch.merge_cf(
                self.cf(CF_COUNTERS),
                case_counter_key(case_id),
                codec::encode_counter(1),
            );
        }
        batch.merge_cf(
            self.cf(CF_COUNTERS),
            blob_counter_key(&doc.sha256),
            codec::encode_counter(1),
        );
        batch.put_cf(
            self.cf(CF_INDEX_QUEUE),
            queue_seq.to_be_bytes(),
            doc.document_id.to_bytes(),
        );
    }
}

#[cfg(any(test, feature = "testing"))]
impl Catalog {
    /// Removes the evidence log and its mark of completeness, as in a
    /// catalog from before it existed (for tests of the migration).
    pub fn forget_evidence(&self) -> Result<()> {
        let mut batch = WriteBatch::default();
        for cf in [CF_EVIDENCE, crate::CF_EVIDENCE_NODES, CF_EVIDENCE_DOCUMENTS] {
            for item in self
                .db
                .iterator_cf(self.cf(cf), rocksdb::IteratorMode::Start)
            {
                batch.delete_cf(self.cf(cf), item?.0);
            }
        }
        batch.delete_cf(self.cf(CF_META), META_EVIDENCE_COMPLETE);
        self.db.write_opt(batch, &synced())?;
        self.evidence.open(self)
    }

    /// Writes a leaf's record as it is, past the log: what someone editing
    /// the database could do (for tamper tests).
    pub fn tamper_put_evidence_leaf(&self, index: u64, leaf: &EvidenceLeaf) -> Result<()> {
        Ok(self.db.put_cf(
            self.cf(CF_EVIDENCE),
            index.to_be_bytes(),
            codec::encode(leaf),
        )?)
    }
}
