//! A local-directory object store that makes every write durable before it
//! returns: data fsync'd, then linked or renamed into place, then the directory
//! fsync'd. Reads, listing and deletes are those of [`LocalFileSystem`].

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectStore, ObjectStoreExt,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, UploadPart,
};

const STORE: &str = "DurableLocal";

#[derive(Debug)]
pub struct DurableLocal {
    root: PathBuf,
    /// This process's directory of writes in progress, in [`TEMP_DIR`],
    /// with its lock file, held locked while this process may write there
    /// (a directory whose lock can be taken belongs to a process that is
    /// gone). `None` when opened for reading only.
    temp: Option<(PathBuf, File)>,
    inner: LocalFileSystem,
}

/// Directory (under the root) of writes in progress: one directory per
/// process that opened the store, each with a lock file. Its files end in
/// `#<digits>`, which [`LocalFileSystem`] leaves out of listings.
pub const TEMP_DIR: &str = ".tmp";

/// The lock file of a process's directory in [`TEMP_DIR`] (a temporary
/// name, so that listings leave it out).
const TEMP_LOCK: &str = "lock#0";

/// Directory (under the root) of the blobs' shard directories.
const SHARD_PARENT: &str = "blobs/sha256";

impl DurableLocal {
    /// Opens (creating) the directory `root`. Writes in progress live in a
    /// directory of this process's own under [`TEMP_DIR`], so that what an
    /// interrupted write left behind is found by reading that directory
    /// alone (the time to open does not grow with the number of blobs), and
    /// so that processes sharing the directory (nodes of several sites on
    /// one network file system) never remove each other's writes: only the
    /// directories of processes that are gone, whose locks are free, are
    /// removed. The 256 shard directories of the blobs are created (and made
    /// durable) here once, so that writes find them in place.
    pub fn open(root: impl AsRef<FsPath>) -> std::io::Result<Self> {
        let root = root.as_ref().to_path_buf();
        create_dirs_durably(&root)?;
        let root = root.canonicalize()?;
        let temps = root.join(TEMP_DIR);
        if !temps.is_dir() {
            // Opened for the first time by a build that keeps writes in
            // progress in `TEMP_DIR`: earlier builds left theirs beside the
            // blobs, so they are looked for there, once.
            remove_temporaries(&root, true)?;
        }
        create_dirs_durably(&temps)?;
        remove_abandoned(&temps)?;
        let (temp, temp_lock) = own_temp_dir(&temps)?;
        create_shards(&root.join(SHARD_PARENT))?;
        let inner = LocalFileSystem::new_with_prefix(&root).map_err(std::io::Error::other)?;
        Ok(Self {
            root,
            temp: Some((temp, temp_lock)),
            inner,
        })
    }

    /// Opens the existing directory `root` for reading only: nothing is
    /// created, removed or written there (a node that reads another
    /// catalog's blobs, possibly from a read-only mount). Writes fail.
    pub fn open_read_only(root: impl AsRef<FsPath>) -> std::io::Result<Self> {
        let root = root.as_ref().canonicalize()?;
        let inner = LocalFileSystem::new_with_prefix(&root).map_err(std::io::Error::other)?;
        Ok(Self {
            root,
            temp: None,
            inner,
        })
    }

    /// The directory for this process's writes in progress.
    fn temp_dir(&self) -> object_store::Result<PathBuf> {
        match &self.temp {
            Some((dir, _)) => Ok(dir.clone()),
            None => Err(generic(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the blob directory is opened for reading only",
            ))),
        }
    }

    /// The directory the objects are kept in.
    pub fn root(&self) -> &FsPath {
        &self.root
    }

    fn fs_path(&self, location: &Path) -> object_store::Result<PathBuf> {
        self.inner.path_to_filesystem(location)
    }

    /// Syncs the directory that holds `location`, making its entry durable.
    pub async fn sync_parent(&self, location: &Path) -> object_store::Result<()> {
        let dest = self.fs_path(location)?;
        tokio::task::spawn_blocking(move || {
            sync_dir(dest.parent().unwrap_or(FsPath::new("/"))).map_err(generic)
        })
        .await
        .map_err(join_error)?
    }

    /// Makes the local file `src` the object at `location` without copying
    /// it: `src` is synced, then renamed into place and its directory
    /// synced. Returns `Ok(false)`, leaving `src` alone, when `src` is on
    /// another file system (the caller copies instead).
    pub async fn adopt_file(&self, src: &FsPath, location: &Path) -> object_store::Result<bool> {
        self.temp_dir()?;
        let dest = self.fs_path(location)?;
        let src = src.to_path_buf();
        tokio::task::spawn_blocking(move || {
            File::open(&src)
                .and_then(|f| f.sync_all())
                .map_err(generic)?;
            if let Some(parent) = dest.parent() {
                create_dirs_durably(parent).map_err(generic)?;
            }
            match fs::rename(&src, &dest) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => return Ok(false),
                Err(e) => return Err(generic(e)),
            }
            sync_dir(dest.parent().unwrap_or(FsPath::new("/"))).map_err(generic)?;
            Ok(true)
        })
        .await
        .map_err(join_error)?
    }
}

impl Drop for DurableLocal {
    /// Nothing writes through it any more: its directory of writes in
    /// progress goes (else the next open finds its lock free and removes it).
    fn drop(&mut self) {
        if let Some((dir, _)) = &self.temp {
            if let Err(e) = fs::remove_dir_all(dir) {
                tracing::debug!(path = %dir.display(), error = %e, "temporary directory left");
            }
        }
    }
}

impl fmt::Display for DurableLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DurableLocal({})", self.root.display())
    }
}

fn generic(err: impl std::error::Error + Send + Sync + 'static) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: Box::new(err),
    }
}

fn join_error(err: tokio::task::JoinError) -> object_store::Error {
    object_store::Error::JoinError { source: err }
}

/// A new temporary file in `temp`, named `<final name>#<digits>`, which
/// [`LocalFileSystem`] leaves out of listings.
fn temp_path(temp: &FsPath, dest: &FsPath) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_owned();
    name.push(format!(
        "#{}",
        uuid::Uuid::new_v4().as_u128() % 10u128.pow(30)
    ));
    temp.join(name)
}

/// Creates the 256 shard directories `00`..`ff` under `parent` where
/// missing, then syncs `parent` once if any was new.
fn create_shards(parent: &FsPath) -> std::io::Result<()> {
    create_dirs_durably(parent)?;
    let mut created = false;
    for shard in 0..=255u8 {
        match fs::create_dir(parent.join(format!("{shard:02x}"))) {
            Ok(()) => created = true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    if created {
        sync_dir(parent)?;
    }
    Ok(())
}

fn is_temporary(name: &str) -> bool {
    matches!(name.rsplit_once('#'), Some((_, digits)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes the directories in `temps` of processes that are gone (their
/// lock is free), with the writes they left, and loose temporary files.
fn remove_abandoned(temps: &FsPath) -> std::io::Result<()> {
    for entry in fs::read_dir(temps)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        if lock_temp_dir(&entry.path())?.is_some() {
            tracing::info!(path = %entry.path().display(), "removing interrupted writes");
            match fs::remove_dir_all(entry.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    remove_temporaries(temps, false)
}

/// Takes the lock of the directory of writes in progress `dir`: its lock
/// file, opened (created if missing) and locked. `None` if another process
/// holds it, or the directory was removed meanwhile by a process cleaning up.
fn lock_temp_dir(dir: &FsPath) -> std::io::Result<Option<File>> {
    use fs4::fs_std::FileExt;
    let lock = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(TEMP_LOCK))
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(lock.try_lock_exclusive()?.then_some(lock))
}

/// A new directory in `temps` for this process's writes, with its lock
/// taken. A process cleaning up may remove a directory between its
/// creation and its lock: then another one is made.
fn own_temp_dir(temps: &FsPath) -> std::io::Result<(PathBuf, File)> {
    for _ in 0..16 {
        let dir = temps.join(uuid::Uuid::new_v4().simple().to_string());
        fs::create_dir(&dir)?;
        if let Some(lock) = lock_temp_dir(&dir)? {
            if dir.join(TEMP_LOCK).exists() {
                return Ok((dir, lock));
            }
        }
    }
    Err(std::io::Error::other(format!(
        "no directory for writes in progress could be made in {}",
        temps.display()
    )))
}

/// Removes the temporary files an interrupted write left in `dir`, and
/// with `recursive` in the directories below it too.
fn remove_temporaries(dir: &FsPath, recursive: bool) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if recursive {
                remove_temporaries(&entry.path(), true)?;
            }
        } else if entry.file_name().to_str().is_some_and(is_temporary) {
            tracing::info!(path = %entry.path().display(), "removing interrupted write");
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &FsPath) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and any missing parents below `root`, syncing each parent whose
/// entries changed.
fn create_dirs_durably(dir: &FsPath) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs_durably(parent)?;
    }
    match fs::create_dir(dir) {
        // Created by a concurrent writer, whose sync may not have happened
        // yet: sync here too.
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Moves the synced temporary file `tmp` to `dest` and syncs the directory.
/// With `create`, an existing `dest` is left alone and reported.
fn publish(tmp: &FsPath, dest: &FsPath, create: bool, location: &Path) -> object_store::Result<()> {
    let result = if create {
        match fs::hard_link(tmp, dest) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = fs::remove_file(tmp);
                // The existing entry may come from a concurrent writer that
                // has not synced the directory yet; whoever relies on it
                // (dedup) must find it durable.
                sync_dir(dest.parent().unwrap_or(FsPath::new("/"))).map_err(generic)?;
                return Err(object_store::Error::AlreadyExists {
                    path: location.to_string(),
                    source: Box::new(e),
                });
            }
            Err(e) => Err(e),
        }
        .and_then(|()| fs::remove_file(tmp))
    } else {
        fs::rename(tmp, dest)
    };
    if let Err(e) = result {
        let _ = fs::remove_file(tmp);
        return Err(generic(e));
    }
    let parent = dest.parent().unwrap_or(FsPath::new("/"));
    sync_dir(parent).map_err(generic)
}

fn write_durably(
    temp: &FsPath,
    dest: &FsPath,
    payload: &PutPayload,
    create: bool,
    location: &Path,
) -> object_store::Result<()> {
    if let Some(parent) = dest.parent() {
        create_dirs_durably(parent).map_err(generic)?;
    }
    let tmp = temp_path(temp, dest);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        for chunk in payload.iter() {
            file.write_all(chunk)?;
        }
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(generic(e));
    }
    publish(&tmp, dest, create, location)
}

#[async_trait]
impl ObjectStore for DurableLocal {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let create = match opts.mode {
            PutMode::Overwrite => false,
            PutMode::Create => true,
            PutMode::Update(_) => {
                return Err(object_store::Error::NotImplemented {
                    operation: "conditional update".into(),
                    implementer: STORE.into(),
                })
            }
        };
        let dest = self.fs_path(location)?;
        let loc = location.clone();
        let temp = self.temp_dir()?;
        tokio::task::spawn_blocking(move || write_durably(&temp, &dest, &payload, create, &loc))
            .await
            .map_err(join_error)??;
        let meta = self.inner.head(location).await?;
        Ok(PutResult {
            e_tag: meta.e_tag,
            version: meta.version,
            extensions: Default::default(),
        })
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        _opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let dest = self.fs_path(location)?;
        let location = location.clone();
        let temp = self.temp_dir()?;
        let upload = tokio::task::spawn_blocking(move || -> object_store::Result<DurableUpload> {
            if let Some(parent) = dest.parent() {
                create_dirs_durably(parent).map_err(generic)?;
            }
            let tmp = temp_path(&temp, &dest);
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(generic)?;
            Ok(DurableUpload {
                file: Some(Arc::new(file)),
                tmp,
                dest,
                location,
                offset: 0,
            })
        })
        .await
        .map_err(join_error)??;
        Ok(Box::new(upload))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    crate::forward_deletes_and_listings!();

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await?;
        let dest = self.fs_path(to)?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            File::open(&dest)?.sync_all()?;
            sync_dir(dest.parent().unwrap_or(FsPath::new("/")))
        })
        .await
        .map_err(join_error)?
        .map_err(generic)
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await?;
        let dest = self.fs_path(to)?;
        tokio::task::spawn_blocking(move || sync_dir(dest.parent().unwrap_or(FsPath::new("/"))))
            .await
            .map_err(join_error)?
            .map_err(generic)
    }
}

/// A multipart upload into one temporary file; parts land at their offsets in
/// the order `put_part` was called, whatever order their futures finish in.
#[derive(Debug)]
struct DurableUpload {
    file: Option<Arc<File>>,
    tmp: PathBuf,
    dest: PathBuf,
    location: Path,
    offset: u64,
}

#[async_trait]
impl MultipartUpload for DurableUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let offset = self.offset;
        self.offset += data.content_length() as u64;
        let file = self.file.clone();
        Box::pin(async move {
            let file =
                file.ok_or_else(|| generic(std::io::Error::other("upload already finished")))?;
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut at = offset;
                for chunk in data.iter() {
                    file.write_all_at(chunk, at)?;
                    at += chunk.len() as u64;
                }
                Ok(())
            })
            .await
            .map_err(join_error)?
            .map_err(generic)
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let file = self
            .file
            .take()
            .ok_or_else(|| generic(std::io::Error::other("upload already finished")))?;
        let (tmp, dest, location) = (self.tmp.clone(), self.dest.clone(), self.location.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = file.sync_all() {
                let _ = fs::remove_file(&tmp);
                return Err(generic(e));
            }
            drop(file);
            publish(&tmp, &dest, false, &location)
        })
        .await
        .map_err(join_error)??;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.file = None;
        let tmp = self.tmp.clone();
        tokio::task::spawn_blocking(move || match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(generic(e)),
            _ => Ok(()),
        })
        .await
        .map_err(join_error)?
    }
}

impl Drop for DurableUpload {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_recognised() {
        assert!(is_temporary("abc#123"));
        assert!(!is_temporary("abc#"));
        assert!(!is_temporary("abc"));
        assert!(!is_temporary("abc#12x"));
    }

    #[tokio::test]
    async fn leftover_temporaries_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join(TEMP_DIR).join("gone");
        fs::create_dir_all(&gone).unwrap();
        fs::create_dir_all(dir.path().join("blobs/sha256/aa")).unwrap();
        fs::write(gone.join("x#42"), b"torn").unwrap();
        fs::write(dir.path().join("blobs/sha256/aa/x"), b"kept").unwrap();
        let _store = DurableLocal::open(dir.path()).unwrap();
        assert!(!gone.exists());
        assert!(dir.path().join("blobs/sha256/aa/x").exists());
        // Every shard directory is there from the start.
        assert_eq!(
            fs::read_dir(dir.path().join("blobs/sha256"))
                .unwrap()
                .count(),
            256
        );
    }

    #[tokio::test]
    async fn temporaries_of_earlier_builds_beside_the_blobs_are_removed_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blobs/sha256/aa")).unwrap();
        fs::write(dir.path().join("blobs/sha256/aa/x#42"), b"torn").unwrap();
        fs::write(dir.path().join("blobs/sha256/aa/x"), b"kept").unwrap();
        drop(DurableLocal::open(dir.path()).unwrap());
        assert!(!dir.path().join("blobs/sha256/aa/x#42").exists());
        assert!(dir.path().join("blobs/sha256/aa/x").exists());
        // Later opens read only the temporary directory.
        fs::write(dir.path().join("blobs/sha256/aa/y#7"), b"not ours").unwrap();
        drop(DurableLocal::open(dir.path()).unwrap());
        assert!(dir.path().join("blobs/sha256/aa/y#7").exists());
    }

    #[tokio::test]
    async fn a_second_process_leaves_the_writes_in_progress_of_the_first_alone() {
        let dir = tempfile::tempdir().unwrap();
        let first = DurableLocal::open(dir.path()).unwrap();
        let mut upload = first
            .put_multipart(&Path::from("blobs/sha256/ab/abcd"))
            .await
            .unwrap();
        upload
            .put_part(PutPayload::from_static(b"Teil"))
            .await
            .unwrap();
        // Another opener (a node sharing the directory) while it is written.
        let second = DurableLocal::open(dir.path()).unwrap();
        upload.complete().await.unwrap();
        let got = second
            .get(&Path::from("blobs/sha256/ab/abcd"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&got[..], b"Teil");
        // Once a process is gone its directory is removed by the next open.
        let temps = dir.path().join(TEMP_DIR);
        assert_eq!(fs::read_dir(&temps).unwrap().count(), 2);
        drop(first);
        drop(DurableLocal::open(dir.path()).unwrap());
        assert_eq!(
            fs::read_dir(&temps).unwrap().count(),
            1,
            "the second's only"
        );
    }

    /// Stores "Inhalt" under the returned key, and starts a multipart write
    /// of "Teil" that is left in progress.
    async fn a_blob_and_a_write_in_progress(
        store: &DurableLocal,
    ) -> (Path, Box<dyn MultipartUpload>) {
        let key = Path::from("blobs/sha256/ab/abcdef");
        store
            .put(&key, PutPayload::from_static(b"Inhalt"))
            .await
            .unwrap();
        let mut upload = store
            .put_multipart(&Path::from("blobs/sha256/cd/cdef"))
            .await
            .unwrap();
        upload
            .put_part(PutPayload::from_static(b"Teil"))
            .await
            .unwrap();
        (key, upload)
    }

    #[tokio::test]
    async fn opened_for_reading_it_creates_and_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let writer = DurableLocal::open(dir.path()).unwrap();
        // A write in progress of the writer stays.
        let (key, mut upload) = a_blob_and_a_write_in_progress(&writer).await;
        let entries = || fs::read_dir(dir.path().join(TEMP_DIR)).unwrap().count();
        let before = entries();
        let reader = DurableLocal::open_read_only(dir.path()).unwrap();
        assert_eq!(entries(), before);
        let got = reader.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"Inhalt");
        assert!(reader
            .put(
                &Path::from("blobs/sha256/ef/ef"),
                PutPayload::from_static(b"x")
            )
            .await
            .is_err());
        drop(reader);
        upload.complete().await.unwrap();
        assert!(DurableLocal::open_read_only(dir.path().join("missing")).is_err());
    }

    #[tokio::test]
    async fn writes_go_through_the_temporary_directory_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = DurableLocal::open(dir.path()).unwrap();
        let (key, mut upload) = a_blob_and_a_write_in_progress(&store).await;
        // In progress: the write is in the process's temporary directory
        // only (beside its lock).
        assert_eq!(fs::read_dir(store.temp_dir().unwrap()).unwrap().count(), 2);
        upload.complete().await.unwrap();
        assert_eq!(fs::read_dir(store.temp_dir().unwrap()).unwrap().count(), 1);
        let got = store.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"Inhalt");
        // Listings show the objects, not the temporary directory.
        use futures::TryStreamExt;
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 2, "{listed:?}");
    }
}
