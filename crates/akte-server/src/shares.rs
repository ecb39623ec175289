//! `akte.v1.ShareService`: making, listing and revoking share links. The
//! links themselves are opened by the web interface, not here.

use akte_core::{NewShare, Store};
use akte_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::convert::{self, status_from};
use crate::services::caller;

#[derive(Clone, Debug)]
pub struct ShareApi {
    store: Store,
}

impl ShareApi {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl pb::share_service_server::ShareService for ShareApi {
    async fn create_share(
        &self,
        request: Request<pb::CreateShareRequest>,
    ) -> Result<Response<pb::CreateShareResponse>, Status> {
        let caller = caller(&request, None)?;
        let r = request.into_inner();
        let purpose = convert::share_purpose_in(r.purpose)?;
        let expires_at = r
            .expires_at
            .as_ref()
            .ok_or_else(|| Status::invalid_argument("expires_at is required"))
            .and_then(|t| convert::system_time_in("expires_at", t))?;
        let issued = self
            .store
            .create_share(
                &caller,
                NewShare {
                    case_number: r.case_number,
                    document_ids: r.document_ids,
                    recipient: r.recipient,
                    expires_at,
                    purpose,
                },
            )
            .await
            .map_err(status_from)?;
        let path = issued.path();
        Ok(Response::new(pb::CreateShareResponse {
            share: Some(convert::share(issued.share)),
            token: issued.token,
            path,
        }))
    }

    async fn revoke_share(
        &self,
        request: Request<pb::RevokeShareRequest>,
    ) -> Result<Response<pb::Share>, Status> {
        let caller = caller(&request, None)?;
        let share = self
            .store
            .revoke_share(&caller, &request.into_inner().share_id)
            .await
            .map_err(status_from)?;
        Ok(Response::new(convert::share(share)))
    }

    async fn list_shares(
        &self,
        request: Request<pb::ListSharesRequest>,
    ) -> Result<Response<pb::ListSharesResponse>, Status> {
        let caller = caller(&request, None)?;
        let shares = self
            .store
            .list_shares(&caller, &request.into_inner().case_number)
            .await
            .map_err(status_from)?;
        Ok(Response::new(pb::ListSharesResponse {
            shares: shares.into_iter().map(convert::share).collect(),
        }))
    }
}
