//! Removal of blobs that no document references: left by an upload that was
//! interrupted between writing its blob and its catalog row (a crash), or,
//! later, by deleted documents. A blob is removed only when its reference
//! count is zero, it is older than the grace period, and no upload of this
//! process is between writing it and recording it.

use std::time::Duration;

use akte_types::{now_millis, ContentHash};
use futures::TryStreamExt;

use crate::{CoreError, Result, Store};

/// What one collection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    pub blobs_seen: u64,
    pub blobs_deleted: u64,
    pub bytes_deleted: u64,
}

impl Store {
    /// Marks `hash` as being committed by an upload (see [`Store::upload`]).
    pub(crate) async fn hold_blob(&self, hash: ContentHash) {
        *self
            .inner
            .blobs_in_flight
            .lock()
            .await
            .entry(hash)
            .or_insert(0) += 1;
    }

    pub(crate) async fn release_blob(&self, hash: ContentHash) {
        let mut held = self.inner.blobs_in_flight.lock().await;
        if let Some(n) = held.get_mut(&hash) {
            *n -= 1;
            if *n == 0 {
                held.remove(&hash);
            }
        }
    }

    /// Deletes unreferenced blobs older than the grace period. Refused when
    /// garbage collection is off, and when the owner record of the object
    /// store does not (or no longer) name this catalog as its only user.
    pub async fn collect_garbage(&self) -> Result<GcReport> {
        if !self.inner.gc_enabled {
            return Err(CoreError::FailedPrecondition(
                "garbage collection is off for this object store".into(),
            ));
        }
        self.claim_storage().await?;
        let grace_ms = i64::try_from(self.inner.settings.gc_grace.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_millis().saturating_sub(grace_ms);
        let candidates: Vec<(ContentHash, u64)> = self
            .inner
            .blobs
            .list()
            .try_filter_map(|(hash, size, modified)| async move {
                Ok((modified <= cutoff).then_some((hash, size)))
            })
            .try_collect()
            .await?;
        let mut report = GcReport::default();
        for (hash, size) in candidates {
            report.blobs_seen += 1;
            // Holding the in-flight lock across the check and the delete keeps
            // an upload from deduplicating onto a blob that is being removed.
            let held = self.inner.blobs_in_flight.lock().await;
            if held.contains_key(&hash) {
                continue;
            }
            let refs = self
                .blocking(move |inner| Ok(inner.catalog.blob_refcount(&hash)?))
                .await?;
            if refs > 0 {
                continue;
            }
            self.inner.blobs.delete(hash).await?;
            drop(held);
            tracing::info!(sha256 = %hash, size, "removed unreferenced blob");
            report.blobs_deleted += 1;
            report.bytes_deleted += size;
        }
        Ok(report)
    }

    /// Collects garbage now and then every `interval`, if enabled.
    pub fn spawn_gc(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !self.inner.gc_enabled {
            return None;
        }
        let store = self.clone();
        let interval = self.inner.settings.gc_interval.max(Duration::from_secs(1));
        Some(tokio::spawn(async move {
            loop {
                match store.collect_garbage().await {
                    Ok(r) if r.blobs_deleted > 0 => {
                        tracing::info!(
                            deleted = r.blobs_deleted,
                            bytes = r.bytes_deleted,
                            "garbage collected"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "garbage collection failed"),
                }
                tokio::time::sleep(interval).await;
            }
        }))
    }
}
