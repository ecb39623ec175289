//! Cases: rows, their numbers and sites, and the counters.

use akte_types::{Case, CaseId, CaseNumber, ContentHash};
use rocksdb::WriteBatch;

use crate::keys::{blob_counter_key, case_counter_key, site_case_key};
use crate::{codec, synced, Catalog, CatalogError, Result};
use crate::{CF_CASES, CF_CASE_NUMBERS, CF_COUNTERS, CF_META, CF_SITE_CASES};

impl Catalog {
    /// Stores a new case; fails if its number is taken.
    pub fn create_case(&self, case: &Case) -> Result<()> {
        let _guard = self.case_lock.lock();
        let number = case.case_number.as_str().as_bytes();
        if self
            .db
            .get_pinned_cf(self.cf(CF_CASE_NUMBERS), number)?
            .is_some()
        {
            return Err(CatalogError::CaseExists(case.case_number.clone()));
        }
        let id = case.case_id.to_bytes();
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_CASES), id, codec::encode(case));
        batch.put_cf(self.cf(CF_CASE_NUMBERS), number, id);
        batch.put_cf(
            self.cf(CF_SITE_CASES),
            site_case_key(&case.site, &case.case_number),
            id,
        );
        self.add_event(
            &mut batch,
            case.case_id,
            &akte_types::TimelineEvent {
                at: case.created_at,
                kind: akte_types::TimelineKind::Created,
                status: case.status,
                public_text: case.status.public_text().into(),
                internal_text: format!("case {} created", case.case_number),
                by: None,
                document_id: None,
            },
        );
        self.db.write_opt(batch, &synced())?;
        Ok(())
    }

    pub fn get_case(&self, id: CaseId) -> Result<Option<Case>> {
        self.db
            .get_pinned_cf(self.cf(CF_CASES), id.to_bytes())?
            .map(|v| codec::decode(&v))
            .transpose()
    }

    pub fn get_case_by_number(&self, number: &CaseNumber) -> Result<Option<Case>> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_CASE_NUMBERS), number.as_str().as_bytes())?
        {
            Some(id) => {
                let id = CaseId::from_slice(&id).ok_or_else(|| CatalogError::Corrupt {
                    cf: CF_CASE_NUMBERS,
                    reason: "case id is not 16 bytes".into(),
                })?;
                self.get_case(id)
            }
            None => Ok(None),
        }
    }

    /// Cases ordered by case number, of one site or all, after the case number
    /// `after` (exclusive).
    pub fn list_cases(
        &self,
        site: Option<&str>,
        after: Option<&CaseNumber>,
        limit: usize,
    ) -> Result<Vec<Case>> {
        match site {
            Some(site) => {
                let mut prefix = site.as_bytes().to_vec();
                prefix.push(0);
                let after = after.map(|n| site_case_key(site, n));
                self.scan(CF_SITE_CASES, &prefix, after.as_deref(), limit, |_, id| {
                    self.case_from_id_bytes(id, CF_SITE_CASES)
                })
            }
            None => {
                let after = after.map(|n| n.as_str().as_bytes());
                self.scan(CF_CASE_NUMBERS, &[], after, limit, |_, id| {
                    self.case_from_id_bytes(id, CF_CASE_NUMBERS)
                })
            }
        }
    }

    fn case_from_id_bytes(&self, id: &[u8], cf: &'static str) -> Result<Case> {
        let id = CaseId::from_slice(id).ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: "case id is not 16 bytes".into(),
        })?;
        self.get_case(id)?.ok_or_else(|| CatalogError::Corrupt {
            cf,
            reason: format!("points at missing case {id}"),
        })
    }

    /// Number of documents in a case.
    pub fn case_document_count(&self, id: CaseId) -> Result<u64> {
        let n = self.counter(&case_counter_key(id))?;
        u64::try_from(n).map_err(|_| CatalogError::Corrupt {
            cf: CF_COUNTERS,
            reason: format!("case {id} counts {n} documents"),
        })
    }

    /// References held on a blob by documents.
    pub fn blob_refcount(&self, hash: &ContentHash) -> Result<u64> {
        let n = self.counter(&blob_counter_key(hash))?;
        u64::try_from(n).map_err(|_| CatalogError::Corrupt {
            cf: CF_COUNTERS,
            reason: format!("blob {hash} has {n} references"),
        })
    }

    fn counter(&self, key: &[u8]) -> Result<i64> {
        match self.db.get_pinned_cf(self.cf(CF_COUNTERS), key)? {
            Some(v) => codec::decode_counter(&v),
            None => Ok(0),
        }
    }
}

/// Key prefix of the access classes in `meta`.
const CLASS_PREFIX: &[u8] = b"access-class/";

impl Catalog {
    /// Sets or lifts a case's restriction and queues its documents for
    /// indexing, in one write; returns the case as changed.
    pub fn restrict_case(&self, id: CaseId, group: Option<String>) -> Result<Option<Case>> {
        let _guard = self.case_lock.lock();
        let Some(mut case) = self.get_case(id)? else {
            return Ok(None);
        };
        case.restricted_to = group;
        // Its documents are queued for indexing in the same write: if the
        // index is not brought up to date now, it is after a crash.
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_CASES), id.to_bytes(), codec::encode(&case));
        let mut after = None;
        loop {
            let page = self.list_case_documents(id, after, 1024)?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.document_id);
            for doc in &page {
                let seq = self
                    .next_seq
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                batch.put_cf(
                    self.cf(crate::CF_INDEX_QUEUE),
                    seq.to_be_bytes(),
                    doc.document_id.to_bytes(),
                );
            }
        }
        self.db.write_opt(batch, &synced())?;
        Ok(Some(case))
    }

    /// Remembers an access class (see `akte_core::access`): searches ask the
    /// rules about each class once.
    pub fn add_access_class(&self, class: &str) -> Result<()> {
        let mut key = CLASS_PREFIX.to_vec();
        key.extend_from_slice(class.as_bytes());
        self.db.put_cf_opt(self.cf(CF_META), key, [], &synced())?;
        Ok(())
    }

    /// Every access class remembered.
    pub fn access_classes(&self) -> Result<Vec<String>> {
        self.scan(CF_META, CLASS_PREFIX, None, usize::MAX, |key, _| {
            String::from_utf8(key[CLASS_PREFIX.len()..].to_vec()).map_err(|_| {
                CatalogError::Corrupt {
                    cf: CF_META,
                    reason: "access class is not UTF-8".into(),
                }
            })
        })
    }
}
