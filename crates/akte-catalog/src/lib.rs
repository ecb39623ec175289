//! The catalog of cases and documents in RocksDB.
//!
//! Column families, one per record kind; every record value starts with the
//! version byte of its kind (see `codec`):
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
//! - `meta`:           b"catalog_id"                           -> ULID of this catalog
//! - `shares`:         share_id (16 bytes)                     -> ShareRecord
//! - `share_tokens`:   SHA-256 of the link's token (32 bytes)  -> share_id
//! - `case_shares`:    case_id, inverted share_id              -> (empty); newest first
//! - `audit`:          sequence number (u64 big-endian)        -> AccessRecord (a leaf)
//! - `audit_nodes`:    level (1 byte), index (u64 big-endian)  -> hash of a complete subtree
//! - `evidence`:       leaf index (u64 big-endian)             -> EvidenceLeaf of a document
//! - `evidence_nodes`: level (1 byte), index (u64 big-endian)  -> hash of a complete subtree
//! - `evidence_documents`: document_id                         -> leaf index (u64 big-endian)
//!
//! `meta` also keeps the signed checkpoints of the access log
//! (`checkpoint/<size>`) and of the evidence log (`evidence_root/<size>`).
//!
//! Documents without a case (uploaded into a site's inbox) have no
//! `case_documents` link and do not count for a case until they are assigned.

mod access;
mod cases;
mod codec;
mod documents;
mod evidence;
mod keys;
mod queues;
mod shares;
mod timeline;
mod tree;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use akte_types::{
    Case, CaseId, CaseMove, CaseNumber, Document, DocumentId, DocumentText, IndexState,
};
use parking_lot::Mutex;
use rocksdb::WriteBatch;
use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, IteratorMode, Options, WriteOptions, DB};

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("a case with number {0} already exists")]
    CaseExists(CaseNumber),
    #[error("catalog record in {cf} is damaged: {reason}")]
    Corrupt { cf: &'static str, reason: String },
    #[error("rocksdb: {0}")]
    Db(#[from] rocksdb::Error),
    /// Appending to a log (the access log, the evidence log) failed, for
    /// every leaf of that write.
    #[error("{log}: {reason}")]
    Log { log: &'static str, reason: String },
}

pub(crate) const CF_CASES: &str = "cases";
pub(crate) const CF_CASE_NUMBERS: &str = "case_numbers";
pub(crate) const CF_SITE_CASES: &str = "site_cases";
pub(crate) const CF_DOCUMENTS: &str = "documents";
pub(crate) const CF_CASE_DOCUMENTS: &str = "case_documents";
pub(crate) const CF_COUNTERS: &str = "counters";
pub(crate) const CF_INDEX_QUEUE: &str = "index_queue";
pub(crate) const CF_ACCESS_LOG: &str = "access_log";
pub(crate) const CF_OCR_QUEUE: &str = "ocr_queue";
pub(crate) const CF_TEXTS: &str = "texts";
pub(crate) const CF_INBOX: &str = "inbox";
pub(crate) const CF_STATION_DOCUMENTS: &str = "station_documents";
pub(crate) const CF_META: &str = "meta";
pub(crate) const CF_AUDIT: &str = "audit";
pub(crate) const CF_AUDIT_NODES: &str = "audit_nodes";
pub(crate) const CF_TIMELINE: &str = "timeline";
pub(crate) const CF_SHARES: &str = "shares";
pub(crate) const CF_SHARE_TOKENS: &str = "share_tokens";
pub(crate) const CF_CASE_SHARES: &str = "case_shares";
pub(crate) const CF_EVIDENCE: &str = "evidence";
pub(crate) const CF_EVIDENCE_NODES: &str = "evidence_nodes";
pub(crate) const CF_EVIDENCE_DOCUMENTS: &str = "evidence_documents";
const ALL_CFS: [&str; 22] = [
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
    CF_META,
    CF_AUDIT,
    CF_AUDIT_NODES,
    CF_TIMELINE,
    CF_SHARES,
    CF_SHARE_TOKENS,
    CF_CASE_SHARES,
    CF_EVIDENCE,
    CF_EVIDENCE_NODES,
    CF_EVIDENCE_DOCUMENTS,
];

/// The catalog's Merkle logs (RFC 6962), each signed by checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Log {
    /// Every access to social data, allowed or denied.
    Access,
    /// Every document stored: its id, SHA-256, size and time.
    Evidence,
}

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

/// A move of a document, decided above the catalog (who may move it, what
/// its history records). The catalog applies it only if the document is
/// still where the decision found it.
#[derive(Clone, Debug)]
pub struct Placement {
    /// The case the document must be in (`None`: in no case, i.e. in its
    /// site's inbox or just stored); otherwise the move is skipped.
    pub from: Option<CaseId>,
    pub to: Destination,
}

/// Where a [`Placement`] puts a document.
#[derive(Clone, Debug)]
pub enum Destination {
    /// Into this case, out of the inbox or another case, with the entry
    /// its history gets.
    Case { case: Box<Case>, entry: CaseMove },
    /// Into the inbox of the document's site, with the reason (only for a
    /// document in no case).
    Inbox { reason: String },
}

/// Changes to one document, applied by [`Catalog::update_documents`].
#[derive(Clone, Debug)]
pub struct DocUpdate {
    pub document_id: DocumentId,
    pub state: Option<(IndexState, Option<String>)>,
    pub text: Option<DocumentText>,
    pub place: Option<Placement>,
    pub enqueue: Option<Queue>,
    pub dequeue: Option<(Queue, u64)>,
}

impl DocUpdate {
    pub fn new(document_id: DocumentId) -> Self {
        Self {
            document_id,
            state: None,
            text: None,
            place: None,
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
    /// Serialises read-modify-write of document rows (state, routing, moves).
    update_lock: Mutex<()>,
    /// Serialises revocations of share links.
    share_lock: Mutex<()>,
    /// Serialise the check for a station's earlier upload of the same
    /// content with the write of its record, striped by station; other
    /// uploads take no lock, and their synced writes are group-committed.
    station_locks: [Mutex<()>; STATION_STRIPES],
    next_seq: AtomicU64,
    /// This catalog's identity, made when it was created.
    catalog_id: String,
    /// The access log.
    audit: tree::MerkleLog<akte_types::AccessRecord>,
    /// The evidence log; documents are stored by appending to it.
    evidence: tree::MerkleLog<evidence::DocumentLeaf>,
}

/// Locks the station dedup check is striped over.
const STATION_STRIPES: usize = 64;

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.db.path())
            .finish()
    }
}

pub(crate) fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

/// Merge operands a counter may collect in memory before they are folded.
const MAX_SUCCESSIVE_MERGES: usize = 16;

/// Bound on the catalog's write-ahead logs (see [`Catalog::open`]).
pub const MAX_TOTAL_WAL_BYTES: u64 = 128 * 1024 * 1024;

/// Key of the catalog's identity in `meta`.
const META_CATALOG_ID: &[u8] = b"catalog_id";

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
        let catalog_id = Self::load_catalog_id(&db)?;
        let catalog = Self {
            db,
            case_lock: Mutex::new(()),
            update_lock: Mutex::new(()),
            share_lock: Mutex::new(()),
            station_locks: std::array::from_fn(|_| Mutex::new(())),
            next_seq: AtomicU64::new(0),
            catalog_id,
            audit: tree::MerkleLog::new("access log", CF_AUDIT, CF_AUDIT_NODES),
            evidence: tree::MerkleLog::new("evidence log", CF_EVIDENCE, CF_EVIDENCE_NODES),
        };
        catalog.open_audit()?;
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
        catalog.open_evidence()?;
        Ok(catalog)
    }

    /// The identity of this catalog, made when it was created (a ULID): it
    /// names the catalog in the owner record of its object store.
    pub fn catalog_id(&self) -> &str {
        &self.catalog_id
    }

    fn load_catalog_id(db: &DB) -> Result<String> {
        let cf = db.cf_handle(CF_META).ok_or_else(|| CatalogError::Corrupt {
            cf: CF_META,
            reason: "column family missing".into(),
        })?;
        if let Some(v) = db.get_pinned_cf(cf, META_CATALOG_ID)? {
            return codec::decode::<String>(&v);
        }
        let id = ulid::Ulid::new().to_string();
        let mut batch = WriteBatch::default();
        batch.put_cf(cf, META_CATALOG_ID, codec::encode(&id));
        db.write_opt(batch, &synced())?;
        Ok(id)
    }

    pub(crate) fn cf(&self, name: &'static str) -> &ColumnFamily {
        // Every name in ALL_CFS is opened in `open`.
        self.db
            .cf_handle(name)
            .expect("column family opened at start")
    }

    /// Up to `limit` entries of `cf` whose keys start with `prefix`, in key
    /// order from just after the key `after` (or from the first), each
    /// turned into a `T` by `f(key, value)`.
    pub(crate) fn scan<T>(
        &self,
        cf: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<T>,
    ) -> Result<Vec<T>> {
        let start = match after {
            Some(key) => {
                let mut start = key.to_vec();
                start.push(0);
                start
            }
            None => prefix.to_vec(),
        };
        let mut out = Vec::new();
        let mode = rocksdb::IteratorMode::From(&start, rocksdb::Direction::Forward);
        for item in self.db.iterator_cf(self.cf(cf), mode) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push(f(&key, &value)?);
        }
        Ok(out)
    }

    /// The lock of a station's dedup check.
    pub(crate) fn station_lock(&self, station: &str) -> &Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
            .hash_one(station);
        &self.station_locks[(hash % STATION_STRIPES as u64) as usize]
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
mod evidence_tests;
#[cfg(test)]
mod tests;
