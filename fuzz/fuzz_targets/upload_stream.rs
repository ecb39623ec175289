//! Decoding of upload streams: any sequence of (length-delimited) messages,
//! header and chunks in any order, is taken apart without panic, and only a
//! header followed by chunks is accepted.
#![no_main]

use akte_proto::upload;
use akte_proto::v1::UploadDocumentRequest;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let mut buf = data;
    let mut messages = Vec::new();
    while !buf.is_empty() && messages.len() < 256 {
        match UploadDocumentRequest::decode_length_delimited(&mut buf) {
            Ok(m) => messages.push(m),
            Err(_) => break,
        }
    }
    let mut rest = messages.into_iter();
    if upload::header(rest.next()).is_ok() {
        let mut content = 0usize;
        for m in rest {
            match upload::chunk(m) {
                Ok(b) => content += b.len(),
                Err(_) => break,
            }
        }
        assert!(content <= data.len());
    }
});
