//! Documents: look-up, verified download, listings of a case and of an
//! inbox, and filing by hand.

use akte_catalog::DocUpdate;
use akte_types::Document;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};

use super::{check_len, document_token, page_size, DocumentPage};
use crate::routing::manual_placement;
use crate::{CoreError, Result, Store};

/// Attempts to apply a person's assignment while others move the document.
const MOVE_ATTEMPTS: usize = 8;

impl Store {
    pub async fn get_document(&self, id: &str) -> Result<Document> {
        let id = Self::parse_document_id(id)?;
        self.point_read(|inner| {
            inner
                .catalog
                .get_document(id)?
                .ok_or_else(|| CoreError::NotFound(format!("document {id} not found")))
        })
    }

    /// The document and a stream of its bytes (or of the range `offset`,
    /// `length`), verified against its SHA-256; a mismatch ends the stream
    /// with a DATA_LOSS error before the last chunk.
    pub async fn download(
        &self,
        id: &str,
        offset: Option<u64>,
        length: Option<u64>,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let slot = self.read_slot()?;
        let doc = self.get_document(id).await?;
        let start = offset.unwrap_or(0);
        if start > doc.size_bytes {
            return Err(CoreError::InvalidArgument(format!(
                "offset {start} is beyond the end of the document ({} bytes)",
                doc.size_bytes
            )));
        }
        let end = match length {
            Some(len) => start.saturating_add(len).min(doc.size_bytes),
            None => doc.size_bytes,
        };
        let range = (start != 0 || end != doc.size_bytes).then_some(start..end);
        let stream = self
            .inner
            .blobs
            .read(doc.sha256, doc.size_bytes, range)
            .await?;
        let document_id = doc.document_id;
        let stream = stream
            .map_err(move |e| {
                // The permit lives as long as the stream.
                let _slot = &slot;
                let e = CoreError::from(e);
                if e.code() == crate::ErrorCode::DataLoss {
                    tracing::error!(%document_id, error = %e, "stored blob failed verification");
                }
                e
            })
            .boxed();
        Ok((doc, stream))
    }

    /// Documents of a case (by id or number), newest first.
    pub async fn list_case_documents(
        &self,
        case_id: Option<&str>,
        case_number: Option<&str>,
        size: usize,
        token: &str,
    ) -> Result<DocumentPage> {
        let case = match (case_id, case_number) {
            (Some(id), _) if !id.is_empty() => self.get_case_by_id(id).await?,
            (_, Some(n)) if !n.is_empty() => self.get_case_by_number(n).await?,
            _ => {
                return Err(CoreError::InvalidArgument(
                    "case_id or case_number is required".into(),
                ))
            }
        };
        let after = document_token(token)?;
        let size = page_size(size);
        let case_id = case.case.case_id;
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let documents = inner
                .catalog
                .list_case_documents(case_id, after, size + 1)?;
            Ok(DocumentPage::of(documents, size))
        })
        .await
    }

    /// Documents waiting in the inbox of a site, oldest first.
    pub async fn list_inbox(&self, site: &str, size: usize, token: &str) -> Result<DocumentPage> {
        let site = site.trim().to_owned();
        if site.is_empty() {
            return Err(CoreError::InvalidArgument("site is required".into()));
        }
        check_len("site", &site)?;
        let after = document_token(token)?;
        let size = page_size(size);
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let documents = inner.catalog.list_inbox(&site, after, size + 1)?;
            Ok(DocumentPage::of(documents, size))
        })
        .await
    }

    /// Files a document into a case by hand: out of the inbox or from another
    /// case, keeping its history. Durable when it returns.
    pub async fn assign_document(
        &self,
        id: &str,
        case_number: &str,
        note: &str,
    ) -> Result<Document> {
        let id = Self::parse_document_id(id)?;
        let number = self.parse_case_number(case_number)?;
        check_len("note", note)?;
        let note = note.trim().to_owned();
        let doc = self
            .blocking(move |inner| {
                let case = inner
                    .catalog
                    .get_case_by_number(&number)?
                    .ok_or_else(|| CoreError::NotFound(format!("case {number} not found")))?;
                // Decide from the document as it is, and apply only if it is
                // still there; a concurrent move means deciding again.
                for _ in 0..MOVE_ATTEMPTS {
                    let doc = inner
                        .catalog
                        .get_document(id)?
                        .ok_or_else(|| CoreError::NotFound(format!("document {id} not found")))?;
                    let Some(place) = manual_placement(&doc, case.clone(), note.clone()) else {
                        return Ok(doc);
                    };
                    let update = DocUpdate {
                        place: Some(place),
                        ..DocUpdate::new(id)
                    };
                    let after = inner
                        .catalog
                        .update_documents(&[update], true)?
                        .pop()
                        .ok_or_else(|| CoreError::NotFound(format!("document {id} not found")))?;
                    if after.case_id == Some(case.case_id) {
                        return Ok(after);
                    }
                }
                Err(CoreError::Aborted(format!(
                    "document {id} is being moved by others at the same time; retry"
                )))
            })
            .await?;
        self.inner.index_wakeup.notify_one();
        tracing::info!(document_id = %doc.document_id, case_number = %doc.case_number_str(), "document assigned");
        Ok(doc)
    }
}
