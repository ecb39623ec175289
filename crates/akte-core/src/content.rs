//! One path from a stored blob to the extraction tools, and one rule for
//! what a failure on it means.
//!
//! A document's content is read once per step that needs it: the indexer
//! reads a text document into memory, or stages a PDF into one scratch file
//! that serves both its text layer and the QR codes on its first page;
//! images are not read until text recognition stages them. A failure is the
//! document's own (it is kept, marked failed with the reason) or the
//! machinery's — storage unreachable, a tool missing, the local disk — which
//! may go away, so the document is tried again later.

use bytes::Bytes;
use futures::TryStreamExt;
use tokio::io::AsyncWriteExt;

use akte_types::Document;

use crate::{CoreError, ErrorCode, Result, Store};

/// The content of a document, read for extraction.
pub(crate) enum Content {
    Bytes(Bytes),
    /// A scratch file in the staging directory, removed when dropped.
    File(tempfile::NamedTempFile),
}

/// The one rule: whether a failure is transient (the machinery's), not the
/// document's. Storage that is unreachable, errors of our own (scratch files,
/// background tasks) and a full disk go away; a damaged or missing blob, or
/// content over a limit, does not.
pub(crate) fn is_transient(e: &CoreError) -> bool {
    matches!(
        e.code(),
        ErrorCode::Unavailable | ErrorCode::Internal | ErrorCode::ResourceExhausted
    )
}

/// A document's failure as its reason (`Ok`), or a transient one as an
/// error (`Err`), by [`is_transient`].
fn classify(e: CoreError) -> Result<String> {
    if is_transient(&e) {
        Err(e)
    } else {
        Ok(e.to_string())
    }
}

/// A failure of an extraction tool (`step`, e.g. "text recognition"): the
/// document's reason where `document_fault`, else a transient error.
pub(crate) fn tool_failure(
    step: &str,
    document_fault: bool,
    e: impl std::fmt::Display,
) -> Result<String> {
    if document_fault {
        Ok(e.to_string())
    } else {
        classify(CoreError::Unavailable(format!("{step}: {e}")))
    }
}

impl Store {
    /// The verified content of a document, in memory or (`as_file`) in a
    /// scratch file. `Ok(Err(reason))` when the stored content is damaged
    /// or missing or over the extraction limit; `Err` for transient failures.
    pub(crate) async fn read_content(
        &self,
        doc: &Document,
        as_file: bool,
    ) -> Result<std::result::Result<Content, String>> {
        if as_file {
            return Ok(self.stage_content(doc).await?.map(Content::File));
        }
        if let Some(reason) = self.over_extract_limit(doc) {
            return Ok(Err(reason));
        }
        match self.inner.blobs.read_all(doc.sha256, doc.size_bytes).await {
            Ok(bytes) => Ok(Ok(Content::Bytes(bytes))),
            Err(e) => classify(e.into()).map(Err),
        }
    }

    /// The verified content of a document in a scratch file in the staging
    /// directory (removed when dropped); results as [`Store::read_content`].
    pub(crate) async fn stage_content(
        &self,
        doc: &Document,
    ) -> Result<std::result::Result<tempfile::NamedTempFile, String>> {
        if let Some(reason) = self.over_extract_limit(doc) {
            return Ok(Err(reason));
        }
        match self.stage(doc).await {
            Ok(file) => Ok(Ok(file)),
            Err(e) => classify(e).map(Err),
        }
    }

    fn over_extract_limit(&self, doc: &Document) -> Option<String> {
        let limit = self.inner.settings.max_extract_bytes;
        (doc.size_bytes > limit).then(|| {
            format!(
                "{} bytes is over the text extraction limit of {limit} bytes",
                doc.size_bytes
            )
        })
    }

    async fn stage(&self, doc: &Document) -> Result<tempfile::NamedTempFile> {
        let mut stream = self
            .inner
            .blobs
            .read(doc.sha256, doc.size_bytes, None)
            .await?
            .map_err(CoreError::from);
        let staging = self.inner.blobs.staging_dir().to_path_buf();
        let file = tempfile::Builder::new()
            .prefix("akte-content")
            .tempfile_in(&staging)
            .map_err(|e| {
                CoreError::Internal(format!("scratch file in {}: {e}", staging.display()))
            })?;
        let scratch = |e: std::io::Error| CoreError::Internal(format!("scratch file: {e}"));
        // Written through tokio: the executor's threads do not wait for the disk.
        let mut out = tokio::fs::File::from_std(file.reopen().map_err(scratch)?);
        while let Some(chunk) = stream.try_next().await? {
            out.write_all(&chunk).await.map_err(scratch)?;
        }
        out.flush().await.map_err(scratch)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_what_is_transient() {
        assert!(is_transient(&CoreError::Unavailable("s3".into())));
        assert!(is_transient(&CoreError::Internal("scratch".into())));
        assert!(is_transient(&CoreError::ResourceExhausted("disk".into())));
        assert!(!is_transient(&CoreError::DataLoss("hash".into())));
        assert!(!is_transient(&CoreError::InvalidArgument("x".into())));
        assert_eq!(tool_failure("t", true, "kaputt").unwrap(), "kaputt");
        assert!(tool_failure("t", false, "tesseract missing").is_err());
    }
}
