//! The access log: every access to social data, one record after the other,
//! as the leaves of an RFC 6962 Merkle tree (see `tree`): records under
//! their sequence number in `audit`, the hashes of the tree's complete
//! subtrees in `audit_nodes`. Signed checkpoints of this tree and of the
//! evidence log are kept in `meta`.

use akte_types::merkle::{self, Hash};
use akte_types::AccessRecord;
use rocksdb::{IteratorMode, WriteBatch};

use crate::tree::Leaf;
use crate::{codec, synced, Catalog, Log, Result};
use crate::{CF_ACCESS_LOG, CF_AUDIT, CF_META};

impl Leaf for AccessRecord {
    /// A record knows its place in the log; it is hashed as stored.
    fn place(mut self, _: &Catalog, index: u64, _: &mut WriteBatch) -> (Vec<u8>, Hash) {
        self.seq = Some(index);
        let value = codec::encode(&self);
        let hash = merkle::leaf_hash(&value);
        (value, hash)
    }
}

/// Key prefix of a log's signed checkpoints in `meta`.
fn checkpoint_prefix(log: Log) -> &'static [u8] {
    match log {
        Log::Access => b"checkpoint/",
        Log::Evidence => b"evidence_root/",
    }
}

impl Catalog {
    /// Appends a record of an access; returns its sequence number. Returns
    /// once it is durable (synced), so that the access can be served.
    pub fn log_access(&self, record: &AccessRecord) -> Result<u64> {
        self.audit.append(self, record.clone())
    }

    /// Leaves in a log.
    pub fn log_size(&self, log: Log) -> u64 {
        match log {
            Log::Access => self.audit.size(),
            Log::Evidence => self.evidence.size(),
        }
    }

    /// The stored hash of the complete subtree `(level, index)` of a log.
    pub fn log_node(&self, log: Log, level: u32, index: u64) -> Result<Hash> {
        match log {
            Log::Access => self.audit.node(self, level, index),
            Log::Evidence => self.evidence.node(self, level, index),
        }
    }

    /// The root of a log's tree at `size` leaves, from stored nodes.
    pub fn log_root(&self, log: Log, size: u64) -> Result<Hash> {
        merkle::root(size, &mut |l, i| self.log_node(log, l, i))
    }

    /// The audit path of leaf `index` in a log's tree of `size` leaves.
    pub fn log_inclusion_proof(&self, log: Log, index: u64, size: u64) -> Result<Vec<Hash>> {
        merkle::inclusion_proof(index, size, &mut |l, i| self.log_node(log, l, i))
    }

    /// The proof that a log's tree of `first` leaves is a prefix of its
    /// tree of `second` leaves.
    pub fn log_consistency_proof(&self, log: Log, first: u64, second: u64) -> Result<Vec<Hash>> {
        merkle::consistency_proof(first, second, &mut |l, i| self.log_node(log, l, i))
    }

    /// The stored bytes of record `seq` (the leaf's data), if present.
    pub fn audit_record_bytes(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        self.audit.record(self, seq)
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

    /// Keeps a signed checkpoint of a log (as the store encodes it) under
    /// its size.
    pub fn put_checkpoint(&self, log: Log, size: u64, bytes: &[u8]) -> Result<()> {
        let mut key = checkpoint_prefix(log).to_vec();
        key.extend_from_slice(&size.to_be_bytes());
        self.db
            .put_cf_opt(self.cf(CF_META), key, bytes, &synced())?;
        Ok(())
    }

    /// Every checkpoint of a log kept, by size.
    pub fn checkpoints(&self, log: Log) -> Result<Vec<(u64, Vec<u8>)>> {
        let prefix = checkpoint_prefix(log);
        self.scan(CF_META, prefix, None, usize::MAX, |key, value| {
            let size = codec::decode_u64(&key[prefix.len()..], CF_META)?;
            Ok((size, value.to_vec()))
        })
    }

    /// The newest checkpoint of a log kept (the largest size), if any: one
    /// read, however many there are.
    pub fn last_checkpoint(&self, log: Log) -> Result<Option<(u64, Vec<u8>)>> {
        let prefix = checkpoint_prefix(log);
        let mut end = prefix.to_vec();
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        let mode = IteratorMode::From(&end, rocksdb::Direction::Reverse);
        match self.db.iterator_cf(self.cf(CF_META), mode).next() {
            Some(item) => {
                let (key, value) = item?;
                if !key.starts_with(prefix) {
                    return Ok(None);
                }
                let size = codec::decode_u64(&key[prefix.len()..], CF_META)?;
                Ok(Some((size, value.to_vec())))
            }
            None => Ok(None),
        }
    }

    /// At open: the log's size, and records of the log kept before it was a
    /// tree (keyed by time) moved into it, oldest first.
    pub(crate) fn open_audit(&self) -> Result<()> {
        self.audit.open(self)?;
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
        for chunk in old.chunks(1024) {
            let records: Vec<AccessRecord> = chunk.iter().map(|(_, r)| r.clone()).collect();
            // Moved and removed in one write: a crash cannot move them twice.
            let mut batch = WriteBatch::default();
            for (k, _) in chunk {
                batch.delete_cf(self.cf(CF_ACCESS_LOG), k);
            }
            self.audit.append_all(self, records, batch)?;
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
