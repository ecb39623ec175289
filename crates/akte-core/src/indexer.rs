//! Indexing off the request path: documents are taken from the durable queue
//! in the catalog, their text extracted (once; it is kept in the catalog),
//! added to the index in batches with one commit per batch, and only then
//! removed from the queue. After a crash the queue is simply processed again.
//!
//! Documents without a text layer go on to the OCR queue (see `ocr`), whose
//! workers store the recognised text and queue the document here again.
//! Documents uploaded without a case are routed (see `routing`) as soon as
//! their text is known.

use std::time::Duration;

use akte_catalog::{DocUpdate, Queue, QueueEntry};
use akte_extract::{Extracted, Input};
use akte_index::IndexDoc;
use akte_types::{Document, DocumentText, IndexState};
use tempfile::NamedTempFile;

use crate::content::{tool_failure, Content};
use crate::store::Inner;
use crate::{Result, Store};

/// How often the indexer looks at the queue when nobody wakes it.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// A page with fewer non-blank characters in its text layer counts as a scan.
const MIN_PAGE_CHARS: usize = 16;

/// What indexing one document found.
struct Processed {
    update: DocUpdate,
    index: IndexDoc,
}

impl Store {
    /// Runs the indexer until the task is dropped or aborted.
    pub fn spawn_indexer(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                match store.index_pending().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(documents = n, "indexed"),
                    Err(e) => tracing::error!(error = %e, "indexing failed; retrying"),
                }
                tokio::select! {
                    () = store.inner.index_wakeup.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
                // Let concurrent uploads gather into one batch.
                tokio::time::sleep(store.inner.settings.index_commit_interval).await;
            }
        })
    }

    /// Indexes queued documents until the queue is empty; returns how many.
    pub async fn index_pending(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let (taken, done) = self.index_batch().await?;
            total += done;
            if taken < self.inner.settings.index_batch_size || done == 0 {
                return Ok(total);
            }
        }
    }

    /// One batch: returns (entries taken from the queue, entries finished).
    async fn index_batch(&self) -> Result<(usize, usize)> {
        let batch_size = self.inner.settings.index_batch_size;
        type Entry = (QueueEntry, Option<Document>, Option<DocumentText>);
        let entries: Vec<Entry> = self
            .blocking(move |inner| {
                inner
                    .catalog
                    .queued(Queue::Index, batch_size)?
                    .into_iter()
                    .map(|e| {
                        let doc = inner.catalog.get_document(e.document_id)?;
                        let text = inner.catalog.get_text(e.document_id)?;
                        Ok((e, doc, text))
                    })
                    .collect()
            })
            .await?;
        if entries.is_empty() {
            return Ok((0, 0));
        }
        let taken = entries.len();
        let mut updates = Vec::with_capacity(taken);
        let mut postponed = Vec::new();
        let mut docs = Vec::with_capacity(taken);
        let mut to_ocr = false;
        for (entry, doc, text) in entries {
            let Some(doc) = doc else {
                // Queued but gone from the catalog: nothing to index.
                updates.push(DocUpdate {
                    dequeue: Some((Queue::Index, entry.seq)),
                    ..DocUpdate::new(entry.document_id)
                });
                continue;
            };
            match self.process(&doc, text).await {
                Ok(mut p) => {
                    p.update.dequeue = Some((Queue::Index, entry.seq));
                    to_ocr |= p.update.enqueue == Some(Queue::Ocr);
                    docs.push(p.index);
                    updates.push(p.update);
                }
                Err(e) => {
                    // Storage unreachable: queue it again, behind the others.
                    tracing::warn!(document_id = %doc.document_id, error = %e, "text extraction postponed");
                    postponed.push(entry);
                }
            }
        }
        let done = updates.len();
        let assigned = updates.iter().any(|u| {
            matches!(
                u.place,
                Some(akte_catalog::Placement {
                    to: akte_catalog::Destination::Case { .. },
                    ..
                })
            )
        });
        self.blocking(move |inner| {
            let mut docs = docs;
            let _indexing = inner.index_lock.lock();
            for d in &mut docs {
                // A document this batch files into a case is found under that
                // case's class at once (it may be restricted).
                let destination = updates.iter().find_map(|u| match &u.place {
                    Some(akte_catalog::Placement {
                        to: akte_catalog::Destination::Case { case, .. },
                        ..
                    }) if u.document_id.to_string() == d.document_id => Some(case),
                    _ => None,
                });
                d.access = match destination {
                    // Only if the placement will apply (the document is in no
                    // case now), and with the case as it is now.
                    Some(case) if in_no_case(inner, &d.document_id)? => {
                        match inner.catalog.get_case(case.case_id)? {
                            Some(now) => {
                                let class = crate::access::case_class(
                                    &now.site,
                                    now.restricted_to.as_deref(),
                                );
                                remember_class(inner, &class)?;
                                class
                            }
                            None => access_class(inner, &d.document_id)?,
                        }
                    }
                    _ => access_class(inner, &d.document_id)?,
                };
            }
            inner.index.upsert(&docs)?;
            inner.index.commit()?;
            inner.catalog.update_documents(&updates, false)?;
            inner.catalog.requeue(Queue::Index, &postponed)?;
            Ok(())
        })
        .await?;
        // Documents routed into a case are queued again to index their case.
        if assigned {
            self.inner.index_wakeup.notify_one();
        }
        if to_ocr {
            self.inner.ocr_wakeup.notify_waiters();
        }
        Ok((taken, done))
    }

    /// Text, state and routing of one document. Failures of the document
    /// itself become a `Failed` state; only transient storage errors are
    /// returned as errors.
    async fn process(&self, doc: &Document, stored: Option<DocumentText>) -> Result<Processed> {
        let mut update = DocUpdate::new(doc.document_id);
        if let Some(text) = stored {
            // Extracted or recognised before: index it as it is.
            update.state = Some(match &text.failure {
                Some(f) => (IndexState::Failed, Some(f.clone())),
                None => (IndexState::Indexed, None),
            });
            return Ok(Processed {
                index: index_doc(doc, &text.pages),
                update,
            });
        }
        if doc.index_state == IndexState::Ocr {
            // In the OCR queue already (indexed again for a new case).
            return Ok(Processed {
                index: index_doc(doc, &[]),
                update,
            });
        }
        let ocr_on = self.inner.ocr.is_some();
        if doc.media_type == akte_extract::PDF && !self.inner.pdf_text {
            return Ok(awaiting_text(
                doc,
                update,
                "pdftotext (poppler-utils) is not installed on this server",
            ));
        }
        let (extracted, staged) = self.extract_text(doc).await?;
        let text = match extracted {
            Ok(Extracted::Text(text)) => {
                let pages = split_pages(&text);
                let scanned_pages = pages
                    .iter()
                    .any(|p| p.chars().filter(|c| !c.is_whitespace()).count() < MIN_PAGE_CHARS);
                if ocr_on && scanned_pages && doc.media_type == akte_extract::PDF {
                    // Some pages are scans: recognise those, keep the rest.
                    update.state = Some((IndexState::Ocr, None));
                    update.enqueue = Some(Queue::Ocr);
                    return Ok(Processed {
                        index: index_doc(doc, &pages),
                        update,
                    });
                }
                DocumentText {
                    pages,
                    ocr_pages: 0,
                    failure: None,
                }
            }
            Ok(Extracted::NotExtracted) => DocumentText::default(),
            Ok(Extracted::NeedsOcr) if ocr_on => {
                update.state = Some((IndexState::Ocr, None));
                update.enqueue = Some(Queue::Ocr);
                return Ok(Processed {
                    index: index_doc(doc, &[]),
                    update,
                });
            }
            Ok(Extracted::NeedsOcr) => {
                return Ok(awaiting_text(
                    doc,
                    update,
                    "text recognition (OCR) is off on this server",
                ));
            }
            Err(reason) => DocumentText {
                pages: Vec::new(),
                ocr_pages: 0,
                failure: Some(reason),
            },
        };
        if doc.case_id.is_none() {
            let codes = match &staged {
                Some(file) if doc.media_type == akte_extract::PDF => {
                    self.first_page_codes(doc, file).await?
                }
                _ => Vec::new(),
            };
            update.place = Some(self.route(&text, &codes).await?.placement());
        }
        update.state = Some(match &text.failure {
            Some(f) => (IndexState::Failed, Some(f.clone())),
            None => (IndexState::Indexed, None),
        });
        let index = index_doc(doc, &text.pages);
        update.text = Some(text);
        Ok(Processed { update, index })
    }

    /// The text of a document's content (`Err(reason)` when the document
    /// itself is at fault), with the scratch file the content was staged in
    /// if it was (a PDF: its first page's codes are read from the same
    /// file). `Err` for transient failures (see [`crate::content`]).
    async fn extract_text(
        &self,
        doc: &Document,
    ) -> Result<(
        std::result::Result<Extracted, String>,
        Option<NamedTempFile>,
    )> {
        let as_file = match akte_extract::input_for(&doc.media_type) {
            Input::Nothing(outcome) => return Ok((Ok(outcome), None)),
            Input::Bytes => false,
            Input::File => true,
        };
        let content = match self.read_content(doc, as_file).await? {
            Ok(c) => c,
            Err(reason) => return Ok((Err(reason), None)),
        };
        let media_type = doc.media_type.clone();
        // The staging directory is emptied at every start.
        let work_dir = self.inner.blobs.staging_dir().to_path_buf();
        let (extracted, content) = tokio::task::spawn_blocking(move || {
            let extracted = match &content {
                Content::Bytes(b) => akte_extract::extract(&media_type, b, &work_dir),
                Content::File(f) => akte_extract::extract_file(&media_type, f.path()),
            };
            (extracted, content)
        })
        .await?;
        let file = match content {
            Content::File(f) => Some(f),
            Content::Bytes(_) => None,
        };
        // The file is kept on failure too: a PDF whose text cannot be read
        // may still carry a cover sheet's code.
        match extracted {
            Ok(x) => Ok((Ok(x), file)),
            Err(e) => Ok((
                Err(tool_failure("text extraction", e.is_document_fault(), e)?),
                file,
            )),
        }
    }

    /// QR codes on the first page of a PDF in `file`, for routing. A PDF
    /// that cannot be rendered simply has none.
    async fn first_page_codes(&self, doc: &Document, file: &NamedTempFile) -> Result<Vec<String>> {
        let Some(settings) = self.inner.ocr.clone() else {
            return Ok(Vec::new());
        };
        let media_type = doc.media_type.clone();
        let path = file.path().to_path_buf();
        let work_dir = self.inner.blobs.staging_dir().to_path_buf();
        let codes = tokio::task::spawn_blocking(move || {
            akte_extract::first_page_codes(&media_type, &path, &settings, &work_dir)
        })
        .await?;
        Ok(codes.unwrap_or_else(|e| {
            tracing::debug!(document_id = %doc.document_id, error = %e, "no codes read");
            Vec::new()
        }))
    }

    /// Rebuilds the index from the catalog: empties it, queues every
    /// document and indexes them all. Returns the number of documents.
    pub async fn reindex_all(&self) -> Result<u64> {
        let queued = self
            .blocking(|inner| {
                inner.index.clear()?;
                inner.index.commit()?;
                Ok(inner.catalog.enqueue_all()?)
            })
            .await?;
        self.index_pending().await?;
        Ok(queued)
    }

    /// Documents waiting in the indexing queue.
    pub async fn queue_len(&self) -> Result<u64> {
        self.blocking(|inner| Ok(inner.catalog.queue_len(Queue::Index)?))
            .await
    }
}

/// Pages of extracted text: pdftotext ends every page with a form feed.
pub(crate) fn split_pages(text: &str) -> Vec<String> {
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// A document whose text this server cannot get now (`why`): its metadata is
/// indexed, its state is AWAITING_TEXT, and one without a case waits in its
/// site's inbox. Once the server can, `akte reindex` reads it.
fn awaiting_text(doc: &Document, mut update: DocUpdate, why: &str) -> Processed {
    update.state = Some((IndexState::AwaitingText, Some(why.to_owned())));
    if doc.case_id.is_none() {
        update.place = Some(
            crate::routing::Route::Inbox {
                reason: format!("no text to read a case number from: {why}"),
            }
            .placement(),
        );
    }
    Processed {
        index: index_doc(doc, &[]),
        update,
    }
}

/// The access class a document is found under now: its case's, or its
/// site's inbox's (also while it is being routed). Remembered as a class.
fn access_class(inner: &Inner, document_id: &str) -> Result<String> {
    let doc = match document_id.parse() {
        Ok(id) => inner.catalog.get_document(id)?,
        Err(_) => None,
    };
    match doc {
        Some(doc) => class_of(inner, &doc),
        // Gone meanwhile: a class no rule grants.
        None => Ok(String::new()),
    }
}

/// The access class of `doc` as it is: its case's, or its site's inbox's.
/// Remembered as a class.
fn class_of(inner: &Inner, doc: &Document) -> Result<String> {
    let class = match doc
        .case_id
        .map(|id| inner.catalog.get_case(id))
        .transpose()?
    {
        Some(Some(case)) => crate::access::case_class(&case.site, case.restricted_to.as_deref()),
        _ => crate::access::inbox_class(&doc.site),
    };
    remember_class(inner, &class)?;
    Ok(class)
}

/// Whether a document is in no case now.
fn in_no_case(inner: &Inner, document_id: &str) -> Result<bool> {
    Ok(match document_id.parse() {
        Ok(id) => inner
            .catalog
            .get_document(id)?
            .is_some_and(|d| d.case_id.is_none()),
        Err(_) => false,
    })
}

/// Adds an access class to those searches ask the rules about.
fn remember_class(inner: &Inner, class: &str) -> Result<()> {
    if !inner.classes.read().contains(class) {
        inner.catalog.add_access_class(class)?;
        inner.classes.write().insert(class.to_owned());
    }
    Ok(())
}

/// Indexes documents again as they are now (text from the catalog, access
/// class of their case or inbox), visible to searches when it returns. The
/// caller holds `index_lock`.
pub(crate) fn reindex_documents(inner: &Inner, docs: &[Document]) -> Result<()> {
    let index_docs = docs
        .iter()
        .map(|doc| stored_index_doc(inner, doc, class_of(inner, doc)?))
        .collect::<Result<Vec<_>>>()?;
    inner.index.upsert(&index_docs)?;
    inner.index.commit()?;
    Ok(())
}

/// Indexes a case's documents again under the case's current access class,
/// visible to searches when it returns. The caller holds `index_lock`.
pub(crate) fn reindex_case(inner: &Inner, case: &akte_types::Case) -> Result<()> {
    let class = crate::access::case_class(&case.site, case.restricted_to.as_deref());
    let mut after = None;
    loop {
        let page = inner
            .catalog
            .list_case_documents(case.case_id, after, 256)?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.document_id);
        let docs = page
            .iter()
            .map(|doc| stored_index_doc(inner, doc, class.clone()))
            .collect::<Result<Vec<_>>>()?;
        inner.index.upsert(&docs)?;
    }
    inner.index.commit()?;
    Ok(())
}

/// A document as the index sees it, with the text the catalog keeps for it.
fn stored_index_doc(inner: &Inner, doc: &Document, access: String) -> Result<IndexDoc> {
    let pages = inner
        .catalog
        .get_text(doc.document_id)?
        .map(|t| t.pages)
        .unwrap_or_default();
    Ok(IndexDoc {
        access,
        ..index_doc(doc, &pages)
    })
}

pub(crate) fn index_doc(doc: &Document, pages: &[String]) -> IndexDoc {
    IndexDoc {
        access: String::new(),
        document_id: doc.document_id.to_string(),
        case_number: doc.case_number_str().to_owned(),
        site: doc.site.clone(),
        document_type: doc.document_type.clone(),
        received_at: doc.received_at,
        title: doc.title.clone(),
        filename: doc.filename.clone(),
        body: pages.join("\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::split_pages;

    #[test]
    fn pages_are_split_at_form_feeds() {
        assert_eq!(split_pages("eins\u{c}zwei\u{c}"), ["eins", "zwei"]);
        assert_eq!(split_pages("nur eine"), ["nur eine"]);
        assert_eq!(split_pages("a\u{c}\u{c}c"), ["a", "", "c"]);
    }
}
