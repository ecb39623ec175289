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
            Poll::Ready(None) => self.pending.record("OK"),
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
        let method = req.uri().path().trim_start_matches('/').to_owned();
        let metrics = Arc::clone(&self.metrics);
        let started = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await?;
            let mut pending = Pending {
                metrics,
                method,
                took: started.elapsed(),
                recorded: false,
            };
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
    fn code_names() {
        assert_eq!(code_name("0"), "OK");
        assert_eq!(code_name("7"), "PERMISSION_DENIED");
        assert_eq!(code_name("x"), "UNKNOWN");
    }
}
