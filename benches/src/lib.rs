//! Helpers shared by the benchmark programs.

pub mod eval;

use std::time::Duration;

/// The `p` quantile (0..=1) of sorted durations; zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Milliseconds, as a number.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A field of `/proc/PID/status` (`self` or a pid), such as `VmRSS:`, in
/// bytes (the kernel gives kB).
pub fn status_bytes(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resident memory of a process (`self` or a pid) in bytes, from /proc.
pub fn rss_bytes(pid: &str) -> Option<u64> {
    status_bytes(pid, "VmRSS:")
}

/// A synthetic corpus of German letters to and from a job centre.
pub mod corpus {
    use akte_index::IndexDoc;
    use rand::rngs::StdRng;
    use rand::RngExt;

    /// Common words of letters to and from a job centre, most frequent first.
    pub const WORDS: &[&str] = &[
        "der",
        "die",
        "und",
        "in",
        "den",
        "von",
        "zu",
        "das",
        "mit",
        "sich",
        "des",
        "auf",
        "für",
        "ist",
        "im",
        "dem",
        "nicht",
        "ein",
        "eine",
        "als",
        "auch",
        "es",
        "an",
        "werden",
        "aus",
        "Antrag",
        "Leistungen",
        "Bescheid",
        "Jobcenter",
        "Bedarfsgemeinschaft",
        "Einkommen",
        "Miete",
        "Heizkosten",
        "Nachweis",
        "Unterlagen",
        "Arbeitgeber",
        "Weiterbewilligung",
        "Kindergeld",
        "Unterhalt",
        "Wohnung",
        "Vermieter",
        "Mitwirkung",
        "Frist",
        "Eingliederung",
        "Kontoauszüge",
        "Lohnabrechnung",
        "Krankenkasse",
        "Rentenversicherung",
        "Bewerbung",
        "Maßnahme",
        "Termin",
        "Einladung",
        "Meldeversäumnis",
        "Sanktion",
        "Minderung",
        "Erstattung",
        "Überzahlung",
        "Darlehen",
        "Umzug",
        "Kaution",
        "Nebenkosten",
        "Stromkosten",
        "Mehrbedarf",
        "Schwangerschaft",
        "Alleinerziehende",
        "Bildung",
        "Teilhabe",
        "Schulbedarf",
        "Klassenfahrt",
        "Mittagessen",
    ];
    pub const SITES: usize = 20;
    /// Fraction of documents that contain the marked term.
    pub const MARKED_SHARE: f64 = 0.14;
    pub const MARKED: &str = "Widerspruch";

    /// Letter `i` of the corpus: 150–600 words, its site and case derived from
    /// `i`, the marked term in [`MARKED_SHARE`] of them.
    /// The access class of document `i` (as `akte_core::access` names them):
    /// one in 100 is in a restricted case, one in 20 waits in its site's
    /// inbox, the rest are in open cases of their site.
    pub fn access_class(i: usize) -> String {
        let site = format!("Standort{}", i % SITES);
        if i % 100 == 7 {
            akte_core::access::case_class(&site, Some("personal"))
        } else if i % 20 == 3 {
            akte_core::access::inbox_class(&site)
        } else {
            akte_core::access::case_class(&site, None)
        }
    }

    pub fn document(rng: &mut StdRng, i: usize) -> IndexDoc {
        let words = rng.random_range(150..600);
        let mut body = String::with_capacity(words * 9);
        for _ in 0..words {
            // Zipf-like: index ~ N * u^3.
            let u: f64 = rng.random();
            let idx = ((WORDS.len() as f64) * u * u * u) as usize;
            body.push_str(WORDS[idx.min(WORDS.len() - 1)]);
            body.push(' ');
        }
        if rng.random_bool(MARKED_SHARE) {
            body.push_str(MARKED);
        }
        IndexDoc {
            document_id: format!("{i:026}"),
            case_number: format!("{:05}BG{:07}", i % 100_000, i / 10),
            site: format!("Standort{}", i % SITES),
            access: access_class(i),
            document_type: "Brief".into(),
            received_at: 1_700_000_000_000 + i as i64,
            title: format!("Schreiben {i}"),
            filename: format!("brief{i}.pdf"),
            body,
        }
    }
}
