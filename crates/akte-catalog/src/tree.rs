//! Append-only Merkle trees in the catalog (RFC 6962, see
//! `akte_types::merkle`): the access log and the evidence log of documents.
//!
//! A tree keeps each leaf's record under its index (u64 big-endian) in one
//! column family and the hashes of its complete subtrees under (level,
//! index) in another, both written in one synced batch, together with
//! whatever else the leaf's write changes (a document's row). Concurrent
//! appends share that write: whoever holds the writer's lock takes every
//! leaf queued so far (group commit), so that leaves take their places in
//! the order in which they become durable, and a failed write leaves no gap.

use std::collections::HashMap;
use std::sync::Arc;

use akte_types::merkle::{self, Hash};
use parking_lot::Mutex;
use rocksdb::{IteratorMode, WriteBatch};

use crate::{codec, synced, Catalog, CatalogError, Result};

/// Something appended to a tree.
pub(crate) trait Leaf: Send {
    /// The record kept under the leaf's `index`, and the leaf's hash; what
    /// else the same write changes goes into `batch`.
    fn place(self, catalog: &Catalog, index: u64, batch: &mut WriteBatch) -> (Vec<u8>, Hash);
}

/// Where one queued leaf's outcome (its index) is handed back.
type Slot = Arc<Mutex<Option<std::result::Result<u64, String>>>>;

/// One tree: its column families, the leaves waiting for the next write,
/// and the writer's lock.
pub(crate) struct MerkleLog<L> {
    /// What the tree is, in errors.
    name: &'static str,
    leaves: &'static str,
    nodes: &'static str,
    pending: Mutex<Vec<(L, Slot)>>,
    writer: Mutex<()>,
    /// Leaves in the tree.
    size: Mutex<u64>,
}

pub(crate) fn node_key(level: u32, index: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    // Levels are below 64.
    key[0] = u8::try_from(level).unwrap_or(u8::MAX);
    key[1..].copy_from_slice(&index.to_be_bytes());
    key
}

impl<L> MerkleLog<L> {
    pub(crate) fn new(name: &'static str, leaves: &'static str, nodes: &'static str) -> Self {
        Self {
            name,
            leaves,
            nodes,
            pending: Mutex::default(),
            writer: Mutex::default(),
            size: Mutex::new(0),
        }
    }

    /// At open: the size, from the last leaf kept.
    pub(crate) fn open(&self, catalog: &Catalog) -> Result<()> {
        let size = match catalog
            .db
            .iterator_cf(catalog.cf(self.leaves), IteratorMode::End)
            .next()
        {
            Some(item) => codec::decode_u64(&item?.0, self.leaves)? + 1,
            None => 0,
        };
        *self.size.lock() = size;
        Ok(())
    }

    pub(crate) fn size(&self) -> u64 {
        *self.size.lock()
    }

    /// The stored hash of the complete subtree `(level, index)`.
    pub(crate) fn node(&self, catalog: &Catalog, level: u32, index: u64) -> Result<Hash> {
        let corrupt = |reason: String| CatalogError::Corrupt {
            cf: self.nodes,
            reason,
        };
        match catalog
            .db
            .get_pinned_cf(catalog.cf(self.nodes), node_key(level, index))?
        {
            Some(v) => {
                Hash::try_from(&v[..]).map_err(|_| corrupt("node hash is not 32 bytes".into()))
            }
            None => Err(corrupt(format!("node {level}/{index} is missing"))),
        }
    }

    /// The stored record of leaf `index`, if present.
    pub(crate) fn record(&self, catalog: &Catalog, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(catalog
            .db
            .get_pinned_cf(catalog.cf(self.leaves), index.to_be_bytes())?
            .map(|v| v.to_vec()))
    }
}

impl<L: Leaf> MerkleLog<L> {
    /// Appends a leaf; returns its index once it is durable (synced).
    pub(crate) fn append(&self, catalog: &Catalog, leaf: L) -> Result<u64> {
        let slot: Slot = Arc::default();
        self.pending.lock().push((leaf, Arc::clone(&slot)));
        let _writer = self.writer.lock();
        // A writer before us may have taken ours along.
        if let Some(done) = slot.lock().take() {
            return done.map_err(|reason| self.failed(reason));
        }
        let (leaves, slots): (Vec<L>, Vec<Slot>) = std::mem::take(&mut *self.pending.lock())
            .into_iter()
            .unzip();
        let outcome = self.write(catalog, leaves, WriteBatch::default());
        for (i, s) in slots.iter().enumerate() {
            *s.lock() = Some(match &outcome {
                Ok(first) => Ok(first + i as u64),
                Err(e) => Err(e.to_string()),
            });
        }
        let done = slot.lock().take();
        match done {
            Some(r) => r.map_err(|reason| self.failed(reason)),
            None => Err(CatalogError::Corrupt {
                cf: self.leaves,
                reason: "a queued leaf was not written".into(),
            }),
        }
    }

    /// Appends `leaves` in one write with the changes in `batch`; returns
    /// the first one's index.
    pub(crate) fn append_all(
        &self,
        catalog: &Catalog,
        leaves: Vec<L>,
        batch: WriteBatch,
    ) -> Result<u64> {
        let _writer = self.writer.lock();
        self.write(catalog, leaves, batch)
    }

    fn failed(&self, reason: String) -> CatalogError {
        CatalogError::Log {
            log: self.name,
            reason,
        }
    }

    /// Writes leaves as the next ones, with the subtrees they complete, in
    /// one synced batch; returns the first one's index. The caller holds the
    /// writer's lock.
    fn write(&self, catalog: &Catalog, leaves: Vec<L>, mut batch: WriteBatch) -> Result<u64> {
        let mut size = self.size.lock();
        let first = *size;
        let count = leaves.len() as u64;
        // Nodes made in this batch, which later ones in it may need.
        let mut fresh: HashMap<(u32, u64), Hash> = HashMap::new();
        for (index, leaf) in (first..).zip(leaves) {
            let (record, mut hash) = leaf.place(catalog, index, &mut batch);
            batch.put_cf(catalog.cf(self.leaves), index.to_be_bytes(), &record);
            batch.put_cf(catalog.cf(self.nodes), node_key(0, index), hash);
            fresh.insert((0, index), hash);
            // Every complete subtree this leaf closes.
            let (mut level, mut at) = (0, index);
            while at & 1 == 1 {
                let left = match fresh.get(&(level, at - 1)) {
                    Some(h) => *h,
                    None => self.node(catalog, level, at - 1)?,
                };
                hash = merkle::node_hash(&left, &hash);
                level += 1;
                at >>= 1;
                batch.put_cf(catalog.cf(self.nodes), node_key(level, at), hash);
                fresh.insert((level, at), hash);
            }
        }
        catalog.db.write_opt(batch, &synced())?;
        *size = first + count;
        Ok(first)
    }
}
