//! Key encodings of the column families.

use akte_types::{CaseId, CaseNumber, ContentHash, Document, DocumentId};

pub(crate) fn blob_counter_key(hash: &ContentHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(b'b');
    k.extend_from_slice(hash.as_bytes());
    k
}

pub(crate) fn case_counter_key(id: CaseId) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(b'c');
    k.extend_from_slice(&id.to_bytes());
    k
}

pub(crate) fn site_case_key(site: &str, number: &CaseNumber) -> Vec<u8> {
    let mut k = Vec::with_capacity(site.len() + 1 + number.as_str().len());
    k.extend_from_slice(site.as_bytes());
    k.push(0);
    k.extend_from_slice(number.as_str().as_bytes());
    k
}

pub(crate) fn inbox_key(site: &str, doc: DocumentId) -> Vec<u8> {
    let mut k = Vec::with_capacity(site.len() + 17);
    k.extend_from_slice(site.as_bytes());
    k.push(0);
    k.extend_from_slice(&doc.to_bytes());
    k
}

pub(crate) fn station_key(station: &str, hash: &ContentHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(station.len() + 33);
    k.extend_from_slice(station.as_bytes());
    k.push(0);
    k.extend_from_slice(hash.as_bytes());
    k
}

/// The station that scanned a document, if it came with a transfer note.
pub(crate) fn station_of(doc: &Document) -> Option<&str> {
    doc.transfer_note
        .as_ref()
        .map(|n| n.station_id.as_str())
        .filter(|s| !s.is_empty())
}

pub(crate) fn case_document_key(case: CaseId, doc: DocumentId) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(&case.to_bytes());
    for (dst, src) in k[16..].iter_mut().zip(doc.to_bytes()) {
        *dst = !src;
    }
    k
}

pub(crate) fn document_from_case_key(key: &[u8]) -> Option<DocumentId> {
    let inverted = key.get(16..32)?;
    let mut bytes = [0u8; 16];
    for (dst, src) in bytes.iter_mut().zip(inverted) {
        *dst = !src;
    }
    Some(DocumentId::from_bytes(bytes))
}
