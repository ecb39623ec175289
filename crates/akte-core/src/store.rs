use std::path::Path;
use std::sync::Arc;

use akte_blob::BlobStore;
use akte_catalog::{Catalog, DocUpdate, Inserted, Route};
use akte_index::{SearchIndex, SearchQuery};
use akte_types::{
    now_millis, AccessRecord, AssignedBy, Case, CaseId, CaseMove, CaseNumber, ContentHash,
    Document, DocumentId, IdGenerator, IndexState, TransferNote, UnixMillis,
};
use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use tokio::sync::Notify;

use crate::config::OcrMode;
use crate::{CoreError, Result, Settings};

/// Longest accepted title, file name, document type, source, site, party (bytes).
const MAX_FIELD: usize = 1024;
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;
/// Deepest hit a search can be paged to.
pub const MAX_SEARCH_WINDOW: usize = 10_000;

/// Input of [`Store::create_case`].
#[derive(Clone, Debug, Default)]
pub struct NewCase {
    pub case_number: String,
    pub title: String,
    pub site: String,
    pub team: Option<String>,
    pub parties: Vec<String>,
}

/// A case with its current number of documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseView {
    pub case: Case,
    pub document_count: u64,
}

/// The first message of an upload.
#[derive(Clone, Debug, Default)]
pub struct UploadHeader {
    /// Empty: route by the number in the text, else into `site`'s inbox.
    pub case_number: String,
    /// The inbox for a document without (a found) case.
    pub site: String,
    /// For scanned paper; its `sha256` is set by the store.
    pub transfer_note: Option<TransferNote>,
    pub title: String,
    pub document_type: String,
    pub media_type: String,
    pub filename: String,
    pub source: String,
    pub received_at: Option<UnixMillis>,
    pub expected_sha256: Option<String>,
}

#[derive(Clone, Debug)]
pub struct DocumentPage {
    pub documents: Vec<Document>,
    pub next_page_token: String,
}

impl DocumentPage {
    /// A page of `size` from up to `size + 1` documents read; the token is
    /// the last document shown if there are more.
    fn of(mut documents: Vec<Document>, size: usize) -> Self {
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
fn document_token(token: &str) -> Result<Option<DocumentId>> {
    if token.is_empty() {
        return Ok(None);
    }
    token.parse().map(Some).map_err(|_| bad_token())
}

#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub query: String,
    pub case_number: Option<String>,
    pub site: Option<String>,
    pub document_type: Option<String>,
    pub received_from: Option<UnixMillis>,
    pub received_to: Option<UnixMillis>,
    pub limit: usize,
    pub page_token: String,
}

#[derive(Clone, Debug)]
pub struct SearchResultHit {
    pub document: Document,
    pub score: f32,
    pub snippet: String,
    /// Pages (1-based) whose text matches the query's words.
    pub pages: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct SearchPage {
    pub hits: Vec<SearchResultHit>,
    pub total_hits: u64,
    pub next_page_token: String,
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
    /// One permit per upload in progress.
    pub(crate) upload_slots: Arc<tokio::sync::Semaphore>,
    /// One permit per download being streamed, search or listing running.
    pub(crate) read_slots: Arc<tokio::sync::Semaphore>,
    /// Blobs between being written and being recorded, with how many uploads
    /// hold each; garbage collection leaves them alone.
    pub(crate) blobs_in_flight: tokio::sync::Mutex<std::collections::HashMap<ContentHash, usize>>,
    /// Free space of the file system a path is on (replaced in tests).
    pub(crate) free_space: FreeSpace,
}

pub(crate) type FreeSpace = Box<dyn Fn(&Path) -> std::io::Result<u64> + Send + Sync>;

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

fn check_len(field: &str, value: &str) -> Result<()> {
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
fn clean_filename(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    check_len("filename", base)?;
    Ok(base.to_owned())
}

fn page_size(requested: usize) -> usize {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

fn bad_token() -> CoreError {
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
            None => akte_blob::open_backend(
                &settings.storage_url,
                &settings.storage_options,
                &data.join("objects"),
            )
            .map_err(|e| CoreError::Config(e.to_string()))?,
        };
        let blobs = BlobStore::new(backend, data.join("staging"))?
            .with_inline_limit(settings.inline_upload_bytes)
            .with_memory_budget(settings.inline_memory_bytes);
        let upload_slots = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_uploads));
        let read_slots = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_reads));
        let index = SearchIndex::open(&index_dir)?;
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
                blobs_in_flight: tokio::sync::Mutex::default(),
                free_space: Box::new(|p: &Path| fs4::available_space(p)),
            }),
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.settings.data_dir
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
    fn point_read<T>(&self, f: impl FnOnce(&Inner) -> Result<T>) -> Result<T> {
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

    /// A permit for a read that holds memory or a thread for a while (a
    /// download stream, a search, a listing). Beyond
    /// `limits.max_concurrent_reads` the read is refused at once with
    /// RESOURCE_EXHAUSTED rather than queued without bound.
    fn read_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        slot(
            &self.inner.read_slots,
            self.inner.settings.max_concurrent_reads,
            "downloads, searches and listings",
        )
    }

    pub fn parse_case_number(&self, input: &str) -> Result<CaseNumber> {
        self.inner
            .settings
            .case_numbers
            .parse(input)
            .map_err(|e| CoreError::InvalidArgument(e.to_string()))
    }

    // ------------------------------------------------------------ cases

    pub async fn create_case(&self, input: NewCase) -> Result<CaseView> {
        let case_number = self.parse_case_number(&input.case_number)?;
        let site = input.site.trim().to_owned();
        if site.is_empty() {
            return Err(CoreError::InvalidArgument("site is required".into()));
        }
        check_len("site", &site)?;
        check_len("title", &input.title)?;
        let team = input
            .team
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if let Some(t) = &team {
            check_len("team", t)?;
        }
        if input.parties.len() > 64 {
            return Err(CoreError::InvalidArgument("at most 64 parties".into()));
        }
        for p in &input.parties {
            check_len("party", p)?;
        }
        let case = Case {
            case_id: self.inner.ids.case_id(),
            case_number,
            title: input.title.trim().to_owned(),
            site,
            team,
            parties: input.parties.iter().map(|p| p.trim().to_owned()).collect(),
            created_at: now_millis(),
        };
        let stored = case.clone();
        self.blocking(move |inner| Ok(inner.catalog.create_case(&stored)?))
            .await?;
        tracing::info!(case_id = %case.case_id, case_number = %case.case_number, site = %case.site, "case created");
        Ok(CaseView {
            case,
            document_count: 0,
        })
    }

    fn view(inner: &Inner, case: Case) -> Result<CaseView> {
        let document_count = inner.catalog.case_document_count(case.case_id)?;
        Ok(CaseView {
            case,
            document_count,
        })
    }

    pub async fn get_case_by_id(&self, id: &str) -> Result<CaseView> {
        let id: CaseId = id
            .parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))?;
        self.point_read(|inner| match inner.catalog.get_case(id)? {
            Some(case) => Self::view(inner, case),
            None => Err(CoreError::NotFound(format!("case {id} not found"))),
        })
    }

    pub async fn get_case_by_number(&self, number: &str) -> Result<CaseView> {
        let number = self.parse_case_number(number)?;
        self.point_read(|inner| match inner.catalog.get_case_by_number(&number)? {
            Some(case) => Self::view(inner, case),
            None => Err(CoreError::NotFound(format!("case {number} not found"))),
        })
    }

    /// Cases ordered by number, optionally of one site. The page token is the
    /// last case number of the previous page.
    pub async fn list_cases(
        &self,
        site: &str,
        size: usize,
        token: &str,
    ) -> Result<(Vec<CaseView>, String)> {
        let site = Some(site.trim().to_owned()).filter(|s| !s.is_empty());
        let after = if token.is_empty() {
            None
        } else {
            let raw = hex::decode(token).map_err(|_| bad_token())?;
            let s = String::from_utf8(raw).map_err(|_| bad_token())?;
            Some(CaseNumber::from_stored(s))
        };
        let size = page_size(size);
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let cases = inner
                .catalog
                .list_cases(site.as_deref(), after.as_ref(), size + 1)?;
            let more = cases.len() > size;
            let views = cases
                .into_iter()
                .take(size)
                .map(|c| Self::view(inner, c))
                .collect::<Result<Vec<_>>>()?;
            let next = match views.last() {
                Some(v) if more => hex::encode(v.case.case_number.as_str()),
                _ => String::new(),
            };
            Ok((views, next))
        })
        .await
    }

    // ------------------------------------------------------------ documents

    /// Stores a document from its header and a stream of content chunks. Returns
    /// once the blob and the catalog row are durable. If the stream fails or
    /// is dropped, nothing becomes visible and staging data is removed.
    pub async fn upload<S>(&self, header: UploadHeader, chunks: S) -> Result<Document>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let settings = &self.inner.settings;
        // Beyond capacity, refuse at once rather than queue without bound.
        let _slot = slot(
            &self.inner.upload_slots,
            settings.max_concurrent_uploads,
            "uploads",
        )?;
        self.check_disk_space(0)?;
        let case_number = match header.case_number.trim() {
            "" => None,
            n => Some(self.parse_case_number(n)?),
        };
        let inbox_site = header.site.trim().to_owned();
        check_len("site", &inbox_site)?;
        if case_number.is_none() && inbox_site.is_empty() {
            return Err(CoreError::InvalidArgument(
                "case_number or site is required: without a case the document goes to the inbox of the site".into(),
            ));
        }
        let expected = match header.expected_sha256.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => Some(
                h.to_ascii_lowercase()
                    .parse::<ContentHash>()
                    .map_err(|e| CoreError::InvalidArgument(format!("expected_sha256: {e}")))?,
            ),
        };
        check_len("title", &header.title)?;
        check_len("document_type", &header.document_type)?;
        check_len("source", &header.source)?;
        let transfer_note = match header.transfer_note {
            Some(mut note) => {
                note.station_id = note.station_id.trim().to_owned();
                if note.station_id.is_empty() {
                    return Err(CoreError::InvalidArgument(
                        "transfer_note.station_id is required".into(),
                    ));
                }
                check_len("transfer_note.station_id", &note.station_id)?;
                check_len("transfer_note.operator", &note.operator)?;
                check_len(
                    "transfer_note.post_processing_detail",
                    &note.post_processing_detail,
                )?;
                note.sha256 = None;
                Some(note)
            }
            None => None,
        };
        let station = transfer_note.as_ref().map(|n| n.station_id.clone());
        // A station sending content it stored before gets the earlier document.
        if let (Some(station), Some(hash)) = (station.clone(), expected) {
            if let Some(doc) = self
                .blocking(move |inner| Ok(inner.catalog.station_document(&station, &hash)?))
                .await?
            {
                tracing::info!(document_id = %doc.document_id, sha256 = %hash, "already stored by this station");
                return Ok(doc);
            }
        }
        let filename = clean_filename(&header.filename)?;
        let declared = header.media_type.trim().to_owned();
        if !declared.is_empty() {
            let canonical = akte_extract::canonical_media_type(&declared);
            if !settings.allowed_media.contains(&canonical) {
                return Err(CoreError::InvalidArgument(
                    akte_extract::MediaError::NotAllowed {
                        declared: canonical,
                        allowed: settings.allowed_media.clone(),
                    }
                    .to_string(),
                ));
            }
        }
        let case = match case_number {
            Some(number) => {
                let lookup = number.clone();
                Some(
                    self.blocking(move |inner| Ok(inner.catalog.get_case_by_number(&lookup)?))
                        .await?
                        .ok_or_else(|| CoreError::NotFound(format!("case {number} not found")))?,
                )
            }
            None => None,
        };

        // Receive: hash while writing, keep the first bytes for type detection.
        let mut writer = self.inner.blobs.writer(settings.max_upload_bytes);
        let mut head: Vec<u8> = Vec::new();
        let mut media_type = None;
        let verify = |head: &[u8]| {
            akte_extract::verify_declared(&declared, head, &settings.allowed_media)
                .map_err(|e| CoreError::InvalidArgument(e.to_string()))
        };
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if head.len() < akte_extract::HEAD_LEN {
                let take = (akte_extract::HEAD_LEN - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                // Refuse content of the wrong type as soon as enough is seen.
                if head.len() == akte_extract::HEAD_LEN {
                    media_type = Some(verify(&head)?);
                }
            }
            let before = writer.size();
            writer.write(&chunk).await?;
            // Content beyond the memory budget goes to staging on the data
            // directory's disk: check the reserve for every MiB received.
            if before >> 20 != writer.size() >> 20 {
                self.check_disk_space(0)?;
            }
        }
        if writer.size() == 0 {
            return Err(CoreError::InvalidArgument(
                "the upload has no content".into(),
            ));
        }
        let media_type = match media_type {
            Some(m) => m,
            None => verify(&head)?,
        };
        let staged = writer.finish().await?;
        if let Some(expected) = expected {
            if expected != staged.hash() {
                return Err(CoreError::InvalidArgument(format!(
                    "content hashes to {}, not to the expected_sha256 {expected}",
                    staged.hash()
                )));
            }
        }

        if let Some(station) = station {
            let hash = staged.hash();
            if let Some(doc) = self
                .blocking(move |inner| Ok(inner.catalog.station_document(&station, &hash)?))
                .await?
            {
                tracing::info!(document_id = %doc.document_id, sha256 = %hash, "already stored by this station");
                return Ok(doc);
            }
        }

        self.check_disk_space(self.inner.blobs.local_bytes_to_commit(&staged))?;

        let now = now_millis();
        let history = case
            .iter()
            .map(|c| CaseMove {
                at: now,
                from: None,
                to: c.case_number.clone(),
                by: AssignedBy::Upload,
                detail: String::new(),
            })
            .collect();
        let doc = Document {
            document_id: self.inner.ids.document_id(),
            case_id: case.as_ref().map(|c| c.case_id),
            case_number: case.as_ref().map(|c| c.case_number.clone()),
            site: case.as_ref().map_or(inbox_site, |c| c.site.clone()),
            sha256: staged.hash(),
            size_bytes: staged.size(),
            media_type,
            filename,
            title: header.title.trim().to_owned(),
            document_type: header.document_type.trim().to_owned(),
            source: header.source.trim().to_owned(),
            received_at: header.received_at.unwrap_or(now),
            created_at: now,
            index_state: IndexState::Pending,
            index_error: None,
            page_count: 0,
            history,
            routing_note: None,
            transfer_note: transfer_note.map(|mut n| {
                n.sha256 = Some(staged.hash());
                n
            }),
        };

        // From here on the client no longer matters: finish durably even if it
        // goes away, so that a blob is never left half-committed.
        let store = self.clone();
        let task_doc = doc.clone();
        tokio::spawn(async move {
            let hash = staged.hash();
            store.hold_blob(hash).await;
            let committed = async {
                let new_blob = store.inner.blobs.commit(&staged).await?;
                drop(staged);
                let row = task_doc.clone();
                let inserted = store
                    .blocking(move |inner| Ok(inner.catalog.insert_document(&row)?))
                    .await?;
                Ok::<_, CoreError>((new_blob, inserted))
            }
            .await;
            store.release_blob(hash).await;
            let (new_blob, inserted) = committed?;
            if let Inserted::Existing(doc) = inserted {
                // The station's same content, stored concurrently.
                return Ok::<_, CoreError>(*doc);
            }
            store.inner.index_wakeup.notify_one();
            tracing::info!(
                document_id = %task_doc.document_id,
                case_number = %task_doc.case_number_str(),
                site = %task_doc.site,
                sha256 = %task_doc.sha256,
                size = task_doc.size_bytes,
                new_blob,
                "document stored"
            );
            Ok::<_, CoreError>(task_doc)
        })
        .await?
    }

    /// Replaces how free disk space is found (tests); only before the store
    /// is shared.
    #[cfg(test)]
    pub(crate) fn set_free_space(&mut self, f: FreeSpace) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.free_space = f;
        } else {
            panic!("set_free_space on a shared store");
        }
    }

    /// Refuses an upload that would leave less than the configured reserve
    /// free on the data directory's file system, or on the local blob
    /// directory's once `blob_bytes` more are written there. The reserve
    /// keeps the catalog's log from running out of space mid-write.
    fn check_disk_space(&self, blob_bytes: u64) -> Result<()> {
        let reserve = self.inner.settings.reserved_disk_bytes;
        if reserve == 0 {
            return Ok(());
        }
        let data_dir = self.inner.settings.data_dir.as_path();
        let mut checks = vec![(data_dir, reserve)];
        if let Some(root) = self.inner.blobs.local_root() {
            checks.push((root, reserve.saturating_add(blob_bytes)));
        }
        for (dir, needed) in checks {
            match (self.inner.free_space)(dir) {
                Ok(free) if free < needed => {
                    tracing::warn!(dir = %dir.display(), free, needed, "disk space below the reserve: refusing uploads");
                    return Err(CoreError::ResourceExhausted(format!(
                        "the server's disk is full (less than the reserve of {reserve} bytes would be left free); retry later"
                    )));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "free disk space unknown");
                }
            }
        }
        Ok(())
    }

    fn parse_document_id(id: &str) -> Result<DocumentId> {
        id.parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))
    }

    pub async fn get_document(&self, id: &str) -> Result<Document> {
        let id = Self::parse_document_id(id)?;
        self.point_read(|inner| {
            inner
                .catalog
                .get_document(id)?
                .ok_or_else(|| CoreError::NotFound(format!("document {id} not found")))
        })
    }

    /// The document and a stream of its bytes (or of the range `offset`,
    /// `length`), verified against its SHA-256; a mismatch ends the stream
    /// with a DATA_LOSS error before the last chunk.
    pub async fn download(
        &self,
        id: &str,
        offset: Option<u64>,
        length: Option<u64>,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let slot = self.read_slot()?;
        let doc = self.get_document(id).await?;
        let start = offset.unwrap_or(0);
        if start > doc.size_bytes {
            return Err(CoreError::InvalidArgument(format!(
                "offset {start} is beyond the end of the document ({} bytes)",
                doc.size_bytes
            )));
        }
        let end = match length {
            Some(len) => start.saturating_add(len).min(doc.size_bytes),
            None => doc.size_bytes,
        };
        let range = (start != 0 || end != doc.size_bytes).then_some(start..end);
        let stream = self
            .inner
            .blobs
            .read(doc.sha256, doc.size_bytes, range)
            .await?;
        let document_id = doc.document_id;
        let stream = stream
            .map_err(move |e| {
                // The permit lives as long as the stream.
                let _slot = &slot;
                let e = CoreError::from(e);
                if e.code() == crate::ErrorCode::DataLoss {
                    tracing::error!(%document_id, error = %e, "stored blob failed verification");
                }
                e
            })
            .boxed();
        Ok((doc, stream))
    }

    /// Documents of a case (by id or number), newest first.
    pub async fn list_case_documents(
        &self,
        case_id: Option<&str>,
        case_number: Option<&str>,
        size: usize,
        token: &str,
    ) -> Result<DocumentPage> {
        let case = match (case_id, case_number) {
            (Some(id), _) if !id.is_empty() => self.get_case_by_id(id).await?,
            (_, Some(n)) if !n.is_empty() => self.get_case_by_number(n).await?,
            _ => {
                return Err(CoreError::InvalidArgument(
                    "case_id or case_number is required".into(),
                ))
            }
        };
        let after = document_token(token)?;
        let size = page_size(size);
        let case_id = case.case.case_id;
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let documents = inner
                .catalog
                .list_case_documents(case_id, after, size + 1)?;
            Ok(DocumentPage::of(documents, size))
        })
        .await
    }

    /// Documents waiting in the inbox of a site, oldest first.
    pub async fn list_inbox(&self, site: &str, size: usize, token: &str) -> Result<DocumentPage> {
        let site = site.trim().to_owned();
        if site.is_empty() {
            return Err(CoreError::InvalidArgument("site is required".into()));
        }
        check_len("site", &site)?;
        let after = document_token(token)?;
        let size = page_size(size);
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let documents = inner.catalog.list_inbox(&site, after, size + 1)?;
            Ok(DocumentPage::of(documents, size))
        })
        .await
    }

    /// Files a document into a case by hand: out of the inbox or from another
    /// case, keeping its history. Durable when it returns.
    pub async fn assign_document(
        &self,
        id: &str,
        case_number: &str,
        note: &str,
    ) -> Result<Document> {
        let id = Self::parse_document_id(id)?;
        let number = self.parse_case_number(case_number)?;
        check_len("note", note)?;
        let note = note.trim().to_owned();
        let doc = self
            .blocking(move |inner| {
                let case = inner
                    .catalog
                    .get_case_by_number(&number)?
                    .ok_or_else(|| CoreError::NotFound(format!("case {number} not found")))?;
                let update = DocUpdate {
                    route: Some(Route::Assign {
                        case: Box::new(case),
                        by: AssignedBy::Manual,
                        detail: note,
                    }),
                    ..DocUpdate::new(id)
                };
                inner
                    .catalog
                    .update_documents(&[update], true)?
                    .pop()
                    .ok_or_else(|| CoreError::NotFound(format!("document {id} not found")))
            })
            .await?;
        self.inner.index_wakeup.notify_one();
        tracing::info!(document_id = %doc.document_id, case_number = %doc.case_number_str(), "document assigned");
        Ok(doc)
    }

    // ------------------------------------------------------------ access log

    /// Records a read of social data before it is served; a read that cannot
    /// be logged is refused. The record is written on the calling task
    /// (an unsynced write, like a point read in cost); only when RocksDB
    /// would stall the write does it wait on a blocking thread.
    pub async fn log_access(&self, mut record: AccessRecord) -> Result<()> {
        record.at = now_millis();
        let id = self.inner.ids.raw();
        if self.inner.catalog.try_log_access(id, &record)? {
            return Ok(());
        }
        self.blocking(move |inner| Ok(inner.catalog.log_access(id, &record)?))
            .await
    }

    /// The newest `limit` access records, newest first.
    pub async fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        self.blocking(move |inner| Ok(inner.catalog.access_log(limit)?))
            .await
    }

    // ------------------------------------------------------------ search

    pub async fn search(&self, req: SearchRequest) -> Result<SearchPage> {
        let offset = if req.page_token.is_empty() {
            0
        } else {
            req.page_token.parse::<usize>().map_err(|_| bad_token())?
        };
        let limit = match req.limit {
            0 => 20,
            n => n.min(MAX_PAGE_SIZE),
        };
        // The index collects offset + limit hits to return the page: bound it.
        if offset.saturating_add(limit) > MAX_SEARCH_WINDOW {
            return Err(CoreError::InvalidArgument(format!(
                "search results are available up to hit {MAX_SEARCH_WINDOW}; narrow the query or filters"
            )));
        }
        let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let case_number = match nonempty(req.case_number) {
            Some(n) => Some(self.parse_case_number(&n)?.as_str().to_owned()),
            None => None,
        };
        if req.query.len() > 4096 {
            return Err(CoreError::InvalidArgument(
                "query is longer than 4096 bytes".into(),
            ));
        }
        let query = SearchQuery {
            text: req.query,
            case_number,
            site: nonempty(req.site),
            document_type: nonempty(req.document_type),
            received_from: req.received_from,
            received_to: req.received_to,
            offset,
            limit,
        };
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let results = inner.index.search(&query)?;
            let pages = inner.index.page_matcher(&query)?;
            let mut hits = Vec::with_capacity(results.hits.len());
            for hit in results.hits {
                let Ok(id) = hit.document_id.parse::<DocumentId>() else {
                    continue;
                };
                // The index may briefly know a document the catalog no longer has.
                if let Some(document) = inner.catalog.get_document(id)? {
                    let pages = match (&pages, inner.catalog.get_text(id)?) {
                        (Some(m), Some(text)) => m.pages(&text.pages),
                        _ => Vec::new(),
                    };
                    hits.push(SearchResultHit {
                        document,
                        score: hit.score,
                        snippet: hit.snippet,
                        pages,
                    });
                }
            }
            let next = offset + limit;
            let next_page_token = if next < results.total.min(MAX_SEARCH_WINDOW) {
                next.to_string()
            } else {
                String::new()
            };
            Ok(SearchPage {
                hits,
                total_hits: results.total as u64,
                next_page_token,
            })
        })
        .await
    }
}

/// One of `limit` permits of `slots`, or RESOURCE_EXHAUSTED at once ("the
/// server is busy: LIMIT WHAT in progress").
fn slot(
    slots: &Arc<tokio::sync::Semaphore>,
    limit: usize,
    what: &str,
) -> Result<tokio::sync::OwnedSemaphorePermit> {
    Arc::clone(slots).try_acquire_owned().map_err(|_| {
        CoreError::ResourceExhausted(format!(
            "the server is busy: {limit} {what} in progress; retry later"
        ))
    })
}
