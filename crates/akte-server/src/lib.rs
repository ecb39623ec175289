//! The gRPC face of akte: the `akte.v1` services over [`akte_core::Store`]
//! (cases, documents, search, audit, share links), plus health checking and
//! server reflection.

pub mod auth;
mod convert;
mod deadline;
mod metered;
mod reset;
mod services;
mod shares;
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use akte_core::auth::Authenticator;
use akte_core::{Log, Store};
use akte_proto::v1::audit_service_server::AuditServiceServer;
use akte_proto::v1::case_service_server::CaseServiceServer;
use akte_proto::v1::document_service_server::DocumentServiceServer;
use akte_proto::v1::search_service_server::SearchServiceServer;
use akte_proto::v1::share_service_server::ShareServiceServer;
use tokio::net::TcpListener;

pub use convert::status_from;
pub use services::{AuditApi, CaseApi, DocumentApi, SearchApi};
pub use shares::ShareApi;

/// Largest gRPC message accepted (an upload chunk is at most 4 MiB of content).
pub const MAX_MESSAGE_BYTES: usize = 5 * 1024 * 1024;

/// Serves the API on `listener` until `shutdown` completes, with the indexer,
/// the text recognition workers and garbage collection running beside it.
/// With `tls`, connections are accepted over TLS only (see [`tls`]). Every
/// call but health checking and reflection must authenticate with `auth`
/// (see [`auth`]).
pub async fn serve(
    store: Store,
    listener: TcpListener,
    tls: Option<&akte_core::TlsSettings>,
    auth: Arc<Authenticator>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The certificate is read before anything else starts: a bad file is an
    // error at once.
    let tls = tls.map(tls::Tls::new).transpose()?;
    let indexer = store.spawn_indexer();
    let ocr_workers = store.spawn_ocr_workers();
    let gc = store.spawn_gc();
    let scrub = store.spawn_scrub();
    let key_refresh = auth.spawn_key_refresh();
    let checkpoints = [Log::Access, Log::Evidence]
        .map(|log| store.spawn_checkpoints(log, store.checkpoint_interval(log)));

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<DocumentServiceServer<DocumentApi>>()
        .await;
    health_reporter
        .set_serving::<CaseServiceServer<CaseApi>>()
        .await;
    health_reporter
        .set_serving::<SearchServiceServer<SearchApi>>()
        .await;
    health_reporter
        .set_serving::<AuditServiceServer<AuditApi>>()
        .await;
    health_reporter
        .set_serving::<ShareServiceServer<ShareApi>>()
        .await;
    let described = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(akte_proto::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection = described().build_v1()?;
    let reflection_alpha = described().build_v1alpha()?;

    let local: SocketAddr = listener.local_addr()?;
    tracing::info!(address = %local, data_dir = %store.data_dir().display(), "akte serving");
    // Without TCP_NODELAY on accepted connections, every request whose
    // body spans several segments waits for the peer's delayed ACK (40 ms).
    // The server builder's own setting does not apply to a given listener.
    let router = tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .layer(metered::MeteredLayer::new(std::sync::Arc::clone(
            store.metrics(),
        )))
        .layer(tower::util::MapRequestLayer::new(reset::watch_body))
        .layer(auth::AuthLayer::new(auth))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(
            CaseServiceServer::new(CaseApi::new(store.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            DocumentServiceServer::new(DocumentApi::new(store.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(SearchServiceServer::new(SearchApi::new(store.clone())))
        .add_service(AuditServiceServer::new(AuditApi::new(store.clone())))
        .add_service(ShareServiceServer::new(ShareApi::new(store.clone())));
    let result = match &tls {
        Some(tls) => {
            router
                .serve_with_incoming_shutdown(tls.incoming(listener), shutdown)
                .await
        }
        None => {
            let incoming =
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    };
    if let Some(tls) = tls {
        tls.reload.abort();
    }
    indexer.abort();
    for w in ocr_workers {
        w.abort();
    }
    for (log, task) in [Log::Access, Log::Evidence].into_iter().zip(checkpoints) {
        task.abort();
        if let Err(e) = store.write_checkpoint(log).await {
            tracing::warn!(?log, error = %e, "writing a checkpoint at shutdown failed");
        }
    }
    for task in [gc, scrub, key_refresh].into_iter().flatten() {
        task.abort();
    }
    if let Err(e) = store.catalog().flush() {
        tracing::warn!(error = %e, "flushing the catalog at shutdown failed");
    }
    result?;
    Ok(())
}
