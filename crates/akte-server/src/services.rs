//! The `akte.v1` service implementations.

use std::pin::Pin;

use akte_core::{CoreError, NewCase, SearchRequest, Store, UploadHeader};
use akte_proto::upload;
use akte_proto::v1 as pb;
use akte_types::{AccessAction, AccessRecord};
use futures::stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::convert::{self, millis, status_from};
use crate::deadline;
use crate::reset::BodyBroken;

fn remote(req: &Request<impl Sized>) -> String {
    req.remote_addr().map(|a| a.to_string()).unwrap_or_default()
}

/// Logs a read of social data; the read is refused if that fails.
async fn log_read(
    store: &Store,
    action: AccessAction,
    peer: String,
    case_number: Option<String>,
    document_id: Option<String>,
    detail: String,
) -> Result<(), Status> {
    store
        .log_access(AccessRecord {
            at: 0,
            action,
            principal: None,
            peer,
            case_number,
            document_id,
            detail,
        })
        .await
        .map_err(status_from)
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
        let r = request.into_inner();
        let view = self
            .store
            .create_case(NewCase {
                case_number: r.case_number,
                title: r.title,
                site: r.site,
                team: r.team,
                parties: r.parties,
            })
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::case(view)))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let peer = remote(&request);
        let view = match request.into_inner().key {
            Some(pb::get_case_request::Key::CaseId(id)) => self.store.get_case_by_id(&id).await,
            Some(pb::get_case_request::Key::CaseNumber(n)) => {
                self.store.get_case_by_number(&n).await
            }
            None => Err(CoreError::InvalidArgument(
                "case_id or case_number is required".into(),
            )),
        }
        .map_err(status_from)?;
        let number = view.case.case_number.to_string();
        log_read(
            &self.store,
            AccessAction::GetCase,
            peer,
            Some(number),
            None,
            String::new(),
        )
        .await?;
        Ok(Response::new(convert::case(view)))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let r = request.into_inner();
        let (cases, next_page_token) = self
            .store
            .list_cases(&r.site, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListCasesResponse {
            cases: cases.into_iter().map(convert::case).collect(),
            next_page_token,
        }))
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
        let peer = remote(&request);
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
        let peer = remote(&request);
        let deadline = deadline::of(request.metadata());
        let r = request.into_inner();
        let (doc, bytes) = self
            .store
            .download(&r.document_id, r.offset, r.length)
            .await
            .map_err(status_from)?;
        log_read(
            &self.store,
            AccessAction::DownloadDocument,
            peer,
            doc.case_number.as_ref().map(ToString::to_string),
            Some(doc.document_id.to_string()),
            match (r.offset, r.length) {
                (None, None) => String::new(),
                (o, l) => format!(
                    "range offset={} length={}",
                    o.unwrap_or(0),
                    l.map_or("end".into(), |l| l.to_string())
                ),
            },
        )
        .await?;
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
        let peer = remote(&request);
        let doc = self
            .store
            .get_document(&request.into_inner().document_id)
            .await
            .map_err(status_from)?;
        log_read(
            &self.store,
            AccessAction::GetDocument,
            peer,
            doc.case_number.as_ref().map(ToString::to_string),
            Some(doc.document_id.to_string()),
            String::new(),
        )
        .await?;
        Ok(Response::new(convert::document(doc)))
    }

    async fn list_case_documents(
        &self,
        request: Request<pb::ListCaseDocumentsRequest>,
    ) -> Result<Response<pb::ListCaseDocumentsResponse>, Status> {
        let peer = remote(&request);
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
            .list_case_documents(id, number, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        let case_number = page
            .documents
            .first()
            .and_then(|d| d.case_number.as_ref())
            .map(ToString::to_string);
        log_read(
            &self.store,
            AccessAction::ListCaseDocuments,
            peer,
            case_number.or_else(|| number.map(str::to_owned)),
            None,
            format!("{} documents", page.documents.len()),
        )
        .await?;
        Ok(Response::new(pb::ListCaseDocumentsResponse {
            documents: page.documents.into_iter().map(convert::document).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn list_inbox(
        &self,
        request: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        let peer = remote(&request);
        let r = request.into_inner();
        let page = self
            .store
            .list_inbox(&r.site, r.page_size as usize, &r.page_token)
            .await
            .map_err(status_from)?;
        let shown: Vec<String> = page
            .documents
            .iter()
            .map(|d| d.document_id.to_string())
            .collect();
        log_read(
            &self.store,
            AccessAction::ListInbox,
            peer,
            None,
            None,
            format!("site={:?} shown={}", r.site.trim(), shown.join(",")),
        )
        .await?;
        Ok(Response::new(pb::ListInboxResponse {
            documents: page.documents.into_iter().map(convert::document).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn assign_document(
        &self,
        request: Request<pb::AssignDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let peer = remote(&request);
        let r = request.into_inner();
        let doc = self
            .store
            .assign_document(&r.document_id, &r.case_number, &r.note)
            .await
            .map_err(status_from)?;
        log_read(
            &self.store,
            AccessAction::AssignDocument,
            peer,
            doc.case_number.as_ref().map(ToString::to_string),
            Some(doc.document_id.to_string()),
            r.note,
        )
        .await?;
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
        let peer = remote(&request);
        let r = request.into_inner();
        let detail = format!(
            "query={:?} case_number={:?} site={:?} document_type={:?}",
            r.query, r.case_number, r.site, r.document_type
        );
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
            .search(SearchRequest {
                query: r.query,
                case_number: Some(r.case_number),
                site: Some(r.site),
                document_type: Some(r.document_type),
                received_from,
                received_to,
                limit: r.limit as usize,
                page_token: r.page_token,
            })
            .await
            .map_err(status_from)?;
        let shown: Vec<String> = page
            .hits
            .iter()
            .map(|h| h.document.document_id.to_string())
            .collect();
        log_read(
            &self.store,
            AccessAction::Search,
            peer,
            None,
            None,
            format!(
                "{detail} total_hits={} shown={}",
                page.total_hits,
                shown.join(",")
            ),
        )
        .await?;
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
