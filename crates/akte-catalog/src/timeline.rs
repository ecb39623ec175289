//! Cases' timelines: what happened to a case, in order, each event written
//! in the same batch as the change it records.

use akte_types::{now_millis, CaseId, CaseStatus, TimelineEvent, TimelineKind};
use rocksdb::WriteBatch;

use crate::{codec, synced, Catalog, Result, CF_CASES, CF_TIMELINE};

impl Catalog {
    /// Adds `event` to the timeline of `case` in `batch`.
    ///
    /// Key: the case, the event's time (ms, big-endian) and a sequence
    /// number. The time comes first because the sequence numbers start again
    /// from the queues' after a restart: an event keyed by them alone could
    /// sort before older ones or replace one. Keys of the first version
    /// (case and sequence number, 24 bytes) are read too.
    pub(crate) fn add_event(&self, batch: &mut WriteBatch, case: CaseId, event: &TimelineEvent) {
        let seq = self
            .next_seq
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut key = case.to_bytes().to_vec();
        key.extend_from_slice(&u64::try_from(event.at).unwrap_or(0).to_be_bytes());
        key.extend_from_slice(&seq.to_be_bytes());
        batch.put_cf(self.cf(CF_TIMELINE), key, codec::encode(event));
    }

    /// Sets a case's status with its timeline event (status changed, closed,
    /// or reopened when a closed case gets another status), in one write.
    /// Returns the case as changed, and the event; `None` if there is no
    /// such case.
    pub fn set_case_status(
        &self,
        id: CaseId,
        status: CaseStatus,
        public_text: String,
        internal_text: String,
        by: Option<String>,
    ) -> Result<Option<(akte_types::Case, TimelineEvent)>> {
        let _guard = self.case_lock.lock();
        let Some(mut case) = self.get_case(id)? else {
            return Ok(None);
        };
        let kind = match (case.status, status) {
            (_, CaseStatus::Closed) => TimelineKind::Closed,
            (CaseStatus::Closed, _) => TimelineKind::Reopened,
            _ => TimelineKind::StatusChanged,
        };
        case.status = status;
        let event = TimelineEvent {
            at: now_millis(),
            kind,
            status,
            public_text,
            internal_text,
            by,
            document_id: None,
        };
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_CASES), id.to_bytes(), codec::encode(&case));
        self.add_event(&mut batch, id, &event);
        self.db.write_opt(batch, &synced())?;
        Ok(Some((case, event)))
    }

    /// The timeline of a case, oldest first, up to `limit` events after the
    /// `after`-th (0: from the start).
    pub fn timeline(&self, case: CaseId, after: usize, limit: usize) -> Result<Vec<TimelineEvent>> {
        let prefix = case.to_bytes();
        // A case's events are few; read them all so that keys of both
        // versions come out in the order of their time (stable: events of
        // the same millisecond keep their order of writing).
        let mut events = self.scan(CF_TIMELINE, &prefix, None, usize::MAX, |_, v| {
            codec::decode::<TimelineEvent>(v)
        })?;
        events.sort_by_key(|e| e.at);
        Ok(events.into_iter().skip(after).take(limit).collect())
    }
}
