//! Counting gRPC calls for `/metrics`: by method and status code, with the
//! time to the response's headers. The code is read from the headers of a
//! trailers-only answer (errors), else from the trailers at the end of the
//! body; a body dropped before its trailers counts as CANCELLED.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use akte_core::metrics::Metrics;
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};

#[derive(Clone)]
pub struct MeteredLayer {
    metrics: Arc<Metrics>,
}

impl MeteredLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for MeteredLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

#[derive(Clone)]
pub struct Metered<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// The methods this server offers ("akte.v1.CaseService/GetCase", ...);
/// anything else is counted as "unknown", so that made-up paths do not
/// make new series.
fn known_methods() -> &'static std::collections::HashSet<String> {
    static KNOWN: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        use prost::Message;
        let mut known = std::collections::HashSet::new();
        for set in [
            akte_proto::v1::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    for method in service.method {
                        known.insert(format!(
                            "{package}.{}/{}",
                            service.name.as_deref().unwrap_or(""),
                            method.name.unwrap_or_default()
                        ));
                    }
                }
            }
        }
        for reflection in ["v1", "v1alpha"] {
            known.insert(format!(
                "grpc.reflection.{reflection}.ServerReflection/ServerReflectionInfo"
            ));
        }
        known
    })
}

fn method_label(path: &str) -> String {
    let method = path.trim_start_matches('/');
    if known_methods().contains(method) {
        method.to_owned()
    } else {
        "unknown".to_owned()
    }
}

/// The name of a gRPC status code as its number is sent.
fn code_name(code: &str) -> &'static str {
    let n: i32 = code.trim().parse().unwrap_or(2);
    match tonic::Code::from(n) {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Records the call once: when its code is known, or when it is dropped.
struct Pending {
    metrics: Arc<Metrics>,
    method: String,
    took: Duration,
    recorded: bool,
}

impl Pending {
    fn record(&mut self, code: &str) {
        if !self.recorded {
            self.recorded = true;
            self.metrics.request("grpc", &self.method, code, self.took);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.record("CANCELLED");
    }
}

struct MeteredBody {
    inner: tonic::body::Body,
    pending: Pending,
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame
                    .trailers_ref()
                    .and_then(|t| t.get("grpc-status"))
                    .and_then(|v| v.to_str().ok())
                {
                    let name = code_name(code);
                    self.pending.record(name);
                }
            }
            Poll::Ready(Some(Err(_))) => self.pending.record("INTERNAL"),
            // A body that ends without a status is not a proper answer.
            Poll::Ready(None) => self.pending.record("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<S, B> tower::Service<http::Request<B>> for Metered<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = method_label(req.uri().path());
        let started = Instant::now();
        // Dropped before the answer (the client went away): CANCELLED.
        let mut pending = Pending {
            metrics: Arc::clone(&self.metrics),
            method,
            took: Duration::ZERO,
            recorded: false,
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = match fut.await {
                Ok(res) => res,
                Err(e) => {
                    pending.took = started.elapsed();
                    pending.record("INTERNAL");
                    return Err(e);
                }
            };
            pending.took = started.elapsed();
            if let Some(code) = res
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
            {
                pending.record(code_name(code));
            }
            let (parts, body) = res.into_parts();
            Ok(http::Response::from_parts(
                parts,
                tonic::body::Body::new(MeteredBody {
                    inner: body,
                    pending,
                }),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_methods_are_named() {
        assert_eq!(
            method_label("/akte.v1.CaseService/GetCase"),
            "akte.v1.CaseService/GetCase"
        );
        assert_eq!(
            method_label("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
        assert_eq!(method_label("/akte.v1.CaseService/Erfunden"), "unknown");
        assert_eq!(method_label("/x"), "unknown");
    }

    #[test]
    fn code_names() {
        assert_eq!(code_name("0"), "OK");
        assert_eq!(code_name("7"), "PERMISSION_DENIED");
        assert_eq!(code_name("x"), "UNKNOWN");
    }
}
