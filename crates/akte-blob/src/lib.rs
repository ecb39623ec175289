//! Content-addressed blob store over any [`ObjectStore`]: blobs live under
//! `blobs/sha256/<2 hex>/<64 hex>`, are written once (dedup) and verified on
//! every read.

/// The methods of an [`ObjectStore`] wrapper that go to its `inner` store
/// unchanged: deletes and listings (but `list_with_delimiter`, an `async fn`
/// that `async_trait` must see).
macro_rules! forward_deletes_and_listings {
    () => {
        fn delete_stream(
            &self,
            locations: futures::stream::BoxStream<
                'static,
                object_store::Result<object_store::path::Path>,
            >,
        ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>> {
            self.inner.delete_stream(locations)
        }

        fn list(
            &self,
            prefix: Option<&object_store::path::Path>,
        ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
            self.inner.list(prefix)
        }

        fn list_with_offset(
            &self,
            prefix: Option<&object_store::path::Path>,
            offset: &object_store::path::Path,
        ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
            self.inner.list_with_offset(prefix, offset)
        }
    };
}
pub(crate) use forward_deletes_and_listings;

mod backend;
mod durable_local;
mod error;
#[cfg(any(test, feature = "testing"))]
pub mod faulty;
pub mod owner;
mod read;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod writer;

use std::collections::VecDeque;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use akte_types::ContentHash;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

pub use backend::{
    open_backend, open_backend_for_reading, open_object_store, Backend, BackendKind,
};
pub use durable_local::{DurableLocal, TEMP_DIR};
pub use error::{BlobError, Result};
pub use owner::{Claim, OwnerRecord, Sharing};
pub use read::OUT_CHUNK;
pub use writer::{BlobWriter, StagedBlob, DEFAULT_MEMORY_BUDGET};

use read::{file_stream, VerifyState};
use writer::{Content, MemoryBudget, MemoryLease};

/// Content up to this size is kept in memory while it is received; larger
/// content is spilled to a staging file.
pub const DEFAULT_INLINE_LIMIT: usize = 8 * 1024 * 1024;
/// Size of the parts in which large blobs are uploaded.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// The content-addressed store.
#[derive(Clone, Debug)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    local: Option<Arc<DurableLocal>>,
    kind: BackendKind,
    /// Staged files can be renamed into the local blob directory.
    rename_into_place: bool,
    staging: PathBuf,
    inline_limit: usize,
    budget: Arc<MemoryBudget>,
}

impl BlobStore {
    /// `staging` is a local directory for large uploads in flight; whatever it
    /// holds is removed here, since no upload survives a restart. When the
    /// backend is a local directory on the same file system as `staging`,
    /// large uploads are renamed into place rather than copied.
    pub fn new(backend: impl Into<Backend>, staging: impl Into<PathBuf>) -> Result<Self> {
        let backend = backend.into();
        let kind = backend.kind();
        let Backend { store, local, .. } = backend;
        let staging = staging.into();
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        // Renaming into place needs both on one file system.
        let mut rename_into_place = false;
        if let Some(l) = &local {
            use std::os::unix::fs::MetadataExt;
            rename_into_place =
                std::fs::metadata(l.root())?.dev() == std::fs::metadata(&staging)?.dev();
            if !rename_into_place {
                tracing::info!(staging = %staging.display(), blobs = %l.root().display(), "staging is on another file system than the blobs: large uploads are copied into place");
            }
        }
        Ok(Self {
            store,
            local,
            kind,
            rename_into_place,
            staging,
            inline_limit: DEFAULT_INLINE_LIMIT,
            budget: Arc::new(MemoryBudget {
                capacity: DEFAULT_MEMORY_BUDGET,
                used: Default::default(),
            }),
        })
    }

    /// Caps the memory all uploads in flight hold together: beyond it, an
    /// upload spills to staging at once, whatever its size.
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.budget = Arc::new(MemoryBudget {
            capacity: bytes,
            used: Default::default(),
        });
        self
    }

    /// Bytes of the memory budget in use by uploads in flight.
    pub fn memory_in_use(&self) -> u64 {
        self.budget.used.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Changes how much content is held in memory before it is spilled.
    pub fn with_inline_limit(mut self, limit: usize) -> Self {
        self.inline_limit = limit;
        self
    }

    /// What kind of store the blobs are kept in.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// The object store itself (for its owner record).
    pub fn object_store(&self) -> &dyn ObjectStore {
        self.store.as_ref()
    }

    pub fn staging_dir(&self) -> &FsPath {
        &self.staging
    }

    /// The directory blobs are kept in, if the backend is a local one.
    pub fn local_root(&self) -> Option<&FsPath> {
        self.local.as_deref().map(DurableLocal::root)
    }

    /// Bytes that committing `staged` newly takes on a local blob directory:
    /// content held in memory is written there; a staged file is renamed
    /// into place and takes no more, unless it has to be copied.
    pub fn local_bytes_to_commit(&self, staged: &StagedBlob) -> u64 {
        match (&self.local, &staged.content) {
            (None, _) => 0,
            (Some(_), Content::File(_)) if self.rename_into_place => 0,
            (Some(_), _) => staged.size,
        }
    }

    /// Starts receiving content of at most `limit` bytes.
    pub fn writer(&self, limit: u64) -> BlobWriter {
        BlobWriter {
            hasher: Sha256::new(),
            size: 0,
            limit,
            buf: BytesMut::new(),
            spill: None,
            staging: self.staging.clone(),
            inline_limit: self.inline_limit,
            lease: MemoryLease {
                budget: Arc::clone(&self.budget),
                bytes: 0,
            },
        }
    }

    /// Writes staged content under its hash unless a blob with that hash is
    /// already there. Returns whether it was newly written. Durable on return.
    pub async fn commit(&self, staged: &StagedBlob) -> Result<bool> {
        let key = Path::from(staged.hash.object_key());
        match &staged.content {
            Content::Memory(bytes, _) => {
                let opts = PutOptions {
                    mode: PutMode::Create,
                    ..Default::default()
                };
                match self
                    .store
                    .put_opts(&key, PutPayload::from(bytes.clone()), opts)
                    .await
                {
                    Ok(_) => Ok(true),
                    // Already there (dedup), or a store without conditional
                    // writes: keep a sound existing blob, else (re)write.
                    Err(
                        object_store::Error::AlreadyExists { .. }
                        | object_store::Error::NotImplemented { .. },
                    ) => {
                        if self.existing_is_sound(&key, staged).await? {
                            return Ok(false);
                        }
                        self.store
                            .put(&key, PutPayload::from(bytes.clone()))
                            .await
                            .map_err(BlobError::store("put"))?;
                        Ok(true)
                    }
                    Err(e) => Err(BlobError::store("put")(e)),
                }
            }
            Content::File(spill) => {
                if self.existing_is_sound(&key, staged).await? {
                    // It may have just been renamed into place by a
                    // concurrent upload that has not synced its directory
                    // yet; whoever records it must find it durable.
                    if let Some(local) = &self.local {
                        local
                            .sync_parent(&key)
                            .await
                            .map_err(BlobError::store("sync"))?;
                    }
                    return Ok(false);
                }
                if let (Some(local), true) = (&self.local, self.rename_into_place) {
                    if local
                        .adopt_file(&spill.path, &key)
                        .await
                        .map_err(BlobError::store("rename"))?
                    {
                        return Ok(true);
                    }
                }
                self.upload_file(&key, &spill.path).await?;
                Ok(true)
            }
        }
    }

    /// Whether a sound blob is stored under the staged content's key: right
    /// size and right hash (read back in full). A damaged one is reported and
    /// will be rewritten with the staged content.
    async fn existing_is_sound(&self, key: &Path, staged: &StagedBlob) -> Result<bool> {
        match self.store.head(key).await {
            Ok(meta) if meta.size == staged.size => {
                match self.verify(staged.hash, staged.size).await {
                    Ok(()) => Ok(true),
                    Err(
                        e @ (BlobError::Corrupt { .. }
                        | BlobError::WrongSize { .. }
                        | BlobError::NotFound(_)),
                    ) => {
                        tracing::warn!(hash = %staged.hash, error = %e, "rewriting damaged blob");
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
            Ok(meta) => {
                tracing::warn!(hash = %staged.hash, stored = meta.size, expected = staged.size, "rewriting damaged blob");
                Ok(false)
            }
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(BlobError::store("head")(e)),
        }
    }

    /// Reads a whole blob and checks its size and hash, keeping nothing.
    pub async fn verify(&self, hash: ContentHash, size: u64) -> Result<()> {
        let mut stream = self.read(hash, size, None).await?;
        while let Some(chunk) = stream.next().await {
            chunk?;
        }
        Ok(())
    }

    async fn upload_file(&self, key: &Path, path: &FsPath) -> Result<()> {
        let mut upload = self
            .store
            .put_multipart(key)
            .await
            .map_err(BlobError::store("put_multipart"))?;
        let result: Result<()> = async {
            let mut file = tokio::fs::File::open(path).await?;
            loop {
                let mut part = BytesMut::with_capacity(PART_SIZE);
                while part.len() < PART_SIZE {
                    if file.read_buf(&mut part).await? == 0 {
                        break;
                    }
                }
                if part.is_empty() {
                    break;
                }
                let last = part.len() < PART_SIZE;
                upload
                    .put_part(PutPayload::from(part.freeze()))
                    .await
                    .map_err(BlobError::store("put_part"))?;
                if last {
                    break;
                }
            }
            upload
                .complete()
                .await
                .map_err(BlobError::store("complete"))?;
            Ok(())
        }
        .await;
        if result.is_err() {
            if let Err(e) = upload.abort().await {
                tracing::warn!(error = %e, "aborting multipart upload failed");
            }
        }
        result
    }

    /// Streams the blob `hash` of `size` bytes, or the `range` of it, checking
    /// the hash over the whole blob. The last piece is held back until the hash
    /// is confirmed; on a mismatch the stream ends with [`BlobError::Corrupt`]
    /// (or [`BlobError::WrongSize`]) instead.
    pub async fn read(
        &self,
        hash: ContentHash,
        size: u64,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes>>> {
        let key = Path::from(hash.object_key());
        let result = match self.store.get(&key).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(BlobError::NotFound(hash)),
            Err(e) => return Err(BlobError::store("get")(e)),
        };
        let range = range.unwrap_or(0..size);
        let inner = match result.payload {
            // A local file: read in large blocks, one blocking call each
            // (object_store's own stream takes one per 8 KiB).
            object_store::GetResultPayload::File(file, _) => file_stream(file, result.range),
            object_store::GetResultPayload::Stream(s) => {
                s.map_err(BlobError::store("read")).boxed()
            }
        };
        let state = VerifyState {
            inner,
            hasher: Sha256::new(),
            pos: 0,
            range,
            pending: BytesMut::new(),
            ready: VecDeque::new(),
            verified: false,
            hash,
            size,
            done: false,
        };
        Ok(futures::stream::unfold(state, VerifyState::next).boxed())
    }

    /// Reads and verifies a whole blob into memory.
    pub async fn read_all(&self, hash: ContentHash, size: u64) -> Result<Bytes> {
        let mut out = BytesMut::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut stream = self.read(hash, size, None).await?;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }

    pub async fn exists(&self, hash: ContentHash) -> Result<bool> {
        match self.store.head(&Path::from(hash.object_key())).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(BlobError::store("head")(e)),
        }
    }

    /// Deletes a blob; a missing one is not an error.
    pub async fn delete(&self, hash: ContentHash) -> Result<()> {
        match self.store.delete(&Path::from(hash.object_key())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::store("delete")(e)),
        }
    }

    /// Every stored blob with its size and last modification (Unix millis).
    pub fn list(&self) -> BoxStream<'static, Result<(ContentHash, u64, i64)>> {
        self.store
            .list(Some(&Path::from("blobs/sha256")))
            .map_err(BlobError::store("list"))
            .try_filter_map(|meta| async move {
                Ok(ContentHash::from_object_key(meta.location.as_ref())
                    .map(|h| (h, meta.size, meta.last_modified.timestamp_millis())))
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_share_a_memory_budget_and_spill_beyond_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(
            Arc::new(object_store::memory::InMemory::new()) as Arc<dyn ObjectStore>,
            dir.path(),
        )
        .unwrap()
        .with_inline_limit(1000)
        .with_memory_budget(1500);
        let mut a = store.writer(1 << 20);
        a.write(&[1; 800]).await.unwrap();
        assert_eq!(store.memory_in_use(), 800);
        // Under its own limit, but the budget has only 700 bytes left: spilled.
        let mut b = store.writer(1 << 20);
        b.write(&[2; 800]).await.unwrap();
        assert_eq!(store.memory_in_use(), 800);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let staged_a = a.finish().await.unwrap();
        assert!(staged_a.bytes().is_some());
        let staged_b = b.finish().await.unwrap();
        assert!(staged_b.bytes().is_none());
        // Held until the staged content is gone.
        assert_eq!(store.memory_in_use(), 800);
        drop(staged_a);
        drop(staged_b);
        assert_eq!(store.memory_in_use(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // Spilling gives the budget back.
        let mut c = store.writer(1 << 20);
        c.write(&[3; 600]).await.unwrap();
        assert_eq!(store.memory_in_use(), 600);
        c.write(&[3; 600]).await.unwrap();
        assert_eq!(store.memory_in_use(), 0);
    }
}
