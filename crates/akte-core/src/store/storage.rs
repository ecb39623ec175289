//! How the store uses its object store: who else may use it (the owner
//! record), whether garbage may be collected there, and whether the disks
//! it writes to keep what they hold across a restart.

use std::path::Path;

use akte_blob::{BackendKind, Sharing};
use akte_types::now_millis;

use crate::config::GcMode;
use crate::{CoreError, Result, Settings, Store};

/// Whether garbage is collected, decided from the store that was opened
/// (never from how its URL is spelled) and how it is shared: only a store
/// this catalog uses alone, and with `auto` only a local directory (or
/// memory); any other object store needs `gc.mode = "on"`, which the owner
/// record then guards.
pub(super) fn gc_enabled(settings: &Settings, kind: BackendKind) -> bool {
    if settings.sharing != Sharing::Exclusive {
        return false;
    }
    match settings.gc_mode {
        GcMode::On => true,
        GcMode::Off => false,
        GcMode::Auto => matches!(kind, BackendKind::Local | BackendKind::Memory),
    }
}

/// Attempts to read the owner record of an object store that does not
/// answer (about 30 s in all).
const CLAIM_ATTEMPTS: u32 = 8;

/// tmpfs and ramfs, whose content a reboot loses.
const TMPFS_MAGIC: u64 = 0x0102_1994;
const RAMFS_MAGIC: u64 = 0x8584_58f6;

/// Refuses a directory on a file system held in memory, unless
/// `storage.allow_volatile` says so.
pub(super) fn refuse_volatile(settings: &Settings, key: &str, dir: &Path) -> Result<()> {
    if settings.allow_volatile {
        return Ok(());
    }
    let stat = rustix::fs::statfs(dir)
        .map_err(|e| CoreError::Config(format!("{key}: {}: {e}", dir.display())))?;
    #[allow(clippy::unnecessary_cast)] // the field's type differs between targets
    let kind = stat.f_type as u64;
    if kind == TMPFS_MAGIC || kind == RAMFS_MAGIC {
        return Err(CoreError::Config(format!(
            "{key}: {} is on a file system held in memory (tmpfs), which a reboot empties: \
             acknowledged documents would be lost. Put it on a disk, or set \
             storage.allow_volatile = true for a test or a demonstration",
            dir.display()
        )));
    }
    Ok(())
}

impl Store {
    /// Claims the object store for this catalog as `storage.sharing` says,
    /// through its owner record: refused when another catalog uses it in a
    /// way that does not allow this one (see [`akte_blob::owner`]). Called
    /// at start, and by every garbage collection. An object store that does
    /// not answer is asked again for a while before the claim fails: without
    /// its answer nothing says whether this catalog may use it.
    pub async fn claim_storage(&self) -> Result<()> {
        let id = self.inner.catalog.catalog_id().to_owned();
        let objects = self.inner.blobs.object_store();
        let mut pause = std::time::Duration::from_millis(250);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sharing = self.inner.settings.sharing;
            match akte_blob::owner::claim(objects, &id, sharing, now_millis()).await {
                Ok(claim) => {
                    if claim.created && sharing == Sharing::Exclusive {
                        self.warn_if_blobs_without_owner().await;
                    }
                    return Ok(());
                }
                Err(e) if e.is_transient() && attempt < CLAIM_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "object store not answering; asking again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(CoreError::Config(format!("storage: {e}"))),
            }
        }
    }

    /// Warns when the object store just claimed already held blobs: written
    /// by an earlier version without an owner record, maybe by other nodes.
    async fn warn_if_blobs_without_owner(&self) {
        let mut blobs = self.inner.blobs.list();
        if futures::StreamExt::next(&mut blobs).await.is_some() {
            tracing::warn!(
                "claimed an object store that held blobs but no owner record (written by an \
                 earlier version): if other nodes' catalogs use it too, set \
                 storage.sharing = \"shared\" on all of them"
            );
        }
    }

    /// Whether unreferenced blobs are deleted.
    pub fn gc_enabled(&self) -> bool {
        self.inner.gc_enabled
    }

    /// Refuses writes of blobs on a node that only reads the store.
    pub(super) fn refuse_if_reader(&self) -> Result<()> {
        if self.inner.settings.sharing == Sharing::Reader {
            return Err(CoreError::FailedPrecondition(
                "this node reads the object store of another catalog (storage.sharing = \
                 \"reader\") and stores no documents"
                    .into(),
            ));
        }
        Ok(())
    }
}
