use std::fmt;
use std::str::FromStr;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid {kind} id: {value:?} (expected a 26-character ULID)")]
pub struct IdParseError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! ulid_id {
    ($name:ident, $kind:literal) => {
        #[doc = concat!("Identifier of a ", $kind, ": a ULID, ordered by creation time.")]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub Ulid);

        impl $name {
            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Ulid::from_bytes(bytes))
            }

            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; 16]>::try_from(bytes).ok().map(Self::from_bytes)
            }

            /// Milliseconds since the Unix epoch at which the id was made.
            pub fn timestamp_ms(self) -> u64 {
                self.0.timestamp_ms()
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(s.trim())
                    .map(Self)
                    .map_err(|_| IdParseError {
                        kind: $kind,
                        value: s.chars().take(80).collect(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

ulid_id!(CaseId, "case");
ulid_id!(DocumentId, "document");
ulid_id!(ShareId, "share link");

/// Makes strictly increasing ULIDs, also within one millisecond, so that ids sort
/// in the order they were made.
#[derive(Default)]
pub struct IdGenerator {
    inner: Mutex<ulid::Generator>,
}

impl IdGenerator {
    pub fn new() -> Self {
        Self::default()
    }

    fn next(&self) -> Ulid {
        let mut generator = self.inner.lock();
        loop {
            match generator.generate() {
                Ok(id) => return id,
                // 2^80 ids in one millisecond: wait for the next one.
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
            }
        }
    }

    /// A fresh ULID as bytes, for time-ordered keys of other records.
    pub fn raw(&self) -> [u8; 16] {
        self.next().to_bytes()
    }

    pub fn case_id(&self) -> CaseId {
        CaseId(self.next())
    }

    pub fn document_id(&self) -> DocumentId {
        DocumentId(self.next())
    }

    pub fn share_id(&self) -> ShareId {
        ShareId(self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_round_trip() {
        let generator = IdGenerator::new();
        let ids: Vec<DocumentId> = (0..1000).map(|_| generator.document_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        for id in &ids {
            assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), *id);
            assert_eq!(DocumentId::from_bytes(id.to_bytes()), *id);
        }
    }

    #[test]
    fn bad_id_is_an_error() {
        let err = "not-an-id".parse::<CaseId>().unwrap_err();
        assert_eq!(err.kind, "case");
    }
}
