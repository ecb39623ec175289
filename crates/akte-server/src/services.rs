//! The `akte.v1` service implementations.

use std::pin::Pin;

use akte_core::access::{Caller, Reason};
use akte_core::{AccessFilter, CoreError, NewCase, SearchRequest, Store, UploadHeader};
use akte_proto::upload;
use akte_proto::v1 as pb;
use futures::stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::convert::{self, millis, status_from};
use crate::deadline;
use crate::reset::BodyBroken;

/// The authenticated caller of a request (see [`crate::auth`]), with the
/// reason it states.
pub(crate) fn caller<T>(
    req: &Request<T>,
    reason: Option<&pb::AccessReason>,
) -> Result<Caller, Status> {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("credentials required"))?;
    let reason = match reason {
        Some(r) => Reason::parse(&r.code, &r.text).map_err(status_from)?,
        None => None,
    };
    Ok(caller.with_reason(reason))
}

#[derive(Clone, Debug)]
pub struct CaseApi {
    store: Store,
}

impl CaseApi {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl pb::case_service_server::CaseService for CaseApi {
    async fn create_case(
        &self,
        request: Request<pb::CreateCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let view = self
            .store
            .create_case(
                &caller,
                NewCase {
                    case_number: r.case_number,
                    title: r.title,
                    site: r.site,
                    team: r.team,
                    parties: r.parties,
                    restricted_to: r.restricted_to,
                },
            )
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::case(view)))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let view = match request.into_inner().key {
            Some(pb::get_case_request::Key::CaseId(id)) => {
                self.store.get_case_by_id(&caller, &id).await
            }
            Some(pb::get_case_request::Key::CaseNumber(n)) => {
                self.store.get_case_by_number(&caller, &n).await
            }
            None => Err(CoreError::InvalidArgument(
                "case_id or case_number is required".into(),
            )),
        }
        .map_err(status_from)?;
        Ok(Response::new(convert::case(view)))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let r = request.into_inner();
        let (cases, next_page_token) = self
            .store
            .list_cases(&caller, &r.site, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListCasesResponse {
            cases: cases.into_iter().map(convert::case).collect(),
            next_page_token,
        }))
    }

    async fn update_case_status(
        &self,
        request: Request<pb::UpdateCaseStatusRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let status = convert::case_status_in(r.status)?;
        let view = self
            .store
            .update_case_status(
                &caller,
                &r.case_number,
                status,
                &r.note_public,
                &r.note_internal,
            )
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::case(view)))
    }

    async fn get_case_timeline(
        &self,
        request: Request<pb::GetCaseTimelineRequest>,
    ) -> Result<Response<pb::GetCaseTimelineResponse>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let events = self
            .store
            .case_timeline(&caller, &request.into_inner().case_number)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::GetCaseTimelineResponse {
            events: events.into_iter().map(convert::timeline_event).collect(),
        }))
    }

    async fn restrict_case(
        &self,
        request: Request<pb::RestrictCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let view = self
            .store
            .restrict_case(&caller, &r.case_number, Some(r.restricted_to))
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::case(view)))
    }
}

#[derive(Clone, Debug)]
pub struct DocumentApi {
    store: Store,
}

impl DocumentApi {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

type DownloadStream =
    Pin<Box<dyn Stream<Item = Result<pb::DownloadDocumentResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::document_service_server::DocumentService for DocumentApi {
    async fn upload_document(
        &self,
        request: Request<Streaming<pb::UploadDocumentRequest>>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = caller(&request, None)?;
        let peer = caller.peer.clone();
        let broken = request
            .extensions()
            .get::<BodyBroken>()
            .cloned()
            .unwrap_or_default();
        let mut stream = request.into_inner();
        let first = stream.message().await?;
        let header = upload::header(first).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let received_at = header
            .received_at
            .as_ref()
            .map(|t| millis("received_at", t))
            .transpose()?;
        let transfer_note = header
            .transfer_note
            .map(convert::transfer_note_in)
            .transpose()?;
        let chunks = stream.map(|msg| match msg {
            Ok(msg) => upload::chunk(msg).map_err(|e| CoreError::InvalidArgument(e.to_string())),
            Err(status) => Err(match status.code() {
                tonic::Code::OutOfRange | tonic::Code::ResourceExhausted => {
                    CoreError::ResourceExhausted(format!(
                        "a message of the upload is too large (chunks of at most 4 MiB): {}",
                        status.message()
                    ))
                }
                tonic::Code::InvalidArgument => {
                    CoreError::InvalidArgument(status.message().to_owned())
                }
                // Reset stream, broken connection, undecodable body.
                _ => CoreError::Cancelled(status.message().to_owned()),
            }),
        });
        // A reset stream ends like a finished one (see `reset`): refuse it.
        let end_check = futures::stream::once(async move {
            if broken.is_set() {
                Some(Err(CoreError::Cancelled(
                    "the client reset the stream".into(),
                )))
            } else {
                None
            }
        })
        .filter_map(futures::future::ready);
        let chunks = chunks.chain(end_check);
        let doc = self
            .store
            .upload(
                &caller,
                UploadHeader {
                    case_number: header.case_number,
                    site: header.site,
                    transfer_note,
                    title: header.title,
                    document_type: header.document_type,
                    media_type: header.media_type,
                    filename: header.filename,
                    source: header.source,
                    received_at,
                    expected_sha256: header.expected_sha256,
                },
                chunks,
            )
            .await
            .map_err(|e| {
                tracing::info!(%peer, error = %e, "upload refused");
                status_from(e)
            })?;
        Ok(Response::new(convert::document(doc)))
    }

    type DownloadDocumentStream = DownloadStream;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Result<Response<DownloadStream>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let deadline = deadline::of(request.metadata());
        let r = request.into_inner();
        let (doc, bytes) = self
            .store
            .download(&caller, &r.document_id, r.offset, r.length)
            .await
            .map_err(status_from)?;
        let first = pb::DownloadDocumentResponse {
            payload: Some(pb::download_document_response::Payload::Document(
                convert::document(doc),
            )),
        };
        let chunks = bytes.map(|chunk| {
            chunk
                .map(|b| pb::DownloadDocumentResponse {
                    payload: Some(pb::download_document_response::Payload::Chunk(b)),
                })
                .map_err(status_from)
        });
        let stream = futures::stream::once(async move { Ok(first) }).chain(chunks);
        Ok(Response::new(deadline::bounded(stream, deadline)))
    }

    async fn get_document(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let doc = self
            .store
            .get_document(&caller, &request.into_inner().document_id)
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::document(doc)))
    }

    async fn get_document_evidence(
        &self,
        request: Request<pb::GetDocumentEvidenceRequest>,
    ) -> Result<Response<pb::DocumentEvidence>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let evidence = self
            .store
            .document_evidence(&caller, &request.into_inner().document_id)
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::document_evidence(evidence)))
    }

    async fn list_case_documents(
        &self,
        request: Request<pb::ListCaseDocumentsRequest>,
    ) -> Result<Response<pb::ListCaseDocumentsResponse>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let r = request.into_inner();
        let (id, number) = match &r.case_key {
            Some(pb::list_case_documents_request::CaseKey::CaseId(id)) => (Some(id.as_str()), None),
            Some(pb::list_case_documents_request::CaseKey::CaseNumber(n)) => {
                (None, Some(n.as_str()))
            }
            None => (None, None),
        };
        let page = self
            .store
            .list_case_documents(&caller, id, number, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListCaseDocumentsResponse {
            documents: page.documents.into_iter().map(convert::document).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn list_inbox(
        &self,
        request: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let page = self
            .store
            .list_inbox(&caller, &r.site, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListInboxResponse {
            documents: page.documents.into_iter().map(convert::document).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn assign_document(
        &self,
        request: Request<pb::AssignDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let doc = self
            .store
            .assign_document(&caller, &r.document_id, &r.case_number, &r.note)
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::document(doc)))
    }
}

#[derive(Clone, Debug)]
pub struct SearchApi {
    store: Store,
}

impl SearchApi {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl pb::search_service_server::SearchService for SearchApi {
    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let caller = caller(&request, request.get_ref().reason.as_ref())?;
        let r = request.into_inner();
        let received_from = r
            .received_from
            .as_ref()
            .map(|t| millis("received_from", t))
            .transpose()?;
        let received_to = r
            .received_to
            .as_ref()
            .map(|t| millis("received_to", t))
            .transpose()?;
        let page = self
            .store
            .search(
                &caller,
                SearchRequest {
                    query: r.query,
                    case_number: Some(r.case_number),
                    site: Some(r.site),
                    document_type: Some(r.document_type),
                    received_from,
                    received_to,
                    limit: r.limit as usize,
                    page_token: r.page_token,
                },
            )
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::SearchResponse {
            hits: page
                .hits
                .into_iter()
                .map(|h| pb::SearchHit {
                    case_number: h.document.case_number_str().to_owned(),
                    document: Some(convert::document(h.document)),
                    score: h.score,
                    snippet: h.snippet,
                    pages: h.pages,
                })
                .collect(),
            total_hits: page.total_hits,
            next_page_token: page.next_page_token,
        }))
    }
}

#[derive(Clone, Debug)]
pub struct AuditApi {
    store: Store,
}

impl AuditApi {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for AuditApi {
    async fn list_access_records(
        &self,
        request: Request<pb::ListAccessRecordsRequest>,
    ) -> Result<Response<pb::ListAccessRecordsResponse>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let nonempty = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let filter = AccessFilter {
            case_number: nonempty(r.case_number),
            principal: nonempty(r.principal),
            from: r.from.as_ref().map(|t| millis("from", t)).transpose()?,
            to: r.to.as_ref().map(|t| millis("to", t)).transpose()?,
            limit: r.limit as usize,
        };
        let records = self
            .store
            .access_records(&caller, filter)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListAccessRecordsResponse {
            records: records.into_iter().map(convert::access_record).collect(),
        }))
    }

    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::Checkpoint>, Status> {
        let caller = caller(&request, None)?;
        let c = self
            .store
            .latest_checkpoint(&caller)
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::checkpoint(
            c,
            akte_core::Log::Access,
            self.store.checkpoint_public_key(),
        )))
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let p = self
            .store
            .inclusion_proof(&caller, r.seq, r.tree_size)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::InclusionProof {
            seq: p.seq,
            tree_size: p.tree_size,
            root: p.root.to_vec().into(),
            path: p.path.iter().map(|h| h.to_vec().into()).collect(),
            record: p.record.into(),
        }))
    }

    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let (second, first_root, second_root, proof) = self
            .store
            .consistency_proof(&caller, r.first, r.second)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ConsistencyProof {
            first: r.first,
            second,
            first_root: first_root.to_vec().into(),
            second_root: second_root.to_vec().into(),
            proof: proof.iter().map(|h| h.to_vec().into()).collect(),
        }))
    }
}
