//! The access log: every access to social data, one record after the other,
//! as the leaves of an RFC 6962 Merkle tree (see `akte_types::merkle`).
//!
//! Records are kept under their sequence number in `audit`, the hashes of
//! the tree's complete subtrees in `audit_nodes`, both written in one synced
//! batch. Concurrent accesses share that write: whoever holds the writer's
//! lock takes every record queued so far (group commit).

use std::sync::Arc;

use akte_types::merkle::{self, Hash};
use akte_types::AccessRecord;
use parking_lot::Mutex;
use rocksdb::{IteratorMode, WriteBatch};

use crate::{codec, synced, Catalog, CatalogError, Result};
use crate::{CF_ACCESS_LOG, CF_AUDIT, CF_AUDIT_NODES, CF_META};

/// Where one queued record's outcome is handed back.
type Slot = Arc<Mutex<Option<std::result::Result<u64, String>>>>;

/// Records waiting for the next write, and the writer's lock.
#[derive(Default)]
pub(crate) struct AuditQueue {
    pending: Mutex<Vec<(AccessRecord, Slot)>>,
    writer: Mutex<()>,
    /// Records in the log.
    size: Mutex<u64>,
}

/// Key prefix of checkpoints in `meta`.
const CHECKPOINT_PREFIX: &[u8] = b"checkpoint/";

fn node_key(level: u32, index: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    // Levels are below 64.
    key[0] = u8::try_from(level).unwrap_or(u8::MAX);
    key[1..].copy_from_slice(&index.to_be_bytes());
    key
}

fn hash_of(bytes: &[u8]) -> Result<Hash> {
    Hash::try_from(bytes).map_err(|_| CatalogError::Corrupt {
        cf: CF_AUDIT_NODES,
        reason: "node hash is not 32 bytes".into(),
    })
}

impl Catalog {
    /// Appends a record of an access; returns its sequence number. Returns
    /// once it is durable (synced), so that the access can be served.
    pub fn log_access(&self, record: &AccessRecord) -> Result<u64> {
        let slot: Slot = Arc::default();
        self.audit
            .pending
            .lock()
            .push((record.clone(), Arc::clone(&slot)));
        let _writer = self.audit.writer.lock();
        // A writer before us may have taken ours along.
        if let Some(done) = slot.lock().take() {
            return done.map_err(CatalogError::Log);
        }
        let batch = std::mem::take(&mut *self.audit.pending.lock());
        let records: Vec<AccessRecord> = batch.iter().map(|(r, _)| r.clone()).collect();
        let outcome = self.append_access(&records);
        for (i, (_, s)) in batch.iter().enumerate() {
            *s.lock() = Some(match &outcome {
                Ok(first) => Ok(first + i as u64),
                Err(e) => Err(e.to_string()),
            });
        }
        let done = slot.lock().take();
        match done {
            Some(r) => r.map_err(CatalogError::Log),
            None => Err(CatalogError::Corrupt {
                cf: CF_AUDIT,
                reason: "a queued access record was not written".into(),
            }),
        }
    }

    /// Writes records as the next leaves, with the subtrees they complete,
    /// in one synced batch; returns the first one's sequence number. The
    /// caller holds the writer's lock.
    fn append_access(&self, records: &[AccessRecord]) -> Result<u64> {
        self.append_access_with(records, WriteBatch::default())
    }

    /// [`Catalog::append_access`] with further changes in the same write.
    fn append_access_with(&self, records: &[AccessRecord], mut batch: WriteBatch) -> Result<u64> {
        let mut size = self.audit.size.lock();
        let first = *size;
        // Nodes made in this batch, which later ones in it may need.
        let mut fresh: std::collections::HashMap<(u32, u64), Hash> = Default::default();
        for (i, record) in records.iter().enumerate() {
            let seq = first + i as u64;
            let mut record = record.clone();
            record.seq = Some(seq);
            let value = codec::encode(&record);
            let mut hash = merkle::leaf_hash(&value);
            batch.put_cf(self.cf(CF_AUDIT), seq.to_be_bytes(), &value);
            batch.put_cf(self.cf(CF_AUDIT_NODES), node_key(0, seq), hash);
            fresh.insert((0, seq), hash);
            // Every complete subtree this leaf closes.
            let mut level = 0;
            let mut index = seq;
            while index & 1 == 1 {
                let left = match fresh.get(&(level, index - 1)) {
                    Some(h) => *h,
                    None => self.audit_node(level, index - 1)?,
                };
                hash = merkle::node_hash(&left, &hash);
                level += 1;
                index >>= 1;
                batch.put_cf(self.cf(CF_AUDIT_NODES), node_key(level, index), hash);
                fresh.insert((level, index), hash);
            }
        }
        self.db.write_opt(batch, &synced())?;
        *size = first + records.len() as u64;
        Ok(first)
    }

    /// Records in the access log.
    pub fn audit_size(&self) -> u64 {
        *self.audit.size.lock()
    }

    /// The stored hash of the complete subtree `(level, index)`.
    pub fn audit_node(&self, level: u32, index: u64) -> Result<Hash> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_AUDIT_NODES), node_key(level, index))?
        {
            Some(v) => hash_of(&v),
            None => Err(CatalogError::Corrupt {
                cf: CF_AUDIT_NODES,
                reason: format!("node {level}/{index} is missing"),
            }),
        }
    }

    /// The root of the access log's tree at `size` records, from stored nodes.
    pub fn audit_root(&self, size: u64) -> Result<Hash> {
        merkle::root(size, &mut |l, i| self.audit_node(l, i))
    }

    /// The stored bytes of record `seq` (the leaf's data), if present.
    pub fn audit_record_bytes(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .db
            .get_pinned_cf(self.cf(CF_AUDIT), seq.to_be_bytes())?
            .map(|v| v.to_vec()))
    }

    /// Every record as stored, in key order: (key, bytes).
    pub fn audit_scan(&self) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + '_ {
        self.db
            .iterator_cf(self.cf(CF_AUDIT), IteratorMode::Start)
            .map(|item| {
                let (k, v) = item?;
                Ok((k.to_vec(), v.to_vec()))
            })
    }

    /// Decodes a record as stored.
    pub fn decode_access(bytes: &[u8]) -> Result<AccessRecord> {
        codec::decode(bytes)
    }

    /// Up to `limit` access records, newest first.
    pub fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        self.access_log_where(limit, |_| true)
    }

    /// Up to `limit` access records for which `wanted` holds, newest first.
    pub fn access_log_where(
        &self,
        limit: usize,
        mut wanted: impl FnMut(&AccessRecord) -> bool,
    ) -> Result<Vec<AccessRecord>> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_AUDIT), IteratorMode::End) {
            if out.len() >= limit {
                break;
            }
            let record: AccessRecord = codec::decode(&item?.1)?;
            if wanted(&record) {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// Keeps a checkpoint (as the store encodes it) under its size.
    pub fn put_checkpoint(&self, size: u64, bytes: &[u8]) -> Result<()> {
        let mut key = CHECKPOINT_PREFIX.to_vec();
        key.extend_from_slice(&size.to_be_bytes());
        self.db
            .put_cf_opt(self.cf(CF_META), key, bytes, &synced())?;
        Ok(())
    }

    /// Every checkpoint kept, by size.
    pub fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        self.scan(
            CF_META,
            CHECKPOINT_PREFIX,
            None,
            usize::MAX,
            |key, value| {
                let size = codec::decode_u64(&key[CHECKPOINT_PREFIX.len()..], CF_META)?;
                Ok((size, value.to_vec()))
            },
        )
    }

    /// The newest checkpoint kept (the largest size), if any: one read, however
    /// many there are.
    pub fn last_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>> {
        let mut end = CHECKPOINT_PREFIX.to_vec();
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        let mode = IteratorMode::From(&end, rocksdb::Direction::Reverse);
        match self.db.iterator_cf(self.cf(CF_META), mode).next() {
            Some(item) => {
                let (key, value) = item?;
                if !key.starts_with(CHECKPOINT_PREFIX) {
                    return Ok(None);
                }
                let size = codec::decode_u64(&key[CHECKPOINT_PREFIX.len()..], CF_META)?;
                Ok(Some((size, value.to_vec())))
            }
            None => Ok(None),
        }
    }

    /// At open: the log's size, and records of the log kept before it was a
    /// tree (keyed by time) moved into it, oldest first.
    pub(crate) fn open_audit(&self) -> Result<()> {
        let size = match self
            .db
            .iterator_cf(self.cf(CF_AUDIT), IteratorMode::End)
            .next()
        {
            Some(item) => codec::decode_u64(&item?.0, CF_AUDIT)? + 1,
            None => 0,
        };
        *self.audit.size.lock() = size;
        let old: Vec<(Vec<u8>, AccessRecord)> = self
            .db
            .iterator_cf(self.cf(CF_ACCESS_LOG), IteratorMode::Start)
            .map(|item| {
                let (k, v) = item?;
                Ok((k.to_vec(), codec::decode(&v)?))
            })
            .collect::<Result<_>>()?;
        if old.is_empty() {
            return Ok(());
        }
        let _writer = self.audit.writer.lock();
        for chunk in old.chunks(1024) {
            let records: Vec<AccessRecord> = chunk.iter().map(|(_, r)| r.clone()).collect();
            // Moved and removed in one write: a crash cannot move them twice.
            let mut batch = WriteBatch::default();
            for (k, _) in chunk {
                batch.delete_cf(self.cf(CF_ACCESS_LOG), k);
            }
            self.append_access_with(&records, batch)?;
        }
        tracing::info!(records = old.len(), "access log moved into its Merkle tree");
        Ok(())
    }
}

#[cfg(feature = "testing")]
impl Catalog {
    /// Writes a record's bytes under `seq` as they are, past the log: what
    /// someone editing the database could do (for tamper tests).
    pub fn tamper_put_record(&self, seq: u64, bytes: &[u8]) -> Result<()> {
        Ok(self
            .db
            .put_cf(self.cf(CF_AUDIT), seq.to_be_bytes(), bytes)?)
    }

    /// Deletes record `seq` past the log (for tamper tests).
    pub fn tamper_delete_record(&self, seq: u64) -> Result<()> {
        Ok(self.db.delete_cf(self.cf(CF_AUDIT), seq.to_be_bytes())?)
    }
}
