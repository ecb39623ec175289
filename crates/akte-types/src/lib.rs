//! Identifiers, content hashes and domain records of akte. No I/O.

mod case_number;
mod evidence;
mod hash;
mod ids;
pub mod merkle;
mod records;

pub use case_number::{
    CaseNumber, CaseNumberError, CaseNumberPattern, FoundCaseNumber, DEFAULT_CASE_NUMBER_PATTERN,
};
pub use evidence::{EvidenceLeaf, EVIDENCE_LEAF_TITLE};
pub use hash::{ContentHash, HashParseError};
pub use ids::{CaseId, DocumentId, IdGenerator, IdParseError, ShareId};
pub use records::{
    now_millis, AccessAction, AccessDecision, AccessRecord, AssignedBy, Case, CaseMove, CaseStatus,
    Document, DocumentText, IndexState, SharePurpose, ShareRecord, TimelineEvent, TimelineKind,
    TransferNote, UnixMillis,
};
