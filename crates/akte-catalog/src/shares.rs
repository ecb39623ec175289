//! Share links: each record under its id, found by the SHA-256 of its token,
//! and listed by case. The token itself is never stored.

use akte_types::{CaseId, ShareId, ShareRecord, UnixMillis};
use rocksdb::WriteBatch;

use crate::{codec, synced, Catalog, CatalogError, Result};
use crate::{CF_CASE_SHARES, CF_SHARES, CF_SHARE_TOKENS};

/// Key of a case's link to a share: the case, then the share's id inverted,
/// so that a case's newest links come first.
fn case_share_key(case: CaseId, share: ShareId) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(&case.to_bytes());
    for (dst, src) in k[16..].iter_mut().zip(share.to_bytes()) {
        *dst = !src;
    }
    k
}

fn share_id(bytes: &[u8], cf: &'static str) -> Result<ShareId> {
    ShareId::from_slice(bytes).ok_or_else(|| CatalogError::Corrupt {
        cf,
        reason: "share id is not 16 bytes".into(),
    })
}

impl Catalog {
    /// Stores a new share link, found by `token_hash` (the SHA-256 of its
    /// token), in one synced write.
    pub fn create_share(&self, share: &ShareRecord, token_hash: &[u8; 32]) -> Result<()> {
        let id = share.share_id.to_bytes();
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_SHARES), id, codec::encode(share));
        batch.put_cf(self.cf(CF_SHARE_TOKENS), token_hash, id);
        batch.put_cf(
            self.cf(CF_CASE_SHARES),
            case_share_key(share.case_id, share.share_id),
            [],
        );
        self.db.write_opt(batch, &synced())?;
        Ok(())
    }

    pub fn get_share(&self, id: ShareId) -> Result<Option<ShareRecord>> {
        self.db
            .get_pinned_cf(self.cf(CF_SHARES), id.to_bytes())?
            .map(|v| codec::decode(&v))
            .transpose()
    }

    /// The share link whose token hashes to `token_hash`, if any.
    pub fn share_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<ShareRecord>> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_SHARE_TOKENS), token_hash)?
        {
            Some(id) => {
                let id = share_id(&id, CF_SHARE_TOKENS)?;
                self.get_share(id)?
                    .map(Some)
                    .ok_or_else(|| CatalogError::Corrupt {
                        cf: CF_SHARE_TOKENS,
                        reason: format!("points at missing share {id}"),
                    })
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` share links of a case, newest first (revoked and
    /// expired ones too).
    pub fn case_shares(&self, case: CaseId, limit: usize) -> Result<Vec<ShareRecord>> {
        self.scan(CF_CASE_SHARES, &case.to_bytes(), None, limit, |key, _| {
            let mut bytes = [0u8; 16];
            let inverted = key.get(16..32).ok_or_else(|| CatalogError::Corrupt {
                cf: CF_CASE_SHARES,
                reason: "key is not 32 bytes".into(),
            })?;
            for (dst, src) in bytes.iter_mut().zip(inverted) {
                *dst = !src;
            }
            let id = ShareId::from_bytes(bytes);
            self.get_share(id)?.ok_or_else(|| CatalogError::Corrupt {
                cf: CF_CASE_SHARES,
                reason: format!("points at missing share {id}"),
            })
        })
    }

    /// Marks a share link revoked at `at` by `by`, in a synced write; a link
    /// revoked before keeps its first revocation. Returns the record as it
    /// is now; `None` if there is no such link.
    pub fn revoke_share(
        &self,
        id: ShareId,
        at: UnixMillis,
        by: String,
    ) -> Result<Option<ShareRecord>> {
        let _guard = self.share_lock.lock();
        let Some(mut share) = self.get_share(id)? else {
            return Ok(None);
        };
        if share.revoked_at.is_some() {
            return Ok(Some(share));
        }
        share.revoked_at = Some(at);
        share.revoked_by = Some(by);
        self.db.put_cf_opt(
            self.cf(CF_SHARES),
            id.to_bytes(),
            codec::encode(&share),
            &synced(),
        )?;
        Ok(Some(share))
    }
}
