//! Documents: look-up, verified download, listings of a case and of an
//! inbox, and filing by hand.

use akte_catalog::DocUpdate;
use akte_types::{AccessAction, Document};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};

use super::audit::{resource_of, Target};
use super::{check_len, document_token, page_size, DocumentPage};
use crate::access::{Action, Caller, Resource, Verdict};
use crate::routing::manual_placement;
use crate::{CoreError, Result, Store};

/// Attempts to apply a person's assignment while others move the document.
const MOVE_ATTEMPTS: usize = 8;

impl Store {
    /// A document's metadata, if the caller may read it.
    pub async fn get_document(&self, caller: &Caller, id: &str) -> Result<Document> {
        let (doc, verdict) = self
            .readable_document(caller, id, AccessAction::GetDocument)
            .await?;
        self.log(
            caller,
            AccessAction::GetDocument,
            &verdict,
            &Target::document(&doc),
            String::new(),
        )
        .await?;
        Ok(doc)
    }

    /// Looks a document up and checks that the caller may read it (a denial
    /// or a missing document is logged as `log_as`).
    pub(super) async fn readable_document(
        &self,
        caller: &Caller,
        id: &str,
        log_as: AccessAction,
    ) -> Result<(Document, Verdict)> {
        let id = Self::parse_document_id(id)?;
        let what = format!("document {id}");
        let doc = self.point_read(|inner| Ok(inner.catalog.get_document(id)?))?;
        let Some(doc) = doc else {
            let target = Target {
                case_number: None,
                document_id: Some(id.to_string()),
            };
            return Err(self.missing(caller, log_as, &target, &what).await);
        };
        let resource = self.point_read(|inner| resource_of(inner, &doc))?;
        let verdict = self
            .authorize(
                caller,
                Action::ReadDocument,
                &resource,
                log_as,
                &Target::document(&doc),
                &what,
            )
            .await?;
        Ok((doc, verdict))
    }

    /// The document and a stream of its bytes (or of the range `offset`,
    /// `length`), verified against its SHA-256; a mismatch ends the stream
    /// with a DATA_LOSS error before the last chunk.
    pub async fn download(
        &self,
        caller: &Caller,
        id: &str,
        offset: Option<u64>,
        length: Option<u64>,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let slot = self.read_slot()?;
        let (doc, verdict) = self
            .readable_document(caller, id, AccessAction::DownloadDocument)
            .await?;
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
        let detail = match &range {
            None => String::new(),
            Some(r) => format!("range {}..{}", r.start, r.end),
        };
        self.log(
            caller,
            AccessAction::DownloadDocument,
            &verdict,
            &Target::document(&doc),
            detail,
        )
        .await?;
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
        caller: &Caller,
        case_id: Option<&str>,
        case_number: Option<&str>,
        size: usize,
        token: &str,
    ) -> Result<DocumentPage> {
        let (case, what, mut target) = match (case_id, case_number) {
            (Some(id), _) if !id.is_empty() => {
                let parsed: akte_types::CaseId =
                    id.parse().map_err(|e: akte_types::IdParseError| {
                        CoreError::InvalidArgument(e.to_string())
                    })?;
                let case = self.point_read(|inner| Ok(inner.catalog.get_case(parsed)?))?;
                (case, format!("case {parsed}"), Target::default())
            }
            (_, Some(n)) if !n.is_empty() => {
                let number = self.parse_case_number(n)?;
                let case =
                    self.point_read(|inner| Ok(inner.catalog.get_case_by_number(&number)?))?;
                let target = Target {
                    case_number: Some(number.to_string()),
                    document_id: None,
                };
                (case, format!("case {number}"), target)
            }
            _ => {
                return Err(CoreError::InvalidArgument(
                    "case_id or case_number is required".into(),
                ))
            }
        };
        let after = document_token(token)?;
        let size = page_size(size);
        let Some(case) = case else {
            return Err(self
                .missing(caller, AccessAction::ListCaseDocuments, &target, &what)
                .await);
        };
        target = Target::case(&case);
        let verdict = self
            .authorize(
                caller,
                Action::ReadDocument,
                &Resource::case(&case),
                AccessAction::ListCaseDocuments,
                &target,
                &what,
            )
            .await?;
        let case_id = case.case_id;
        let _slot = self.read_slot()?;
        let page = self
            .blocking(move |inner| {
                let documents = inner
                    .catalog
                    .list_case_documents(case_id, after, size + 1)?;
                Ok(DocumentPage::of(documents, size))
            })
            .await?;
        self.log(
            caller,
            AccessAction::ListCaseDocuments,
            &verdict,
            &target,
            shown(&page),
        )
        .await?;
        Ok(page)
    }

    /// Documents waiting in the inbox of a site, oldest first.
    pub async fn list_inbox(
        &self,
        caller: &Caller,
        site: &str,
        size: usize,
        token: &str,
    ) -> Result<DocumentPage> {
        let site = site.trim().to_owned();
        if site.is_empty() {
            return Err(CoreError::InvalidArgument("site is required".into()));
        }
        check_len("site", &site)?;
        let after = document_token(token)?;
        let size = page_size(size);
        let target = Target::default();
        let verdict = self
            .authorize(
                caller,
                Action::ReadDocument,
                &Resource::Inbox { site: site.clone() },
                AccessAction::ListInbox,
                &target,
                &format!("the inbox of {site}"),
            )
            .await?;
        let _slot = self.read_slot()?;
        let listed = site.clone();
        let page = self
            .blocking(move |inner| {
                let documents = inner.catalog.list_inbox(&listed, after, size + 1)?;
                Ok(DocumentPage::of(documents, size))
            })
            .await?;
        self.log(
            caller,
            AccessAction::ListInbox,
            &verdict,
            &target,
            format!("site={site:?} {}", shown(&page)),
        )
        .await?;
        Ok(page)
    }

    /// Files a document into a case by hand: out of the inbox or from another
    /// case, keeping its history. The caller must be allowed to file out of
    /// where it is and into the case. Durable when it returns.
    pub async fn assign_document(
        &self,
        caller: &Caller,
        id: &str,
        case_number: &str,
        note: &str,
    ) -> Result<Document> {
        let id = Self::parse_document_id(id)?;
        let number = self.parse_case_number(case_number)?;
        check_len("note", note)?;
        let note = note.trim().to_owned();
        let log_as = AccessAction::AssignDocument;
        let doc_what = format!("document {id}");
        let case_what = format!("filing into case {number}");
        let doc_target = Target {
            case_number: None,
            document_id: Some(id.to_string()),
        };
        let Some(doc) = self.point_read(|inner| Ok(inner.catalog.get_document(id)?))? else {
            return Err(self.missing(caller, log_as, &doc_target, &doc_what).await);
        };
        // The document first: whoever may not take it out of where it is
        // learns nothing about the case either.
        let mut verdict = self.may_file_out(caller, &doc, &doc_what).await?;
        let Some(case) =
            self.point_read(|inner| Ok(inner.catalog.get_case_by_number(&number)?))?
        else {
            let target = Target {
                case_number: Some(number.to_string()),
                document_id: Some(id.to_string()),
            };
            return Err(self.missing(caller, log_as, &target, &case_what).await);
        };
        let into = self
            .authorize(
                caller,
                Action::FileDocument,
                &Resource::case(&case),
                log_as,
                &Target::case(&case),
                &case_what,
            )
            .await?;
        verdict.policies.extend(into.policies);
        let target = Target {
            case_number: Some(case.case_number.to_string()),
            document_id: Some(id.to_string()),
        };
        let detail = format!(
            "from {} note={note:?}",
            doc.case_number
                .as_ref()
                .map_or_else(|| format!("inbox {}", doc.site), ToString::to_string)
        );
        // Logged before it is done: a move that cannot be logged is not made.
        self.log(caller, log_as, &verdict, &target, detail).await?;
        let checked_from = doc.case_id;
        let who = caller.clone();
        let moved = self
            .blocking(move |inner| {
                // No indexing batch interleaves: the document is indexed
                // under its new case's class below, under the same lock.
                let _indexing = inner.index_lock.lock();
                // Decide from the document as it is, and apply only if it is
                // still there; a concurrent move means deciding again.
                for _ in 0..MOVE_ATTEMPTS {
                    let Some(doc) = inner.catalog.get_document(id)? else {
                        return Ok(Moved::Gone);
                    };
                    // Moved elsewhere meanwhile: may the caller file it out of there?
                    if doc.case_id != checked_from && !may_file_from(inner, &who, &doc)? {
                        return Ok(Moved::Denied(doc));
                    }
                    let Some(place) = manual_placement(&doc, case.clone(), note.clone()) else {
                        return Ok(Moved::Done(doc));
                    };
                    let update = DocUpdate {
                        place: Some(place),
                        ..DocUpdate::new(id)
                    };
                    let Some(after) = inner.catalog.update_documents(&[update], true)?.pop() else {
                        return Ok(Moved::Gone);
                    };
                    if after.case_id == Some(case.case_id) {
                        // Found under its new case's class before this returns.
                        crate::indexer::reindex_documents(inner, std::slice::from_ref(&after))?;
                        return Ok(Moved::Done(after));
                    }
                }
                Err(CoreError::Aborted(format!(
                    "document {id} is being moved by others at the same time; retry"
                )))
            })
            .await?;
        let doc = match moved {
            Moved::Done(doc) => doc,
            Moved::Gone => return Err(self.missing(caller, log_as, &doc_target, &doc_what).await),
            Moved::Denied(doc) => {
                self.may_file_out(caller, &doc, &doc_what).await?;
                return Err(super::audit::denied(&doc_what));
            }
        };
        self.inner.index_wakeup.notify_one();
        tracing::info!(document_id = %doc.document_id, case_number = %doc.case_number_str(), "document assigned");
        Ok(doc)
    }
}

impl Store {
    /// Checks that the caller may file `doc` out of where it is now (a
    /// denial is logged).
    async fn may_file_out(&self, caller: &Caller, doc: &Document, what: &str) -> Result<Verdict> {
        let source = self.point_read(|inner| resource_of(inner, doc))?;
        self.authorize(
            caller,
            Action::FileDocument,
            &source,
            AccessAction::AssignDocument,
            &Target::document(doc),
            what,
        )
        .await
    }
}

enum Moved {
    Done(Document),
    Gone,
    /// Moved by others meanwhile to where the caller may not take it from.
    Denied(Document),
}

fn may_file_from(inner: &super::Inner, caller: &Caller, doc: &Document) -> Result<bool> {
    let resource = resource_of(inner, doc)?;
    Ok(inner
        .policies
        .check(caller, Action::FileDocument, &resource)?
        .allowed)
}

/// The documents of a page, for the access log.
fn shown(page: &DocumentPage) -> String {
    let ids: Vec<String> = page
        .documents
        .iter()
        .map(|d| d.document_id.to_string())
        .collect();
    format!("shown={}", ids.join(","))
}
