//! Ingest: an upload as named phases (validate the header, receive and hash
//! the content, find a station's earlier upload of it, commit).

use akte_blob::StagedBlob;
use akte_catalog::Inserted;
use akte_types::{
    now_millis, AccessAction, AssignedBy, Case, CaseMove, ContentHash, Document, IndexState,
    TransferNote, UnixMillis,
};
use bytes::Bytes;
use futures::stream::{Stream, StreamExt};
use tokio::sync::OwnedSemaphorePermit;

use super::audit::Target;
use super::{check_len, clean_filename};
use crate::access::{self, Action, Caller, Resource, Verdict};
use crate::{CoreError, Result, Store};

/// The first message of an upload.
#[derive(Clone, Debug, Default)]
pub struct UploadHeader {
    /// Empty: route by the number in the text, else into `site`'s inbox.
    pub case_number: String,
    /// The inbox for a document without (a found) case.
    pub site: String,
    /// For scanned paper; its `sha256` is set by the store.
    pub transfer_note: Option<TransferNote>,
    pub title: String,
    pub document_type: String,
    pub media_type: String,
    pub filename: String,
    pub source: String,
    pub received_at: Option<UnixMillis>,
    pub expected_sha256: Option<String>,
}

/// An upload header that passed every check, with its fields cleaned.
struct ValidHeader {
    /// The case, looked up; `None` for the inbox of `inbox_site`.
    case: Option<Case>,
    inbox_site: String,
    expected: Option<ContentHash>,
    transfer_note: Option<TransferNote>,
    title: String,
    document_type: String,
    source: String,
    filename: String,
    /// The declared media type, empty if none was given.
    declared: String,
    received_at: Option<UnixMillis>,
}

impl ValidHeader {
    /// The scanning station the upload comes from, if it has a transfer note.
    fn station(&self) -> Option<&str> {
        self.transfer_note.as_ref().map(|n| n.station_id.as_str())
    }
}

/// Content received in full: hashed, of a verified media type.
struct Received {
    staged: StagedBlob,
    media_type: String,
}

impl Store {
    /// Stores a document from its header and a stream of content chunks. Returns
    /// once the blob and the catalog row are durable. If the stream fails or
    /// is dropped, nothing becomes visible and staging data is removed.
    ///
    /// Phases: admission, [`Store::validate_header`], a station's earlier
    /// upload of the same content ([`Store::station_duplicate`]),
    /// [`Store::receive`], and [`Store::commit`]; the upload's slot is held
    /// until the commit is done, even if the client goes away meanwhile.
    pub async fn upload<S>(
        &self,
        caller: &Caller,
        header: UploadHeader,
        chunks: S,
    ) -> Result<Document>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        // Beyond capacity, refuse at once rather than queue without bound.
        let slot = self.upload_slot()?;
        self.refuse_if_reader()?;
        self.check_disk_space(0)?;
        let header = self.validate_header(caller, header).await?;
        let verdict = self.authorize_upload(caller, &header).await?;
        // A station sending content it stored before gets the earlier document,
        // before any content is taken if it said what the content hashes to.
        if let Some(hash) = header.expected {
            if let Some(doc) = self.station_duplicate(&header, hash).await? {
                return self.earlier_upload(caller, &verdict, doc).await;
            }
        }
        let received = self.receive(&header, chunks).await?;
        if let Some(doc) = self
            .station_duplicate(&header, received.staged.hash())
            .await?
        {
            return self.earlier_upload(caller, &verdict, doc).await;
        }
        self.check_disk_space(self.inner.blobs.local_bytes_to_commit(&received.staged))?;
        let doc = self.new_document(header, &received);
        let new_id = doc.document_id;
        let doc = self.commit(doc, received.staged, slot).await?;
        if doc.document_id != new_id {
            return self.earlier_upload(caller, &verdict, doc).await;
        }
        self.inner.metrics.uploaded(doc.size_bytes);
        self.uploaded(caller, &verdict, doc, "stored").await
    }

    /// Answers with the station's earlier upload of the same content: to the
    /// station itself, or to a caller who may read that document; to anyone
    /// else it is not shown (someone naming another station in a transfer
    /// note does not get to see where that station's document went).
    async fn earlier_upload(
        &self,
        caller: &Caller,
        verdict: &Verdict,
        doc: Document,
    ) -> Result<Document> {
        let station = doc.transfer_note.as_ref().map(|n| n.station_id.as_str());
        let own = caller.principal.kind == access::PrincipalKind::Station
            && station == Some(caller.principal.name.as_str());
        if !own {
            let resource = self.point_read(|inner| super::audit::resource_of(inner, &doc))?;
            self.authorize(
                caller,
                Action::ReadDocument,
                &resource,
                AccessAction::UploadDocument,
                &Target::document(&doc),
                "the earlier upload of this content",
            )
            .await?;
        }
        self.uploaded(caller, verdict, doc, "already stored").await
    }

    /// Checks that the caller may upload into the header's case or inbox
    /// (a station only under its own id).
    async fn authorize_upload(&self, caller: &Caller, header: &ValidHeader) -> Result<Verdict> {
        let mut caller = caller.clone();
        caller.station = header.station().map(str::to_owned);
        let (resource, target, what) = match &header.case {
            Some(case) => (
                Resource::case(case),
                Target::case(case),
                format!("uploading into case {}", case.case_number),
            ),
            None => (
                Resource::Inbox {
                    site: header.inbox_site.clone(),
                },
                Target::default(),
                format!("uploading into the inbox of {}", header.inbox_site),
            ),
        };
        let verdict = self
            .authorize(
                &caller,
                Action::UploadDocument,
                &resource,
                AccessAction::UploadDocument,
                &target,
                &what,
            )
            .await?;
        // Until routed, a document is found under its site's inbox (the
        // site just authorised; an upload into a case names none that counts).
        if header.case.is_none() && !header.inbox_site.is_empty() {
            self.note_class(access::inbox_class(&header.inbox_site))
                .await?;
        }
        Ok(verdict)
    }

    /// Logs an upload before it is acknowledged.
    async fn uploaded(
        &self,
        caller: &Caller,
        verdict: &Verdict,
        doc: Document,
        detail: &str,
    ) -> Result<Document> {
        self.log(
            caller,
            AccessAction::UploadDocument,
            verdict,
            &Target::document(&doc),
            format!("{detail} sha256={} bytes={}", doc.sha256, doc.size_bytes),
        )
        .await?;
        Ok(doc)
    }

    /// Checks and cleans every field of the header, and looks up its case.
    async fn validate_header(&self, caller: &Caller, header: UploadHeader) -> Result<ValidHeader> {
        let case_number = match header.case_number.trim() {
            "" => None,
            n => Some(self.parse_case_number(n)?),
        };
        let inbox_site = header.site.trim().to_owned();
        check_len("site", &inbox_site)?;
        if case_number.is_none() && inbox_site.is_empty() {
            return Err(CoreError::InvalidArgument(
                "case_number or site is required: without a case the document goes to the inbox of the site".into(),
            ));
        }
        let expected = match header.expected_sha256.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => Some(
                h.to_ascii_lowercase()
                    .parse::<ContentHash>()
                    .map_err(|e| CoreError::InvalidArgument(format!("expected_sha256: {e}")))?,
            ),
        };
        check_len("title", &header.title)?;
        check_len("document_type", &header.document_type)?;
        check_len("source", &header.source)?;
        let transfer_note = header.transfer_note.map(valid_transfer_note).transpose()?;
        let filename = clean_filename(&header.filename)?;
        let declared = header.media_type.trim().to_owned();
        let allowed = &self.inner.settings.allowed_media;
        if !declared.is_empty() {
            let canonical = akte_extract::canonical_media_type(&declared);
            if !allowed.contains(&canonical) {
                return Err(CoreError::InvalidArgument(
                    akte_extract::MediaError::NotAllowed {
                        declared: canonical,
                        allowed: allowed.clone(),
                    }
                    .to_string(),
                ));
            }
        }
        let case = match case_number {
            Some(number) => {
                match self.point_read(|inner| Ok(inner.catalog.get_case_by_number(&number)?))? {
                    Some(case) => Some(case),
                    None => {
                        let target = Target {
                            case_number: Some(number.to_string()),
                            document_id: None,
                        };
                        let what = format!("uploading into case {number}");
                        return Err(self
                            .missing(caller, AccessAction::UploadDocument, &target, &what)
                            .await);
                    }
                }
            }
            None => None,
        };
        Ok(ValidHeader {
            case,
            inbox_site,
            expected,
            transfer_note,
            title: header.title.trim().to_owned(),
            document_type: header.document_type.trim().to_owned(),
            source: header.source.trim().to_owned(),
            filename,
            declared,
            received_at: header.received_at,
        })
    }

    /// The document the header's station stored earlier with content `hash`.
    async fn station_duplicate(
        &self,
        header: &ValidHeader,
        hash: ContentHash,
    ) -> Result<Option<Document>> {
        let Some(station) = header.station().map(str::to_owned) else {
            return Ok(None);
        };
        let doc = self
            .blocking(move |inner| Ok(inner.catalog.station_document(&station, &hash)?))
            .await?;
        if let Some(doc) = &doc {
            tracing::info!(document_id = %doc.document_id, sha256 = %hash, "already stored by this station");
        }
        Ok(doc)
    }

    /// Receives the content: hashed while written to memory or staging,
    /// its type checked against the declared one as soon as enough is seen,
    /// the disk reserve checked at every MiB, the expected hash compared.
    async fn receive<S>(&self, header: &ValidHeader, chunks: S) -> Result<Received>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let settings = &self.inner.settings;
        let mut writer = self.inner.blobs.writer(settings.max_upload_bytes);
        let mut head: Vec<u8> = Vec::new();
        let mut media_type = None;
        let verify = |head: &[u8]| {
            akte_extract::verify_declared(&header.declared, head, &settings.allowed_media)
                .map_err(|e| CoreError::InvalidArgument(e.to_string()))
        };
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if head.len() < akte_extract::HEAD_LEN {
                let take = (akte_extract::HEAD_LEN - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                // Refuse content of the wrong type as soon as enough is seen.
                if head.len() == akte_extract::HEAD_LEN {
                    media_type = Some(verify(&head)?);
                }
            }
            let before = writer.size();
            writer.write(&chunk).await?;
            // Content beyond the memory budget goes to staging on the data
            // directory's disk: check the reserve for every MiB received.
            if before >> 20 != writer.size() >> 20 {
                self.check_disk_space(0)?;
            }
        }
        if writer.size() == 0 {
            return Err(CoreError::InvalidArgument(
                "the upload has no content".into(),
            ));
        }
        let media_type = match media_type {
            Some(m) => m,
            None => verify(&head)?,
        };
        let staged = writer.finish().await?;
        if let Some(expected) = header.expected {
            if expected != staged.hash() {
                return Err(CoreError::InvalidArgument(format!(
                    "content hashes to {}, not to the expected_sha256 {expected}",
                    staged.hash()
                )));
            }
        }
        Ok(Received { staged, media_type })
    }

    /// The catalog row of a received upload.
    fn new_document(&self, header: ValidHeader, received: &Received) -> Document {
        let now = now_millis();
        let staged = &received.staged;
        let case = header.case;
        let history = case
            .iter()
            .map(|c| CaseMove {
                at: now,
                from: None,
                to: c.case_number.clone(),
                by: AssignedBy::Upload,
                detail: String::new(),
            })
            .collect();
        Document {
            document_id: self.inner.ids.document_id(),
            case_id: case.as_ref().map(|c| c.case_id),
            case_number: case.as_ref().map(|c| c.case_number.clone()),
            site: case.as_ref().map_or(header.inbox_site, |c| c.site.clone()),
            sha256: staged.hash(),
            size_bytes: staged.size(),
            media_type: received.media_type.clone(),
            filename: header.filename,
            title: header.title,
            document_type: header.document_type,
            source: header.source,
            received_at: header.received_at.unwrap_or(now),
            created_at: now,
            index_state: IndexState::Pending,
            index_error: None,
            page_count: 0,
            history,
            routing_note: None,
            transfer_note: header.transfer_note.map(|mut n| {
                n.sha256 = Some(staged.hash());
                n
            }),
        }
    }

    /// Writes the blob durably, then the catalog row (with the blob's
    /// reference count, the case's link and count, and the index queue
    /// entry) in one synced write. Runs as a task of its own: once the
    /// content is received, the client no longer matters, and the commit
    /// finishes even if it goes away, so that a blob is never left
    /// half-committed. The upload's `slot` is held until then, so that the
    /// cap on uploads also bounds commits in progress.
    async fn commit(
        &self,
        doc: Document,
        staged: StagedBlob,
        slot: OwnedSemaphorePermit,
    ) -> Result<Document> {
        let store = self.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let hash = staged.hash();
            store.hold_blob(hash).await;
            let committed = async {
                let new_blob = store.inner.blobs.commit(&staged).await?;
                drop(staged);
                let row = doc.clone();
                let inserted = store
                    .blocking(move |inner| Ok(inner.catalog.insert_document(&row)?))
                    .await?;
                Ok::<_, CoreError>((new_blob, inserted))
            }
            .await;
            store.release_blob(hash).await;
            let (new_blob, inserted) = committed?;
            if let Inserted::Existing(existing) = inserted {
                // The station's same content, stored concurrently.
                return Ok(*existing);
            }
            store.inner.index_wakeup.notify_one();
            tracing::info!(
                document_id = %doc.document_id,
                case_number = %doc.case_number_str(),
                site = %doc.site,
                sha256 = %doc.sha256,
                size = doc.size_bytes,
                new_blob,
                "document stored"
            );
            Ok(doc)
        })
        .await?
    }
}

/// A transfer note as stored: station required, fields bounded, the hash
/// left for the store to set.
fn valid_transfer_note(mut note: TransferNote) -> Result<TransferNote> {
    note.station_id = note.station_id.trim().to_owned();
    if note.station_id.is_empty() {
        return Err(CoreError::InvalidArgument(
            "transfer_note.station_id is required".into(),
        ));
    }
    check_len("transfer_note.station_id", &note.station_id)?;
    check_len("transfer_note.operator", &note.operator)?;
    check_len(
        "transfer_note.post_processing_detail",
        &note.post_processing_detail,
    )?;
    note.sha256 = None;
    Ok(note)
}
