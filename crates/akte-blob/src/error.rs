use akte_types::ContentHash;

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

/// What went wrong in the blob store; storage failures keep their source.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(ContentHash),
    #[error("blob {expected} is corrupt: its bytes hash to {actual}")]
    Corrupt {
        expected: ContentHash,
        actual: ContentHash,
    },
    #[error("blob {hash} is corrupt: expected {expected} bytes, found {actual}")]
    WrongSize {
        hash: ContentHash,
        expected: u64,
        actual: u64,
    },
    #[error("content is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// The object store is used by another catalog in a way that does not
    /// allow this one to use it as configured.
    #[error("{0}")]
    Ownership(String),
    #[error("invalid object store configuration: {0}")]
    Config(String),
    #[error("object store {op} failed: {source}")]
    Store {
        op: &'static str,
        #[source]
        source: object_store::Error,
    },
    #[error("staging i/o failed: {0}")]
    Io(#[from] std::io::Error),
}

impl BlobError {
    pub(crate) fn store(op: &'static str) -> impl FnMut(object_store::Error) -> Self + Clone {
        move |source| Self::Store { op, source }
    }

    /// True for failures of the storage backend that may go away on retry.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store { .. } | Self::Io(_))
    }
}
