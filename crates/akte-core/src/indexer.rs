//! Indexing off the request path: documents are taken from the durable queue
//! in the catalog, their text extracted, added to the index in batches with
//! one commit per batch, and only then removed from the queue. After a crash
//! the queue is simply processed again.

use std::time::Duration;

use akte_catalog::{IndexOutcome, QueueEntry};
use akte_extract::Extracted;
use akte_index::IndexDoc;
use akte_types::{Document, IndexState};

use crate::{CoreError, ErrorCode, Result, Store};

/// How often the indexer looks at the queue when nobody wakes it.
const IDLE_POLL: Duration = Duration::from_secs(5);

impl Store {
    /// Runs the indexer until the task is dropped or aborted.
    pub fn spawn_indexer(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                match store.index_pending().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(documents = n, "indexed"),
                    Err(e) => tracing::error!(error = %e, "indexing failed; retrying"),
                }
                tokio::select! {
                    () = store.inner.index_wakeup.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
                // Let concurrent uploads gather into one batch.
                tokio::time::sleep(store.inner.settings.index_commit_interval).await;
            }
        })
    }

    /// Indexes queued documents until the queue is empty; returns how many.
    pub async fn index_pending(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let (taken, done) = self.index_batch().await?;
            total += done;
            if taken < self.inner.settings.index_batch_size || done == 0 {
                return Ok(total);
            }
        }
    }

    /// One batch: returns (entries taken from the queue, entries finished).
    async fn index_batch(&self) -> Result<(usize, usize)> {
        let batch_size = self.inner.settings.index_batch_size;
        let entries: Vec<(QueueEntry, Option<Document>)> = self
            .blocking(move |inner| {
                inner
                    .catalog
                    .queued(batch_size)?
                    .into_iter()
                    .map(|e| Ok((e, inner.catalog.get_document(e.document_id)?)))
                    .collect()
            })
            .await?;
        if entries.is_empty() {
            return Ok((0, 0));
        }
        let taken = entries.len();
        let mut outcomes = Vec::with_capacity(taken);
        let mut postponed = Vec::new();
        let mut docs = Vec::with_capacity(taken);
        for (entry, doc) in entries {
            let Some(doc) = doc else {
                // Queued but gone from the catalog: nothing to index.
                outcomes.push(IndexOutcome {
                    entry,
                    state: IndexState::Failed,
                    error: None,
                });
                continue;
            };
            match self.extract_text(&doc).await {
                Ok((state, error, body)) => {
                    docs.push(index_doc(&doc, body));
                    outcomes.push(IndexOutcome {
                        entry,
                        state,
                        error,
                    });
                }
                Err(e) => {
                    // Storage unreachable: queue it again, behind the others.
                    tracing::warn!(document_id = %doc.document_id, error = %e, "text extraction postponed");
                    postponed.push(entry);
                }
            }
        }
        let done = outcomes.len();
        self.blocking(move |inner| {
            inner.index.upsert(&docs)?;
            inner.index.commit()?;
            inner.catalog.finish_indexing(&outcomes)?;
            inner.catalog.requeue(&postponed)?;
            Ok(())
        })
        .await?;
        Ok((taken, done))
    }

    /// Text for the index and the resulting state. Failures of the document
    /// itself become a `Failed` state; only transient storage errors are
    /// returned as errors.
    async fn extract_text(&self, doc: &Document) -> Result<(IndexState, Option<String>, String)> {
        if doc.size_bytes > self.inner.settings.max_extract_bytes {
            return Ok((
                IndexState::Failed,
                Some(format!(
                    "{} bytes is over the text extraction limit of {} bytes",
                    doc.size_bytes, self.inner.settings.max_extract_bytes
                )),
                String::new(),
            ));
        }
        let content = match self.inner.blobs.read_all(doc.sha256, doc.size_bytes).await {
            Ok(c) => c,
            Err(e) => {
                let e = CoreError::from(e);
                if e.code() == ErrorCode::Unavailable {
                    return Err(e);
                }
                return Ok((IndexState::Failed, Some(e.to_string()), String::new()));
            }
        };
        let media_type = doc.media_type.clone();
        // The staging directory is emptied at every start.
        let work_dir = self.inner.blobs.staging_dir().to_path_buf();
        let extracted = tokio::task::spawn_blocking(move || {
            akte_extract::extract(&media_type, &content, &work_dir)
        })
        .await?;
        Ok(match extracted {
            Ok(Extracted::Text(text)) => (IndexState::Indexed, None, text),
            Ok(Extracted::NotExtracted) => (IndexState::Indexed, None, String::new()),
            Ok(Extracted::NeedsOcr) => (IndexState::AwaitingText, None, String::new()),
            Err(e) => (IndexState::Failed, Some(e.to_string()), String::new()),
        })
    }

    /// Rebuilds the index from the catalog: empties it, queues every
    /// document and indexes them all. Returns the number of documents.
    pub async fn reindex_all(&self) -> Result<u64> {
        let queued = self
            .blocking(|inner| {
                inner.index.clear()?;
                inner.index.commit()?;
                Ok(inner.catalog.enqueue_all()?)
            })
            .await?;
        self.index_pending().await?;
        Ok(queued)
    }

    /// Documents waiting in the indexing queue.
    pub async fn queue_len(&self) -> Result<u64> {
        self.blocking(|inner| Ok(inner.catalog.queue_len()?)).await
    }
}

fn index_doc(doc: &Document, body: String) -> IndexDoc {
    IndexDoc {
        document_id: doc.document_id.to_string(),
        case_number: doc.case_number.to_string(),
        site: doc.site.clone(),
        document_type: doc.document_type.clone(),
        received_at: doc.received_at,
        title: doc.title.clone(),
        filename: doc.filename.clone(),
        body,
    }
}
