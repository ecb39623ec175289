use super::*;

fn doc(id: &str, case: &str, site: &str, received_at: i64, body: &str) -> IndexDoc {
    IndexDoc {
        document_id: id.into(),
        case_number: case.into(),
        site: site.into(),
        access: format!("class-{site}"),
        document_type: "Antrag".into(),
        received_at,
        title: format!("Dokument {id}"),
        filename: format!("{id}.txt"),
        body: body.into(),
    }
}

fn ids(r: &SearchResults) -> Vec<&str> {
    let mut v: Vec<&str> = r.hits.iter().map(|h| h.document_id.as_str()).collect();
    v.sort_unstable();
    v
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        limit: 10,
        ..Default::default()
    }
}

fn sample() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            doc(
                "a",
                "12345BG0000001",
                "Nord",
                1_000,
                "Die Beschäftigten erhalten einen Bescheid über den Weiterbewilligungsantrag.",
            ),
            doc(
                "b",
                "12345BG0000002",
                "Süd",
                2_000,
                "Nachweis der Beschaeftigte bei der Firma Müller GmbH.",
            ),
            doc(
                "c",
                "12345BG0000003",
                "Nord",
                3_000,
                "Mietvertrag und Nebenkostenabrechnung für die Wohnung.",
            ),
        ])
        .unwrap();
    index.commit().unwrap();
    index
}

#[test]
fn german_forms_are_found() {
    let index = sample();
    assert_eq!(
        ids(&index.search(&query("Beschäftigte")).unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        ids(&index.search(&query("beschaeftigten")).unwrap()),
        ["a", "b"]
    );
    assert_eq!(ids(&index.search(&query("Mueller")).unwrap()), ["b"]);
    // The plural with umlaut finds the singular.
    assert_eq!(
        ids(&index.search(&query("Weiterbewilligungsanträge")).unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(&index.search(&query("weiterbewilligungsantrag")).unwrap()),
        ["a"]
    );
}

#[test]
fn operators_phrases_and_filters() {
    let index = sample();
    assert_eq!(
        ids(&index.search(&query("Beschäftigte Bescheid")).unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(&index.search(&query("Bescheid OR Mietvertrag")).unwrap()),
        ["a", "c"]
    );
    assert_eq!(
        ids(&index.search(&query("Beschäftigte AND NOT Firma")).unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(&index.search(&query("Beschäftigte -Firma")).unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(&index.search(&query("\"Firma Müller\"")).unwrap()),
        ["b"]
    );
    assert_eq!(
        ids(&index.search(&query("\"Müller Firma\"")).unwrap()),
        Vec::<&str>::new()
    );

    let mut q = query("Beschäftigte");
    q.site = Some("Süd".into());
    assert_eq!(ids(&index.search(&q).unwrap()), ["b"]);
    let mut q = query("");
    q.site = Some("Nord".into());
    assert_eq!(ids(&index.search(&q).unwrap()), ["a", "c"]);
    let mut q = query("");
    q.received_from = Some(2_000);
    q.received_to = Some(3_000);
    assert_eq!(ids(&index.search(&q).unwrap()), ["b"]);
    let mut q = query("");
    q.case_number = Some("12345BG0000003".into());
    assert_eq!(ids(&index.search(&q).unwrap()), ["c"]);
}

#[test]
fn snippets_paging_and_totals() {
    let index = sample();
    let r = index.search(&query("Bescheid")).unwrap();
    assert_eq!(r.total, 1);
    assert!(
        r.hits[0].snippet.contains("<b>Bescheid</b>"),
        "{}",
        r.hits[0].snippet
    );
    assert_eq!(r.hits[0].case_number, "12345BG0000001");

    let mut q = query("Beschäftigte");
    q.limit = 1;
    let first = index.search(&q).unwrap();
    q.offset = 1;
    let second = index.search(&q).unwrap();
    assert_eq!(first.total, 2);
    assert_eq!(first.hits.len(), 1);
    assert_eq!(second.hits.len(), 1);
    assert_ne!(first.hits[0].document_id, second.hits[0].document_id);
}

#[test]
fn bad_and_empty_queries_are_errors() {
    let index = sample();
    assert!(matches!(
        index.search(&query("")),
        Err(IndexError::BadQuery(_))
    ));
    assert!(matches!(
        index.search(&query("title:")),
        Err(IndexError::BadQuery(_))
    ));
    assert!(matches!(
        index.search(&query("nosuchfield:x")),
        Err(IndexError::BadQuery(_))
    ));
}

#[test]
fn upsert_replaces_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        index
            .upsert(&[doc("a", "1", "Nord", 0, "Wohngeld")])
            .unwrap();
        index
            .upsert(&[doc("a", "1", "Nord", 0, "Kindergeld")])
            .unwrap();
        index.commit().unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.num_docs(), 1);
    assert_eq!(ids(&index.search(&query("Kindergeld")).unwrap()), ["a"]);
    assert!(index.search(&query("Wohngeld")).unwrap().hits.is_empty());
    index.remove("a");
    index.commit().unwrap();
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn not_with_an_absent_term() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[doc("a", "1", "Nord", 0, "Bescheid ueber den Antrag")])
        .unwrap();
    index.commit().unwrap();
    for q in [
        "Bescheid -Firma",
        "Bescheid AND NOT Firma",
        "Bescheid NOT Firma",
        "Bescheid AND -Firma",
        "NOT Firma AND Bescheid",
        "Bescheid AND NOT (Firma OR Miete)",
    ] {
        assert_eq!(ids(&index.search(&query(q)).unwrap()), ["a"], "{q}");
    }
}

#[test]
fn not_keyword_becomes_exclusion_outside_quotes() {
    assert_eq!(crate::normalize_not("a AND NOT b"), "a AND -b");
    assert_eq!(crate::normalize_not("NOT a AND b"), "-a AND b");
    assert_eq!(crate::normalize_not("a NOT(b OR c)"), "a -(b OR c)");
    assert_eq!(
        crate::normalize_not("\"AND NOT b\" NOTE NOT  x"),
        "\"AND NOT b\" NOTE -x"
    );
    assert_eq!(crate::normalize_not("KNOT NOTx"), "KNOT NOTx");
}

/// Inputs found by fuzzing (fuzz/fuzz_targets/search_query.rs): each must be
/// a result or a query error, never an internal error or a panic.
#[test]
fn fuzz_found_queries_are_errors_or_results_not_panics() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[IndexDoc {
            document_id: "d1".into(),
            body: "Die Beschäftigten".into(),
            ..IndexDoc::default()
        }])
        .unwrap();
    index.commit().unwrap();
    for text in ["ae:*", "unbekannt:Wort"] {
        let q = SearchQuery {
            text: text.into(),
            limit: 10,
            ..SearchQuery::default()
        };
        match index.search(&q) {
            Ok(_) | Err(IndexError::BadQuery(_)) => {}
            Err(e) => panic!("{text:?}: {e}"),
        }
        let _ = index.page_matcher(&q);
    }
}

#[test]
fn the_access_filter_limits_hits_and_their_count() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            doc("a1", "12345BG0000001", "Nord", 1, "Mietvertrag Nord"),
            doc("a2", "12345BG0000002", "Nord", 2, "Mietvertrag Nord"),
            doc("b1", "12345BG0000003", "Süd", 3, "Mietvertrag Süd"),
        ])
        .unwrap();
    index.commit().unwrap();
    let with = |classes: Option<Vec<&str>>| {
        let q = SearchQuery {
            access: classes.map(|c| c.into_iter().map(str::to_owned).collect()),
            ..query("Mietvertrag")
        };
        index.search(&q).unwrap()
    };
    assert_eq!(with(None).total, 3);
    let nord = with(Some(vec!["class-Nord"]));
    assert_eq!((nord.total, ids(&nord)), (2, vec!["a1", "a2"]));
    let both = with(Some(vec!["class-Nord", "class-Süd"]));
    assert_eq!(both.total, 3);
    let none = with(Some(vec![]));
    assert_eq!((none.total, none.hits.len()), (0, 0));
    let unknown = with(Some(vec!["class-West"]));
    assert_eq!(unknown.total, 0);
}

#[test]
fn parts_of_compounds_are_found_below_the_word_itself() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            doc(
                "exact",
                "12345BG0000001",
                "Nord",
                1,
                "Die Verwaltung des Kreises hat entschieden.",
            ),
            doc(
                "part",
                "12345BG0000002",
                "Nord",
                2,
                "Schreiben der Kreisverwaltung Pinneberg.",
            ),
            doc("kreis", "12345BG0000003", "Nord", 3, "Der Kreis lädt ein."),
            doc(
                "ins",
                "12345BG0000004",
                "Nord",
                4,
                "Beitrag zur Krankenversicherung.",
            ),
            doc(
                "grund",
                "12345BG0000005",
                "Nord",
                5,
                "Leistungen der Grundsicherung.",
            ),
        ])
        .unwrap();
    index.commit().unwrap();

    let found = index.search(&query("Verwaltung")).unwrap();
    let order: Vec<&str> = found.hits.iter().map(|h| h.document_id.as_str()).collect();
    assert_eq!(order, ["exact", "part"]);
    // The query's own compound is not split: no letter about any Kreis.
    assert_eq!(
        ids(&index.search(&query("Kreisverwaltung")).unwrap()),
        ["part"]
    );
    // Versicherung only contains the letters of Sicherung.
    assert_eq!(ids(&index.search(&query("Sicherung")).unwrap()), ["grund"]);
    assert_eq!(ids(&index.search(&query("Versicherung")).unwrap()), ["ins"]);
    // A place name is not read as a compound.
    assert!(index.search(&query("Berg")).unwrap().hits.is_empty());
}

fn index_of(bodies: &[(&str, &str)]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let docs: Vec<IndexDoc> = bodies
        .iter()
        .zip(1..)
        .map(|((id, body), n)| doc(id, "12345BG0000001", "Nord", n, body))
        .collect();
    index.upsert(&docs).unwrap();
    index.commit().unwrap();
    index
}

#[test]
fn spellings_apart_hyphenated_and_joined_meet() {
    let index = index_of(&[
        ("joined", "Ich arbeite im Homeoffice."),
        ("hyphen", "Tätigkeit im Home-Office möglich."),
        ("apart", "Zwei Tage Home Office pro Woche."),
        ("other", "Das Office der Firma liegt in Elmshorn."),
    ]);
    for text in ["Homeoffice", "Home-Office", "Home Office", "home office"] {
        assert_eq!(
            ids(&index.search(&query(text)).unwrap()),
            ["apart", "hyphen", "joined"],
            "{text}"
        );
    }
    // Operators keep their meaning: no variants are tried.
    assert_eq!(
        ids(&index.search(&query("Office -Home")).unwrap()),
        ["other"]
    );
}

#[test]
fn ocr_confusions_are_found() {
    let index = index_of(&[
        ("rn", "Schreiben der Farnilienkasse vom 3. Mai."),
        ("ii", "Die Kiindigung ist wirksam."),
        ("digit", "Ihre Rentenversicherung 1st informiert."),
        ("clean", "Kein Bezug."),
    ]);
    assert_eq!(ids(&index.search(&query("Familienkasse")).unwrap()), ["rn"]);
    assert_eq!(ids(&index.search(&query("Kündigung")).unwrap()), ["ii"]);
    let mut folded = String::new();
    ocr_fold("rentenvers1cherung", &mut folded);
    let mut clean = String::new();
    ocr_fold("rentenversicherung", &mut clean);
    assert_eq!(folded, clean);
}

#[test]
fn exact_words_rank_above_parts_and_parts_above_misreadings() {
    let index = index_of(&[
        ("fuzzy", "Schreiben der Verwaltunq Pinneberg."),
        ("part", "Schreiben der Kreisverwaltung Pinneberg."),
        ("exact", "Schreiben der Verwaltung Pinneberg."),
    ]);
    let found = index.search(&query("Verwaltung")).unwrap();
    let order: Vec<&str> = found.hits.iter().map(|h| h.document_id.as_str()).collect();
    assert_eq!(order, ["exact", "part", "fuzzy"]);
    assert!(found.hits[0].score > found.hits[1].score);
    assert!(found.hits[1].score > found.hits[2].score);
}

#[test]
fn short_words_are_not_searched_by_edit_distance() {
    let index = index_of(&[("kurz", "Eine kurze Frist."), ("kurs", "Ein Kurs.")]);
    assert_eq!(ids(&index.search(&query("Kurs")).unwrap()), ["kurs"]);
    assert_eq!(allowed_edits("kurs"), 0);
    assert_eq!(allowed_edits("kurse"), 1);
    assert_eq!(allowed_edits("verwaltun"), 1);
    assert_eq!(allowed_edits("verwaltung"), 2);
}
