//! The durable work queues: documents to index, documents to recognise.

use std::sync::atomic::Ordering;

use akte_types::DocumentId;
use rocksdb::{IteratorMode, WriteBatch};

use crate::{codec, synced, Catalog, CatalogError, Queue, QueueEntry, Result};
use crate::{CF_DOCUMENTS, CF_INDEX_QUEUE};

impl Catalog {
    // ------------------------------------------------------------ indexing queue

    /// Up to `limit` documents of a queue, oldest first.
    pub fn queued(&self, queue: Queue, limit: usize) -> Result<Vec<QueueEntry>> {
        let cf = queue.cf_name();
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf), IteratorMode::Start) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = item?;
            let seq = codec::decode_u64(&key, cf)?;
            let document_id =
                DocumentId::from_slice(&value).ok_or_else(|| CatalogError::Corrupt {
                    cf,
                    reason: "document id is not 16 bytes".into(),
                })?;
            out.push(QueueEntry { seq, document_id });
        }
        Ok(out)
    }

    pub fn queue_len(&self, queue: Queue) -> Result<u64> {
        self.count(queue.cf_name())
    }

    /// Queues every document for indexing (for a rebuild of the index).
    pub fn enqueue_all(&self) -> Result<u64> {
        let mut batch = WriteBatch::default();
        let mut n = 0;
        for item in self
            .db
            .iterator_cf(self.cf(CF_DOCUMENTS), IteratorMode::Start)
        {
            let (key, _) = item?;
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            batch.put_cf(self.cf(CF_INDEX_QUEUE), seq.to_be_bytes(), &key);
            n += 1;
            if batch.len() >= 10_000 {
                self.db.write_opt(std::mem::take(&mut batch), &synced())?;
            }
        }
        self.db.write_opt(batch, &synced())?;
        Ok(n)
    }

    /// Moves entries to the end of the queue (new sequence numbers), so that
    /// documents that cannot be indexed now do not block the ones behind them.
    pub fn requeue(&self, queue: Queue, entries: &[QueueEntry]) -> Result<Vec<QueueEntry>> {
        let cf = queue.cf_name();
        let mut batch = WriteBatch::default();
        let mut moved = Vec::with_capacity(entries.len());
        for e in entries {
            let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
            batch.delete_cf(self.cf(cf), e.seq.to_be_bytes());
            batch.put_cf(self.cf(cf), seq.to_be_bytes(), e.document_id.to_bytes());
            moved.push(QueueEntry {
                seq,
                document_id: e.document_id,
            });
        }
        self.db.write(batch)?;
        Ok(moved)
    }
}
