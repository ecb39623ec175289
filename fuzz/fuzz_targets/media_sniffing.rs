//! Media type detection by magic bytes, and the check of a declared type.
#![no_main]

use akte_extract::{detect, verify_declared, HEAD_LEN, KNOWN_MEDIA_TYPES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = &data[..data.len().min(HEAD_LEN)];
    let detected = detect(head);
    let allowed: Vec<String> = KNOWN_MEDIA_TYPES.iter().map(|s| (*s).to_owned()).collect();
    // Undeclared: the detected type, if it is one akte knows.
    if let Ok(m) = verify_declared("", head, &allowed) {
        assert_eq!(Some(m.as_str()), detected);
    }
    // Declared: accepted only as what the content is.
    for declared in KNOWN_MEDIA_TYPES {
        if let Ok(m) = verify_declared(declared, head, &allowed) {
            assert_eq!(m, declared);
        }
    }
});
