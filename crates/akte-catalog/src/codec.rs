//! Encoding of stored values: a version byte, then the record.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{CatalogError, Result};

/// Version of the value encoding written by this build.
pub const VERSION: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    // Records are plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_writer(&mut out, value).expect("records serialise");
    out
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], cf: &'static str) -> Result<T> {
    match bytes.split_first() {
        Some((&VERSION, rest)) => serde_json::from_slice(rest).map_err(|e| CatalogError::Corrupt {
            cf,
            reason: e.to_string(),
        }),
        Some((v, _)) => Err(CatalogError::Corrupt {
            cf,
            reason: format!("unknown value version {v}"),
        }),
        None => Err(CatalogError::Corrupt {
            cf,
            reason: "empty value".into(),
        }),
    }
}

pub(crate) fn decode_u64(bytes: &[u8], cf: &'static str) -> Result<u64> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| CatalogError::Corrupt {
            cf,
            reason: "key is not 8 bytes".into(),
        })
}

pub(crate) fn encode_counter(n: i64) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[0] = VERSION;
    out[1..].copy_from_slice(&n.to_le_bytes());
    out
}

fn counter_value(bytes: &[u8]) -> Option<i64> {
    match bytes {
        [VERSION, rest @ ..] => <[u8; 8]>::try_from(rest).ok().map(i64::from_le_bytes),
        _ => None,
    }
}

pub(crate) fn decode_counter(bytes: &[u8]) -> Result<i64> {
    counter_value(bytes).ok_or_else(|| CatalogError::Corrupt {
        cf: "counters",
        reason: "counter is not a versioned i64".into(),
    })
}

/// Associative merge: the sum of the existing counter and all operands.
pub(crate) fn merge_add(
    _key: &[u8],
    existing: Option<&[u8]>,
    operands: &rocksdb::MergeOperands,
) -> Option<Vec<u8>> {
    let mut sum = existing.and_then(counter_value).unwrap_or(0);
    for op in operands.iter() {
        sum = sum.saturating_add(counter_value(op).unwrap_or(0));
    }
    Some(encode_counter(sum).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counter_round_trip(n in any::<i64>()) {
            prop_assert_eq!(decode_counter(&encode_counter(n)).unwrap(), n);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode::<akte_types::Case>(&bytes, "cases");
            let _ = decode_counter(&bytes);
        }
    }

    #[test]
    fn unknown_version_is_corrupt() {
        let mut v = encode(&"x");
        v[0] = 9;
        assert!(matches!(
            decode::<String>(&v, "t"),
            Err(CatalogError::Corrupt { .. })
        ));
    }
}
