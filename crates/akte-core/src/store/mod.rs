//! The store: one file per concern (cases, ingest, documents, search,
//! audit, admission); this one opens it and holds what they share.

mod admission;
pub(crate) mod audit;
mod cases;
mod documents;
mod evidence;
mod ingest;
mod search;
mod shares;
mod storage;
mod timeline;

use std::path::Path;
use std::sync::Arc;

use akte_blob::BlobStore;
use akte_catalog::Catalog;
use akte_index::SearchIndex;
use akte_types::{CaseNumber, ContentHash, Document, DocumentId, IdGenerator};
use tokio::sync::Notify;

use crate::config::OcrMode;
use crate::{CoreError, Result, Settings};

pub(crate) use admission::FreeSpace;
pub use audit::AccessFilter;
pub use cases::{CaseView, NewCase};
pub use evidence::DocumentEvidence;
pub use ingest::UploadHeader;
pub use search::{SearchPage, SearchRequest, SearchResultHit};
pub use shares::{
    IssuedShare, NewShare, PublicEvent, Share, SharedView, MAX_LISTED_SHARES, MAX_RECIPIENT,
    MAX_SHARED_DOCUMENTS,
};

/// Longest accepted title, file name, document type, source, site, party (bytes).
pub(super) const MAX_FIELD: usize = 1024;
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;

#[derive(Clone, Debug)]
pub struct DocumentPage {
    pub documents: Vec<Document>,
    pub next_page_token: String,
}

impl DocumentPage {
    /// A page of `size` from up to `size + 1` documents read; the token is
    /// the last document shown if there are more.
    pub(super) fn of(mut documents: Vec<Document>, size: usize) -> Self {
        let more = documents.len() > size;
        documents.truncate(size);
        let next_page_token = match documents.last() {
            Some(d) if more => d.document_id.to_string(),
            _ => String::new(),
        };
        Self {
            documents,
            next_page_token,
        }
    }
}

/// The document a page token names (the last one of the previous page).
pub(super) fn document_token(token: &str) -> Result<Option<DocumentId>> {
    if token.is_empty() {
        return Ok(None);
    }
    token.parse().map(Some).map_err(|_| bad_token())
}

pub(crate) struct Inner {
    pub(crate) settings: Settings,
    pub(crate) catalog: Catalog,
    pub(crate) blobs: BlobStore,
    pub(crate) index: SearchIndex,
    pub(crate) ids: IdGenerator,
    pub(crate) index_wakeup: Notify,
    /// Text recognition, if on.
    pub(crate) ocr: Option<akte_extract::OcrSettings>,
    pub(crate) ocr_wakeup: Notify,
    pub(crate) ocr_claims: crate::ocr::Claims,
    /// Whether PDFs' text layers can be read (poppler's pdftotext).
    pub(crate) pdf_text: bool,
    /// Whether unreferenced blobs are deleted (see [`storage::gc_enabled`]).
    pub(crate) gc_enabled: bool,
    /// One permit per upload in progress.
    pub(crate) upload_slots: Arc<tokio::sync::Semaphore>,
    /// One permit per download being streamed, search or listing running.
    pub(crate) read_slots: Arc<tokio::sync::Semaphore>,
    /// Blobs between being written and being recorded, with how many uploads
    /// hold each; garbage collection leaves them alone.
    pub(crate) blobs_in_flight: tokio::sync::Mutex<std::collections::HashMap<ContentHash, usize>>,
    /// Free space of the file system a path is on (replaced in tests).
    pub(crate) free_space: FreeSpace,
    /// The access rules.
    pub(crate) policies: crate::access::Policies,
    /// Access classes of the search index (see [`crate::access::case_class`]).
    pub(crate) classes: parking_lot::RwLock<std::collections::BTreeSet<String>>,
    /// The classes each principal may search, with the number of classes
    /// they were worked out from (see `Store::visible_classes`).
    pub(crate) class_cache:
        parking_lot::Mutex<std::collections::HashMap<String, (usize, Vec<String>)>>,
    /// Held while index documents are built and written, so that a change
    /// of a case's restriction and an indexing batch do not interleave.
    pub(crate) index_lock: parking_lot::Mutex<()>,
    /// Signs the checkpoints of the access log and of the evidence log.
    pub(crate) checkpoint_key: crate::checkpoint::CheckpointKey,
    /// One checkpoint written at a time.
    pub(crate) checkpoint_lock: tokio::sync::Mutex<()>,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

/// The store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.settings.data_dir)
            .finish()
    }
}

pub(crate) fn check_len(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_FIELD {
        return Err(CoreError::InvalidArgument(format!(
            "{field} is longer than {MAX_FIELD} bytes"
        )));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(CoreError::InvalidArgument(format!(
            "{field} contains control characters"
        )));
    }
    Ok(())
}

/// The last component of a client-supplied path, without control characters.
pub(super) fn clean_filename(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    check_len("filename", base)?;
    Ok(base.to_owned())
}

pub(super) fn page_size(requested: usize) -> usize {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

pub(super) fn bad_token() -> CoreError {
    CoreError::InvalidArgument(
        "invalid page_token: pass the next_page_token of a previous response".into(),
    )
}

impl Store {
    /// Opens the store under the settings' data directory: catalog, index,
    /// staging area and (by default) the blob directory.
    pub fn open(settings: Settings) -> Result<Self> {
        Self::open_inner(settings, false, None)
    }

    /// Opens the store with the given object store for blobs instead of the
    /// one the settings name (for tests with injected faults, and tools).
    pub fn open_with_object_store(
        settings: Settings,
        objects: Arc<dyn object_store::ObjectStore>,
    ) -> Result<Self> {
        Self::open_inner(settings, false, Some(objects))
    }

    /// Opens the store with an empty search index, for a rebuild
    /// ([`Store::reindex_all`]); whatever index was there is removed once the
    /// catalog (and so the data directory) is locked by this process.
    pub fn open_discarding_index(settings: Settings) -> Result<Self> {
        Self::open_inner(settings, true, None)
    }

    fn open_inner(
        settings: Settings,
        discard_index: bool,
        objects: Option<Arc<dyn object_store::ObjectStore>>,
    ) -> Result<Self> {
        let data = settings.data_dir.clone();
        std::fs::create_dir_all(&data)
            .map_err(|e| CoreError::Config(format!("data_dir {}: {e}", data.display())))?;
        storage::refuse_volatile(&settings, "data_dir", &data)?;
        // The catalog first: its lock keeps a second process off the directory.
        let catalog = Catalog::open(&data.join("catalog"))?;
        let index_dir = data.join("index");
        if discard_index && index_dir.exists() {
            std::fs::remove_dir_all(&index_dir).map_err(|e| {
                CoreError::Internal(format!("removing {}: {e}", index_dir.display()))
            })?;
        }
        let backend = match objects {
            Some(o) => akte_blob::Backend::from(o),
            // A reader writes nothing into another catalog's blob directory.
            None if settings.sharing == akte_blob::Sharing::Reader => {
                akte_blob::open_backend_for_reading(
                    &settings.storage_url,
                    &settings.storage_options,
                    &data.join("objects"),
                )
                .map_err(|e| CoreError::Config(e.to_string()))?
            }
            None => akte_blob::open_backend(
                &settings.storage_url,
                &settings.storage_options,
                &data.join("objects"),
            )
            .map_err(|e| CoreError::Config(e.to_string()))?,
        };
        if let Some(root) = backend.local_root() {
            storage::refuse_volatile(&settings, "storage.url", root)?;
        }
        let gc_enabled = storage::gc_enabled(&settings, backend.kind());
        let blobs = BlobStore::new(backend, data.join("staging"))?
            .with_inline_limit(settings.inline_upload_bytes)
            .with_memory_budget(settings.inline_memory_bytes);
        let upload_slots = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_uploads));
        let read_slots = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_reads));
        let policies = crate::access::Policies::load(settings.policy_file.as_deref())?;
        let index = match SearchIndex::open(&index_dir) {
            Err(akte_index::IndexError::SchemaChanged) => {
                // Derived data of another version: rebuild it from the catalog.
                tracing::warn!(dir = %index_dir.display(), "the search index was built by another version; rebuilding it");
                std::fs::remove_dir_all(&index_dir).map_err(|e| {
                    CoreError::Internal(format!("removing {}: {e}", index_dir.display()))
                })?;
                let index = SearchIndex::open(&index_dir)?;
                catalog.enqueue_all()?;
                index
            }
            other => other?,
        };
        let classes = catalog.access_classes()?.into_iter().collect();
        let checkpoint_key = crate::checkpoint::CheckpointKey::open_or_create(&data)?;
        let ocr = match (&settings.ocr, settings.ocr_mode) {
            (None, _) => None,
            (Some(o), mode) => match akte_extract::ocr_available(o) {
                Ok(()) => Some(o.clone()),
                Err(e) if mode == OcrMode::On => {
                    return Err(CoreError::Config(format!("ocr.mode = \"on\": {e}")))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "text recognition (OCR) is off: scans and images are stored but their text is not searchable");
                    None
                }
            },
        };
        let pdf_text = akte_extract::pdf_text_available();
        if !pdf_text {
            tracing::warn!("pdftotext (poppler-utils) is not installed: PDFs are stored but their text is not searchable");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                catalog,
                blobs,
                index,
                ids: IdGenerator::new(),
                index_wakeup: Notify::new(),
                ocr,
                ocr_wakeup: Notify::new(),
                ocr_claims: crate::ocr::Claims::default(),
                upload_slots,
                read_slots,
                gc_enabled,
                pdf_text,
                blobs_in_flight: tokio::sync::Mutex::default(),
                free_space: Box::new(|p: &Path| fs4::available_space(p)),
                policies,
                classes: parking_lot::RwLock::new(classes),
                class_cache: parking_lot::Mutex::default(),
                index_lock: parking_lot::Mutex::new(()),
                checkpoint_key,
                checkpoint_lock: tokio::sync::Mutex::new(()),
                metrics: Arc::default(),
            }),
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    /// Time between signed checkpoints of a log.
    pub fn checkpoint_interval(&self, log: akte_catalog::Log) -> std::time::Duration {
        match log {
            akte_catalog::Log::Access => self.inner.settings.checkpoint_interval,
            akte_catalog::Log::Evidence => self.inner.settings.evidence_interval,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.settings.data_dir
    }

    /// The service's figures (see [`crate::metrics`]).
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.inner.metrics
    }

    /// Queue lengths, inbox sizes and free disk space, read now.
    pub async fn figures(&self) -> Result<crate::metrics::Figures> {
        self.blocking(|inner| {
            let mut disk_free = Vec::new();
            let data_dir = inner.settings.data_dir.as_path();
            if let Ok(free) = (inner.free_space)(data_dir) {
                disk_free.push(("data".to_owned(), free));
            }
            if let Some(root) = inner.blobs.local_root() {
                if let Ok(free) = (inner.free_space)(root) {
                    disk_free.push(("blobs".to_owned(), free));
                }
            }
            Ok(crate::metrics::Figures {
                index_queue: inner.catalog.queue_len(akte_catalog::Queue::Index)?,
                ocr_queue: inner.catalog.queue_len(akte_catalog::Queue::Ocr)?,
                inboxes: inner.catalog.inbox_sizes()?,
                disk_free,
                disk_reserve: inner.settings.reserved_disk_bytes,
            })
        })
        .await
    }

    /// The largest document accepted, in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.inner.settings.max_upload_bytes
    }

    /// Whether scans and images get their text recognised.
    pub fn ocr_enabled(&self) -> bool {
        self.inner.ocr.is_some()
    }

    /// Runs a catalog point read (one key, or a key and its counter) on the
    /// calling task. Such a read takes a few microseconds from RocksDB's
    /// memory tables, block cache or the page cache, far less than handing
    /// it to a blocking thread and back; scans and writes, which can take
    /// long or stall, go through [`Store::blocking`].
    pub(super) fn point_read<T>(&self, f: impl FnOnce(&Inner) -> Result<T>) -> Result<T> {
        f(&self.inner)
    }

    /// Runs blocking catalog or index work off the async executor.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner)).await?
    }

    pub fn parse_case_number(&self, input: &str) -> Result<CaseNumber> {
        self.inner
            .settings
            .case_numbers
            .parse(input)
            .map_err(|e| CoreError::InvalidArgument(e.to_string()))
    }

    pub(super) fn parse_document_id(id: &str) -> Result<DocumentId> {
        id.parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))
    }
}
