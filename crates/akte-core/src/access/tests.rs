//! The reference policies, cell by cell: every kind of principal, every
//! action, every kind of case.

use super::*;

const ACTIONS: [(char, Action); 11] = [
    ('C', Action::CreateCase),
    ('R', Action::ReadCase),
    ('X', Action::RestrictCase),
    ('T', Action::UpdateCaseStatus),
    ('D', Action::ReadDocument),
    ('U', Action::UploadDocument),
    ('F', Action::FileDocument),
    ('S', Action::Search),
    ('L', Action::ReadAccessLog),
    ('H', Action::ShareCase),
    ('P', Action::ReadCaseStatus),
];

fn applies(caller: &Caller, action: Action, resource: &Resource) -> bool {
    if caller.principal.kind == PrincipalKind::Share
        && !matches!(action, Action::ReadDocument | Action::ReadCaseStatus)
    {
        // Not in the schema: a link is never asked about anything else.
        return false;
    }
    match resource {
        Resource::Case { .. } => action != Action::ReadAccessLog,
        Resource::Inbox { .. } => matches!(
            action,
            Action::ReadDocument | Action::UploadDocument | Action::FileDocument | Action::Search
        ),
        Resource::AccessLog => action == Action::ReadAccessLog,
    }
}

/// The case of the "own case" (and, restricted, of the "restricted case").
const CASE: &str = "01JD3X0Z8K5S6W7Y8Z9A0B1C2D";
const OTHER_CASE: &str = "01JD3X0Z8K5S6W7Y8Z9A0B1C2E";
const DOCUMENT: &str = "01JD3X1A0000000000000000AA";

fn case_id(id: &str) -> Option<akte_types::CaseId> {
    Some(id.parse().unwrap())
}

fn resources() -> Vec<(&'static str, Resource)> {
    vec![
        (
            "own case",
            Resource::Case {
                case_id: case_id(CASE),
                site: "Nord".into(),
                restricted_to: None,
            },
        ),
        (
            "other site's case",
            Resource::Case {
                case_id: case_id(OTHER_CASE),
                site: "Süd".into(),
                restricted_to: None,
            },
        ),
        (
            "restricted case",
            Resource::Case {
                case_id: case_id(CASE),
                site: "Nord".into(),
                restricted_to: Some("personal".into()),
            },
        ),
        (
            "own inbox",
            Resource::Inbox {
                site: "Nord".into(),
            },
        ),
        (
            "other inbox",
            Resource::Inbox {
                site: "Süd".into()
            },
        ),
        ("access log", Resource::AccessLog),
    ]
}

fn reason() -> Option<Reason> {
    Some(Reason {
        code: "vertretung".into(),
        text: "Urlaubsvertretung für Team 2".into(),
    })
}

/// A share link to the own case: to its document [`DOCUMENT`] (purpose
/// "documents") or to its status, reading `document`.
fn link(purpose: &'static str, document: Option<&str>) -> Caller {
    let mut caller = Caller::new(
        Principal::new(PrincipalKind::Share, "01JD3X2B0000000000000000SH"),
        "",
    );
    caller.share = Some(ShareGrant {
        case_id: CASE.into(),
        documents: if purpose == "documents" {
            vec![DOCUMENT.into()]
        } else {
            Vec::new()
        },
        purpose,
    });
    caller.document = document.map(str::to_owned);
    caller
}

/// (caller, allowed actions on each resource of [`resources`], in order).
fn table() -> Vec<(&'static str, Caller, [&'static str; 6])> {
    let cw = Principal::new(PrincipalKind::Caseworker, "anna").with_sites(&["Nord"]);
    let mut station = Caller::new(
        Principal::new(PrincipalKind::Station, "scan-01").with_sites(&["Nord"]),
        "",
    );
    station.station = Some("scan-01".into());
    let mut foreign_station = station.clone();
    foreign_station.station = Some("scan-02".into());
    let mut posing = Caller::new(cw.clone(), "");
    posing.station = Some("scan-01".into());
    vec![
        (
            "caseworker",
            Caller::new(cw.clone(), ""),
            ["CRTDUFSH", "", "", "DUFS", "", ""],
        ),
        (
            "caseworker with a reason",
            Caller::new(cw.clone(), "").with_reason(reason()),
            ["CRTDUFSH", "RDS", "", "DUFS", "", ""],
        ),
        (
            "caseworker of the restricting group",
            Caller::new(cw.with_groups(&["personal"]), ""),
            ["CRTDUFSH", "", "CRTDUFSH", "DUFS", "", ""],
        ),
        (
            "caseworker naming a scanning station",
            posing,
            ["CRTDFSH", "", "", "DFS", "", ""],
        ),
        (
            "mail room",
            Caller::new(
                Principal::new(PrincipalKind::MailRoom, "post").with_sites(&["Nord"]),
                "",
            ),
            ["UF", "", "", "DUF", "", ""],
        ),
        ("station", station, ["U", "", "", "U", "", ""]),
        (
            "station naming another station",
            foreign_station,
            ["", "", "", "", "", ""],
        ),
        (
            "service with read and search scopes",
            Caller::new(
                Principal::new(PrincipalKind::Service, "fachverfahren")
                    .with_sites(&["Nord"])
                    .with_scopes(&["documents:read", "search"]),
                "",
            ),
            ["RDS", "", "", "DS", "", ""],
        ),
        (
            "service without scopes",
            Caller::new(
                Principal::new(PrincipalKind::Service, "other").with_sites(&["Nord"]),
                "",
            ),
            ["", "", "", "", "", ""],
        ),
        (
            "auditor",
            Caller::new(Principal::new(PrincipalKind::Auditor, "revision"), ""),
            ["", "", "", "", "", "L"],
        ),
        (
            "admin",
            Caller::new(Principal::new(PrincipalKind::Admin, "root"), "").with_reason(reason()),
            ["CRXTDUFSH", "CRXTDUFSH", "X", "DUFS", "DUFS", ""],
        ),
        (
            "documents link reading its document",
            link("documents", Some(DOCUMENT)),
            ["D", "", "", "", "", ""],
        ),
        (
            "documents link reading another document",
            link("documents", Some("01JD3X1A0000000000000000AB")),
            ["", "", "", "", "", ""],
        ),
        (
            "documents link reading no one document (a listing)",
            link("documents", None),
            ["", "", "", "", "", ""],
        ),
        (
            "status link",
            link("status", None),
            ["P", "", "", "", "", ""],
        ),
        (
            "status link reading a document",
            link("status", Some(DOCUMENT)),
            ["P", "", "", "", "", ""],
        ),
        (
            "link without its grant",
            {
                let mut c = link("documents", Some(DOCUMENT));
                c.share = None;
                c
            },
            ["", "", "", "", "", ""],
        ),
    ]
}

#[test]
fn the_reference_policies_decide_every_cell_as_documented() {
    let policies = Policies::reference().unwrap();
    let mut wrong = Vec::new();
    for (who, caller, expected) in table() {
        for ((what, resource), allowed) in resources().iter().zip(expected) {
            for (letter, action) in ACTIONS {
                if !applies(&caller, action, resource) {
                    continue;
                }
                let verdict = policies.check(&caller, action, resource).unwrap();
                if verdict.allowed != allowed.contains(letter) {
                    wrong.push(format!(
                        "{who} {} {what}: got {}",
                        action.name(),
                        if verdict.allowed { "allowed" } else { "denied" }
                    ));
                }
                if verdict.allowed {
                    assert!(
                        !verdict.policies.is_empty(),
                        "{who} {action:?}: no policy named"
                    );
                }
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
}

#[test]
fn a_decision_names_the_policies_that_made_it() {
    let policies = Policies::reference().unwrap();
    let cw = Caller::new(
        Principal::new(PrincipalKind::Caseworker, "anna").with_sites(&["Nord"]),
        "",
    );
    let own = Resource::Case {
        case_id: case_id(CASE),
        site: "Nord".into(),
        restricted_to: None,
    };
    let v = policies.check(&cw, Action::ReadCase, &own).unwrap();
    assert_eq!(v.policies, ["caseworker-own-site"]);
    let restricted = Resource::Case {
        case_id: case_id(CASE),
        site: "Nord".into(),
        restricted_to: Some("personal".into()),
    };
    let v = policies.check(&cw, Action::ReadCase, &restricted).unwrap();
    assert!(!v.allowed);
    assert_eq!(v.policies, ["restricted-case"]);
    let shared = link("documents", Some(DOCUMENT));
    let v = policies.check(&shared, Action::ReadDocument, &own).unwrap();
    assert_eq!(v.policies, ["share-shows-its-documents"]);
    let v = policies
        .check(&shared, Action::ReadDocument, &restricted)
        .unwrap();
    assert!(!v.allowed);
    assert!(
        v.policies.contains(&"share-never-restricted".to_owned()),
        "{:?}",
        v.policies
    );
}

#[test]
fn policies_that_do_not_fit_the_schema_or_lack_an_id_are_refused() {
    let misspelt = r#"@id("x") permit (principal is Akte::Caseworker, action, resource) when { principal.site == "Nord" };"#;
    let e = Policies::parse(misspelt, "test").unwrap_err().to_string();
    assert!(e.contains("does not match the access schema"), "{e}");
    let anonymous = r#"permit (principal is Akte::Auditor, action == Akte::Action::"ReadAccessLog", resource);"#;
    let e = Policies::parse(anonymous, "test").unwrap_err().to_string();
    assert!(e.contains("@id"), "{e}");
    let garbage = "permit (";
    assert!(Policies::parse(garbage, "test").is_err());
}

#[test]
fn access_classes_name_their_resource() {
    let c = case_class("Nord", Some("personal"));
    assert_eq!(
        class_resource(&c),
        Some(Resource::Case {
            case_id: None,
            site: "Nord".into(),
            restricted_to: Some("personal".into())
        })
    );
    assert_eq!(
        class_resource(&case_class("Süd", None)),
        Some(Resource::Case {
            case_id: None,
            site: "Süd".into(),
            restricted_to: None
        })
    );
    assert_eq!(
        class_resource(&inbox_class("Nord")),
        Some(Resource::Inbox {
            site: "Nord".into()
        })
    );
    assert_eq!(class_resource(""), None);
}

#[test]
fn reasons_need_a_code_and_a_text() {
    assert_eq!(Reason::parse("", "").unwrap(), None);
    assert!(Reason::parse("vertretung", "").is_err());
    assert!(Reason::parse("", "weil").is_err());
    assert!(Reason::parse("ver tretung", "weil").is_err());
    assert_eq!(
        Reason::parse(" vertretung ", " Urlaub ").unwrap(),
        Some(Reason {
            code: "vertretung".into(),
            text: "Urlaub".into()
        })
    );
}
