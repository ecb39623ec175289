//! Routing of documents uploaded without a case: the case number is looked
//! for in the QR code of a cover sheet on the first page and in the text. One
//! existing case files the document there; none or several leave it in the
//! inbox of its site, with the reason.

use akte_catalog::{Destination, Placement};
use akte_types::{now_millis, AssignedBy, Case, CaseMove, CaseNumber, Document, DocumentText};

use crate::{Result, Store};

/// Where a document without a case goes, as routing decides.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    /// Into this case, found by `by`, with what was found where.
    Assign {
        case: Box<Case>,
        by: AssignedBy,
        detail: String,
    },
    /// Into the inbox of the document's site, with the reason.
    Inbox { reason: String },
}

impl Route {
    /// The policy of automatic routing: it files only a document that is in
    /// no case when the decision is applied. A person may have assigned it
    /// meanwhile, and a person's assignment always wins.
    pub(crate) fn placement(self) -> Placement {
        let to = match self {
            Route::Assign { case, by, detail } => Destination::Case {
                entry: CaseMove {
                    at: now_millis(),
                    from: None,
                    to: case.case_number.clone(),
                    by,
                    detail,
                },
                case,
            },
            Route::Inbox { reason } => Destination::Inbox { reason },
        };
        Placement { from: None, to }
    }
}

/// The policy of a person's assignment: it moves the document from wherever
/// it is (the inbox or another case) into `case`, its history keeping where
/// it was; `None` if it is in that case already.
pub(crate) fn manual_placement(doc: &Document, case: Case, note: String) -> Option<Placement> {
    if doc.case_id == Some(case.case_id) {
        return None;
    }
    Some(Placement {
        from: doc.case_id,
        to: Destination::Case {
            entry: CaseMove {
                at: now_millis(),
                from: doc.case_number.clone(),
                to: case.case_number.clone(),
                by: AssignedBy::Manual,
                detail: note,
            },
            case: Box::new(case),
        },
    })
}

/// At most this many distinct candidate numbers are looked up per document.
const MAX_CANDIDATES: usize = 64;

impl Store {
    /// Decides where a caseless document goes, from its text and the codes
    /// read on its first page.
    pub(crate) async fn route(&self, text: &DocumentText, codes: &[String]) -> Result<Route> {
        let pattern = self.inner.settings.case_numbers.clone();
        let coded: Vec<CaseNumber> = codes
            .iter()
            .filter_map(|c| akte_extract::case_number_from_code(c))
            .filter_map(|n| pattern.parse(&n).ok())
            .collect();
        // Number, page (1-based) and corrections of each number in the text.
        let mut in_text: Vec<(CaseNumber, usize, u8)> = Vec::new();
        if text.failure.is_none() {
            for (i, page) in text.pages.iter().enumerate() {
                for found in pattern.find_in_text(page) {
                    if in_text.len() >= MAX_CANDIDATES {
                        break;
                    }
                    if !in_text.iter().any(|(n, _, _)| *n == found.number) {
                        in_text.push((found.number, i + 1, found.corrections));
                    }
                }
            }
        }
        let lookup_coded = coded.clone();
        let lookup_text: Vec<CaseNumber> = in_text.iter().map(|(n, _, _)| n.clone()).collect();
        let (coded_cases, text_cases) = self
            .blocking(move |inner| {
                let find = |numbers: &[CaseNumber]| -> Result<Vec<Case>> {
                    let mut cases: Vec<Case> = Vec::new();
                    for n in numbers {
                        if let Some(c) = inner.catalog.get_case_by_number(n)? {
                            if !cases.iter().any(|k| k.case_id == c.case_id) {
                                cases.push(c);
                            }
                        }
                    }
                    Ok(cases)
                };
                Ok((find(&lookup_coded)?, find(&lookup_text)?))
            })
            .await?;
        Ok(decide(text, &coded, coded_cases, &in_text, text_cases))
    }
}

/// The numbers, each once, in order.
fn list(numbers: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for n in numbers {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen.join(", ")
}

/// The routing decision, from the numbers found and the cases that exist.
fn decide(
    text: &DocumentText,
    coded: &[CaseNumber],
    mut coded_cases: Vec<Case>,
    in_text: &[(CaseNumber, usize, u8)],
    mut text_cases: Vec<Case>,
) -> Route {
    // A cover sheet is the clearest statement of the case: it wins.
    if coded_cases.len() == 1 {
        let case = coded_cases.remove(0);
        return Route::Assign {
            detail: format!(
                "case number {} read from the QR code on page 1",
                case.case_number
            ),
            case: Box::new(case),
            by: AssignedBy::Code,
        };
    }
    // Notes name the numbers read, not which of them are cases: they are
    // shown to whoever reads the inbox, who need not learn which cases
    // (restricted ones among them) exist.
    if coded_cases.len() > 1 {
        return Route::Inbox {
            reason: format!(
                "QR codes for several cases on page 1: {}",
                list(coded.iter().map(ToString::to_string))
            ),
        };
    }
    if text_cases.len() == 1 {
        let case = text_cases.remove(0);
        let (page, corrections) = in_text
            .iter()
            .find(|(n, _, _)| *n == case.case_number)
            .map_or((1, 0), |(_, p, c)| (*p, *c));
        let mut detail = format!(
            "case number {} read from the text of page {page}",
            case.case_number
        );
        if corrections > 0 {
            detail.push_str(&format!(
                " ({corrections} characters read as their look-alikes)"
            ));
        }
        return Route::Assign {
            case: Box::new(case),
            by: AssignedBy::Text,
            detail,
        };
    }
    let reason = if text_cases.len() > 1 {
        format!(
            "several case numbers found: {}",
            list(in_text.iter().map(|(n, _, _)| n.to_string()))
        )
    } else if let Some(failure) = &text.failure {
        format!("no text to read a case number from: {failure}")
    } else if !coded.is_empty() || !in_text.is_empty() {
        format!(
            "no case with the number(s) found: {}",
            list(
                coded
                    .iter()
                    .chain(in_text.iter().map(|(n, _, _)| n))
                    .map(ToString::to_string)
            )
        )
    } else if text.pages.iter().all(|p| p.trim().is_empty()) {
        "no text to read a case number from".to_owned()
    } else {
        "no case number found".to_owned()
    };
    Route::Inbox { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use akte_types::{now_millis, CaseNumberPattern, IdGenerator};

    fn case(ids: &IdGenerator, n: &str) -> Case {
        Case {
            case_id: ids.case_id(),
            case_number: CaseNumberPattern::default().parse(n).unwrap(),
            title: String::new(),
            site: "Nord".into(),
            team: None,
            parties: Vec::new(),
            created_at: now_millis(),
            restricted_to: None,
            status: akte_types::CaseStatus::default(),
        }
    }

    fn text(pages: &[&str]) -> DocumentText {
        DocumentText {
            pages: pages.iter().map(|p| (*p).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn code_wins_over_text_and_ambiguity_goes_to_the_inbox() {
        let ids = IdGenerator::new();
        let a = case(&ids, "12345BG0000001");
        let b = case(&ids, "12345BG0000002");
        let t = text(&["x"]);
        let by = |r: &Route| match r {
            Route::Assign { case, by, .. } => Some((case.case_number.to_string(), *by)),
            Route::Inbox { .. } => None,
        };
        let r = decide(
            &t,
            std::slice::from_ref(&a.case_number),
            vec![a.clone()],
            &[(b.case_number.clone(), 1, 0)],
            vec![b.clone()],
        );
        assert_eq!(by(&r), Some((a.case_number.to_string(), AssignedBy::Code)));
        let r = decide(
            &t,
            &[],
            vec![],
            &[(b.case_number.clone(), 2, 1)],
            vec![b.clone()],
        );
        match &r {
            Route::Assign { by, detail, .. } => {
                assert_eq!(*by, AssignedBy::Text);
                assert!(
                    detail.contains("page 2") && detail.contains("look-alikes"),
                    "{detail}"
                );
            }
            other => panic!("{other:?}"),
        }
        match decide(&t, &[], vec![], &[], vec![a.clone(), b.clone()]) {
            Route::Inbox { reason } => assert!(reason.contains("several"), "{reason}"),
            other => panic!("{other:?}"),
        }
        match decide(&t, &[], vec![], &[(a.case_number.clone(), 1, 0)], vec![]) {
            Route::Inbox { reason } => assert!(reason.contains("no case with"), "{reason}"),
            other => panic!("{other:?}"),
        }
        match decide(&text(&["  "]), &[], vec![], &[], vec![]) {
            Route::Inbox { reason } => assert!(reason.contains("no text"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
