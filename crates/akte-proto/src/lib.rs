//! Generated types and service stubs of the `akte.v1` gRPC API (proto/akte/v1).

#![allow(clippy::all, clippy::pedantic, clippy::unwrap_used, missing_docs)]

pub mod v1 {
    tonic::include_proto!("akte.v1");

    /// Encoded `FileDescriptorSet` of the API, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("akte_v1_descriptor");
}

/// The rules of an upload stream, apart from transport: the first message
/// carries the header, every further message a chunk of the content.
pub mod upload {
    use crate::v1::upload_document_request::Payload;
    use crate::v1::{DocumentHeader, UploadDocumentRequest};

    /// A message out of place, with the message a client is shown.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum SequenceError {
        Empty,
        ChunkFirst,
        EmptyFirst,
        HeaderTwice,
        EmptyMessage,
    }

    impl std::fmt::Display for SequenceError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(match self {
                Self::Empty => "empty upload: the first message must carry the header",
                Self::ChunkFirst => {
                    "header missing: the first message must carry the header, not a chunk"
                }
                Self::EmptyFirst => "the first message carries neither header nor chunk",
                Self::HeaderTwice => {
                    "header sent twice: only the first message may carry the header"
                }
                Self::EmptyMessage => "a message carries neither header nor chunk",
            })
        }
    }

    impl std::error::Error for SequenceError {}

    /// The header, from the first message of an upload (`None`: no message).
    pub fn header(first: Option<UploadDocumentRequest>) -> Result<DocumentHeader, SequenceError> {
        match first.map(|m| m.payload) {
            None => Err(SequenceError::Empty),
            Some(Some(Payload::Header(h))) => Ok(h),
            Some(Some(Payload::Chunk(_))) => Err(SequenceError::ChunkFirst),
            Some(None) => Err(SequenceError::EmptyFirst),
        }
    }

    /// The content of a message after the first.
    pub fn chunk(msg: UploadDocumentRequest) -> Result<bytes::Bytes, SequenceError> {
        match msg.payload {
            Some(Payload::Chunk(b)) => Ok(b),
            Some(Payload::Header(_)) => Err(SequenceError::HeaderTwice),
            None => Err(SequenceError::EmptyMessage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::upload::{self, SequenceError};
    use super::v1::upload_document_request::Payload;
    use super::v1::{DocumentHeader, UploadDocumentRequest};

    fn msg(p: Option<Payload>) -> UploadDocumentRequest {
        UploadDocumentRequest { payload: p }
    }

    #[test]
    fn header_first_then_chunks() {
        let h = Some(Payload::Header(DocumentHeader::default()));
        let c = Some(Payload::Chunk(bytes::Bytes::from_static(b"x")));
        assert!(upload::header(Some(msg(h.clone()))).is_ok());
        assert_eq!(upload::header(None), Err(SequenceError::Empty));
        assert_eq!(
            upload::header(Some(msg(c.clone()))),
            Err(SequenceError::ChunkFirst)
        );
        assert_eq!(
            upload::header(Some(msg(None))),
            Err(SequenceError::EmptyFirst)
        );
        assert_eq!(upload::chunk(msg(c)).unwrap().as_ref(), b"x");
        assert_eq!(upload::chunk(msg(h)), Err(SequenceError::HeaderTwice));
        assert_eq!(upload::chunk(msg(None)), Err(SequenceError::EmptyMessage));
        assert!(SequenceError::HeaderTwice.to_string().contains("twice"));
    }
}
