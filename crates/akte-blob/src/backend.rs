//! Opening the object store a URL names, and what kind of store it is.

use std::collections::BTreeMap;
use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;

use crate::{BlobError, DurableLocal, Result};

/// What kind of store an opened backend is, decided from the store that was
/// opened, not from how its URL is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// A local directory, written durably.
    Local,
    /// Process memory: gone at exit.
    Memory,
    /// Any other object store (S3 and S3-compatible clusters, ...), which
    /// other nodes may reach too.
    Remote,
}

/// An object store for blobs, and the local directory behind it if it is
/// one (then staged files are renamed into place instead of copied).
#[derive(Clone, Debug)]
pub struct Backend {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) local: Option<Arc<DurableLocal>>,
    kind: BackendKind,
}

impl Backend {
    /// The object store.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// The directory of a local backend.
    pub fn local_root(&self) -> Option<&FsPath> {
        self.local.as_deref().map(DurableLocal::root)
    }

    /// An object store that is not a local directory nor memory, such as a
    /// store wrapped for tests.
    pub fn remote(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local: None,
            kind: BackendKind::Remote,
        }
    }

    /// A store in process memory.
    pub fn memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            local: None,
            kind: BackendKind::Memory,
        }
    }
}

impl From<Arc<dyn ObjectStore>> for Backend {
    /// Any object store, taken as remote; staged files are copied into it.
    fn from(store: Arc<dyn ObjectStore>) -> Self {
        Self::remote(store)
    }
}

impl From<DurableLocal> for Backend {
    fn from(local: DurableLocal) -> Self {
        let local = Arc::new(local);
        Self {
            store: Arc::clone(&local) as Arc<dyn ObjectStore>,
            local: Some(local),
            kind: BackendKind::Local,
        }
    }
}

/// Opens the backend named by `url`:
/// - `file:///abs/dir` or an empty URL (then `default_root`): a local
///   directory, written durably (fsync of file and directory);
/// - `memory://`: in process memory, for tests;
/// - `s3://bucket/prefix` with `options` such as `endpoint`, `region`,
///   `access_key_id`, `secret_access_key`, `allow_http`,
///   `virtual_hosted_style_request` (see object_store's `AmazonS3ConfigKey`).
pub fn open_backend(
    url: &str,
    options: &BTreeMap<String, String>,
    default_root: &FsPath,
) -> Result<Backend> {
    if url.is_empty() {
        return local(default_root);
    }
    let parsed =
        url::Url::parse(url).map_err(|e| BlobError::Config(format!("storage url {url:?}: {e}")))?;
    // The URL parser lower-cases the scheme: FILE:// is file://.
    match parsed.scheme() {
        "file" => {
            let dir = parsed.to_file_path().map_err(|()| {
                BlobError::Config(format!("storage url {url:?} is not an absolute file path"))
            })?;
            local(&dir)
        }
        "memory" => Ok(Backend::memory()),
        _ => {
            let (store, prefix) = object_store::parse_url_opts(&parsed, options.iter())
                .map_err(|e| BlobError::Config(format!("storage url {url:?}: {e}")))?;
            let store: Arc<dyn ObjectStore> = Arc::from(store);
            if prefix.as_ref().is_empty() {
                Ok(Backend::remote(store))
            } else {
                Ok(Backend::remote(
                    Arc::new(PrefixStore::new(store, prefix)) as Arc<dyn ObjectStore>
                ))
            }
        }
    }
}

/// Opens the backend named by `url` as [`open_backend`] does, but a local
/// directory for reading only (see [`DurableLocal::open_read_only`]).
pub fn open_backend_for_reading(
    url: &str,
    options: &BTreeMap<String, String>,
    default_root: &FsPath,
) -> Result<Backend> {
    let dir = match url {
        "" => Some(default_root.to_path_buf()),
        _ => url::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok()),
    };
    match dir {
        Some(dir) => Ok(Backend::from(DurableLocal::open_read_only(&dir).map_err(
            |e| BlobError::Config(format!("blob directory {}: {e}", dir.display())),
        )?)),
        None => open_backend(url, options, default_root),
    }
}

/// The object store of [`open_backend`].
pub fn open_object_store(
    url: &str,
    options: &BTreeMap<String, String>,
    default_root: &FsPath,
) -> Result<Arc<dyn ObjectStore>> {
    open_backend(url, options, default_root).map(|b| b.store)
}

fn local(dir: &FsPath) -> Result<Backend> {
    Ok(Backend::from(DurableLocal::open(dir)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_opened_store_whatever_the_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let opts: BTreeMap<String, String> = [("region", "eu-central-1")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for url in [
            "s3://akte-blobs/jobcenter",
            "S3://akte-blobs/jobcenter",
            "s3a://akte-blobs/jobcenter",
            "https://akte-blobs.s3.eu-central-1.amazonaws.com/jobcenter",
            "https://s3.eu-central-1.amazonaws.com/akte-blobs/jobcenter",
        ] {
            let b = open_backend(url, &opts, dir.path()).unwrap();
            assert_eq!(b.kind(), BackendKind::Remote, "{url}");
        }
        let local_url = format!("FILE://{}", dir.path().join("blobs").display());
        assert_eq!(
            open_backend(&local_url, &opts, dir.path()).unwrap().kind(),
            BackendKind::Local
        );
        assert_eq!(
            open_backend("", &opts, dir.path()).unwrap().kind(),
            BackendKind::Local
        );
        assert_eq!(
            open_backend("Memory://", &opts, dir.path()).unwrap().kind(),
            BackendKind::Memory
        );
        // An URL no backend is known for is refused, not taken for local.
        assert!(open_backend("ftp://host/x", &opts, dir.path()).is_err());
    }
}
