//! Integrity check of the stored blobs: every blob a document references is
//! read whole and its hash checked, and every stored blob that no document
//! references is reported. Nothing is repaired or deleted: the report says
//! what is missing, corrupt or unreferenced, and which documents are hit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use akte_blob::BlobError;
use akte_types::{ContentHash, DocumentId};
use futures::TryStreamExt;

use crate::{Result, Store};

/// Documents read from the catalog per step.
const PAGE: usize = 1000;

/// A damaged blob and the documents that reference it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged {
    pub sha256: ContentHash,
    pub documents: Vec<DocumentId>,
    /// What is wrong, e.g. the hash its bytes have.
    pub detail: String,
}

/// What a scrub found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Blobs referenced by documents, each read whole.
    pub blobs_checked: u64,
    pub bytes_checked: u64,
    pub missing: Vec<Damaged>,
    pub corrupt: Vec<Damaged>,
    /// Stored blobs no document references (with their size), e.g. left
    /// by an upload interrupted by a crash; garbage collection removes them
    /// where it runs.
    pub unreferenced: Vec<(ContentHash, u64)>,
}

impl ScrubReport {
    /// Whether a referenced blob is missing or corrupt.
    pub fn damaged(&self) -> bool {
        !self.missing.is_empty() || !self.corrupt.is_empty()
    }
}

impl Store {
    /// Checks every referenced blob (reading at most `bytes_per_sec`, if
    /// given, so that a scrub beside the service leaves the disk to it) and
    /// lists the unreferenced ones. Storage that does not answer ends the
    /// scrub with an error; a blob that is missing or corrupt is reported.
    pub async fn scrub(&self, bytes_per_sec: Option<u64>) -> Result<ScrubReport> {
        let mut referenced: HashMap<ContentHash, (u64, Vec<DocumentId>)> = HashMap::new();
        let mut after = None;
        loop {
            let page = self
                .blocking(move |inner| Ok(inner.catalog.list_documents(after, PAGE)?))
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.document_id);
            for doc in page {
                referenced
                    .entry(doc.sha256)
                    .or_insert((doc.size_bytes, Vec::new()))
                    .1
                    .push(doc.document_id);
            }
        }
        let mut report = ScrubReport::default();
        let started = Instant::now();
        for (hash, (size, documents)) in &referenced {
            let damaged = |detail: String| Damaged {
                sha256: *hash,
                documents: documents.clone(),
                detail,
            };
            match self.inner.blobs.verify(*hash, *size).await {
                Ok(()) => {}
                Err(e @ BlobError::NotFound(_)) => report.missing.push(damaged(e.to_string())),
                Err(e @ (BlobError::Corrupt { .. } | BlobError::WrongSize { .. })) => {
                    report.corrupt.push(damaged(e.to_string()));
                }
                Err(e) => return Err(e.into()),
            }
            report.blobs_checked += 1;
            report.bytes_checked += size;
            if let Some(rate) = bytes_per_sec.filter(|r| *r > 0) {
                // Ahead of the allowed rate: wait until it has caught up.
                let due = Duration::from_secs_f64(report.bytes_checked as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
        }
        let listed: Vec<(ContentHash, u64, i64)> = self.inner.blobs.list().try_collect().await?;
        for (hash, size, _) in listed {
            if referenced.contains_key(&hash) {
                continue;
            }
            // Stored since the documents were read, or being stored now.
            let in_flight = self.inner.blobs_in_flight.lock().await.contains_key(&hash);
            let refs = self
                .blocking(move |inner| Ok(inner.catalog.blob_refcount(&hash)?))
                .await?;
            if !in_flight && refs == 0 {
                report.unreferenced.push((hash, size));
            }
        }
        report.missing.sort_by_key(|d| d.sha256);
        report.corrupt.sort_by_key(|d| d.sha256);
        report.unreferenced.sort();
        Ok(report)
    }
}

impl Store {
    /// Scrubs every `scrub.interval` beside the service (the first after one
    /// interval), reading at most `scrub.max_bytes_per_sec`; its figures and
    /// every damaged blob go to the log. `None` when switched off.
    pub fn spawn_scrub(&self) -> Option<tokio::task::JoinHandle<()>> {
        let interval = self.inner.settings.scrub_interval?;
        let rate = self.inner.settings.scrub_bytes_per_sec;
        let store = self.clone();
        Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                match store.scrub(Some(rate)).await {
                    Ok(r) => {
                        for d in r.missing.iter().chain(&r.corrupt) {
                            tracing::error!(sha256 = %d.sha256, documents = ?d.documents, detail = %d.detail, "scrub: stored blob damaged");
                        }
                        tracing::info!(
                            blobs_checked = r.blobs_checked,
                            bytes_checked = r.bytes_checked,
                            missing = r.missing.len(),
                            corrupt = r.corrupt.len(),
                            unreferenced = r.unreferenced.len(),
                            "scrub done"
                        );
                    }
                    Err(e) => tracing::warn!(error = %e, "scrub failed"),
                }
            }
        }))
    }
}
