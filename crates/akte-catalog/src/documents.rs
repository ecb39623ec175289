//! Documents: rows, links from cases, inboxes, texts, stations' uploads.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use akte_types::{CaseId, ContentHash, Document, DocumentId, DocumentText};
use rocksdb::{IteratorMode, WriteBatch};

use crate::evidence::{DocumentLeaf, NewDocument};
use crate::keys::{
    case_counter_key, case_document_key, document_from_case_key, inbox_key, station_key, station_of,
};
use crate::{
    codec, synced, Catalog, CatalogError, Destination, DocUpdate, Inserted, Placement, Queue,
    QueueEntry, Result,
};
use crate::{
    CF_CASE_DOCUMENTS, CF_COUNTERS, CF_DOCUMENTS, CF_INBOX, CF_STATION_DOCUMENTS, CF_TEXTS,
};

impl Catalog {
    // ------------------------------------------------------------ documents

    /// Records a new document whose blob is already durable: the document row,
    /// its link from the case (if it has one), the blob's reference count, the
    /// case's document count, the indexing queue entry, for a scanned
    /// document its station's record of the content, and its leaf in the
    /// evidence log, in one synced write (shared with concurrent inserts).
    ///
    /// If the document's station already stored the same content, nothing is
    /// written and that earlier document is returned.
    pub fn insert_document(&self, doc: &Document) -> Result<Inserted> {
        // Only a station's upload checks for an earlier one, under its
        // station's lock until the write is done.
        let _guard = station_of(doc).map(|s| self.station_lock(s).lock());
        let station_key = match station_of(doc) {
            Some(station) => {
                let key = station_key(station, &doc.sha256);
                if let Some(existing) = self.station_document_by_key(&key)? {
                    return Ok(Inserted::Existing(Box::new(existing)));
                }
                Some(key)
            }
            None => None,
        };
        let event = match doc.case_id {
            Some(case_id) => {
                let status = self
                    .get_case(case_id)?
                    .map(|c| c.status)
                    .unwrap_or_default();
                let event = document_event(
                    doc,
                    akte_types::TimelineKind::DocumentReceived,
                    status,
                    doc.created_at,
                    format!("received from {}", doc.source),
                );
                Some((case_id, event))
            }
            None => None,
        };
        let queue_seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        let new = NewDocument {
            doc: doc.clone(),
            station_key,
            event,
            queue_seq,
        };
        self.evidence
            .append(self, DocumentLeaf::New(Box::new(new)))?;
        Ok(Inserted::New(QueueEntry {
            seq: queue_seq,
            document_id: doc.document_id,
        }))
    }

    /// The document a station stored with this content, if any.
    pub fn station_document(&self, station: &str, hash: &ContentHash) -> Result<Option<Document>> {
        self.station_document_by_key(&station_key(station, hash))
    }

    fn station_document_by_key(&self, key: &[u8]) -> Result<Option<Document>> {
        match self.db.get_pinned_cf(self.cf(CF_STATION_DOCUMENTS), key)? {
            Some(id) => {
                let id = DocumentId::from_slice(&id).ok_or_else(|| CatalogError::Corrupt {
                    cf: CF_STATION_DOCUMENTS,
                    reason: "document id is not 16 bytes".into(),
                })?;
                self.get_document(id)
            }
            None => Ok(None),
        }
    }

    /// The stored text of a document, if it has been extracted or recognised.
    pub fn get_text(&self, id: DocumentId) -> Result<Option<DocumentText>> {
        self.db
            .get_pinned_cf(self.cf(CF_TEXTS), id.to_bytes())?
            .map(|v| codec::decode(&v))
            .transpose()
    }

    /// Applies changes to documents in one write (synced if `sync`): index
    /// state, text, a placement into a case or the inbox, queue entries.
    /// Returns the documents as they are afterwards (missing ones are
    /// skipped). A placement applies only to a document still in the case
    /// (or in no case) it names; the caller decides what moves.
    pub fn update_documents(&self, updates: &[DocUpdate], sync: bool) -> Result<Vec<Document>> {
        let _guard = self.update_lock.lock();
        let mut batch = WriteBatch::default();
        let mut docs: HashMap<DocumentId, Document> = HashMap::new();
        let mut order: Vec<DocumentId> = Vec::new();
        for u in updates {
            if let Some((queue, seq)) = u.dequeue {
                batch.delete_cf(self.cf(queue.cf_name()), seq.to_be_bytes());
            }
            let doc = match docs.get_mut(&u.document_id) {
                Some(d) => d,
                None => match self.get_document(u.document_id)? {
                    Some(d) => {
                        order.push(u.document_id);
                        docs.entry(u.document_id).or_insert(d)
                    }
                    None => continue,
                },
            };
            if let Some(text) = &u.text {
                doc.page_count = u32::try_from(text.pages.len()).unwrap_or(u32::MAX);
                batch.put_cf(
                    self.cf(CF_TEXTS),
                    doc.document_id.to_bytes(),
                    codec::encode(text),
                );
            }
            if let Some((state, error)) = &u.state {
                doc.index_state = *state;
                doc.index_error.clone_from(error);
            }
            let mut enqueue = u.enqueue;
            match &u.place {
                Some(p) if p.from != doc.case_id => {
                    // Moved meanwhile: the decision no longer applies.
                }
                Some(Placement {
                    to: Destination::Case { case, entry },
                    ..
                }) => {
                    match doc.case_id {
                        Some(old) => {
                            batch.delete_cf(
                                self.cf(CF_CASE_DOCUMENTS),
                                case_document_key(old, doc.document_id),
                            );
                            batch.merge_cf(
                                self.cf(CF_COUNTERS),
                                case_counter_key(old),
                                codec::encode_counter(-1),
                            );
                        }
                        None => {
                            batch.delete_cf(
                                self.cf(CF_INBOX),
                                inbox_key(&doc.site, doc.document_id),
                            );
                        }
                    }
                    batch.put_cf(
                        self.cf(CF_CASE_DOCUMENTS),
                        case_document_key(case.case_id, doc.document_id),
                        [],
                    );
                    batch.merge_cf(
                        self.cf(CF_COUNTERS),
                        case_counter_key(case.case_id),
                        codec::encode_counter(1),
                    );
                    doc.history.push(entry.clone());
                    let status = self
                        .get_case(case.case_id)?
                        .map_or(case.status, |c| c.status);
                    self.add_event(
                        &mut batch,
                        case.case_id,
                        &document_event(
                            doc,
                            akte_types::TimelineKind::DocumentAssigned,
                            status,
                            entry.at,
                            format!("filed: {}", entry.detail),
                        ),
                    );
                    doc.case_id = Some(case.case_id);
                    doc.case_number = Some(case.case_number.clone());
                    doc.site.clone_from(&case.site);
                    doc.routing_note = None;
                    // The index must learn the new case.
                    enqueue = Some(Queue::Index);
                }
                Some(Placement {
                    to: Destination::Inbox { reason },
                    ..
                }) if doc.case_id.is_none() => {
                    batch.put_cf(self.cf(CF_INBOX), inbox_key(&doc.site, doc.document_id), []);
                    doc.routing_note = Some(reason.clone());
                }
                // A document with a case is never put in the inbox.
                Some(_) => {}
                None => {}
            }
            if let Some(queue) = enqueue {
                let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
                batch.put_cf(
                    self.cf(queue.cf_name()),
                    seq.to_be_bytes(),
                    doc.document_id.to_bytes(),
                );
            }
        }
        let mut out = Vec::with_capacity(order.len());
        for id in order {
            if let Some(doc) = docs.remove(&id) {
                batch.put_cf(self.cf(CF_DOCUMENTS), id.to_bytes(), codec::encode(&doc));
                out.push(doc);
            }
        }
        if sync {
            self.db.write_opt(batch, &synced())?;
        } else {
            self.db.write(batch)?;
        }
        Ok(out)
    }

    /// Documents in the inbox of `site`, oldest first, after document `after`.
    pub fn list_inbox(
        &self,
        site: &str,
        after: Option<DocumentId>,
        limit: usize,
    ) -> Result<Vec<Document>> {
        let mut prefix = site.as_bytes().to_vec();
        prefix.push(0);
        let after = after.map(|doc| inbox_key(site, doc));
        self.scan(CF_INBOX, &prefix, after.as_deref(), limit, |key, _| {
            self.linked_document(CF_INBOX, DocumentId::from_slice(&key[prefix.len()..]))
        })
    }

    /// Documents waiting in each site's inbox, by site.
    pub fn inbox_sizes(&self) -> Result<Vec<(String, u64)>> {
        let mut sizes: Vec<(String, u64)> = Vec::new();
        let iter = self
            .db
            .iterator_cf(self.cf(CF_INBOX), rocksdb::IteratorMode::Start);
        for item in iter {
            let (key, _) = item?;
            let site = key.split(|b| *b == 0).next().unwrap_or_default();
            let site = String::from_utf8_lossy(site);
            match sizes.last_mut() {
                Some((s, n)) if *s == site => *n += 1,
                _ => sizes.push((site.into_owned(), 1)),
            }
        }
        Ok(sizes)
    }

    /// The document a link in `cf` names (`None`: the link is malformed).
    fn linked_document(&self, cf: &'static str, id: Option<DocumentId>) -> Result<Document> {
        let id = id.ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: "malformed document link".into(),
        })?;
        self.get_document(id)?.ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: format!("points at missing document {id}"),
        })
    }

    pub fn get_document(&self, id: DocumentId) -> Result<Option<Document>> {
        self.db
            .get_pinned_cf(self.cf(CF_DOCUMENTS), id.to_bytes())?
            .map(|v| codec::decode(&v))
            .transpose()
    }

    /// Documents of a case, newest first, after document `after` (exclusive).
    pub fn list_case_documents(
        &self,
        case: CaseId,
        after: Option<DocumentId>,
        limit: usize,
    ) -> Result<Vec<Document>> {
        let after = after.map(|doc| case_document_key(case, doc));
        self.scan(
            CF_CASE_DOCUMENTS,
            &case.to_bytes(),
            after.as_ref().map(|k| &k[..]),
            limit,
            |key, _| self.linked_document(CF_CASE_DOCUMENTS, document_from_case_key(key)),
        )
    }

    /// Documents in id order (the order they were stored in), after
    /// document `after` (exclusive).
    pub fn list_documents(&self, after: Option<DocumentId>, limit: usize) -> Result<Vec<Document>> {
        let after = after.map(DocumentId::to_bytes);
        self.scan(
            CF_DOCUMENTS,
            &[],
            after.as_ref().map(|k| &k[..]),
            limit,
            |_, v| codec::decode(v),
        )
    }

    pub fn document_count(&self) -> Result<u64> {
        self.count(CF_DOCUMENTS)
    }

    /// Number of entries in a column family (a full scan).
    pub(crate) fn count(&self, cf: &'static str) -> Result<u64> {
        let mut n = 0;
        for item in self.db.iterator_cf(self.cf(cf), IteratorMode::Start) {
            item?;
            n += 1;
        }
        Ok(n)
    }
}

/// A timeline event about a document: its public text by kind, the internal
/// one naming the document and `detail`.
fn document_event(
    doc: &Document,
    kind: akte_types::TimelineKind,
    status: akte_types::CaseStatus,
    at: akte_types::UnixMillis,
    detail: String,
) -> akte_types::TimelineEvent {
    let public_text = match kind {
        akte_types::TimelineKind::DocumentAssigned => "Ein Dokument wurde Ihrer Akte zugeordnet.",
        _ => "Ein Dokument ist eingegangen.",
    };
    let name = if doc.title.is_empty() {
        &doc.filename
    } else {
        &doc.title
    };
    akte_types::TimelineEvent {
        at,
        kind,
        status,
        public_text: public_text.into(),
        internal_text: format!("{name} ({}) {detail}", doc.document_id),
        by: None,
        document_id: Some(doc.document_id.to_string()),
    }
}
