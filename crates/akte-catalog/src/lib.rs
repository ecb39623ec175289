//! The catalog of cases and documents in RocksDB.
//!
//! Column families, one per record kind; every value starts with a version byte:
//! - `cases`:          case_id (16 bytes)                      -> Case
//! - `case_numbers`:   case number                             -> case_id
//! - `site_cases`:     site, 0x00, case number                 -> case_id
//! - `documents`:      document_id (16 bytes)                  -> Document
//! - `case_documents`: case_id, inverted document_id           -> (empty); newest first
//! - `counters`:       b'b' + sha256 (blob reference count) or b'c' + case_id
//!   (document count), merged by addition
//! - `index_queue`:    sequence number (u64 big-endian)        -> document_id
//! - `ocr_queue`:      sequence number (u64 big-endian)        -> document_id
//! - `access_log`:     ULID (16 bytes, time-ordered)            -> AccessRecord
//! - `texts`:          document_id                             -> DocumentText (pages)
//! - `inbox`:          site, 0x00, document_id                 -> (empty); oldest first
//! - `station_documents`: station id, 0x00, sha256             -> document_id
//!
//! Documents without a case (uploaded into a site's inbox) have no
//! `case_documents` link and do not count for a case until they are assigned.

mod codec;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::HashMap;

use akte_types::{
    now_millis, AccessRecord, AssignedBy, Case, CaseId, CaseMove, CaseNumber, ContentHash,
    Document, DocumentId, DocumentText, IndexState,
};
use parking_lot::Mutex;
use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch,
    WriteOptions, DB,
};

pub use codec::VERSION;

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("a case with number {0} already exists")]
    CaseExists(CaseNumber),
    #[error("catalog record in {cf} is damaged: {reason}")]
    Corrupt { cf: &'static str, reason: String },
    #[error("rocksdb: {0}")]
    Db(#[from] rocksdb::Error),
}

const CF_CASES: &str = "cases";
const CF_CASE_NUMBERS: &str = "case_numbers";
const CF_SITE_CASES: &str = "site_cases";
const CF_DOCUMENTS: &str = "documents";
const CF_CASE_DOCUMENTS: &str = "case_documents";
const CF_COUNTERS: &str = "counters";
const CF_INDEX_QUEUE: &str = "index_queue";
const CF_ACCESS_LOG: &str = "access_log";
const CF_OCR_QUEUE: &str = "ocr_queue";
const CF_TEXTS: &str = "texts";
const CF_INBOX: &str = "inbox";
const CF_STATION_DOCUMENTS: &str = "station_documents";
const ALL_CFS: [&str; 12] = [
    CF_CASES,
    CF_CASE_NUMBERS,
    CF_SITE_CASES,
    CF_DOCUMENTS,
    CF_CASE_DOCUMENTS,
    CF_COUNTERS,
    CF_INDEX_QUEUE,
    CF_ACCESS_LOG,
    CF_OCR_QUEUE,
    CF_TEXTS,
    CF_INBOX,
    CF_STATION_DOCUMENTS,
];

/// The durable work queues of the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Documents to (re)index: text extraction and the search index.
    Index,
    /// Documents whose text must be recognised (OCR).
    Ocr,
}

impl Queue {
    fn cf_name(self) -> &'static str {
        match self {
            Queue::Index => CF_INDEX_QUEUE,
            Queue::Ocr => CF_OCR_QUEUE,
        }
    }
}

/// What [`Catalog::insert_document`] did.
#[derive(Clone, Debug)]
pub enum Inserted {
    /// Stored, and queued for indexing.
    New(QueueEntry),
    /// The same station already stored the same content: this document.
    Existing(Box<Document>),
}

/// Where a document goes.
#[derive(Clone, Debug)]
pub enum Route {
    /// Into this case (out of the inbox or another case).
    Assign {
        case: Box<Case>,
        by: AssignedBy,
        detail: String,
    },
    /// Into the inbox of the document's site, with the reason.
    Inbox { reason: String },
}

/// Changes to one document, applied by [`Catalog::update_documents`].
#[derive(Clone, Debug)]
pub struct DocUpdate {
    pub document_id: DocumentId,
    pub state: Option<(IndexState, Option<String>)>,
    pub text: Option<DocumentText>,
    pub route: Option<Route>,
    pub enqueue: Option<Queue>,
    pub dequeue: Option<(Queue, u64)>,
}

impl DocUpdate {
    pub fn new(document_id: DocumentId) -> Self {
        Self {
            document_id,
            state: None,
            text: None,
            route: None,
            enqueue: None,
            dequeue: None,
        }
    }
}

/// An entry of the durable indexing queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    pub seq: u64,
    pub document_id: DocumentId,
}

pub struct Catalog {
    db: DB,
    /// Serialises case creation so that a case number is taken only once.
    case_lock: Mutex<()>,
    /// Serialises read-modify-write of document rows (state, routing, moves)
    /// and the check for a station's earlier upload of the same content.
    doc_lock: Mutex<()>,
    next_seq: AtomicU64,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.db.path())
            .finish()
    }
}

fn blob_counter_key(hash: &ContentHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(b'b');
    k.extend_from_slice(hash.as_bytes());
    k
}

fn case_counter_key(id: CaseId) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(b'c');
    k.extend_from_slice(&id.to_bytes());
    k
}

fn site_case_key(site: &str, number: &CaseNumber) -> Vec<u8> {
    let mut k = Vec::with_capacity(site.len() + 1 + number.as_str().len());
    k.extend_from_slice(site.as_bytes());
    k.push(0);
    k.extend_from_slice(number.as_str().as_bytes());
    k
}

fn inbox_key(site: &str, doc: DocumentId) -> Vec<u8> {
    let mut k = Vec::with_capacity(site.len() + 17);
    k.extend_from_slice(site.as_bytes());
    k.push(0);
    k.extend_from_slice(&doc.to_bytes());
    k
}

fn station_key(station: &str, hash: &ContentHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(station.len() + 33);
    k.extend_from_slice(station.as_bytes());
    k.push(0);
    k.extend_from_slice(hash.as_bytes());
    k
}

/// The station that scanned a document, if it came with a transfer note.
fn station_of(doc: &Document) -> Option<&str> {
    doc.transfer_note
        .as_ref()
        .map(|n| n.station_id.as_str())
        .filter(|s| !s.is_empty())
}

fn case_document_key(case: CaseId, doc: DocumentId) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(&case.to_bytes());
    for (dst, src) in k[16..].iter_mut().zip(doc.to_bytes()) {
        *dst = !src;
    }
    k
}

fn document_from_case_key(key: &[u8]) -> Option<DocumentId> {
    let inverted = key.get(16..32)?;
    let mut bytes = [0u8; 16];
    for (dst, src) in bytes.iter_mut().zip(inverted) {
        *dst = !src;
    }
    Some(DocumentId::from_bytes(bytes))
}

fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

/// Merge operands a counter may collect in memory before they are folded.
const MAX_SUCCESSIVE_MERGES: usize = 16;

/// Bound on the catalog's write-ahead logs (see [`Catalog::open`]).
pub const MAX_TOTAL_WAL_BYTES: u64 = 128 * 1024 * 1024;

/// Bound on the memory tables of all column families together.
const MEMTABLE_BYTES: usize = 128 * 1024 * 1024;

impl Catalog {
    /// Opens (creating) the catalog in directory `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with_wal_limit(path, MAX_TOTAL_WAL_BYTES)
    }

    fn open_with_wal_limit(path: &Path, max_total_wal_bytes: u64) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_background_jobs(2);
        opts.set_keep_log_file_num(5);
        // Without a bound, RocksDB keeps write-ahead logs until every column
        // family has flushed the data they hold (up to gigabytes with column
        // families that are rarely written), and replays all of them at the
        // next start after a crash: many seconds. Past this size the column
        // families holding the oldest logs are flushed.
        opts.set_max_total_wal_size(max_total_wal_bytes);
        // Memory tables of all column families together; without this bound
        // each of the busy ones (document rows, page texts, queues) may hold
        // two 64 MiB tables, several hundred MiB while documents pour in.
        opts.set_db_write_buffer_size(MEMTABLE_BYTES);
        let cfs = ALL_CFS.iter().map(|name| {
            let mut cf_opts = Options::default();
            if *name == CF_COUNTERS {
                cf_opts.set_merge_operator_associative("akte_add_i64", codec::merge_add);
                // Otherwise every document filed in a case leaves one more
                // operand that each read of its count adds up again (10,000
                // of them: 200 µs) until a flush; this folds them on write.
                cf_opts.set_max_successive_merges(MAX_SUCCESSIVE_MERGES);
            }
            ColumnFamilyDescriptor::new(*name, cf_opts)
        });
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        let catalog = Self {
            db,
            case_lock: Mutex::new(()),
            doc_lock: Mutex::new(()),
            next_seq: AtomicU64::new(0),
        };
        // Sequence numbers are shared by both queues.
        let mut next = 1;
        for cf in [CF_INDEX_QUEUE, CF_OCR_QUEUE] {
            if let Some(item) = catalog
                .db
                .iterator_cf(catalog.cf(cf), IteratorMode::End)
                .next()
            {
                let (key, _) = item?;
                next = next.max(codec::decode_u64(&key, cf)? + 1);
            }
        }
        catalog.next_seq.store(next, Ordering::SeqCst);
        Ok(catalog)
    }

    fn cf(&self, name: &'static str) -> &ColumnFamily {
        // Every name in ALL_CFS is opened in `open`.
        self.db
            .cf_handle(name)
            .expect("column family opened at start")
    }

    // ------------------------------------------------------------ cases

    /// Stores a new case; fails if its number is taken.
    pub fn create_case(&self, case: &Case) -> Result<()> {
        let _guard = self.case_lock.lock();
        let number = case.case_number.as_str().as_bytes();
        if self
            .db
            .get_pinned_cf(self.cf(CF_CASE_NUMBERS), number)?
            .is_some()
        {
            return Err(CatalogError::CaseExists(case.case_number.clone()));
        }
        let id = case.case_id.to_bytes();
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_CASES), id, codec::encode(case));
        batch.put_cf(self.cf(CF_CASE_NUMBERS), number, id);
        batch.put_cf(
            self.cf(CF_SITE_CASES),
            site_case_key(&case.site, &case.case_number),
            id,
        );
        self.db.write_opt(batch, &synced())?;
        Ok(())
    }

    pub fn get_case(&self, id: CaseId) -> Result<Option<Case>> {
        self.db
            .get_pinned_cf(self.cf(CF_CASES), id.to_bytes())?
            .map(|v| codec::decode(&v, CF_CASES))
            .transpose()
    }

    pub fn get_case_by_number(&self, number: &CaseNumber) -> Result<Option<Case>> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_CASE_NUMBERS), number.as_str().as_bytes())?
        {
            Some(id) => {
                let id = CaseId::from_slice(&id).ok_or_else(|| CatalogError::Corrupt {
                    cf: CF_CASE_NUMBERS,
                    reason: "case id is not 16 bytes".into(),
                })?;
                self.get_case(id)
            }
            None => Ok(None),
        }
    }

    /// Cases ordered by case number, of one site or all, after the case number
    /// `after` (exclusive).
    pub fn list_cases(
        &self,
        site: Option<&str>,
        after: Option<&CaseNumber>,
        limit: usize,
    ) -> Result<Vec<Case>> {
        let mut out = Vec::new();
        match site {
            Some(site) => {
                let mut prefix = site.as_bytes().to_vec();
                prefix.push(0);
                let start = match after {
                    Some(n) => {
                        let mut k = site_case_key(site, n);
                        k.push(0);
                        k
                    }
                    None => prefix.clone(),
                };
                for item in self.db.iterator_cf(
                    self.cf(CF_SITE_CASES),
                    IteratorMode::From(&start, Direction::Forward),
                ) {
                    let (key, id) = item?;
                    if !key.starts_with(&prefix) || out.len() >= limit {
                        break;
                    }
                    out.push(self.case_from_id_bytes(&id, CF_SITE_CASES)?);
                }
            }
            None => {
                let start = match after {
                    Some(n) => {
                        let mut k = n.as_str().as_bytes().to_vec();
                        k.push(0);
                        k
                    }
                    None => Vec::new(),
                };
                for item in self.db.iterator_cf(
                    self.cf(CF_CASE_NUMBERS),
                    IteratorMode::From(&start, Direction::Forward),
                ) {
                    if out.len() >= limit {
                        break;
                    }
                    let (_, id) = item?;
                    out.push(self.case_from_id_bytes(&id, CF_CASE_NUMBERS)?);
                }
            }
        }
        Ok(out)
    }

    fn case_from_id_bytes(&self, id: &[u8], cf: &'static str) -> Result<Case> {
        let id = CaseId::from_slice(id).ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: "case id is not 16 bytes".into(),
        })?;
        self.get_case(id)?.ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: format!("points at missing case {id}"),
        })
    }

    /// Number of documents in a case.
    pub fn case_document_count(&self, id: CaseId) -> Result<u64> {
        Ok(u64::try_from(self.counter(&case_counter_key(id))?).unwrap_or(0))
    }

    /// References held on a blob by documents.
    pub fn blob_refcount(&self, hash: &ContentHash) -> Result<i64> {
        self.counter(&blob_counter_key(hash))
    }

    fn counter(&self, key: &[u8]) -> Result<i64> {
        match self.db.get_pinned_cf(self.cf(CF_COUNTERS), key)? {
            Some(v) => codec::decode_counter(&v),
            None => Ok(0),
        }
    }

    // ------------------------------------------------------------ documents

    /// Records a new document whose blob is already durable: the document row,
    /// its link from the case (if it has one), the blob's reference count, the
    /// case's document count, the indexing queue entry and, for a scanned
    /// document, its station's record of the content, in one synced write.
    ///
    /// If the document's station already stored the same content, nothing is
    /// written and that earlier document is returned.
    pub fn insert_document(&self, doc: &Document) -> Result<Inserted> {
        let _guard = self.doc_lock.lock();
        let mut batch = WriteBatch::default();
        if let Some(station) = station_of(doc) {
            let key = station_key(station, &doc.sha256);
            if let Some(existing) = self.station_document_by_key(&key)? {
                return Ok(Inserted::Existing(Box::new(existing)));
            }
            batch.put_cf(
                self.cf(CF_STATION_DOCUMENTS),
                key,
                doc.document_id.to_bytes(),
            );
        }
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        batch.put_cf(
            self.cf(CF_DOCUMENTS),
            doc.document_id.to_bytes(),
            codec::encode(doc),
        );
        if let Some(case_id) = doc.case_id {
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
            seq.to_be_bytes(),
            doc.document_id.to_bytes(),
        );
        self.db.write_opt(batch, &synced())?;
        Ok(Inserted::New(QueueEntry {
            seq,
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
            .map(|v| codec::decode(&v, CF_TEXTS))
            .transpose()
    }

    /// Applies changes to documents in one write (synced if `sync`): index
    /// state, text, routing into a case or the inbox, queue entries. Returns
    /// the documents as they are afterwards (missing ones are skipped).
    ///
    /// Routing by text or code applies only to a document that has no case
    /// yet (a person may have assigned it meanwhile); a manual assignment
    /// moves it from wherever it is, keeping its history.
    pub fn update_documents(&self, updates: &[DocUpdate], sync: bool) -> Result<Vec<Document>> {
        let _guard = self.doc_lock.lock();
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
            match &u.route {
                Some(Route::Assign { case, by, detail }) => {
                    let automatic = *by != AssignedBy::Manual;
                    if (automatic && doc.case_id.is_some()) || doc.case_id == Some(case.case_id) {
                        // Already in a case, or already in this one.
                    } else {
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
                        doc.history.push(CaseMove {
                            at: now_millis(),
                            from: doc.case_number.take(),
                            to: case.case_number.clone(),
                            by: *by,
                            detail: detail.clone(),
                        });
                        doc.case_id = Some(case.case_id);
                        doc.case_number = Some(case.case_number.clone());
                        doc.site.clone_from(&case.site);
                        doc.routing_note = None;
                        // The index must learn the new case.
                        enqueue = Some(Queue::Index);
                    }
                }
                // A document with a case stays where it is.
                Some(Route::Inbox { reason }) if doc.case_id.is_none() => {
                    batch.put_cf(self.cf(CF_INBOX), inbox_key(&doc.site, doc.document_id), []);
                    doc.routing_note = Some(reason.clone());
                }
                Some(Route::Inbox { .. }) | None => {}
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
        let start = match after {
            Some(doc) => {
                let mut k = inbox_key(site, doc);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for item in self.db.iterator_cf(
            self.cf(CF_INBOX),
            IteratorMode::From(&start, Direction::Forward),
        ) {
            let (key, _) = item?;
            if !key.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            let id = DocumentId::from_slice(&key[prefix.len()..]).ok_or_else(|| {
                CatalogError::Corrupt {
                    cf: CF_INBOX,
                    reason: "document id is not 16 bytes".into(),
                }
            })?;
            out.push(
                self.get_document(id)?
                    .ok_or_else(|| CatalogError::Corrupt {
                        cf: CF_INBOX,
                        reason: format!("points at missing document {id}"),
                    })?,
            );
        }
        Ok(out)
    }

    pub fn get_document(&self, id: DocumentId) -> Result<Option<Document>> {
        self.db
            .get_pinned_cf(self.cf(CF_DOCUMENTS), id.to_bytes())?
            .map(|v| codec::decode(&v, CF_DOCUMENTS))
            .transpose()
    }

    /// Documents of a case, newest first, after document `after` (exclusive).
    pub fn list_case_documents(
        &self,
        case: CaseId,
        after: Option<DocumentId>,
        limit: usize,
    ) -> Result<Vec<Document>> {
        let prefix = case.to_bytes();
        let start: Vec<u8> = match after {
            Some(doc) => {
                let mut k = case_document_key(case, doc).to_vec();
                k.push(0);
                k
            }
            None => prefix.to_vec(),
        };
        let mut out = Vec::new();
        for item in self.db.iterator_cf(
            self.cf(CF_CASE_DOCUMENTS),
            IteratorMode::From(&start, Direction::Forward),
        ) {
            let (key, _) = item?;
            if !key.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            let id = document_from_case_key(&key).ok_or_else(|| CatalogError::Corrupt {
                cf: CF_CASE_DOCUMENTS,
                reason: "short key".into(),
            })?;
            out.push(
                self.get_document(id)?
                    .ok_or_else(|| CatalogError::Corrupt {
                        cf: CF_CASE_DOCUMENTS,
                        reason: format!("points at missing document {id}"),
                    })?,
            );
        }
        Ok(out)
    }

    pub fn document_count(&self) -> Result<u64> {
        self.count(CF_DOCUMENTS)
    }

    /// Number of entries in a column family (a full scan).
    fn count(&self, cf: &'static str) -> Result<u64> {
        let mut n = 0;
        for item in self.db.iterator_cf(self.cf(cf), IteratorMode::Start) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    // ------------------------------------------------------------ indexing queue

    /// Up to `limit` documents of a queue, oldest first.
    pub fn queued(&self, queue: Queue, limit: usize) -> Result<Vec<QueueEntry>> {
        let cf = queue.cf_name();
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf), IteratorMode::Start) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = item?;
            let seq = codec::decode_u64(&key, cf)?;
            let document_id =
                DocumentId::from_slice(&value).ok_or_else(|| CatalogError::Corrupt {
                    cf,
                    reason: "document id is not 16 bytes".into(),
                })?;
            out.push(QueueEntry { seq, document_id });
        }
        Ok(out)
    }

    pub fn queue_len(&self, queue: Queue) -> Result<u64> {
        self.count(queue.cf_name())
    }

    /// Queues every document for indexing (for a rebuild of the index).
    pub fn enqueue_all(&self) -> Result<u64> {
        let mut batch = WriteBatch::default();
        let mut n = 0;
        for item in self
            .db
            .iterator_cf(self.cf(CF_DOCUMENTS), IteratorMode::Start)
        {
            let (key, _) = item?;
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            batch.put_cf(self.cf(CF_INDEX_QUEUE), seq.to_be_bytes(), &key);
            n += 1;
            if batch.len() >= 10_000 {
                self.db.write_opt(std::mem::take(&mut batch), &synced())?;
            }
        }
        self.db.write_opt(batch, &synced())?;
        Ok(n)
    }

    // ------------------------------------------------------------ access log

    /// Appends a record of a read under `id` (a ULID made at the time of the
    /// read, so that the log is in time order). Written to the WAL, not synced.
    pub fn log_access(&self, id: [u8; 16], record: &AccessRecord) -> Result<()> {
        self.db
            .put_cf(self.cf(CF_ACCESS_LOG), id, codec::encode(record))?;
        Ok(())
    }

    /// Records an access like [`Catalog::log_access`], but never waits: where
    /// RocksDB would stall or slow the write down (compaction behind, memory
    /// tables full) it returns `Ok(false)` at once and writes nothing, so
    /// that the caller can retry where blocking is allowed. Otherwise the
    /// write is one memory-table insert and one unsynced append to the log:
    /// microseconds, cheap enough for an async task.
    pub fn try_log_access(&self, id: [u8; 16], record: &AccessRecord) -> Result<bool> {
        let mut opts = WriteOptions::default();
        opts.set_no_slowdown(true);
        match self
            .db
            .put_cf_opt(self.cf(CF_ACCESS_LOG), id, codec::encode(record), &opts)
        {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == rocksdb::ErrorKind::Incomplete => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Up to `limit` access records, newest first.
    pub fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        self.db
            .iterator_cf(self.cf(CF_ACCESS_LOG), IteratorMode::End)
            .take(limit)
            .map(|item| codec::decode(&item?.1, CF_ACCESS_LOG))
            .collect()
    }

    /// Moves entries to the end of the queue (new sequence numbers), so that
    /// documents that cannot be indexed now do not block the ones behind them.
    pub fn requeue(&self, queue: Queue, entries: &[QueueEntry]) -> Result<Vec<QueueEntry>> {
        let cf = queue.cf_name();
        let mut batch = WriteBatch::default();
        let mut moved = Vec::with_capacity(entries.len());
        for e in entries {
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            batch.delete_cf(self.cf(cf), e.seq.to_be_bytes());
            batch.put_cf(self.cf(cf), seq.to_be_bytes(), e.document_id.to_bytes());
            moved.push(QueueEntry {
                seq,
                document_id: e.document_id,
            });
        }
        self.db.write(batch)?;
        Ok(moved)
    }

    /// Forces buffered writes (not synced ones) to disk, e.g. before shutdown.
    pub fn flush_wal(&self) -> Result<()> {
        self.db.flush_wal(true)?;
        Ok(())
    }

    /// Writes every column family's memory table to its files, so that the
    /// next start has no log to replay (at shutdown).
    pub fn flush(&self) -> Result<()> {
        self.db.flush_wal(true)?;
        let cfs: Vec<&ColumnFamily> = ALL_CFS.iter().map(|name| self.cf(name)).collect();
        self.db
            .flush_cfs_opt(&cfs, &rocksdb::FlushOptions::default())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
