use serde::{Deserialize, Serialize};

use crate::{CaseId, CaseNumber, ContentHash, DocumentId, ShareId};

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
    /// The only group that may see the case and its documents (e.g. for a
    /// staff member's own case); none: the usual rules apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted_to: Option<String>,
    /// Where the matter stands; what the citizen sees as its processing state.
    #[serde(default)]
    pub status: CaseStatus,
}

/// The processing state of a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Eingegangen.
    #[default]
    Received,
    /// In Bearbeitung.
    InProgress,
    /// Unterlagen angefordert: waiting for documents from the citizen.
    WaitingForDocuments,
    /// Entschieden.
    Decided,
    /// Abgeschlossen.
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::Received,
        CaseStatus::InProgress,
        CaseStatus::WaitingForDocuments,
        CaseStatus::Decided,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::WaitingForDocuments => "waiting_for_documents",
            CaseStatus::Decided => "decided",
            CaseStatus::Closed => "closed",
        }
    }

    /// How a citizen is told (German).
    pub fn public_text(self) -> &'static str {
        match self {
            CaseStatus::Received => "Ihr Anliegen ist eingegangen.",
            CaseStatus::InProgress => "Ihr Anliegen wird bearbeitet.",
            CaseStatus::WaitingForDocuments => "Wir warten auf Unterlagen von Ihnen.",
            CaseStatus::Decided => "Über Ihr Anliegen ist entschieden.",
            CaseStatus::Closed => "Ihr Anliegen ist abgeschlossen.",
        }
    }
}

impl std::str::FromStr for CaseStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown status {s:?}; one of: {}",
                    Self::ALL.map(CaseStatus::as_str).join(", ")
                )
            })
    }
}

/// What happened to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Created,
    DocumentReceived,
    DocumentAssigned,
    StatusChanged,
    Closed,
    Reopened,
}

/// One event of a case's timeline: a short public text (what the citizen's
/// status page shows) and an internal one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: UnixMillis,
    pub kind: TimelineKind,
    /// The status after the event.
    pub status: CaseStatus,
    #[serde(default)]
    pub public_text: String,
    #[serde(default)]
    pub internal_text: String,
    /// Who caused it ("kind:name"); none for the service's own doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
}

/// What a share link shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharePurpose {
    /// The documents listed in the link, and nothing else (e.g. for an
    /// employer, from the QR code of an applicant card).
    Documents,
    /// The case's status and the public texts of its timeline (the
    /// citizen's status page, printed on letters).
    Status,
}

impl SharePurpose {
    /// How the access rules and the access log name it.
    pub fn as_str(self) -> &'static str {
        match self {
            SharePurpose::Documents => "documents",
            SharePurpose::Status => "status",
        }
    }

    /// The path of a link of this purpose with `token`, as the web
    /// interface serves it: `/s/{token}` for documents, `/status/{token}`
    /// for the status page.
    pub fn path(self, token: &str) -> String {
        match self {
            SharePurpose::Documents => format!("/s/{token}"),
            SharePurpose::Status => format!("/status/{token}"),
        }
    }
}

/// A share link as kept: what it shows, to whom, until when. The link's
/// token is not kept, only its SHA-256 (as the key that finds the link).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    pub share_id: ShareId,
    pub case_id: CaseId,
    pub case_number: CaseNumber,
    pub purpose: SharePurpose,
    /// The documents shown ([`SharePurpose::Documents`]); empty for a status link.
    #[serde(default)]
    pub document_ids: Vec<DocumentId>,
    /// Whom the link was made for (e.g. the employer's name).
    pub recipient: String,
    /// Who made it ("kind:name").
    pub created_by: String,
    pub created_at: UnixMillis,
    pub expires_at: UnixMillis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<UnixMillis>,
    /// Who revoked it ("kind:name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
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
    /// An image or scan without a text layer and no text recognition
    /// configured; metadata is searchable.
    AwaitingText,
    /// Waiting for or in text recognition (OCR); metadata is searchable.
    Ocr,
}

/// How a document came to be in its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignedBy {
    /// The uploader named the case.
    Upload,
    /// The case number was read from the document's text.
    Text,
    /// The case number was read from a code (cover sheet) on the first page.
    Code,
    /// A person assigned it (from the inbox or from another case).
    Manual,
}

/// One step in the history of a document's case: where it went, from where,
/// how and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMove {
    pub at: UnixMillis,
    #[serde(default)]
    pub from: Option<CaseNumber>,
    pub to: CaseNumber,
    pub by: AssignedBy,
    /// E.g. the text the number was read from, or who moved it.
    #[serde(default)]
    pub detail: String,
}

/// The transfer note (Transfervermerk, BSI TR-03138 RESISCAN) of a scanned
/// document: who and what scanned it, when, and with what result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferNote {
    pub station_id: String,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub scanned_at: Option<UnixMillis>,
    /// Pages as stated by the station; 0 if not stated.
    #[serde(default)]
    pub page_count: u32,
    /// Whether the image was post-processed (deskewed, cropped, ...).
    #[serde(default)]
    pub post_processing: bool,
    #[serde(default)]
    pub post_processing_detail: String,
    /// SHA-256 of the resulting file, as stored.
    pub sha256: Option<ContentHash>,
}

/// The text of a document, page by page, as extracted or recognised; kept in
/// the catalog so that the index can be rebuilt without recognising again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentText {
    pub pages: Vec<String>,
    /// Pages whose text was recognised (OCR) rather than read from a text layer.
    #[serde(default)]
    pub ocr_pages: u32,
    /// Why no (complete) text could be had, if so.
    #[serde(default)]
    pub failure: Option<String>,
}

/// A stored document: metadata over one content-addressed blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub document_id: DocumentId,
    /// The case; none while the document is being routed or in its site's inbox.
    #[serde(default)]
    pub case_id: Option<CaseId>,
    #[serde(default)]
    pub case_number: Option<CaseNumber>,
    /// The site of the case, or of the inbox the document waits in.
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
    /// Number of pages, once the text has been extracted or recognised; 0 before.
    #[serde(default)]
    pub page_count: u32,
    /// How the document came to its case, oldest first.
    #[serde(default)]
    pub history: Vec<CaseMove>,
    /// Why the document is in the inbox (no or several case numbers found).
    #[serde(default)]
    pub routing_note: Option<String>,
    #[serde(default)]
    pub transfer_note: Option<TransferNote>,
}

impl Document {
    /// How the document came to its current case, if it has one.
    pub fn assigned_by(&self) -> Option<AssignedBy> {
        self.case_id.and(self.history.last().map(|m| m.by))
    }

    /// The case number as text, empty while the document has no case.
    pub fn case_number_str(&self) -> &str {
        self.case_number.as_ref().map_or("", CaseNumber::as_str)
    }
}

/// What kind of access to social data an [`AccessRecord`] logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    CreateCase,
    UpdateCaseStatus,
    GetCaseTimeline,
    ListCases,
    RestrictCase,
    UploadDocument,
    ReadAccessLog,
    GetCase,
    ListCaseDocuments,
    GetDocument,
    DownloadDocument,
    Search,
    ListInbox,
    AssignDocument,
    /// A share link made.
    CreateShare,
    /// A share link revoked.
    RevokeShare,
    /// The share links of a case listed.
    ListShares,
    /// A share link opened (its principal is the link).
    OpenShare,
    /// The proof that a document is unchanged (its evidence) read.
    GetDocumentEvidence,
}

/// Whether an access was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessDecision {
    Allowed,
    Denied,
}

/// One access to social data (§35 SGB I), allowed or denied: who, from
/// where, what, why, and which rules decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// Its place in the log (0, 1, 2, ...); set when it is appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
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
    /// None in records written before access rules existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<AccessDecision>,
    /// The ids of the policies that decided it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// The reason the caller stated: code and text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<(String, String)>,
}
