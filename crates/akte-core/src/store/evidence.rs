//! Evidence that a document is unchanged since it was stored: its leaf in
//! the evidence log, the newest signed root that covers it, and the audit
//! path between the two. Read like the document itself: whoever may read
//! the document may read its evidence, and every reading is logged.

use akte_catalog::Log;
use akte_types::merkle::{self, Hash};
use akte_types::{AccessAction, EvidenceLeaf};

use super::audit::Target;
use crate::access::Caller;
use crate::checkpoint::Checkpoint;
use crate::{CoreError, Result, Store};

/// What proves a document unchanged since it was stored (README, "Proving
/// a document unchanged").
#[derive(Clone, Debug)]
pub struct DocumentEvidence {
    /// The document as its leaf commits to it.
    pub leaf: EvidenceLeaf,
    /// The leaf's place in the evidence log.
    pub leaf_index: u64,
    /// The newest signed root of the evidence log; it covers the leaf.
    pub root: Checkpoint,
    /// The key the root is signed with (Ed25519, 32 bytes).
    pub public_key: Vec<u8>,
    /// The audit path from the leaf to the root, nearest sibling first.
    pub path: Vec<Hash>,
}

impl DocumentEvidence {
    /// Whether the leaf leads by the path to the root, and the root is
    /// signed by `public_key`.
    pub fn verify(&self, public_key: &[u8]) -> bool {
        let Some(root) = hex::decode(&self.root.root)
            .ok()
            .and_then(|r| Hash::try_from(r.as_slice()).ok())
        else {
            return false;
        };
        merkle::verify_inclusion(
            self.leaf_index,
            self.root.size,
            &self.leaf.hash(),
            &self.path,
            &root,
        ) && self.root.verify(Log::Evidence, public_key)
    }
}

impl Store {
    /// The evidence of a document, if the caller may read the document.
    /// Checked here before it is served: a leaf or tree changed after the
    /// root was signed answers DATA_LOSS.
    pub async fn document_evidence(&self, caller: &Caller, id: &str) -> Result<DocumentEvidence> {
        let log_as = AccessAction::GetDocumentEvidence;
        let (doc, verdict) = self.readable_document(caller, id, log_as).await?;
        self.log(
            caller,
            log_as,
            &verdict,
            &Target::document(&doc),
            String::new(),
        )
        .await?;
        let document_id = doc.document_id;
        let (leaf_index, leaf) = self
            .point_read(|inner| Ok(inner.catalog.evidence_of(document_id)?))?
            .ok_or_else(|| {
                CoreError::DataLoss(format!(
                    "document {document_id} has no leaf in the evidence log"
                ))
            })?;
        if leaf != EvidenceLeaf::of(&doc) {
            // The leaf is what was signed; the row is what changed.
            tracing::error!(%document_id, leaf_index, "the document's catalog row differs from its leaf in the evidence log");
        }
        let root = self.evidence_root_covering(leaf_index).await?;
        let size = root.size;
        let path = self
            .blocking(move |inner| {
                Ok(inner
                    .catalog
                    .log_inclusion_proof(Log::Evidence, leaf_index, size)?)
            })
            .await?;
        let evidence = DocumentEvidence {
            leaf,
            leaf_index,
            root,
            public_key: self.checkpoint_public_key(),
            path,
        };
        if !evidence.verify(&evidence.public_key) {
            tracing::error!(%document_id, leaf_index, size, "a document's evidence does not verify");
            return Err(CoreError::DataLoss(format!(
                "the evidence of document {document_id} does not verify: its leaf or the \
                 evidence log was changed after root {size} was signed"
            )));
        }
        Ok(evidence)
    }

    /// The newest signed root of the evidence log; one is made now if none
    /// covers leaf `index` yet.
    async fn evidence_root_covering(&self, index: u64) -> Result<Checkpoint> {
        let covering = || {
            self.point_read(|inner| Ok(inner.catalog.last_checkpoint(Log::Evidence)?))
                .map(|last| last.filter(|(size, _)| *size > index))
        };
        let bytes = match covering()? {
            Some((_, bytes)) => bytes,
            None => {
                self.write_checkpoint(Log::Evidence).await?;
                covering()?
                    .ok_or_else(|| {
                        CoreError::Internal(format!("no evidence root covers leaf {index}"))
                    })?
                    .1
            }
        };
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::DataLoss(format!("evidence root: {e}")))
    }
}
