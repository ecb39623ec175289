//! The access rules as the store applies them: every entry point checks,
//! logs, and never reveals a restricted case.

use akte_types::{AccessAction, AccessDecision, TransferNote};
use bytes::Bytes;

use crate::access::{Caller, Principal, PrincipalKind, Reason};
use crate::tests::{admin, store};
use crate::{ErrorCode, NewCase, SearchRequest, Store, UploadHeader};

fn caseworker(name: &str, site: &str) -> Caller {
    Caller::new(
        Principal::new(PrincipalKind::Caseworker, name).with_sites(&[site]),
        "10.0.0.7:5000",
    )
}

fn body(text: &str) -> impl futures::Stream<Item = crate::Result<Bytes>> + Send + 'static {
    futures::stream::iter([Ok(Bytes::from(text.as_bytes().to_vec()))])
}

use crate::tests::text_header as header;

async fn case(s: &Store, number: &str, site: &str, restricted: Option<&str>) {
    s.create_case(
        &admin(),
        NewCase {
            case_number: number.into(),
            site: site.into(),
            title: format!("Akte {number}"),
            restricted_to: restricted.map(str::to_owned),
            ..NewCase::default()
        },
    )
    .await
    .unwrap();
}

fn find(q: &str) -> SearchRequest {
    SearchRequest {
        query: q.into(),
        ..SearchRequest::default()
    }
}

async fn hits(s: &Store, who: &Caller, q: &str) -> (u64, Vec<String>) {
    let page = s.search(who, find(q)).await.unwrap();
    let cases = page
        .hits
        .iter()
        .map(|h| h.document.case_number_str().to_owned())
        .collect();
    (page.total_hits, cases)
}

#[tokio::test]
async fn a_restricted_case_is_invisible_to_everyone_outside_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    case(&s, "12345BG0000002", "Nord", None).await;
    for n in ["12345BG0000001", "12345BG0000002"] {
        s.upload(&admin(), header(n), body("Mietbescheinigung der Wohnung"))
            .await
            .unwrap();
    }
    s.index_pending().await.unwrap();
    let anna = caseworker("anna", "Nord");
    let mut personal = anna.clone();
    personal.principal.name = "petra".into();
    personal.principal.groups = vec!["personal".into()];
    assert_eq!(hits(&s, &anna, "Mietbescheinigung").await.0, 2);

    // Restricting takes effect in search before the call returns.
    let view = s
        .restrict_case(&admin(), "12345BG0000002", Some("personal".into()))
        .await
        .unwrap();
    assert_eq!(view.case.restricted_to.as_deref(), Some("personal"));
    // Queued for indexing in the same write, should the index not have
    // taken the change (it has, see below).
    assert_eq!(s.queue_len().await.unwrap(), 1);
    let (total, cases) = hits(&s, &anna, "Mietbescheinigung").await;
    assert_eq!((total, cases), (1, vec!["12345BG0000001".to_owned()]));
    // Not by the case number either, nor with a stated reason.
    let with_reason = anna.clone().with_reason(Some(Reason {
        code: "vertretung".into(),
        text: "Urlaub".into(),
    }));
    let by_number = SearchRequest {
        case_number: Some("12345BG0000002".into()),
        ..find("")
    };
    for who in [&anna, &with_reason] {
        assert_eq!(
            s.search(who, by_number.clone()).await.unwrap().total_hits,
            0
        );
        let e = s
            .get_case_by_number(who, "12345BG0000002")
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
        // Worded as for a case that does not exist.
        let missing = s
            .get_case_by_number(who, "12345BG0000099")
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string().replace("0000002", "0000099"),
            missing.to_string()
        );
        let e = s
            .list_case_documents(who, None, Some("12345BG0000002"), 10, "")
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
    }
    // An administrator may lift it, but not read it.
    assert_eq!(
        s.get_case_by_number(&admin(), "12345BG0000002")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    // Its group sees it, in search and in listings.
    assert_eq!(hits(&s, &personal, "Mietbescheinigung").await.0, 2);
    let (cases, _) = s.list_cases(&anna, "Nord", 10, "").await.unwrap();
    assert_eq!(cases.len(), 1);
    let (cases, _) = s.list_cases(&personal, "Nord", 10, "").await.unwrap();
    assert_eq!(cases.len(), 2);

    // Rebuilding the index keeps the restriction.
    s.reindex_all().await.unwrap();
    assert_eq!(hits(&s, &anna, "Mietbescheinigung").await.0, 1);

    s.restrict_case(&admin(), "12345BG0000002", None)
        .await
        .unwrap();
    assert_eq!(hits(&s, &anna, "Mietbescheinigung").await.0, 2);
}

#[tokio::test]
async fn another_sites_case_needs_a_stated_reason_which_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    let doc = s
        .upload(&admin(), header("12345BG0000001"), body("Lohnabrechnung"))
        .await
        .unwrap();
    s.index_pending().await.unwrap();
    let sued = caseworker("bernd", "Süd");
    let id = doc.document_id.to_string();
    assert_eq!(
        s.get_document(&sued, &id).await.unwrap_err().code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(hits(&s, &sued, "Lohnabrechnung").await.0, 0);
    let reasoned = sued.clone().with_reason(Some(Reason {
        code: "umzug".into(),
        text: "Leistungsberechtigte zieht nach Süd".into(),
    }));
    assert_eq!(
        s.get_document(&reasoned, &id).await.unwrap().document_id,
        doc.document_id
    );
    assert_eq!(hits(&s, &reasoned, "Lohnabrechnung").await.0, 1);
    // Reading is not writing: filing into another site's case stays closed.
    assert_eq!(
        s.upload(&reasoned, header("12345BG0000001"), body("x"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );

    let auditor = Caller::new(Principal::new(PrincipalKind::Auditor, "revision"), "");
    let log = s.access_log(&auditor, 100).await.unwrap();
    let reads: Vec<_> = log
        .iter()
        .filter(|r| r.principal.as_deref() == Some("caseworker:bernd"))
        .collect();
    let denied_read = reads
        .iter()
        .find(|r| {
            r.action == AccessAction::GetDocument && r.decision == Some(AccessDecision::Denied)
        })
        .expect("the denied read is logged");
    assert_eq!(denied_read.document_id.as_deref(), Some(id.as_str()));
    let allowed_read = reads
        .iter()
        .find(|r| {
            r.action == AccessAction::GetDocument && r.decision == Some(AccessDecision::Allowed)
        })
        .expect("the allowed read is logged");
    assert_eq!(
        allowed_read.reason,
        Some(("umzug".into(), "Leistungsberechtigte zieht nach Süd".into()))
    );
    assert_eq!(allowed_read.policies, ["caseworker-other-site-with-reason"]);
    assert_eq!(allowed_read.peer, "10.0.0.7:5000");
    assert_eq!(allowed_read.case_number.as_deref(), Some("12345BG0000001"));
    let search = reads
        .iter()
        .find(|r| r.action == AccessAction::Search)
        .expect("searches are logged");
    assert!(
        search.detail.contains("Lohnabrechnung"),
        "{}",
        search.detail
    );
    // Auditors read the log, not documents; caseworkers not the log.
    assert_eq!(
        s.get_document(&auditor, &id).await.unwrap_err().code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.access_log(&sued, 10).await.unwrap_err().code(),
        ErrorCode::PermissionDenied
    );
}

#[tokio::test]
async fn stations_upload_under_their_own_id_only_and_read_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    let station = Caller::new(
        Principal::new(PrincipalKind::Station, "scan-01").with_sites(&["Nord"]),
        "10.0.0.9:1",
    );
    let scanned = |station_id: &str| UploadHeader {
        transfer_note: Some(TransferNote {
            station_id: station_id.into(),
            ..TransferNote::default()
        }),
        ..header("12345BG0000001")
    };
    let doc = s
        .upload(&station, scanned("scan-01"), body("Antrag"))
        .await
        .unwrap();
    // Sending it again gives its own acknowledgement back.
    let again = s
        .upload(&station, scanned("scan-01"), body("Antrag"))
        .await
        .unwrap();
    assert_eq!(again.document_id, doc.document_id);
    assert_eq!(
        s.upload(&station, scanned("scan-02"), body("Antrag"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.upload(&station, header("12345BG0000001"), body("ohne Vermerk"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.get_document(&station, &doc.document_id.to_string())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    s.index_pending().await.unwrap();
    assert_eq!(hits(&s, &station, "Antrag").await.0, 0);
    // Someone else naming that station does not learn where its document went.
    case(&s, "12345BG0000002", "Süd", None).await;
    let bernd = caseworker("bernd", "Süd");
    let posing = UploadHeader {
        case_number: "12345BG0000002".into(),
        ..scanned("scan-01")
    };
    assert_eq!(
        s.upload(&bernd, posing, body("Antrag"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
}

#[tokio::test]
async fn listings_pass_over_what_the_caller_may_not_see_and_keep_pages_full() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    for i in 1..=9 {
        let restricted = (i % 3 == 0).then_some("personal");
        case(&s, &format!("12345BG000000{i}"), "Nord", restricted).await;
    }
    let anna = caseworker("anna", "Nord");
    let (first, token) = s.list_cases(&anna, "", 4, "").await.unwrap();
    let (second, end) = s.list_cases(&anna, "", 4, &token).await.unwrap();
    let numbers: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|v| v.case.case_number.to_string())
        .collect();
    assert_eq!(first.len(), 4);
    assert_eq!(numbers.len(), 6);
    assert!(
        numbers.iter().all(|n| !n.ends_with(['3', '6', '9'])),
        "{numbers:?}"
    );
    assert!(end.is_empty());
    // Another site's caseworker sees none.
    let (none, _) = s
        .list_cases(&caseworker("bernd", "Süd"), "", 4, "")
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn filing_needs_the_right_on_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    case(&s, "12345BG0000002", "Süd", None).await;
    let inbox = UploadHeader {
        site: "Nord".into(),
        ..header("")
    };
    let doc = s
        .upload(&admin(), inbox, body("ohne Nummer"))
        .await
        .unwrap();
    s.index_pending().await.unwrap();
    let id = doc.document_id.to_string();
    let anna = caseworker("anna", "Nord");
    assert_eq!(
        s.assign_document(&anna, &id, "12345BG0000002", "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    let bernd = caseworker("bernd", "Süd");
    assert_eq!(
        s.assign_document(&bernd, &id, "12345BG0000002", "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    let filed = s
        .assign_document(&anna, &id, "12345BG0000001", "Posteingang")
        .await
        .unwrap();
    assert_eq!(filed.case_number_str(), "12345BG0000001");
}

#[tokio::test]
async fn a_document_filed_into_a_restricted_case_vanishes_from_others_searches_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", Some("personal")).await;
    let inbox = UploadHeader {
        site: "Nord".into(),
        ..header("")
    };
    let doc = s
        .upload(&admin(), inbox, body("Gehaltsabrechnung Kollegin"))
        .await
        .unwrap();
    s.index_pending().await.unwrap();
    let anna = caseworker("anna", "Nord");
    assert_eq!(hits(&s, &anna, "Gehaltsabrechnung").await.0, 1);
    let mut petra = anna.clone();
    petra.principal.groups = vec!["personal".into()];
    s.assign_document(&petra, &doc.document_id.to_string(), "12345BG0000001", "")
        .await
        .unwrap();
    // No indexing pass in between.
    assert_eq!(hits(&s, &anna, "Gehaltsabrechnung").await.0, 0);
    assert_eq!(hits(&s, &petra, "Gehaltsabrechnung").await.0, 1);
}

#[tokio::test]
async fn a_letter_routed_into_a_restricted_case_is_never_counted_for_others() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000002", "Nord", Some("personal")).await;
    let inbox = UploadHeader {
        site: "Nord".into(),
        ..header("")
    };
    s.upload(
        &admin(),
        inbox,
        body("Ihr Zeichen 12345BG0000002: Gehaltsabrechnung"),
    )
    .await
    .unwrap();
    // Filed by the number in its text (the pass that files it indexes it
    // under the restricted case's class).
    s.index_pending().await.unwrap();
    let anna = caseworker("anna", "Nord");
    assert_eq!(hits(&s, &anna, "Gehaltsabrechnung").await.0, 0);
    let mut petra = anna.clone();
    petra.principal.groups = vec!["personal".into()];
    assert_eq!(hits(&s, &petra, "Gehaltsabrechnung").await.0, 1);
}

#[tokio::test]
async fn a_taken_case_number_is_said_only_to_whoever_may_read_that_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    let attempt = |site: &str| NewCase {
        case_number: "12345BG0000001".into(),
        site: site.into(),
        ..NewCase::default()
    };
    let anna = caseworker("anna", "Nord");
    assert_eq!(
        s.create_case(&anna, attempt("Nord"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::AlreadyExists
    );
    let bernd = caseworker("bernd", "Süd");
    assert_eq!(
        s.create_case(&bernd, attempt("Süd"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
}

#[tokio::test]
async fn a_cases_status_and_timeline_tell_what_happened_publicly_and_internally() {
    use akte_types::{CaseStatus, TimelineKind};
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    let anna = caseworker("anna", "Nord");
    s.upload(
        &anna,
        header("12345BG0000001"),
        body("Antrag auf Bürgergeld"),
    )
    .await
    .unwrap();
    let inbox = UploadHeader {
        site: "Nord".into(),
        ..header("")
    };
    let letter = s.upload(&anna, inbox, body("Nachweis")).await.unwrap();
    s.index_pending().await.unwrap();
    s.assign_document(
        &anna,
        &letter.document_id.to_string(),
        "12345BG0000001",
        "Nachweis zum Antrag",
    )
    .await
    .unwrap();
    let view = s
        .update_case_status(
            &anna,
            "12345BG0000001",
            "waiting_for_documents",
            "Bitte reichen Sie Kontoauszüge ein.",
            "Kontoauszüge Mai fehlen",
        )
        .await
        .unwrap();
    assert_eq!(view.case.status, CaseStatus::WaitingForDocuments);
    s.update_case_status(&anna, "12345BG0000001", "closed", "", "bewilligt")
        .await
        .unwrap();
    s.update_case_status(
        &anna,
        "12345BG0000001",
        "in_progress",
        "",
        "Widerspruch eingegangen",
    )
    .await
    .unwrap();
    let timeline = s.case_timeline(&anna, "12345BG0000001").await.unwrap();
    let kinds: Vec<TimelineKind> = timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Created,
            TimelineKind::DocumentReceived,
            TimelineKind::DocumentAssigned,
            TimelineKind::StatusChanged,
            TimelineKind::Closed,
            TimelineKind::Reopened,
        ]
    );
    assert_eq!(
        timeline[3].public_text,
        "Bitte reichen Sie Kontoauszüge ein."
    );
    assert_eq!(timeline[3].internal_text, "Kontoauszüge Mai fehlen");
    assert_eq!(timeline[3].by.as_deref(), Some("caseworker:anna"));
    assert_eq!(timeline[4].public_text, CaseStatus::Closed.public_text());
    assert_eq!(timeline[5].status, CaseStatus::InProgress);
    assert_eq!(
        timeline[2].document_id,
        Some(letter.document_id.to_string())
    );
    // Another site's caseworker neither changes nor reads it; bad input changes nothing.
    let bernd = caseworker("bernd", "Süd");
    assert_eq!(
        s.update_case_status(&bernd, "12345BG0000001", "decided", "", "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.case_timeline(&bernd, "12345BG0000001")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        s.update_case_status(&anna, "12345BG0000001", "vertagt", "", "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        s.case_timeline(&anna, "12345BG0000001")
            .await
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn a_reason_stated_for_one_case_opens_that_case_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, "12345BG0000001", "Nord", None).await;
    case(&s, "12345BG0000002", "Nord", None).await;
    let first = s
        .upload(&admin(), header("12345BG0000001"), body("Lohnabrechnung"))
        .await
        .unwrap();
    let second = s
        .upload(&admin(), header("12345BG0000002"), body("Kontoauszug"))
        .await
        .unwrap();
    s.index_pending().await.unwrap();
    let reason = Some(Reason {
        code: "vertretung".into(),
        text: "Urlaubsvertretung".into(),
    });
    let first_case = first.case_id.unwrap();
    let scoped = caseworker("bernd", "Süd").with_reason_for_case(reason, first_case);
    s.get_document(&scoped, &first.document_id.to_string())
        .await
        .unwrap();
    s.get_case_by_number(&scoped, "12345BG0000001")
        .await
        .unwrap();
    for denied in [
        s.get_document(&scoped, &second.document_id.to_string())
            .await
            .map(drop),
        s.get_case_by_number(&scoped, "12345BG0000002")
            .await
            .map(drop),
    ] {
        assert_eq!(denied.unwrap_err().code(), ErrorCode::PermissionDenied);
    }
    // Nor does it widen a search.
    assert_eq!(hits(&s, &scoped, "Lohnabrechnung").await.0, 0);
}
