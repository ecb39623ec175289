//! Receiving content: hashed as it arrives, held in memory within a budget
//! shared by all uploads, spilled to a staging file beyond it.

use std::path::PathBuf;
use std::sync::Arc;

use akte_types::ContentHash;
use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{BlobError, Result};

/// Memory that all uploads together may hold before spilling to staging.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    pub(crate) capacity: u64,
    pub(crate) used: std::sync::atomic::AtomicU64,
}

impl MemoryBudget {
    /// Takes `n` bytes of the budget if that many are left.
    pub(crate) fn try_take(&self, n: u64) -> bool {
        use std::sync::atomic::Ordering;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|&u| u <= self.capacity)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self, n: u64) {
        self.used.fetch_sub(n, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Bytes of the memory budget held by one upload; returned when dropped.
#[derive(Debug)]
pub(crate) struct MemoryLease {
    pub(crate) budget: Arc<MemoryBudget>,
    pub(crate) bytes: u64,
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

/// Default of [`BlobStore::with_memory_budget`]: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 256 * 1024 * 1024;

/// Content being received: hashed as it arrives, kept in memory up to the
/// inline limit, then spilled to a staging file. Dropping it removes the file.
pub struct BlobWriter {
    pub(crate) hasher: Sha256,
    pub(crate) size: u64,
    pub(crate) limit: u64,
    pub(crate) buf: BytesMut,
    pub(crate) spill: Option<(tokio::fs::File, SpillFile)>,
    pub(crate) staging: PathBuf,
    pub(crate) inline_limit: usize,
    /// The part of the memory budget `buf` holds.
    pub(crate) lease: MemoryLease,
}

impl BlobWriter {
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        let new_size = self.size + data.len() as u64;
        if new_size > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.hasher.update(data);
        self.size = new_size;
        if self.spill.is_none()
            && self.buf.len() + data.len() <= self.inline_limit
            && self.lease.budget.try_take(data.len() as u64)
        {
            self.lease.bytes += data.len() as u64;
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        if self.spill.is_none() {
            let path = self.staging.join(uuid::Uuid::new_v4().simple().to_string());
            let guard = SpillFile { path: path.clone() };
            let mut file = tokio::fs::File::create(&path).await?;
            file.write_all(&self.buf).await?;
            self.buf = BytesMut::new();
            self.lease
                .budget
                .give_back(std::mem::take(&mut self.lease.bytes));
            self.spill = Some((file, guard));
        }
        if let Some((file, _)) = &mut self.spill {
            file.write_all(data).await?;
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn finish(self) -> Result<StagedBlob> {
        let hash = ContentHash::from_bytes(self.hasher.finalize().into());
        let content = match self.spill {
            None => Content::Memory(self.buf.freeze(), self.lease),
            Some((mut file, guard)) => {
                file.flush().await?;
                drop(file);
                Content::File(guard)
            }
        };
        Ok(StagedBlob {
            hash,
            size: self.size,
            content,
        })
    }
}

/// Received content with its hash, ready to be committed.
pub struct StagedBlob {
    pub(crate) hash: ContentHash,
    pub(crate) size: u64,
    pub(crate) content: Content,
}

pub(crate) enum Content {
    /// Held in memory, with its share of the memory budget.
    Memory(Bytes, #[allow(dead_code)] MemoryLease),
    File(SpillFile),
}

impl StagedBlob {
    pub fn hash(&self) -> ContentHash {
        self.hash
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The content if it is held in memory.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.content {
            Content::Memory(b, _) => Some(b),
            Content::File(_) => None,
        }
    }
}

pub(crate) struct SpillFile {
    pub(crate) path: PathBuf,
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %self.path.display(), error = %e, "removing staging file failed");
            }
        }
    }
}
