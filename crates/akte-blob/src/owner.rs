//! Who uses an object store prefix: a small owner record at its root names
//! the catalog that created it and whether other catalogs share it.
//!
//! Garbage collection deletes blobs that no row of *this* catalog
//! references. On a prefix that another catalog also writes, that would
//! delete blobs the other catalog's rows point at. So sharing is explicit:
//! - `Exclusive`: the prefix belongs to one catalog. The first open writes
//!   the record; a different catalog is refused, and so is a prefix marked
//!   shared. Only here may garbage be collected.
//! - `Shared`: several catalogs store blobs under the prefix (dedup across
//!   sites); none collects garbage. Joining a prefix that another catalog
//!   holds exclusively is refused until that catalog is switched to shared.
//! - `Reader`: reads blobs under another catalog's prefix and writes
//!   nothing, not even the record.

use std::fmt;

use akte_types::UnixMillis;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::{BlobError, Result};

/// Key of the owner record, at the root of the prefix.
pub const OWNER_KEY: &str = "akte-owner.json";

/// Version of the owner record written by this build.
const OWNER_VERSION: u8 = 1;

/// How this catalog uses the object store prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    /// The only catalog that uses the prefix; garbage may be collected.
    #[default]
    Exclusive,
    /// One of several catalogs that store blobs under the prefix; no
    /// garbage collection.
    Shared,
    /// Reads another catalog's blobs; writes nothing.
    Reader,
}

impl fmt::Display for Sharing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Exclusive => "exclusive",
            Self::Shared => "shared",
            Self::Reader => "reader",
        })
    }
}

/// The record under [`OWNER_KEY`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    pub version: u8,
    /// The catalog that created the prefix (or last claimed it).
    pub catalog_id: String,
    pub created_at: UnixMillis,
    /// Other catalogs may store blobs here: nobody collects garbage.
    pub shared: bool,
}

/// Reads the owner record, if there is one.
pub async fn read_owner(store: &dyn ObjectStore) -> Result<Option<OwnerRecord>> {
    let key = Path::from(OWNER_KEY);
    let bytes = match store.get(&key).await {
        Ok(r) => r
            .bytes()
            .await
            .map_err(BlobError::store("get owner record"))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(BlobError::store("get owner record")(e)),
    };
    let record: OwnerRecord = serde_json::from_slice(&bytes).map_err(|e| {
        BlobError::Ownership(format!(
            "the owner record {OWNER_KEY} of the object store is unreadable ({e}); \
             refusing to guess who uses the store"
        ))
    })?;
    if record.version > OWNER_VERSION {
        return Err(BlobError::Ownership(format!(
            "the owner record {OWNER_KEY} has version {}, newer than this build knows ({OWNER_VERSION})",
            record.version
        )));
    }
    Ok(Some(record))
}

async fn write_owner(store: &dyn ObjectStore, record: &OwnerRecord, create: bool) -> Result<bool> {
    let body = serde_json::to_vec_pretty(record)
        .map_err(|e| BlobError::Ownership(format!("encoding the owner record: {e}")))?;
    let opts = PutOptions {
        mode: if create {
            PutMode::Create
        } else {
            PutMode::Overwrite
        },
        ..Default::default()
    };
    match store
        .put_opts(&Path::from(OWNER_KEY), PutPayload::from(body), opts)
        .await
    {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        // A store without conditional writes: check, then write; two first
        // opens at the same moment could both succeed there.
        Err(object_store::Error::NotImplemented { .. }) if create => {
            if read_owner(store).await?.is_some() {
                return Ok(false);
            }
            tracing::warn!(
                "the object store has no conditional writes: owner record written without one"
            );
            Box::pin(write_owner(store, record, false)).await
        }
        Err(e) => Err(BlobError::store("put owner record")(e)),
    }
}

fn describe(r: &OwnerRecord) -> String {
    format!(
        "catalog {} (since {}{})",
        r.catalog_id,
        r.created_at,
        if r.shared { ", shared" } else { "" }
    )
}

/// What [`claim`] found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The record as it is afterwards (`None` for a reader of a prefix
    /// without one).
    pub record: Option<OwnerRecord>,
    /// This claim wrote the first record of the prefix.
    pub created: bool,
}

/// Claims the prefix for catalog `catalog_id` as `sharing` says, writing or
/// updating the owner record where needed. Fails with a message that says
/// what to configure when the prefix is used in a way that does not allow
/// it.
pub async fn claim(
    store: &dyn ObjectStore,
    catalog_id: &str,
    sharing: Sharing,
    now: UnixMillis,
) -> Result<Claim> {
    let found = |record| Claim {
        record,
        created: false,
    };
    // Two rounds: a concurrent first open may create the record between
    // reading none and writing ours.
    for _ in 0..2 {
        let existing = read_owner(store).await?;
        let mine = |shared| OwnerRecord {
            version: OWNER_VERSION,
            catalog_id: catalog_id.to_owned(),
            created_at: now,
            shared,
        };
        match (sharing, existing) {
            (Sharing::Reader, r) => return Ok(found(r)),
            (Sharing::Exclusive, None) => {
                if write_owner(store, &mine(false), true).await? {
                    return Ok(Claim {
                        record: Some(mine(false)),
                        created: true,
                    });
                }
            }
            (Sharing::Shared, None) => {
                if write_owner(store, &mine(true), true).await? {
                    return Ok(Claim {
                        record: Some(mine(true)),
                        created: true,
                    });
                }
            }
            (Sharing::Exclusive, Some(r)) if r.catalog_id == catalog_id && !r.shared => {
                return Ok(found(Some(r)))
            }
            (Sharing::Exclusive, Some(r)) if r.shared => {
                return Err(BlobError::Ownership(format!(
                    "the object store is marked shared by {}: other catalogs may reference its \
                     blobs, so this catalog cannot use it exclusively (with garbage collection). \
                     Set storage.sharing = \"shared\" (garbage collection off) or \"reader\", \
                     or use a prefix of its own",
                    describe(&r)
                )))
            }
            (Sharing::Exclusive, Some(r)) => {
                return Err(BlobError::Ownership(format!(
                    "the object store belongs to {}, not to this node's catalog {catalog_id}: two \
                     catalogs on one prefix would delete each other's blobs. Use a prefix of its \
                     own, or set storage.sharing = \"shared\" on every node that uses it (garbage \
                     collection off), or \"reader\" on this one",
                    describe(&r)
                )))
            }
            (Sharing::Shared, Some(r)) if r.shared => return Ok(found(Some(r))),
            (Sharing::Shared, Some(r)) if r.catalog_id == catalog_id => {
                // The owner itself switches to shared: from now on nobody
                // collects garbage here.
                let shared = OwnerRecord { shared: true, ..r };
                write_owner(store, &shared, false).await?;
                return Ok(found(Some(shared)));
            }
            (Sharing::Shared, Some(r)) => {
                return Err(BlobError::Ownership(format!(
                    "the object store belongs exclusively to {}, whose garbage collection would \
                     delete blobs that this catalog references. Set storage.sharing = \"shared\" \
                     on the node of that catalog first and restart it, then start this one",
                    describe(&r)
                )))
            }
        }
    }
    Err(BlobError::Ownership(
        "the owner record of the object store keeps changing; is another node starting on it?"
            .into(),
    ))
}

/// Whether catalog `catalog_id` may collect garbage in the store now: the
/// owner record exists, names it, and is not shared.
pub async fn may_collect_garbage(store: &dyn ObjectStore, catalog_id: &str) -> Result<bool> {
    Ok(matches!(
        read_owner(store).await?,
        Some(r) if r.catalog_id == catalog_id && !r.shared
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn first_catalog_owns_a_second_is_refused() {
        let s = InMemory::new();
        let r = claim(&s, "A", Sharing::Exclusive, 1).await.unwrap();
        assert!(r.created);
        assert_eq!(r.record.unwrap().catalog_id, "A");
        // Again: the same owner.
        assert!(!claim(&s, "A", Sharing::Exclusive, 2).await.unwrap().created);
        assert!(may_collect_garbage(&s, "A").await.unwrap());
        let err = claim(&s, "B", Sharing::Exclusive, 3).await.unwrap_err();
        assert!(err.to_string().contains("belongs to catalog A"), "{err}");
        let err = claim(&s, "B", Sharing::Shared, 3).await.unwrap_err();
        assert!(err.to_string().contains("exclusively"), "{err}");
        assert!(!may_collect_garbage(&s, "B").await.unwrap());
        // A reader writes nothing and is let in.
        claim(&s, "B", Sharing::Reader, 3).await.unwrap();
        assert_eq!(read_owner(&s).await.unwrap().unwrap().catalog_id, "A");
    }

    #[tokio::test]
    async fn sharing_is_explicit_and_stops_garbage_collection() {
        let s = InMemory::new();
        claim(&s, "A", Sharing::Exclusive, 1).await.unwrap();
        // The owner switches to shared; then others may join.
        let r = claim(&s, "A", Sharing::Shared, 2)
            .await
            .unwrap()
            .record
            .unwrap();
        assert!(r.shared);
        assert_eq!(r.created_at, 1);
        claim(&s, "B", Sharing::Shared, 3).await.unwrap();
        assert!(!may_collect_garbage(&s, "A").await.unwrap());
        // Nobody goes back to exclusive use of a shared prefix.
        for id in ["A", "B"] {
            let err = claim(&s, id, Sharing::Exclusive, 4).await.unwrap_err();
            assert!(err.to_string().contains("marked shared"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_shared_first_open_marks_the_prefix_shared() {
        let s = InMemory::new();
        claim(&s, "A", Sharing::Shared, 1).await.unwrap();
        claim(&s, "B", Sharing::Shared, 2).await.unwrap();
        assert!(claim(&s, "C", Sharing::Exclusive, 3).await.is_err());
    }

    #[tokio::test]
    async fn a_damaged_record_is_an_error() {
        let s = InMemory::new();
        s.put(
            &Path::from(OWNER_KEY),
            PutPayload::from_static(b"{nonsense"),
        )
        .await
        .unwrap();
        let err = claim(&s, "A", Sharing::Exclusive, 1).await.unwrap_err();
        assert!(err.to_string().contains("unreadable"), "{err}");
        assert!(may_collect_garbage(&s, "A").await.is_err());
    }
}
