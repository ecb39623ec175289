//! Text recognition (OCR) off the request path: a bounded pool of workers
//! takes documents from the durable OCR queue, recognises their pages with
//! Tesseract (bounded in pages, pixels and time per page), stores the text in
//! the catalog, routes documents without a case, and queues the document for
//! the indexer. A document that fails (corrupt, over a limit) is stored text-
//! less with the reason; the worker goes on. A failure of the machinery
//! (storage unreachable, tesseract gone) puts the document back in the queue.

use std::collections::HashSet;
use std::time::Duration;

use akte_catalog::{DocUpdate, Queue, QueueEntry};
use akte_types::{DocumentText, IndexState};

use crate::{Result, Store};

const IDLE_POLL: Duration = Duration::from_secs(5);
/// Pause after a failure of the machinery before the next attempt.
const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Queue entries being worked on by this process's workers.
#[derive(Debug, Default)]
pub(crate) struct Claims(parking_lot::Mutex<HashSet<u64>>);

/// Releases a claimed queue entry when dropped.
struct Claim<'a> {
    claims: &'a Claims,
    seq: u64,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.claims.0.lock().remove(&self.seq);
    }
}

impl Store {
    /// Starts the configured number of OCR workers (none when OCR is off).
    pub fn spawn_ocr_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        if self.inner.ocr.is_none() {
            return Vec::new();
        }
        (0..self.inner.settings.ocr_workers)
            .map(|_| {
                let store = self.clone();
                tokio::spawn(async move {
                    loop {
                        match store.ocr_next().await {
                            Ok(true) => {}
                            Ok(false) => {
                                tokio::select! {
                                    () = store.inner.ocr_wakeup.notified() => {}
                                    () = tokio::time::sleep(IDLE_POLL) => {}
                                }
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "text recognition failed; retrying");
                                tokio::time::sleep(RETRY_PAUSE).await;
                            }
                        }
                    }
                })
            })
            .collect()
    }

    /// Recognises the next document of the OCR queue that no other worker
    /// holds. Returns false if there was none.
    pub async fn ocr_next(&self) -> Result<bool> {
        if self.inner.ocr.is_none() {
            return Ok(false);
        }
        let held = self.inner.ocr_claims.0.lock().len();
        let entries = self
            .blocking(move |inner| Ok(inner.catalog.queued(Queue::Ocr, held + 1)?))
            .await?;
        let entry = {
            let mut claims = self.inner.ocr_claims.0.lock();
            let Some(entry) = entries.into_iter().find(|e| !claims.contains(&e.seq)) else {
                return Ok(false);
            };
            claims.insert(entry.seq);
            entry
        };
        let _claim = Claim {
            claims: &self.inner.ocr_claims,
            seq: entry.seq,
        };
        match self.recognise(entry).await {
            Ok(()) => Ok(true),
            Err(e) => {
                // Behind the others, so that one document cannot block the queue.
                self.blocking(move |inner| Ok(inner.catalog.requeue(Queue::Ocr, &[entry])?))
                    .await?;
                Err(e)
            }
        }
    }

    /// Recognises queued documents until the OCR queue is empty (for tests
    /// and tools; the server uses the workers). Returns how many.
    pub async fn ocr_pending(&self) -> Result<usize> {
        let mut n = 0;
        while self.ocr_next().await? {
            n += 1;
        }
        Ok(n)
    }

    /// Documents waiting for text recognition.
    pub async fn ocr_queue_len(&self) -> Result<u64> {
        self.blocking(|inner| Ok(inner.catalog.queue_len(Queue::Ocr)?))
            .await
    }

    async fn recognise(&self, entry: QueueEntry) -> Result<()> {
        let Some(settings) = self.inner.ocr.clone() else {
            return Ok(());
        };
        let id = entry.document_id;
        let Some(doc) = self
            .blocking(move |inner| Ok(inner.catalog.get_document(id)?))
            .await?
        else {
            self.blocking(move |inner| {
                inner.catalog.update_documents(
                    &[DocUpdate {
                        dequeue: Some((Queue::Ocr, entry.seq)),
                        ..DocUpdate::new(id)
                    }],
                    false,
                )?;
                Ok(())
            })
            .await?;
            return Ok(());
        };
        let started = std::time::Instant::now();
        let want_codes = doc.case_id.is_none();
        let outcome = match self.stage_content(&doc).await? {
            Err(reason) => Err(reason),
            Ok(file) => {
                let media_type = doc.media_type.clone();
                let work_dir = self.inner.blobs.staging_dir().to_path_buf();
                let result = tokio::task::spawn_blocking(move || {
                    akte_extract::ocr_document(
                        &media_type,
                        file.path(),
                        &settings,
                        &work_dir,
                        want_codes,
                    )
                })
                .await?;
                match result {
                    Ok(out) => Ok(out),
                    Err(e) => Err(crate::content::tool_failure(
                        "text recognition",
                        e.is_document_fault(),
                        e,
                    )?),
                }
            }
        };
        let (text, codes) = match outcome {
            Ok(out) => {
                tracing::info!(
                    document_id = %doc.document_id,
                    pages = out.pages.len(),
                    ocr_pages = out.ocr_pages,
                    seconds = started.elapsed().as_secs_f32(),
                    "text recognised"
                );
                (
                    DocumentText {
                        pages: out.pages,
                        ocr_pages: out.ocr_pages,
                        failure: None,
                    },
                    out.first_page_codes,
                )
            }
            Err(reason) => {
                tracing::warn!(document_id = %doc.document_id, %reason, "text recognition failed");
                (
                    DocumentText {
                        failure: Some(format!("text recognition failed: {reason}")),
                        ..DocumentText::default()
                    },
                    Vec::new(),
                )
            }
        };
        let place = if want_codes {
            Some(self.route(&text, &codes).await?.placement())
        } else {
            None
        };
        // The indexer takes it from here: it indexes the stored text and sets
        // the final state (indexed, or failed with the reason).
        let update = DocUpdate {
            state: Some((IndexState::Pending, None)),
            text: Some(text),
            place,
            enqueue: Some(Queue::Index),
            dequeue: Some((Queue::Ocr, entry.seq)),
            ..DocUpdate::new(doc.document_id)
        };
        self.blocking(move |inner| {
            inner.catalog.update_documents(&[update], false)?;
            Ok(())
        })
        .await?;
        self.inner.index_wakeup.notify_one();
        Ok(())
    }
}
