//! Case-number parsing and the search for numbers in running (OCR) text.
#![no_main]

use std::sync::LazyLock;

use akte_types::CaseNumberPattern;
use libfuzzer_sys::fuzz_target;

static PATTERN: LazyLock<CaseNumberPattern> = LazyLock::new(CaseNumberPattern::default);

fuzz_target!(|text: &str| {
    if let Ok(n) = PATTERN.parse(text) {
        // Normalised numbers parse to themselves.
        assert_eq!(PATTERN.parse(n.as_str()).ok().as_ref(), Some(&n));
    }
    let found = PATTERN.find_in_text(text);
    for (i, f) in found.iter().enumerate() {
        assert!(PATTERN.parse(f.number.as_str()).is_ok());
        assert!(f.corrections <= 3);
        assert!(found[..i].iter().all(|g| g.number != f.number), "reported twice");
    }
});
