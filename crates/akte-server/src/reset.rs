//! Telling a reset request stream from a finished one.
//!
//! When a client cancels a client-streaming call, it resets the HTTP/2 stream
//! (RST_STREAM CANCEL). tonic's server-side decoder reports that as a normal
//! end of the message stream, which would make a cancelled upload look
//! complete. This layer watches the request body below tonic and records
//! whether it ended in an error; the upload checks that mark before it
//! accepts the end of its stream.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Set when the request body ended with an error (reset, broken connection).
#[derive(Clone, Debug, Default)]
pub struct BodyBroken(Arc<AtomicBool>);

impl BodyBroken {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

struct Watched {
    inner: tonic::body::Body,
    broken: BodyBroken,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Err(_))) = &polled {
            self.broken.0.store(true, Ordering::SeqCst);
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

/// Wraps the request body and puts its [`BodyBroken`] mark into the request's
/// extensions (where tonic hands it on to the service).
pub fn watch_body(req: http::Request<tonic::body::Body>) -> http::Request<tonic::body::Body> {
    let (mut parts, body) = req.into_parts();
    let broken = BodyBroken::default();
    parts.extensions.insert(broken.clone());
    http::Request::from_parts(
        parts,
        tonic::body::Body::new(Watched {
            inner: body,
            broken,
        }),
    )
}
