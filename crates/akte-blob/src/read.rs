//! Verified reads: the whole blob is hashed while the requested range is
//! streamed, and the last piece is held back until the hash is confirmed.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use akte_types::ContentHash;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt};
use sha2::{Digest, Sha256};

use crate::{BlobError, Result};

/// Reads the whole blob, hashing every byte, and emits the requested range in
/// chunks of at most [`OUT_CHUNK`] bytes. The last chunk is always held back
/// until the end, so that it is sent only once size and hash are confirmed.
pub(crate) struct VerifyState {
    pub(crate) inner: BoxStream<'static, Result<Bytes>>,
    pub(crate) hasher: Sha256,
    pub(crate) pos: u64,
    pub(crate) range: Range<u64>,
    /// Range bytes not yet cut into a chunk.
    pub(crate) pending: BytesMut,
    /// Chunks ready to send; the newest stays until more arrive.
    pub(crate) ready: VecDeque<Bytes>,
    pub(crate) hash: ContentHash,
    pub(crate) size: u64,
    /// Verified: only `ready` remains to be sent.
    pub(crate) verified: bool,
    pub(crate) done: bool,
}

/// Bytes read from a local file per blocking call.
const READ_BLOCK: u64 = 1024 * 1024;

/// The bytes `range` of a local file, read in blocks of [`READ_BLOCK`].
pub(crate) fn file_stream(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, Result<Bytes>> {
    let file = Arc::new(file);
    futures::stream::try_unfold(range, move |range| {
        let file = Arc::clone(&file);
        async move {
            if range.is_empty() {
                return Ok(None);
            }
            let len = (range.end - range.start).min(READ_BLOCK);
            let start = range.start;
            let block = tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
                use std::os::unix::fs::FileExt;
                // `len` is at most READ_BLOCK, which fits in usize.
                let mut buf = vec![0u8; len as usize];
                let mut filled = 0;
                while filled < buf.len() {
                    match file.read_at(&mut buf[filled..], start + filled as u64) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(filled);
                Ok(Bytes::from(buf))
            })
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r)
            .map_err(|e| BlobError::Store {
                op: "read",
                source: object_store::Error::Generic {
                    store: "DurableLocal",
                    source: Box::new(e),
                },
            })?;
            if block.is_empty() {
                // The file is shorter than it was said to be: the size
                // check after the stream reports it.
                return Ok(None);
            }
            let next = start + block.len() as u64..range.end;
            Ok(Some((block, next)))
        }
    })
    .boxed()
}

/// Largest chunk a read emits.
pub const OUT_CHUNK: usize = 256 * 1024;

impl VerifyState {
    pub(crate) async fn next(mut self) -> Option<(Result<Bytes>, Self)> {
        loop {
            if self.done {
                return None;
            }
            if self.ready.len() > 1 || (self.verified && !self.ready.is_empty()) {
                let chunk = self.ready.pop_front()?;
                return Some((Ok(chunk), self));
            }
            if self.verified {
                self.done = true;
                return None;
            }
            match self.inner.next().await {
                Some(Ok(chunk)) => {
                    self.hasher.update(&chunk);
                    let start = self.pos;
                    self.pos += chunk.len() as u64;
                    let lo = self.range.start.max(start);
                    let hi = self.range.end.min(self.pos);
                    if lo < hi {
                        self.pending.extend_from_slice(
                            &chunk[(lo - start) as usize..(hi - start) as usize],
                        );
                    }
                    while self.pending.len() >= OUT_CHUNK {
                        let piece = self.pending.split_to(OUT_CHUNK).freeze();
                        self.ready.push_back(piece);
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some((Err(e), self));
                }
                None => {
                    let actual =
                        ContentHash::from_bytes(std::mem::take(&mut self.hasher).finalize().into());
                    let failure = if self.pos != self.size {
                        Some(BlobError::WrongSize {
                            hash: self.hash,
                            expected: self.size,
                            actual: self.pos,
                        })
                    } else if actual != self.hash {
                        Some(BlobError::Corrupt {
                            expected: self.hash,
                            actual,
                        })
                    } else {
                        None
                    };
                    if let Some(e) = failure {
                        self.done = true;
                        return Some((Err(e), self));
                    }
                    if !self.pending.is_empty() {
                        let rest = self.pending.split().freeze();
                        self.ready.push_back(rest);
                    }
                    self.verified = true;
                }
            }
        }
    }
}
