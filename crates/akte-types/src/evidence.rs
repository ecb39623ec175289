//! What the evidence log commits to for each stored document: one leaf of
//! a Merkle tree over every document (see [`crate::merkle`]), so that a
//! signed root proves a document's content unchanged since it was stored
//! (BSI TR-03138 RESISCAN, integrity of scanned originals).

use serde::{Deserialize, Serialize};

use crate::merkle::{self, Hash};
use crate::{ContentHash, Document, DocumentId, UnixMillis};

/// The first line of a leaf's data; a new encoding gets a new version here.
pub const EVIDENCE_LEAF_TITLE: &str = "akte document evidence v1";

/// One document as the evidence log holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLeaf {
    pub document_id: DocumentId,
    /// SHA-256 of the content.
    pub sha256: ContentHash,
    pub size_bytes: u64,
    /// When the upload was acknowledged (milliseconds since 1970, UTC).
    pub created_at: UnixMillis,
}

impl EvidenceLeaf {
    pub fn of(doc: &Document) -> Self {
        Self {
            document_id: doc.document_id,
            sha256: doc.sha256,
            size_bytes: doc.size_bytes,
            created_at: doc.created_at,
        }
    }

    /// The leaf's data, the one canonical encoding (UTF-8, ASCII only):
    ///
    /// ```text
    /// akte document evidence v1\n
    /// id <document id: 26 characters, Crockford base32, upper case>\n
    /// sha256 <64 lower-case hex digits>\n
    /// size <bytes, decimal>\n
    /// created_at <milliseconds since 1970 UTC, decimal>\n
    /// ```
    ///
    /// Numbers are written as integers usually are: no leading zeros, no
    /// separators, no plus sign.
    pub fn data(&self) -> String {
        format!(
            "{EVIDENCE_LEAF_TITLE}\nid {}\nsha256 {}\nsize {}\ncreated_at {}\n",
            self.document_id,
            self.sha256.to_hex(),
            self.size_bytes,
            self.created_at
        )
    }

    /// The leaf hash: SHA-256(0x00 ‖ data).
    pub fn hash(&self) -> Hash {
        merkle::leaf_hash(self.data().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> EvidenceLeaf {
        EvidenceLeaf {
            document_id: "01JD3X1A0000000000000000AA".parse().unwrap(),
            sha256: ContentHash::of(b"test"),
            size_bytes: 4,
            created_at: 1_732_350_000_002,
        }
    }

    // The encoding is public (README, "Proving a document unchanged"):
    // these bytes and this hash never change for version 1.
    const DATA_V1: &str = "akte document evidence v1\nid 01JD3X1A0000000000000000AA\nsha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nsize 4\ncreated_at 1732350000002\n";

    #[test]
    fn the_leaf_data_and_hash_are_fixed() {
        assert_eq!(leaf().data(), DATA_V1);
        // As computed by `printf '\x00akte document evidence v1\n...' | sha256sum`.
        assert_eq!(
            hex::encode(leaf().hash()),
            "3d39ceb70106164fd070917b3ece6322d200868a0732041429ccc2b0832b986a"
        );
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = leaf().hash();
        let mut l = leaf();
        l.size_bytes = 5;
        assert_ne!(l.hash(), base);
        let mut l = leaf();
        l.created_at += 1;
        assert_ne!(l.hash(), base);
        let mut l = leaf();
        l.sha256 = ContentHash::of(b"tesT");
        assert_ne!(l.hash(), base);
        let mut l = leaf();
        l.document_id = "01JD3X1A0000000000000000AB".parse().unwrap();
        assert_ne!(l.hash(), base);
    }
}
