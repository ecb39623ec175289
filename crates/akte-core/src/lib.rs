//! The akte document store: cases, ingest of documents (content-addressed
//! blobs plus catalog rows), verified retrieval and German full-text search.

pub mod access;
pub mod auth;
pub mod checkpoint;
pub mod config;
mod content;
mod error;
mod gc;
mod indexer;
pub mod metrics;
mod ocr;
mod routing;
mod scrub;
mod store;
pub mod web_config;

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod checkpoint_tests;
#[cfg(test)]
mod evidence_tests;
#[cfg(test)]
mod share_tests;
#[cfg(test)]
mod tests;

pub use akte_catalog::Log;
pub use akte_types::SharePurpose;
pub use config::{Config, Settings, TlsSettings};
pub use error::{CoreError, ErrorCode, Result};
pub use gc::GcReport;
pub use scrub::{Damaged, ScrubReport};
pub use store::{
    AccessFilter, CaseView, DocumentEvidence, DocumentPage, IssuedShare, NewCase, NewShare,
    PublicEvent, SearchPage, SearchRequest, SearchResultHit, Share, SharedView, Store,
    UploadHeader, MAX_LISTED_SHARES, MAX_RECIPIENT, MAX_SHARED_DOCUMENTS,
};
