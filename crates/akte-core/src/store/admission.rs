//! Admission: slots for uploads and reads beyond which requests are refused
//! at once, and the disk reserve that uploads must leave free.

use std::path::Path;
use std::sync::Arc;

use crate::{CoreError, Result, Store};

/// Free space of the file system a path is on (replaced in tests).
pub(crate) type FreeSpace = Box<dyn Fn(&Path) -> std::io::Result<u64> + Send + Sync>;

impl Store {
    /// A permit for an upload, held until its commit is done. Beyond
    /// `limits.max_concurrent_uploads` the upload is refused at once with
    /// RESOURCE_EXHAUSTED rather than queued without bound.
    pub(super) fn upload_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        slot(
            &self.inner.upload_slots,
            self.inner.settings.max_concurrent_uploads,
            "uploads",
        )
    }

    /// A permit for a read that holds memory or a thread for a while (a
    /// download stream, a search, a listing). Beyond
    /// `limits.max_concurrent_reads` the read is refused at once with
    /// RESOURCE_EXHAUSTED rather than queued without bound.
    pub(super) fn read_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        slot(
            &self.inner.read_slots,
            self.inner.settings.max_concurrent_reads,
            "downloads, searches and listings",
        )
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
    pub(super) fn check_disk_space(&self, blob_bytes: u64) -> Result<()> {
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
