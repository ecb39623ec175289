//! One conformance suite for the blob store, run against every backend:
//! memory, the durable local directory and a real S3-compatible server
//! (moto, started here on 127.0.0.1).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use akte_blob::testing::{noise, Moto};
use akte_blob::{open_backend, open_object_store, owner, Backend, BlobError, BlobStore, Sharing};
use akte_types::ContentHash;
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStoreExt, PutPayload};

async fn stage(store: &BlobStore, data: &[u8], chunk: usize) -> akte_blob::StagedBlob {
    let mut w = store.writer(u64::MAX);
    for c in data.chunks(chunk) {
        w.write(c).await.unwrap();
    }
    w.finish().await.unwrap()
}

async fn read(
    store: &BlobStore,
    hash: ContentHash,
    size: u64,
    range: Option<std::ops::Range<u64>>,
) -> Result<Vec<u8>, BlobError> {
    let mut out = Vec::new();
    let mut s = store.read(hash, size, range).await?;
    while let Some(c) = s.next().await {
        let c = c?;
        assert!(
            c.len() <= akte_blob::OUT_CHUNK,
            "chunk of {} bytes",
            c.len()
        );
        out.extend_from_slice(&c);
    }
    Ok(out)
}

fn staging_is_empty(store: &BlobStore) -> bool {
    std::fs::read_dir(store.staging_dir())
        .unwrap()
        .next()
        .is_none()
}

/// The suite: every backend must pass all of it.
async fn conformance(backend: Backend, staging: &Path) {
    let objects = backend.object_store();
    let object_store = backend.object_store();
    // Small inline limit so that the spill-to-file path and multipart are used.
    let store = BlobStore::new(backend, staging)
        .unwrap()
        .with_inline_limit(64 * 1024);

    // Small blob: write, dedup, read back.
    let small = b"Sehr geehrte Damen und Herren".to_vec();
    let staged = stage(&store, &small, 7).await;
    assert_eq!(staged.hash(), ContentHash::of(&small));
    assert_eq!(staged.size(), small.len() as u64);
    assert!(store.commit(&staged).await.unwrap(), "first write is new");
    assert!(
        !store.commit(&staged).await.unwrap(),
        "second write is deduplicated"
    );
    assert_eq!(
        read(&store, staged.hash(), staged.size(), None)
            .await
            .unwrap(),
        small
    );
    assert!(store.exists(staged.hash()).await.unwrap());
    let meta = object_store
        .head(&ObjPath::from(staged.hash().object_key()))
        .await
        .unwrap();
    assert_eq!(meta.size, small.len() as u64);

    // Ranges.
    assert_eq!(
        read(&store, staged.hash(), staged.size(), Some(5..12))
            .await
            .unwrap(),
        &small[5..12]
    );
    assert_eq!(
        read(&store, staged.hash(), staged.size(), Some(0..0))
            .await
            .unwrap(),
        b""
    );

    // Large blob (spilled, multipart): 20 MiB in odd-sized chunks.
    let large = noise(20 * 1024 * 1024 + 17, 1);
    let big = stage(&store, &large, 1_000_003).await;
    assert!(big.bytes().is_none(), "large content is spilled to staging");
    assert!(!staging_is_empty(&store));
    assert!(store.commit(&big).await.unwrap());
    assert!(!store.commit(&big).await.unwrap());
    let (hash, size) = (big.hash(), big.size());
    drop(big);
    assert!(
        staging_is_empty(&store),
        "staging file removed with the staged blob"
    );
    let back = read(&store, hash, size, None).await.unwrap();
    assert_eq!(back.len(), large.len());
    assert!(back == large);
    let mid = read(&store, hash, size, Some(9_000_000..12_345_678))
        .await
        .unwrap();
    assert!(mid == large[9_000_000..12_345_678]);
    assert_eq!(store.read_all(hash, size).await.unwrap().len(), large.len());

    // A dropped writer leaves nothing behind.
    let mut w = store.writer(u64::MAX);
    w.write(&large[..200_000]).await.unwrap();
    drop(w);
    assert!(staging_is_empty(&store));

    // Size limit.
    let mut w = store.writer(10);
    assert!(matches!(
        w.write(&[0u8; 11]).await,
        Err(BlobError::TooLarge { limit: 10 })
    ));

    // Missing blob.
    let missing = ContentHash::of(b"nothing");
    assert!(matches!(
        read(&store, missing, 7, None).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(!store.exists(missing).await.unwrap());

    // Corruption: same size, other bytes -> Corrupt, and nothing of the last
    // chunk is delivered; other size -> WrongSize.
    let victim = b"Bescheid ueber Leistungen".to_vec();
    let v = stage(&store, &victim, 100).await;
    store.commit(&v).await.unwrap();
    let key = ObjPath::from(v.hash().object_key());
    let mut evil = victim.clone();
    evil[0] ^= 0xFF;
    object_store
        .put(&key, PutPayload::from(evil))
        .await
        .unwrap();
    let mut s = store.read(v.hash(), v.size(), None).await.unwrap();
    let mut got = Vec::new();
    let mut failed = None;
    while let Some(c) = s.next().await {
        match c {
            Ok(b) => got.extend_from_slice(&b),
            Err(e) => failed = Some(e),
        }
    }
    assert!(
        matches!(failed, Some(BlobError::Corrupt { .. })),
        "{failed:?}"
    );
    assert!(
        got.is_empty(),
        "no bytes of a corrupt small blob are delivered"
    );
    // Same size, other bytes: the next upload of the content rewrites it.
    assert!(
        store.commit(&v).await.unwrap(),
        "damaged blob of the same size is rewritten"
    );
    assert_eq!(
        read(&store, v.hash(), v.size(), None).await.unwrap(),
        victim
    );
    object_store
        .put(&key, PutPayload::from(Bytes::from_static(b"short")))
        .await
        .unwrap();
    assert!(matches!(
        read(&store, v.hash(), v.size(), None).await,
        Err(BlobError::WrongSize { .. })
    ));
    // A damaged blob is rewritten by the next upload of the same content.
    assert!(store.commit(&v).await.unwrap());
    assert_eq!(
        read(&store, v.hash(), v.size(), None).await.unwrap(),
        victim
    );

    // Listing and deletion.
    let mut listed: Vec<ContentHash> = store.list().map(|r| r.unwrap().0).collect().await;
    listed.sort();
    let mut expected = vec![staged.hash(), hash, v.hash()];
    expected.sort();
    assert_eq!(listed, expected);
    store.delete(v.hash()).await.unwrap();
    store.delete(v.hash()).await.unwrap();
    assert!(!store.exists(v.hash()).await.unwrap());

    // The owner record: the first catalog owns the prefix, a second is
    // refused, and the record is not taken for a blob.
    let objects = objects.as_ref();
    owner::claim(objects, "katalog-a", Sharing::Exclusive, 1)
        .await
        .unwrap();
    owner::claim(objects, "katalog-a", Sharing::Exclusive, 2)
        .await
        .unwrap();
    assert!(owner::claim(objects, "katalog-b", Sharing::Exclusive, 3)
        .await
        .is_err());
    assert!(owner::may_collect_garbage(objects, "katalog-a")
        .await
        .unwrap());
    owner::claim(objects, "katalog-a", Sharing::Shared, 4)
        .await
        .unwrap();
    assert!(!owner::may_collect_garbage(objects, "katalog-a")
        .await
        .unwrap());
    let listed: Vec<ContentHash> = store.list().map(|r| r.unwrap().0).collect().await;
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn memory_backend() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_backend("memory://", &BTreeMap::new(), dir.path()).unwrap();
    conformance(store, &dir.path().join("staging")).await;
}

#[tokio::test]
async fn local_backend() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_backend("", &BTreeMap::new(), &dir.path().join("objects")).unwrap();
    conformance(store, &dir.path().join("staging")).await;
    // No temporary files remain beside the blobs.
    let mut stack = vec![dir.path().join("objects")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                assert!(
                    !e.file_name().to_string_lossy().contains('#'),
                    "{:?}",
                    e.path()
                );
            }
        }
    }
}

/// The inode of the only file in `dir`.
fn only_file_inode(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].as_ref().unwrap().metadata().unwrap().ino()
}

fn blob_path(root: &Path, hash: ContentHash) -> std::path::PathBuf {
    root.join(hash.object_key())
}

#[tokio::test]
async fn local_backend_renames_large_uploads_into_place() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("objects");
    let backend = open_backend("", &BTreeMap::new(), &root).unwrap();
    let store = BlobStore::new(backend, dir.path().join("staging"))
        .unwrap()
        .with_inline_limit(64 * 1024);
    let data = noise(300_000, 5);
    let staged = stage(&store, &data, 50_000).await;
    let staged_inode = only_file_inode(store.staging_dir());
    assert!(store.commit(&staged).await.unwrap());
    let path = blob_path(&root, staged.hash());
    assert_eq!(
        std::fs::metadata(&path).unwrap().ino(),
        staged_inode,
        "the staged file itself became the blob"
    );
    drop(staged);
    assert!(staging_is_empty(&store));
    assert_eq!(
        read(&store, ContentHash::of(&data), 300_000, None)
            .await
            .unwrap(),
        data
    );
    // The same content again: deduplicated, its staging file removed.
    let again = stage(&store, &data, 70_000).await;
    assert!(!store.commit(&again).await.unwrap());
    drop(again);
    assert!(staging_is_empty(&store));
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), staged_inode);
}

#[tokio::test]
async fn local_backend_copies_from_staging_on_another_file_system() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    // /dev/shm is a tmpfs on Linux: another file system than the temp dir.
    // A prerequisite of the test: it fails, not passes, without one.
    let shm = tempfile::tempdir_in("/dev/shm")
        .expect("this test needs /dev/shm (a tmpfs) as a second file system");
    let dev = |p: &Path| std::fs::metadata(p).unwrap().dev();
    assert_ne!(
        dev(dir.path()),
        dev(shm.path()),
        "this test needs /dev/shm on another file system than the temp dir"
    );
    let backend = open_backend("", &BTreeMap::new(), &dir.path().join("objects")).unwrap();
    conformance(backend, &shm.path().join("staging")).await;
}

#[tokio::test]
async fn local_backend_by_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("blobs-here").display());
    let store = open_backend(&url, &BTreeMap::new(), Path::new("/nonexistent")).unwrap();
    conformance(store, &dir.path().join("staging")).await;
    assert!(dir.path().join("blobs-here/blobs/sha256").is_dir());
}

#[tokio::test]
async fn s3_backend() {
    let moto = Moto::start();
    moto.create_bucket("akte-test");
    let dir = tempfile::tempdir().unwrap();
    let store = open_backend("s3://akte-test/site-a", &moto.options(), dir.path()).unwrap();
    conformance(store, &dir.path().join("staging")).await;
}

#[test]
fn bad_urls_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        open_object_store("not a url", &BTreeMap::new(), dir.path()),
        Err(BlobError::Config(_))
    ));
    assert!(matches!(
        open_object_store("ftp://x/y", &BTreeMap::new(), dir.path()),
        Err(BlobError::Config(_))
    ));
}
