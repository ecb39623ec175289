use serde::{Deserialize, Serialize};

use crate::{CaseId, CaseNumber, ContentHash, DocumentId};

/// Milliseconds since the Unix epoch.
pub type UnixMillis = i64;

pub fn now_millis() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A case file (Akte), usually of one benefit community.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub case_id: CaseId,
    pub case_number: CaseNumber,
    pub title: String,
    pub site: String,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub parties: Vec<String>,
    pub created_at: UnixMillis,
}

/// Where a document is in the text indexing pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// Queued for indexing.
    Pending,
    /// Text (or metadata for media without text) is searchable.
    Indexed,
    /// Extraction failed; metadata is searchable.
    Failed,
    /// An image or scan without a text layer; metadata is searchable.
    AwaitingText,
}

/// A stored document: metadata over one content-addressed blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub document_id: DocumentId,
    pub case_id: CaseId,
    pub case_number: CaseNumber,
    pub site: String,
    pub sha256: ContentHash,
    pub size_bytes: u64,
    pub media_type: String,
    pub filename: String,
    pub title: String,
    pub document_type: String,
    pub source: String,
    pub received_at: UnixMillis,
    pub created_at: UnixMillis,
    pub index_state: IndexState,
    #[serde(default)]
    pub index_error: Option<String>,
}

/// What kind of access to social data an [`AccessRecord`] logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    GetCase,
    ListCaseDocuments,
    GetDocument,
    DownloadDocument,
    Search,
}

/// One read of social data (§35 SGB I): who, from where, what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub at: UnixMillis,
    pub action: AccessAction,
    /// The authenticated principal; none while the service has no authentication.
    #[serde(default)]
    pub principal: Option<String>,
    /// Network address of the client.
    pub peer: String,
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    pub document_id: Option<String>,
    /// Further detail, e.g. the query and the number of hits of a search.
    #[serde(default)]
    pub detail: String,
}
