//! Encoding of stored values: the version byte of the record's kind, then
//! the record. Each kind has its own version, so that one kind's encoding can
//! change without touching the others, and each kind's decoder names every
//! version it reads. A value of an unknown version, a damaged one, and a
//! counter or merge operand that does not decode are errors, never a default.

use akte_types::{
    AccessRecord, Case, Document, DocumentText, EvidenceLeaf, ShareRecord, TimelineEvent,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{CatalogError, Result};

/// A kind of record kept in the catalog.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// The column family it is kept in (named in errors).
    const CF: &'static str;
    /// The version this build writes.
    const VERSION: u8;

    /// Decodes the body of a value written with `version`; versions before
    /// [`Record::VERSION`] are converted here when their encoding changes.
    fn decode_version(version: u8, body: &[u8]) -> Result<Self> {
        match version {
            // JSON, as written since the first release.
            1 => json(body, Self::CF),
            v => Err(corrupt(Self::CF, format!("unknown value version {v}"))),
        }
    }
}

/// Each kind of record with its column family and the version written.
macro_rules! records {
    ($($kind:ty => $cf:expr, $version:literal;)*) => {
        $(
            impl Record for $kind {
                const CF: &'static str = $cf;
                const VERSION: u8 = $version;
            }
        )*
    };
}

records! {
    Case => crate::CF_CASES, 1;
    Document => crate::CF_DOCUMENTS, 1;
    DocumentText => crate::CF_TEXTS, 1;
    AccessRecord => crate::CF_AUDIT, 1;
    TimelineEvent => crate::CF_TIMELINE, 1;
    ShareRecord => crate::CF_SHARES, 1;
    EvidenceLeaf => crate::CF_EVIDENCE, 1;
    // The catalog's identity in `meta`.
    String => crate::CF_META, 1;
}

fn corrupt(cf: &'static str, reason: impl Into<String>) -> CatalogError {
    CatalogError::Corrupt {
        cf,
        reason: reason.into(),
    }
}

fn json<T: DeserializeOwned>(body: &[u8], cf: &'static str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| corrupt(cf, e.to_string()))
}

pub(crate) fn encode<T: Record>(value: &T) -> Vec<u8> {
    let mut out = vec![T::VERSION];
    // Records are plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_writer(&mut out, value).expect("records serialise");
    out
}

pub(crate) fn decode<T: Record>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&version, body)) => T::decode_version(version, body),
        None => Err(corrupt(T::CF, "empty value")),
    }
}

pub(crate) fn decode_u64(bytes: &[u8], cf: &'static str) -> Result<u64> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| corrupt(cf, "key is not 8 bytes"))
}

/// Version of the counter encoding: the version byte, then an i64,
/// little-endian.
pub(crate) const COUNTER_VERSION: u8 = 1;

pub(crate) fn encode_counter(n: i64) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[0] = COUNTER_VERSION;
    out[1..].copy_from_slice(&n.to_le_bytes());
    out
}

fn counter_value(bytes: &[u8]) -> Option<i64> {
    match bytes {
        [COUNTER_VERSION, rest @ ..] => <[u8; 8]>::try_from(rest).ok().map(i64::from_le_bytes),
        _ => None,
    }
}

pub(crate) fn decode_counter(bytes: &[u8]) -> Result<i64> {
    counter_value(bytes).ok_or_else(|| {
        corrupt(
            crate::CF_COUNTERS,
            if bytes == POISONED {
                "counter was damaged by an undecodable value or operand"
            } else {
                "counter is not a versioned i64"
            },
        )
    })
}

/// The value a counter gets when a merge meets a value or operand that does
/// not decode, or its sum overflows: no counter version has it, so every
/// read of the key fails, and later merges keep it.
const POISONED: [u8; 1] = [0xFF];

/// Associative merge: the sum of the existing counter and all operands.
///
/// A value or operand that does not decode, or a sum that overflows, makes
/// the counter [`POISONED`]: reads of that key fail loudly instead of
/// counting it as 0, which would let garbage collection delete a blob that
/// rows still reference. (Failing the merge itself would stop RocksDB's
/// flushes and compactions, and with them every write of the catalog.)
pub(crate) fn merge_add(
    key: &[u8],
    existing: Option<&[u8]>,
    operands: &rocksdb::MergeOperands,
) -> Option<Vec<u8>> {
    let poisoned = |what: &str| {
        tracing::error!(key = ?key, "{what}: counter marked damaged");
        Some(POISONED.to_vec())
    };
    let mut sum = match existing.map(counter_value) {
        Some(Some(n)) => n,
        Some(None) => return poisoned("undecodable counter value"),
        None => 0,
    };
    for op in operands.iter() {
        let Some(n) = counter_value(op) else {
            return poisoned("undecodable counter operand");
        };
        let Some(next) = sum.checked_add(n) else {
            return poisoned("counter overflow");
        };
        sum = next;
    }
    Some(encode_counter(sum).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use akte_types::{AccessAction, CaseNumber, ContentHash, IndexState};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counter_round_trip(n in any::<i64>()) {
            prop_assert_eq!(decode_counter(&encode_counter(n)).unwrap(), n);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode::<Case>(&bytes);
            let _ = decode::<Document>(&bytes);
            let _ = decode::<ShareRecord>(&bytes);
            let _ = decode::<EvidenceLeaf>(&bytes);
            let _ = decode_counter(&bytes);
        }
    }

    #[test]
    fn unknown_version_is_corrupt() {
        let mut v = encode(&"x".to_owned());
        v[0] = 9;
        assert!(matches!(
            decode::<String>(&v),
            Err(CatalogError::Corrupt { .. })
        ));
        assert!(decode::<String>(&[]).is_err());
    }

    #[test]
    fn bad_counters_are_errors_not_zero() {
        assert!(decode_counter(&[COUNTER_VERSION, 1, 2]).is_err());
        assert!(decode_counter(&[9, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode_counter(&[]).is_err());
    }

    // Values as the previous build wrote them (version 1 of every kind):
    // they must keep decoding to the same records, whatever this build
    // writes. A kind whose encoding changes gets a new version and keeps its
    // version-1 arm in `decode_version`; these bytes stay as they are.
    const CASE_V1: &str = r#"{"case_id":"01JD3X0Z8K5S6W7Y8Z9A0B1C2D","case_number":"12345BG0012345","title":"Familie Mustermann","site":"Nord","team":null,"parties":["Erika Mustermann"],"created_at":1732350000000}"#;
    const DOCUMENT_V1: &str = r#"{"document_id":"01JD3X1A0000000000000000AA","case_id":"01JD3X0Z8K5S6W7Y8Z9A0B1C2D","case_number":"12345BG0012345","site":"Nord","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","size_bytes":4,"media_type":"text/plain","filename":"notiz.txt","title":"Notiz","document_type":"Antrag","source":"test","received_at":1732350000001,"created_at":1732350000002,"index_state":"indexed","index_error":null}"#;
    const TEXT_V1: &str = r#"{"pages":["Seite eins","Seite zwei"]}"#;
    const ACCESS_V1: &str = r#"{"at":1732350000003,"action":"download_document","peer":"127.0.0.1:4711","case_number":"12345BG0012345","document_id":"01JD3X1A0000000000000000AA","detail":""}"#;
    // A share link as first written: revoked, so every field is there.
    const SHARE_V1: &str = r#"{"share_id":"01JD3X2B0000000000000000SH","case_id":"01JD3X0Z8K5S6W7Y8Z9A0B1C2D","case_number":"12345BG0012345","purpose":"documents","document_ids":["01JD3X1A0000000000000000AA"],"recipient":"Bäckerei Schmidt GmbH","created_by":"caseworker:anna","created_at":1732350000004,"expires_at":1733559600000,"revoked_at":1732360000000,"revoked_by":"caseworker:anna"}"#;
    const EVIDENCE_V1: &str = r#"{"document_id":"01JD3X1A0000000000000000AA","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","size_bytes":4,"created_at":1732350000002}"#;
    const STATUS_SHARE_V1: &str = r#"{"share_id":"01JD3X2C0000000000000000ST","case_id":"01JD3X0Z8K5S6W7Y8Z9A0B1C2D","case_number":"12345BG0012345","purpose":"status","document_ids":[],"recipient":"Erika Mustermann","created_by":"admin:root","created_at":1732350000005,"expires_at":1733559600000}"#;

    fn v1(json: &str) -> Vec<u8> {
        let mut v = vec![1];
        v.extend_from_slice(json.as_bytes());
        v
    }

    #[test]
    fn values_of_the_previous_version_decode() {
        let case: Case = decode(&v1(CASE_V1)).unwrap();
        assert_eq!(
            case.case_number,
            CaseNumber::from_stored("12345BG0012345".into())
        );
        assert_eq!(case.parties, ["Erika Mustermann"]);

        // A row from before history, routing and transfer notes existed.
        let doc: Document = decode(&v1(DOCUMENT_V1)).unwrap();
        assert_eq!(doc.sha256, ContentHash::of(b"test"));
        assert_eq!(doc.index_state, IndexState::Indexed);
        assert!(doc.history.is_empty());
        assert_eq!(doc.transfer_note, None);
        assert_eq!(doc.page_count, 0);

        let text: DocumentText = decode(&v1(TEXT_V1)).unwrap();
        assert_eq!(text.pages.len(), 2);

        let access: AccessRecord = decode(&v1(ACCESS_V1)).unwrap();
        assert_eq!(access.action, AccessAction::DownloadDocument);

        let share: ShareRecord = decode(&v1(SHARE_V1)).unwrap();
        assert_eq!(share.purpose, akte_types::SharePurpose::Documents);
        assert_eq!(share.document_ids.len(), 1);
        assert_eq!(share.recipient, "Bäckerei Schmidt GmbH");
        assert_eq!(share.expires_at, 1_733_559_600_000);
        assert_eq!(share.revoked_at, Some(1_732_360_000_000));
        assert_eq!(share.revoked_by.as_deref(), Some("caseworker:anna"));
        let status: ShareRecord = decode(&v1(STATUS_SHARE_V1)).unwrap();
        assert_eq!(status.purpose, akte_types::SharePurpose::Status);
        assert!(status.document_ids.is_empty());
        assert_eq!(status.revoked_at, None);
        assert_eq!(decode::<ShareRecord>(&encode(&share)).unwrap(), share);
        assert_eq!(decode::<ShareRecord>(&encode(&status)).unwrap(), status);

        // A document's leaf in the evidence log, as the one of DOCUMENT_V1.
        let leaf: akte_types::EvidenceLeaf = decode(&v1(EVIDENCE_V1)).unwrap();
        assert_eq!(leaf, akte_types::EvidenceLeaf::of(&doc));
        assert_eq!(
            decode::<akte_types::EvidenceLeaf>(&encode(&leaf)).unwrap(),
            leaf
        );

        // And what this build writes reads back the same.
        assert_eq!(decode::<Document>(&encode(&doc)).unwrap(), doc);
        assert_eq!(decode::<Case>(&encode(&case)).unwrap(), case);
    }

    #[test]
    fn counters_of_the_previous_version_decode() {
        let mut v = vec![1u8];
        v.extend_from_slice(&7i64.to_le_bytes());
        assert_eq!(decode_counter(&v).unwrap(), 7);
    }
}
