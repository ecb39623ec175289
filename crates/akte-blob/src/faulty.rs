//! An object store that fails on command, for fault-injection tests: errors
//! on the next puts or gets, torn writes (a prefix of the object is stored,
//! then the put fails, as a non-atomic backend could leave it), flipped bits
//! on reads, and added latency. Everything else goes to the wrapped store.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::StreamExt;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectStore,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

/// The switches of a [`FaultyStore`], shared with the test that drives it.
#[derive(Debug, Default)]
pub struct Faults {
    failing_puts: AtomicU32,
    torn_puts: AtomicU32,
    failing_gets: AtomicU32,
    corrupt_gets: AtomicU32,
    latency_ms: AtomicU64,
}

/// Takes one from a counter if it is positive.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    /// The next `n` writes (puts and multipart uploads) fail.
    pub fn fail_puts(&self, n: u32) {
        self.failing_puts.store(n, Ordering::SeqCst);
    }

    /// The next `n` single puts store only the first half of the object,
    /// then fail.
    pub fn tear_puts(&self, n: u32) {
        self.torn_puts.store(n, Ordering::SeqCst);
    }

    /// The next `n` reads fail.
    pub fn fail_gets(&self, n: u32) {
        self.failing_gets.store(n, Ordering::SeqCst);
    }

    /// The next `n` reads return the object with one bit flipped.
    pub fn corrupt_gets(&self, n: u32) {
        self.corrupt_gets.store(n, Ordering::SeqCst);
    }

    /// Every operation waits this long first.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(
            u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    async fn delay(&self) {
        let ms = self.latency_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
}

fn injected(what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "faulty",
        source: Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            format!("injected {what} failure"),
        )),
    }
}

/// Wraps a store with [`Faults`].
#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    faults: Arc<Faults>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> (Arc<Self>, Arc<Faults>) {
        let faults = Arc::new(Faults::default());
        (
            Arc::new(Self {
                inner,
                faults: Arc::clone(&faults),
            }),
            faults,
        )
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.faults.delay().await;
        if take(&self.faults.failing_puts) {
            return Err(injected("put"));
        }
        if take(&self.faults.torn_puts) {
            let whole = Bytes::from(payload);
            let half = whole.slice(..whole.len() / 2);
            let opts = PutOptions {
                mode: PutMode::Overwrite,
                ..opts
            };
            self.inner
                .put_opts(location, PutPayload::from(half), opts)
                .await?;
            return Err(injected("torn put"));
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.faults.delay().await;
        if take(&self.faults.failing_puts) {
            return Err(injected("multipart put"));
        }
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.faults.delay().await;
        if !options.head && take(&self.faults.failing_gets) {
            return Err(injected("get"));
        }
        let result = self.inner.get_opts(location, options).await?;
        if result.meta.size == 0 || !take(&self.faults.corrupt_gets) {
            return Ok(result);
        }
        let meta = result.meta.clone();
        let range = result.range.clone();
        let attributes = result.attributes.clone();
        let mut bytes = result.bytes().await?.to_vec();
        if let Some(b) = bytes.first_mut() {
            *b ^= 0x01;
        }
        let stream = futures::stream::once(async move { Ok(Bytes::from(bytes)) }).boxed();
        Ok(GetResult {
            payload: GetResultPayload::Stream(stream),
            meta,
            range,
            attributes,
            extensions: Default::default(),
        })
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.faults.delay().await;
        if take(&self.faults.failing_gets) {
            return Err(injected("get"));
        }
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
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
