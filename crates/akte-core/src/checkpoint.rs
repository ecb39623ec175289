//! Signed checkpoints of the catalog's Merkle logs, and the verification
//! of the access log.
//!
//! A checkpoint states a log's size and its Merkle root at a time, signed
//! with the server's checkpoint key (Ed25519, `<data_dir>/auth/`): the
//! access log's (`akte_catalog::Log::Access`) and the evidence log's of
//! every document stored (`Log::Evidence`, "evidence roots"), one key for
//! both, their signed texts told apart by their first line. A checkpoint is
//! kept in the catalog and written to the object store
//! (`audit/<catalog id>/checkpoints/<size>.json` and
//! `evidence/<catalog id>/roots/<size>.json`, each beside the public key in
//! `checkpoint-key.pub`), a second system that whoever can edit the catalog
//! does not also rewrite unnoticed. [`Store::verify_access_log`] recomputes
//! the access log's tree from the records and holds it against every
//! checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use akte_catalog::Log;
use akte_types::merkle::{self, Frontier, Hash};
use akte_types::{now_millis, UnixMillis};
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::auth::write_private;
use crate::{CoreError, Result, Store};

const KEY_FILE: &str = "auth/checkpoint-key.pem";

/// A signed statement of a log's size and root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub catalog_id: String,
    pub size: u64,
    /// The Merkle root (hex).
    pub root: String,
    pub at: UnixMillis,
    /// Ed25519 over [`Checkpoint::signed_text`] (hex).
    pub signature: String,
}

/// The first line of a log's signed text: the signature of one log's root
/// never passes for the other's.
pub fn signed_title(log: Log) -> &'static str {
    match log {
        Log::Access => "akte access log checkpoint v1",
        Log::Evidence => "akte document evidence root v1",
    }
}

/// Where a log's checkpoints go in the object store: the folder (under
/// which `<catalog id>/` holds the public key) and the one of the
/// checkpoints in it.
fn object_folders(log: Log) -> (&'static str, &'static str) {
    match log {
        Log::Access => ("audit", "checkpoints"),
        Log::Evidence => ("evidence", "roots"),
    }
}

impl Checkpoint {
    /// What is signed: a versioned text naming the log and every field.
    pub fn signed_text(&self, log: Log) -> String {
        format!(
            "{}\ncatalog {}\nsize {}\nroot {}\nat {}\n",
            signed_title(log),
            self.catalog_id,
            self.size,
            self.root,
            self.at
        )
    }

    /// Whether the signature is `public_key`'s, over this as a checkpoint
    /// of `log`.
    pub fn verify(&self, log: Log, public_key: &[u8]) -> bool {
        let Ok(sig) = hex::decode(&self.signature) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::ED25519, public_key)
            .verify(self.signed_text(log).as_bytes(), &sig)
            .is_ok()
    }

    fn object_path(log: Log, catalog_id: &str, size: u64) -> ObjectPath {
        let (folder, checkpoints) = object_folders(log);
        ObjectPath::from(format!(
            "{folder}/{catalog_id}/{checkpoints}/{size:020}.json"
        ))
    }
}

/// The key checkpoints are signed with.
pub struct CheckpointKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("public", &self.public_hex())
            .finish()
    }
}

impl CheckpointKey {
    /// Reads the key from `data_dir`, or creates it there.
    pub fn open_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let bad = |e: &dyn std::fmt::Display| CoreError::Config(format!("{}: {e}", path.display()));
        let der = match std::fs::read(&path) {
            Ok(text) => pem::parse(&text).map_err(|e| bad(&e))?.contents().to_vec(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| CoreError::Internal("generating a signing key failed".into()))?;
                let der = doc.as_ref().to_vec();
                write_private(
                    &path,
                    pem::encode(&pem::Pem::new("PRIVATE KEY", der.clone())).as_bytes(),
                )?;
                der
            }
            Err(e) => return Err(bad(&e)),
        };
        let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|e| bad(&e))?;
        Ok(Self { pair })
    }

    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    fn sign(
        &self,
        log: Log,
        catalog_id: &str,
        size: u64,
        root: &Hash,
        at: UnixMillis,
    ) -> Checkpoint {
        let mut c = Checkpoint {
            catalog_id: catalog_id.to_owned(),
            size,
            root: hex::encode(root),
            at,
            signature: String::new(),
        };
        c.signature = hex::encode(self.pair.sign(c.signed_text(log).as_bytes()).as_ref());
        c
    }
}

/// What [`Store::verify_access_log`] found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub records: u64,
    pub checkpoints: usize,
    /// Each break, with where it is; empty when the log is intact.
    pub problems: Vec<String>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// The key checkpoints are signed with (Ed25519, 32 bytes).
    pub fn checkpoint_public_key(&self) -> Vec<u8> {
        self.inner.checkpoint_key.public_key().to_vec()
    }

    /// The folder of a log's checkpoints and public key in the object store.
    fn checkpoint_prefix(&self, log: Log) -> ObjectPath {
        let (folder, _) = object_folders(log);
        ObjectPath::from(format!("{folder}/{}", self.inner.catalog.catalog_id()))
    }

    /// Signs a log's current size and root, unless the last checkpoint has
    /// them already; keeps it in the catalog and writes it to the object
    /// store (not on a node that only reads the store).
    pub async fn write_checkpoint(&self, log: Log) -> Result<Option<Checkpoint>> {
        let _one_at_a_time = self.inner.checkpoint_lock.lock().await;
        let checkpoint = self
            .blocking(move |inner| {
                let size = inner.catalog.log_size(log);
                if size == 0 || inner.catalog.last_checkpoint(log)?.map(|(s, _)| s) == Some(size) {
                    return Ok(None);
                }
                let root = inner.catalog.log_root(log, size)?;
                let c = inner.checkpoint_key.sign(
                    log,
                    inner.catalog.catalog_id(),
                    size,
                    &root,
                    now_millis(),
                );
                let json =
                    serde_json::to_vec(&c).map_err(|e| CoreError::Internal(e.to_string()))?;
                inner.catalog.put_checkpoint(log, size, &json)?;
                Ok(Some((c, json)))
            })
            .await?;
        let Some((c, json)) = checkpoint else {
            return Ok(None);
        };
        if self.inner.settings.sharing != akte_blob::Sharing::Reader {
            let objects = self.inner.blobs.object_store();
            let unavailable = |e: object_store::Error| {
                CoreError::Unavailable(format!("writing a checkpoint: {e}"))
            };
            // The public key is written once; a different one there later
            // means the key in the data directory was replaced.
            let key_path = self.checkpoint_prefix(log).join("checkpoint-key.pub");
            let public = self.inner.checkpoint_key.public_hex();
            let once = PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            };
            match objects
                .put_opts(&key_path, PutPayload::from(public.clone()), once)
                .await
            {
                Ok(_) => {}
                Err(object_store::Error::AlreadyExists { .. }) => {
                    let there = objects
                        .get(&key_path)
                        .await
                        .map_err(unavailable)?
                        .bytes()
                        .await
                        .map_err(unavailable)?;
                    if there.as_ref() != public.as_bytes() {
                        tracing::error!("the object store holds another checkpoint key than the data directory: the key was replaced; run `akte audit verify --public-key`");
                    }
                }
                Err(e) => return Err(unavailable(e)),
            }
            // Never replaced: a second checkpoint of the same size (from a
            // restored or forked catalog) stays beside the first in the
            // catalog, and verification finds the two.
            let path = Checkpoint::object_path(log, &c.catalog_id, c.size);
            let create = PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            };
            match objects
                .put_opts(&path, PutPayload::from(json), create)
                .await
            {
                Ok(_) => {}
                Err(object_store::Error::AlreadyExists { .. }) => {
                    tracing::error!(?log, size = c.size, "a different checkpoint of this size is in the object store: the log was restored or forked");
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        tracing::debug!(?log, size = c.size, root = %c.root, "checkpoint written");
        Ok(Some(c))
    }

    /// Writes a checkpoint of `log` every `interval` until the task is
    /// aborted.
    pub fn spawn_checkpoints(
        &self,
        log: Log,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if let Err(e) = store.write_checkpoint(log).await {
                    tracing::warn!(?log, error = %e, "writing a checkpoint failed; retrying");
                }
            }
        })
    }

    /// Every checkpoint, from the catalog and from the object store (where
    /// the object store's copy counts), by size; and those that do not parse.
    async fn all_checkpoints(
        &self,
    ) -> Result<(BTreeMap<u64, Vec<(String, Checkpoint)>>, Vec<String>)> {
        let mut found: BTreeMap<u64, Vec<(String, Checkpoint)>> = BTreeMap::new();
        let mut problems = Vec::new();
        let stored = self
            .blocking(|inner| Ok(inner.catalog.checkpoints(Log::Access)?))
            .await?;
        for (size, bytes) in stored {
            match serde_json::from_slice::<Checkpoint>(&bytes) {
                Ok(c) => found.entry(size).or_default().push(("catalog".into(), c)),
                Err(e) => problems.push(format!(
                    "checkpoint {size} in the catalog does not parse: {e}"
                )),
            }
        }
        let objects = self.inner.blobs.object_store();
        let prefix = self.checkpoint_prefix(Log::Access).join("checkpoints");
        let metas: Vec<_> = objects
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| CoreError::Unavailable(format!("listing checkpoints: {e}")))?;
        for meta in metas {
            let bytes = objects
                .get(&meta.location)
                .await
                .map_err(|e| CoreError::Unavailable(format!("reading {}: {e}", meta.location)))?
                .bytes()
                .await
                .map_err(|e| CoreError::Unavailable(format!("reading {}: {e}", meta.location)))?;
            match serde_json::from_slice::<Checkpoint>(&bytes) {
                Ok(c) => found
                    .entry(c.size)
                    .or_default()
                    .push((format!("object store {}", meta.location), c)),
                Err(e) => problems.push(format!("{} does not parse: {e}", meta.location)),
            }
        }
        Ok((found, problems))
    }

    /// Recomputes the access log's tree from its records and checks it
    /// against the stored subtrees and every checkpoint; says where it breaks.
    ///
    /// Signatures are checked with `pinned` (the checkpoint key's public
    /// half as kept apart from this machine) if given, else with the key in
    /// the data directory, which whoever can change the data directory can
    /// also replace.
    pub async fn verify_access_log(&self, pinned: Option<&[u8]>) -> Result<Verification> {
        let (checkpoints, mut problems) = self.all_checkpoints().await?;
        let count = checkpoints.values().map(Vec::len).sum();
        let own = self.inner.checkpoint_key.public_key().to_vec();
        let public = pinned.map_or_else(|| own.clone(), <[u8]>::to_vec);
        if public != own {
            problems.push(
                "the checkpoint key in the data directory is not the one given: it was replaced"
                    .to_owned(),
            );
        }
        let key_path = self
            .checkpoint_prefix(Log::Access)
            .join("checkpoint-key.pub");
        if let Ok(found) = self.inner.blobs.object_store().get(&key_path).await {
            let there = found
                .bytes()
                .await
                .map_err(|e| CoreError::Unavailable(format!("reading {key_path}: {e}")))?;
            if there.as_ref() != hex::encode(&public).as_bytes() {
                problems.push(format!(
                    "{key_path} holds another checkpoint key than the one checked with"
                ));
            }
        }
        let catalog_id = self.inner.catalog.catalog_id().to_owned();
        let (records, mut found) = self
            .blocking(move |inner| {
                let mut problems = Vec::new();
                let mut frontier = Frontier::default();
                let mut roots: BTreeMap<u64, Hash> = BTreeMap::new();
                let wanted: Vec<u64> = checkpoints.keys().copied().collect();
                let mut expected = 0u64;
                for item in inner.catalog.audit_scan() {
                    let (key, bytes) = item?;
                    let Ok(key) = <[u8; 8]>::try_from(key.as_slice()).map(u64::from_be_bytes) else {
                        problems.push("a record with a malformed key".to_owned());
                        continue;
                    };
                    if key < expected {
                        problems.push(format!("record {key} appears twice"));
                        continue;
                    }
                    if key > expected {
                        problems.push(format!(
                            "records {expected} to {} are missing (deleted)",
                            key - 1
                        ));
                        // Their places stay in the tree, as nothing that hashes alike.
                        while expected < key {
                            frontier.push([0; 32]);
                            expected += 1;
                            if wanted.binary_search(&frontier.size()).is_ok() {
                                roots.insert(frontier.size(), frontier.root());
                            }
                        }
                    }
                    let leaf = merkle::leaf_hash(&bytes);
                    match akte_catalog::Catalog::decode_access(&bytes) {
                        Ok(r) if r.seq != Some(key) => problems.push(format!(
                            "record {key} says it is record {}: records were reordered, inserted or moved",
                            r.seq.map_or_else(|| "none".to_owned(), |s| s.to_string())
                        )),
                        Ok(_) => {}
                        Err(e) => problems.push(format!("record {key} does not decode: {e}")),
                    }
                    match inner.catalog.log_node(Log::Access, 0, key) {
                        Ok(stored) if stored != leaf => problems.push(format!(
                            "record {key} was changed after it was written (its hash is not the one recorded)"
                        )),
                        Ok(_) => {}
                        Err(_) => problems.push(format!("the recorded hash of record {key} is missing")),
                    }
                    frontier.push(leaf);
                    expected += 1;
                    if wanted.binary_search(&frontier.size()).is_ok() {
                        roots.insert(frontier.size(), frontier.root());
                    }
                }
                let size = frontier.size();
                for (at, list) in &checkpoints {
                    for (place, c) in list {
                        if c.catalog_id != catalog_id {
                            problems.push(format!("checkpoint {at} ({place}) is of another catalog ({})", c.catalog_id));
                        }
                        if !c.verify(Log::Access, &public) {
                            problems.push(format!("checkpoint {at} ({place}): the signature does not verify"));
                            continue;
                        }
                        if *at > size {
                            problems.push(format!(
                                "checkpoint {at} ({place}, signed {}) covers {at} records but the log has {size}: \
                                 records were removed from the end, or the catalog was restored from an older copy",
                                humantime::format_rfc3339_millis(millis_time(c.at))
                            ));
                            continue;
                        }
                        let root = roots.get(at).map(hex::encode);
                        if root.as_deref() != Some(c.root.as_str()) {
                            problems.push(format!(
                                "the first {at} records differ from what checkpoint {at} ({place}, signed {}) \
                                 states: the log was changed or forked before record {at}",
                                humantime::format_rfc3339_millis(millis_time(c.at))
                            ));
                        }
                    }
                    // Two signed roots for one size: a fork.
                    if list.windows(2).any(|w| w[0].1.root != w[1].1.root) {
                        problems.push(format!("checkpoint {at} exists with two different roots: the log was forked"));
                    }
                }
                Ok((size, problems))
            })
            .await?;
        problems.append(&mut found);
        Ok(Verification {
            records,
            checkpoints: count,
            problems,
        })
    }
}

fn millis_time(ms: UnixMillis) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// An inclusion proof of one record.
#[derive(Clone, Debug)]
pub struct InclusionProof {
    /// The record as stored (the leaf's data).
    pub record: Vec<u8>,
    pub seq: u64,
    pub tree_size: u64,
    pub root: Hash,
    /// Nearest sibling first.
    pub path: Vec<Hash>,
}

impl Store {
    /// The newest checkpoint (written every `checkpoint_interval`; one is
    /// made now if there is none yet).
    pub async fn latest_checkpoint(&self, caller: &crate::access::Caller) -> Result<Checkpoint> {
        self.audit_read(caller, "latest checkpoint".into()).await?;
        // One read of the catalog's newest checkpoint.
        let last = || self.point_read(|inner| Ok(inner.catalog.last_checkpoint(Log::Access)?));
        let (_, bytes) = match last()? {
            Some(found) => found,
            None => {
                self.write_checkpoint(Log::Access).await?;
                last()?.ok_or_else(|| CoreError::NotFound("no checkpoint yet".into()))?
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| CoreError::DataLoss(format!("checkpoint: {e}")))
    }

    /// Proves that record `seq` is in the log of `tree_size` records (0: as
    /// large as the log is now).
    pub async fn inclusion_proof(
        &self,
        caller: &crate::access::Caller,
        seq: u64,
        tree_size: u64,
    ) -> Result<InclusionProof> {
        self.audit_read(
            caller,
            format!("inclusion proof of record {seq} in {tree_size}"),
        )
        .await?;
        self.blocking(move |inner| {
            let c = &inner.catalog;
            let records = c.log_size(Log::Access);
            let size = if tree_size == 0 { records } else { tree_size };
            if seq >= size || size > records {
                return Err(CoreError::InvalidArgument(format!(
                    "record {seq} of {size}: the log has {records} records"
                )));
            }
            let record = c
                .audit_record_bytes(seq)?
                .ok_or_else(|| CoreError::DataLoss(format!("access record {seq} is missing")))?;
            Ok(InclusionProof {
                record,
                seq,
                tree_size: size,
                root: c.log_root(Log::Access, size)?,
                path: c.log_inclusion_proof(Log::Access, seq, size)?,
            })
        })
        .await
    }

    /// Proves that the log of `first` records is a prefix of the log of
    /// `second` records (0: as large as it is now); returns the second size,
    /// both roots and the proof.
    pub async fn consistency_proof(
        &self,
        caller: &crate::access::Caller,
        first: u64,
        second: u64,
    ) -> Result<(u64, Hash, Hash, Vec<Hash>)> {
        self.audit_read(caller, format!("consistency proof {first} → {second}"))
            .await?;
        self.blocking(move |inner| {
            let c = &inner.catalog;
            let records = c.log_size(Log::Access);
            let second = if second == 0 { records } else { second };
            if first == 0 || first > second || second > records {
                return Err(CoreError::InvalidArgument(format!(
                    "sizes {first} and {second}: need 0 < first ≤ second ≤ {records}"
                )));
            }
            Ok((
                second,
                c.log_root(Log::Access, first)?,
                c.log_root(Log::Access, second)?,
                c.log_consistency_proof(Log::Access, first, second)?,
            ))
        })
        .await
    }
}
