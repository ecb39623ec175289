use akte_blob::BlobError;
use akte_catalog::CatalogError;
use akte_index::IndexError;

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// The gRPC-neutral classes of failure a caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    AlreadyExists,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
    FailedPrecondition,
    ResourceExhausted,
    Cancelled,
    /// A conflict with concurrent changes; the request may be retried.
    Aborted,
    /// A share link that does not lead anywhere (any more): unknown,
    /// expired, revoked, or to a case restricted since. Reported as gRPC
    /// NOT_FOUND; the web interface answers such a link alike in every case.
    Gone,
    Unavailable,
    DataLoss,
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    ResourceExhausted(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// Not allowed by the access rules (worded so as not to reveal whether
    /// the thing exists).
    #[error("{0}")]
    PermissionDenied(String),
    /// No or bad credentials.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Aborted(String),
    /// A share link that does not lead anywhere (any more); worded the same
    /// whatever the cause, see [`ErrorCode::Gone`].
    #[error("{0}")]
    Gone(String),
    #[error("upload cancelled: {0}")]
    Cancelled(String),
    #[error("stored data is damaged: {0}")]
    DataLoss(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Blob(BlobError),
    #[error(transparent)]
    Catalog(CatalogError),
    #[error(transparent)]
    Index(IndexError),
    #[error("{0}")]
    Internal(String),
}

/// Whether an error (or one of its sources) is a full disk.
fn is_disk_full(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28) {
                return true;
            }
        }
        if e.to_string().contains("No space left on device") {
            return true;
        }
        next = e.source();
    }
    false
}

impl CoreError {
    /// The server's own disk (data directory) is full: the request may
    /// succeed once space is freed.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Blob(e) => is_disk_full(e),
            Self::Catalog(e) => is_disk_full(e),
            Self::Index(e) => is_disk_full(e),
            _ => false,
        }
    }

    pub fn code(&self) -> ErrorCode {
        if self.is_disk_full() {
            return ErrorCode::ResourceExhausted;
        }
        match self {
            Self::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::AlreadyExists(_) => ErrorCode::AlreadyExists,
            Self::ResourceExhausted(_) => ErrorCode::ResourceExhausted,
            Self::Cancelled(_) => ErrorCode::Cancelled,
            Self::Aborted(_) => ErrorCode::Aborted,
            Self::Gone(_) => ErrorCode::Gone,
            Self::FailedPrecondition(_) => ErrorCode::FailedPrecondition,
            Self::PermissionDenied(_) => ErrorCode::PermissionDenied,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::DataLoss(_) => ErrorCode::DataLoss,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Blob(e) => match e {
                BlobError::NotFound(_)
                | BlobError::Corrupt { .. }
                | BlobError::WrongSize { .. } => ErrorCode::DataLoss,
                BlobError::TooLarge { .. } => ErrorCode::ResourceExhausted,
                BlobError::Store { .. } | BlobError::Io(_) => ErrorCode::Unavailable,
                BlobError::Config(_) | BlobError::Ownership(_) => ErrorCode::Internal,
            },
            Self::Catalog(e) => match e {
                CatalogError::CaseExists(_) => ErrorCode::AlreadyExists,
                CatalogError::Corrupt { .. } => ErrorCode::DataLoss,
                CatalogError::Db(_) | CatalogError::Log { .. } => ErrorCode::Internal,
            },
            Self::Index(IndexError::BadQuery(_)) => ErrorCode::InvalidArgument,
            Self::Index(_) | Self::Config(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What a client may be shown: the message for errors about its request,
    /// a generic text for internal ones (which are logged in full).
    pub fn client_message(&self) -> String {
        if self.is_disk_full() {
            return "the server's disk is full; retry later".to_owned();
        }
        match self.code() {
            ErrorCode::Internal => "internal error".to_owned(),
            ErrorCode::Unavailable => "storage is temporarily unavailable; retry later".to_owned(),
            _ => self.to_string(),
        }
    }
}

impl From<BlobError> for CoreError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { limit } => {
                Self::ResourceExhausted(format!("upload exceeds the limit of {limit} bytes"))
            }
            BlobError::NotFound(hash) => {
                Self::DataLoss(format!("blob {hash} is missing from storage"))
            }
            other => Self::Blob(other),
        }
    }
}

impl From<CatalogError> for CoreError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::CaseExists(n) => {
                Self::AlreadyExists(format!("a case with number {n} already exists"))
            }
            other => Self::Catalog(other),
        }
    }
}

impl From<IndexError> for CoreError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::BadQuery(m) => Self::InvalidArgument(format!("invalid search query: {m}")),
            other => Self::Index(other),
        }
    }
}

impl From<tokio::task::JoinError> for CoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("background task failed: {e}"))
    }
}
