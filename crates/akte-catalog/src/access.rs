//! The access log: a record of every read of social data.

use akte_types::AccessRecord;
use rocksdb::{IteratorMode, WriteOptions};

use crate::{codec, Catalog, Result, CF_ACCESS_LOG};

impl Catalog {
    // ------------------------------------------------------------ access log

    /// Appends a record of a read under `id` (a ULID made at the time of the
    /// read, so that the log is in time order). Written to the WAL, not synced.
    pub fn log_access(&self, id: [u8; 16], record: &AccessRecord) -> Result<()> {
        self.db
            .put_cf(self.cf(CF_ACCESS_LOG), id, codec::encode(record))?;
        Ok(())
    }

    /// Records an access like [`Catalog::log_access`], but never waits: where
    /// RocksDB would stall or slow the write down (compaction behind, memory
    /// tables full) it returns `Ok(false)` at once and writes nothing, so
    /// that the caller can retry where blocking is allowed. Otherwise the
    /// write is one memory-table insert and one unsynced append to the log:
    /// microseconds, cheap enough for an async task.
    pub fn try_log_access(&self, id: [u8; 16], record: &AccessRecord) -> Result<bool> {
        let mut opts = WriteOptions::default();
        opts.set_no_slowdown(true);
        match self
            .db
            .put_cf_opt(self.cf(CF_ACCESS_LOG), id, codec::encode(record), &opts)
        {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == rocksdb::ErrorKind::Incomplete => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Up to `limit` access records, newest first.
    pub fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        self.db
            .iterator_cf(self.cf(CF_ACCESS_LOG), IteratorMode::End)
            .take(limit)
            .map(|item| codec::decode(&item?.1))
            .collect()
    }
}
