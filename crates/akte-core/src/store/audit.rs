//! The access log: every read of social data is recorded before it is served.

use akte_types::{now_millis, AccessRecord};

use crate::{Result, Store};

impl Store {
    // ------------------------------------------------------------ access log

    /// Records a read of social data before it is served; a read that cannot
    /// be logged is refused. The record is written on the calling task
    /// (an unsynced write, like a point read in cost); only when RocksDB
    /// would stall the write does it wait on a blocking thread.
    pub async fn log_access(&self, mut record: AccessRecord) -> Result<()> {
        record.at = now_millis();
        let id = self.inner.ids.raw();
        if self.inner.catalog.try_log_access(id, &record)? {
            return Ok(());
        }
        self.blocking(move |inner| Ok(inner.catalog.log_access(id, &record)?))
            .await
    }

    /// The newest `limit` access records, newest first.
    pub async fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        self.blocking(move |inner| Ok(inner.catalog.access_log(limit)?))
            .await
    }
}
