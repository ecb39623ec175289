//! Authentication of every call to the `akte.v1` services: a bearer token
//! or a client certificate the configuration names becomes the call's
//! [`Caller`], found by the services in the request's extensions. Health
//! checking and reflection stay open.

use std::sync::Arc;
use std::task::{Context, Poll};

use akte_core::access::{Caller, Principal};
use akte_core::auth::Authenticator;
use futures::future::BoxFuture;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::Status;

use crate::convert::status_from;

/// Paths that answer without credentials.
fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.") || path.starts_with("/grpc.reflection.")
}

#[derive(Clone)]
pub struct AuthLayer {
    auth: Arc<Authenticator>,
}

impl AuthLayer {
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self { auth }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: Arc::clone(&self.auth),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

/// The client's address and verified certificate names, from the connection.
fn connection(ext: &http::Extensions) -> (String, Vec<String>) {
    if let Some(tls) = ext.get::<TlsConnectInfo<TcpConnectInfo>>() {
        let peer = tls
            .get_ref()
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let names = tls
            .peer_certs()
            .and_then(|certs| certs.first().map(|c| certificate_names(c.as_ref())))
            .unwrap_or_default();
        return (peer, names);
    }
    let peer = ext
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .map(|a| a.to_string())
        .unwrap_or_default();
    (peer, Vec::new())
}

/// A certificate's DNS names and its subject's common names.
fn certificate_names(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    let mut names: Vec<String> = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
        .collect();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(dns) = name {
                names.push((*dns).to_owned());
            }
        }
    }
    names
}

async fn authenticate(
    auth: &Authenticator,
    headers: &http::HeaderMap,
    cert_names: &[String],
) -> Result<Principal, Status> {
    match headers.get(http::header::AUTHORIZATION) {
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| {
                    Status::unauthenticated("the authorization header must be \"Bearer <token>\"")
                })?;
            auth.authenticate(token).await.map_err(status_from)
        }
        None => auth.principal_for_certificate(cert_names).ok_or_else(|| {
            Status::unauthenticated(if cert_names.is_empty() {
                "credentials required: send a bearer token (authorization: Bearer …)"
            } else {
                "this client certificate is not configured for any principal; send a bearer token"
            })
        }),
    }
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // The service that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_open(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        let auth = Arc::clone(&self.auth);
        Box::pin(async move {
            let (peer, names) = connection(req.extensions());
            match authenticate(&auth, req.headers(), &names).await {
                Ok(principal) => {
                    req.extensions_mut().insert(Caller::new(principal, peer));
                    inner.call(req).await
                }
                Err(status) => {
                    tracing::info!(%peer, path = req.uri().path(), reason = status.message(), "call refused: not authenticated");
                    Ok(status.into_http())
                }
            }
        })
    }
}
