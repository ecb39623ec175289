//! The search query language (words, phrases, AND/OR/NOT, fields) against a
//! small German index: any text is either a query or a clear BadQuery.
#![no_main]

use std::sync::LazyLock;

use akte_index::{IndexDoc, IndexError, SearchIndex, SearchQuery};
use libfuzzer_sys::fuzz_target;

static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| {
    let index = SearchIndex::in_memory().expect("in-memory index");
    let docs: Vec<IndexDoc> = [
        "Die Beschäftigten legen den Nachweis vor",
        "Antrag auf Weiterbewilligung der Leistungen",
        "Mietbescheinigung und Nebenkostenabrechnung",
    ]
    .iter()
    .enumerate()
    .map(|(i, body)| IndexDoc {
        document_id: format!("d{i}"),
        case_number: "12345BG0000001".into(),
        site: "Nord".into(),
        body: (*body).into(),
        ..IndexDoc::default()
    })
    .collect();
    index.upsert(&docs).expect("upsert");
    index.commit().expect("commit");
    index
});

fuzz_target!(|text: &str| {
    if text.len() > 4096 {
        return;
    }
    let query = SearchQuery {
        text: text.to_owned(),
        limit: 10,
        ..SearchQuery::default()
    };
    match INDEX.search(&query) {
        Ok(r) => assert!(r.hits.len() <= 3 && r.total <= 3),
        Err(IndexError::BadQuery(_)) => {}
        Err(e) => panic!("not a query error: {e}"),
    }
    if let Ok(Some(m)) = INDEX.page_matcher(&query) {
        let pages = m.pages(&["Nachweis".into(), text.to_owned()]);
        assert!(pages.iter().all(|&p| p == 1 || p == 2));
    }
});
