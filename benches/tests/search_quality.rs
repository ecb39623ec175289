//! The search evaluation set (`benches/eval/`) as a regression test: for
//! every class of query, akte's recall and precision may not fall below the
//! levels BENCHMARKS.md records for akte's analysis (section "Search quality",
//! written by `cargo run --release -p akte-benches --bin search-quality`).
//!
//! The whole set runs (a few hundred short documents index in about a
//! second). A better analysis raises the numbers: record them in
//! BENCHMARKS.md and the test holds the new levels.

use akte_benches::eval::{by_class, recorded_levels, run, AkteEngine, EvalSet};

/// The table prints three decimals; a measure equal to the recorded one may
/// be up to half a unit of the last decimal below it.
const ROUNDING: f64 = 0.0005;

#[test]
fn recall_and_precision_per_class_stay_at_the_recorded_levels() -> anyhow::Result<()> {
    let set = EvalSet::load()?;
    let clean = AkteEngine::build(&set.docs)?;
    let scans = AkteEngine::build(&set.scans)?;
    let results = run(&set, &clean, &scans)?;

    let benchmarks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let levels = recorded_levels(&std::fs::read_to_string(benchmarks)?)?;

    let mut failures = Vec::new();
    for (class, summary) in by_class(&results).into_values() {
        let Some(&(recall, precision)) = levels.get(&class) else {
            failures.push(format!(
                "BENCHMARKS.md records no level for the class {class}"
            ));
            continue;
        };
        if summary.recall < recall - ROUNDING {
            failures.push(format!(
                "{class}: recall {:.3}, recorded {recall:.3}",
                summary.recall
            ));
        }
        if summary.precision < precision - ROUNDING {
            failures.push(format!(
                "{class}: precision {:.3}, recorded {precision:.3}",
                summary.precision
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn every_query_has_a_class_and_judged_documents_that_exist() -> anyhow::Result<()> {
    let set = EvalSet::load()?;
    assert!(set.docs.len() >= 300, "{} documents", set.docs.len());
    assert!(set.queries.len() >= 60, "{} queries", set.queries.len());
    for class in akte_benches::eval::CLASSES {
        let n = set.queries.iter().filter(|q| q.class == *class).count();
        assert!(n >= 10, "only {n} queries of class {class}");
    }
    for (id, text) in &set.docs {
        assert!(
            (500..=3072).contains(&text.len()),
            "{id}: {} bytes",
            text.len()
        );
    }
    Ok(())
}
