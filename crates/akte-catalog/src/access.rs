//! The access log: a record of every read of social data.

use akte_types::AccessRecord;
use rocksdb::IteratorMode;

use crate::{codec, Catalog, Result, CF_ACCESS_LOG};

impl Catalog {
    // ------------------------------------------------------------ access log

    /// Appends a record of an access under `id` (a ULID made at the time of
    /// the access, so that the log is in time order), synced: the access is
    /// served only once its record is durable.
    pub fn log_access(&self, id: [u8; 16], record: &AccessRecord) -> Result<()> {
        self.db.put_cf_opt(
            self.cf(CF_ACCESS_LOG),
            id,
            codec::encode(record),
            &crate::synced(),
        )?;
        Ok(())
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
        for item in self
            .db
            .iterator_cf(self.cf(CF_ACCESS_LOG), IteratorMode::End)
        {
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
}
