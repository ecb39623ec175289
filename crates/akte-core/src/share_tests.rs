//! Share links: what a link shows, to whom it stops showing anything, who
//! may make one, and what the access log keeps of it.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use akte_types::{AccessAction, AccessDecision, AccessRecord, CaseStatus, Document};
use bytes::Bytes;
use futures::StreamExt;

use crate::access::{Caller, Principal, PrincipalKind};
use crate::tests::{admin, store, text_header};
use crate::{
    CoreError, ErrorCode, IssuedShare, NewCase, NewShare, SharePurpose, SharedView, Store,
};

const CASE: &str = "12345BG0000001";
const OTHER: &str = "12345BG0000002";

fn caseworker(name: &str, site: &str) -> Caller {
    Caller::new(
        Principal::new(PrincipalKind::Caseworker, name).with_sites(&[site]),
        "10.0.0.7:5000",
    )
}

fn anna() -> Caller {
    caseworker("anna", "Nord")
}

fn employer() -> Option<SocketAddr> {
    Some(SocketAddr::from(([203, 0, 113, 9], 44321)))
}

fn in_days(days: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(days * 86_400)
}

async fn case(s: &Store, number: &str) {
    s.create_case(
        &admin(),
        NewCase {
            case_number: number.into(),
            site: "Nord".into(),
            ..NewCase::default()
        },
    )
    .await
    .unwrap();
}

async fn upload(s: &Store, number: &str, text: &str) -> Document {
    let body = futures::stream::iter([Ok(Bytes::from(text.as_bytes().to_vec()))]);
    s.upload(&anna(), text_header(number), body).await.unwrap()
}

fn documents(docs: &[&Document]) -> NewShare {
    NewShare {
        case_number: CASE.into(),
        document_ids: docs.iter().map(|d| d.document_id.to_string()).collect(),
        recipient: "Bäckerei Schmidt GmbH".into(),
        expires_at: in_days(14),
        purpose: SharePurpose::Documents,
    }
}

fn status() -> NewShare {
    NewShare {
        document_ids: Vec::new(),
        recipient: "Erika Mustermann".into(),
        purpose: SharePurpose::Status,
        ..documents(&[])
    }
}

/// A case with a CV, a certificate and a letter; a link to the first two.
async fn shared(s: &Store) -> (IssuedShare, [Document; 3]) {
    case(s, CASE).await;
    let cv = upload(s, CASE, "Lebenslauf Erika Mustermann").await;
    let certificate = upload(s, CASE, "Zeugnis der Berufsschule").await;
    let letter = upload(s, CASE, "Kontoauszug Mai").await;
    let link = s
        .create_share(&anna(), documents(&[&cv, &certificate]))
        .await
        .unwrap();
    (link, [cv, certificate, letter])
}

async fn bytes(s: &Store, token: &str, doc: &Document) -> crate::Result<Vec<u8>> {
    let (got, mut stream) = s
        .download_shared(token, &doc.document_id.to_string(), employer())
        .await?;
    assert_eq!(got.document_id, doc.document_id);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

fn assert_gone(e: &CoreError) {
    assert_eq!(e.code(), ErrorCode::Gone, "{e}");
    assert_eq!(e.to_string(), "this link is no longer valid");
}

async fn gone_for(s: &Store, link: &IssuedShare, doc: &Document) {
    assert_gone(&s.open_share(&link.token, employer()).await.unwrap_err());
    assert_gone(&bytes(s, &link.token, doc).await.unwrap_err());
}

fn ids(view: &SharedView) -> Vec<String> {
    view.documents
        .iter()
        .map(|d| d.document_id.to_string())
        .collect()
}

fn log(s: &Store) -> Vec<AccessRecord> {
    s.catalog().access_log(10_000).unwrap()
}

#[tokio::test]
async fn a_link_shows_and_serves_exactly_its_documents() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    let (link, [cv, certificate, letter]) = shared(&s).await;
    assert_eq!(link.token.len(), 43);
    assert_eq!(link.path(), format!("/s/{}", link.token));
    assert_eq!(link.share.created_by, "caseworker:anna");
    assert_eq!(link.share.case_number, CASE);
    assert!(link.share.is_active(SystemTime::now()));

    let view = s.open_share(&link.token, employer()).await.unwrap();
    assert_eq!(
        ids(&view),
        [
            cv.document_id.to_string(),
            certificate.document_id.to_string()
        ]
    );
    assert_eq!(view.share.id, link.share.id);
    assert_eq!(view.status, None);
    assert!(view.timeline.is_empty());
    assert_eq!(
        bytes(&s, &link.token, &cv).await.unwrap(),
        b"Lebenslauf Erika Mustermann"
    );
    assert_eq!(
        bytes(&s, &link.token, &certificate).await.unwrap(),
        b"Zeugnis der Berufsschule"
    );
    // The letter of the same case is not shared; nor is a made-up document.
    assert_gone(&bytes(&s, &link.token, &letter).await.unwrap_err());
    let Err(e) = s
        .download_shared(&link.token, "not-a-document", employer())
        .await
    else {
        panic!("a made-up document is served");
    };
    assert_gone(&e);
    // A document moved to another case leaves the link.
    case(&s, OTHER).await;
    s.assign_document(&anna(), &certificate.document_id.to_string(), OTHER, "")
        .await
        .unwrap();
    let view = s.open_share(&link.token, employer()).await.unwrap();
    assert_eq!(ids(&view), [cv.document_id.to_string()]);
    assert_gone(&bytes(&s, &link.token, &certificate).await.unwrap_err());
}

#[tokio::test]
async fn unknown_expired_revoked_and_restricted_links_are_all_gone_alike() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    let (link, [cv, ..]) = shared(&s).await;
    for token in ["", "x", &"A".repeat(43), &format!("{}x", link.token)] {
        assert_gone(&s.open_share(token, employer()).await.unwrap_err());
        assert_gone(&bytes(&s, token, &cv).await.unwrap_err());
    }

    // Expired.
    let brief = s
        .create_share(
            &anna(),
            NewShare {
                expires_at: SystemTime::now() + Duration::from_millis(300),
                ..documents(&[&cv])
            },
        )
        .await
        .unwrap();
    s.open_share(&brief.token, employer()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    gone_for(&s, &brief, &cv).await;

    // Revoked: by the caseworker, once; revoking again changes nothing.
    let revoked = s.revoke_share(&anna(), &link.share.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by.as_deref(), Some("caseworker:anna"));
    assert!(!revoked.is_active(SystemTime::now()));
    gone_for(&s, &link, &cv).await;
    let again = s.revoke_share(&admin(), &link.share.id).await.unwrap();
    assert_eq!(again, revoked);

    // Restricted after sharing: nothing, and back once the restriction is lifted.
    let open = s.create_share(&anna(), documents(&[&cv])).await.unwrap();
    let status_link = s.create_share(&anna(), status()).await.unwrap();
    s.restrict_case(&admin(), CASE, Some("personal".into()))
        .await
        .unwrap();
    gone_for(&s, &open, &cv).await;
    assert_gone(&s.open_share(&status_link.token, None).await.unwrap_err());
    s.restrict_case(&admin(), CASE, None).await.unwrap();
    assert_eq!(
        bytes(&s, &open.token, &cv).await.unwrap(),
        b"Lebenslauf Erika Mustermann"
    );

    // Every refusal of a known link is logged as the link's, denied.
    let records = log(&s);
    for (share, why) in [
        (&brief.share.id, "the link has expired"),
        (&link.share.id, "the link is revoked"),
    ] {
        let principal = format!("share:{share}");
        let refusals: Vec<&AccessRecord> = records
            .iter()
            .filter(|r| r.principal.as_deref() == Some(principal.as_str()) && r.detail == why)
            .collect();
        assert_eq!(refusals.len(), 2, "{principal} {why}: {records:#?}");
        assert!(refusals
            .iter()
            .all(|r| r.decision == Some(AccessDecision::Denied)
                && r.case_number.as_deref() == Some(CASE)));
    }
    let restricted = format!("share:{}", open.share.id);
    assert!(records.iter().any(|r| {
        r.principal.as_deref() == Some(restricted.as_str())
            && r.decision == Some(AccessDecision::Denied)
            && r.policies.iter().any(|p| p == "share-never-restricted")
    }));
}

#[tokio::test]
async fn a_status_link_shows_the_status_and_public_texts_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    case(&s, CASE).await;
    let doc = upload(&s, CASE, "Antrag auf Bürgergeld").await;
    s.update_case_status(
        &anna(),
        CASE,
        "waiting_for_documents",
        "Bitte reichen Sie Kontoauszüge ein.",
        "Kontoauszüge Mai fehlen",
    )
    .await
    .unwrap();
    let link = s.create_share(&anna(), status()).await.unwrap();
    assert_eq!(link.path(), format!("/status/{}", link.token));
    let view = s.open_share(&link.token, None).await.unwrap();
    assert_eq!(view.status, Some(CaseStatus::WaitingForDocuments));
    assert!(view.documents.is_empty());
    let texts: Vec<&str> = view.timeline.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(texts[0], CaseStatus::Received.public_text());
    assert_eq!(texts[2], "Bitte reichen Sie Kontoauszüge ein.");
    let shown = format!("{view:?}");
    assert!(!shown.contains("Kontoauszüge Mai fehlen"), "{shown}");
    // It serves no document.
    assert_gone(&bytes(&s, &link.token, &doc).await.unwrap_err());
}

#[tokio::test]
async fn only_those_who_may_share_a_case_make_list_and_revoke_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    let (link, [cv, ..]) = shared(&s).await;
    let bernd = caseworker("bernd", "Süd");
    let with_reason = bernd.clone().with_reason(Some(crate::access::Reason {
        code: "vertretung".into(),
        text: "Urlaub".into(),
    }));
    for who in [&bernd, &with_reason] {
        let e = s.create_share(who, documents(&[&cv])).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
        let e = s.list_shares(who, CASE).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
        let e = s.revoke_share(who, &link.share.id).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
    }
    // Denied alike for a link that does not exist.
    let missing = s
        .revoke_share(&bernd, "01JD3X2B0000000000000000SH")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::PermissionDenied);
    assert!(s.open_share(&link.token, None).await.is_ok(), "still open");

    // The caseworker of the site and an administrator list them, newest first.
    let second = s.create_share(&admin(), status()).await.unwrap();
    for who in [anna(), admin()] {
        let listed = s.list_shares(&who, CASE).await.unwrap();
        let listed: Vec<&str> = listed.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(listed, [second.share.id.as_str(), link.share.id.as_str()]);
    }
    assert!(s.list_shares(&anna(), OTHER).await.is_err());

    // A restricted case is not shared, even by its own group.
    let petra = Caller::new(
        Principal::new(PrincipalKind::Caseworker, "petra")
            .with_sites(&["Nord"])
            .with_groups(&["personal"]),
        "",
    );
    s.restrict_case(&admin(), CASE, Some("personal".into()))
        .await
        .unwrap();
    let e = s.create_share(&petra, documents(&[&cv])).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::FailedPrecondition, "{e}");
    let e = s.create_share(&anna(), status()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
    // Its group can still see and revoke the links made before.
    assert_eq!(s.list_shares(&petra, CASE).await.unwrap().len(), 2);
    s.revoke_share(&petra, &second.share.id).await.unwrap();
}

#[tokio::test]
async fn a_link_is_made_with_an_expiry_within_the_limit_and_for_documents_of_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |c| c.shares.max_ttl_days = 30);
    let (_, [cv, ..]) = shared(&s).await;
    case(&s, OTHER).await;
    let elsewhere = {
        let body = futures::stream::iter([Ok(Bytes::from_static(b"Mietvertrag"))]);
        s.upload(&anna(), text_header(OTHER), body).await.unwrap()
    };
    let bad = [
        NewShare {
            expires_at: in_days(31),
            ..documents(&[&cv])
        },
        NewShare {
            expires_at: SystemTime::now() - Duration::from_secs(1),
            ..documents(&[&cv])
        },
        NewShare {
            recipient: "  ".into(),
            ..documents(&[&cv])
        },
        NewShare {
            recipient: "x".repeat(crate::MAX_RECIPIENT + 1),
            ..documents(&[&cv])
        },
        documents(&[]),
        NewShare {
            document_ids: vec!["not-a-document".into()],
            ..documents(&[])
        },
        documents(&[&cv, &elsewhere]),
        NewShare {
            document_ids: vec![cv.document_id.to_string()],
            ..status()
        },
    ];
    for input in bad {
        let e = s.create_share(&anna(), input.clone()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{input:?}: {e}");
    }
    let e = s
        .create_share(
            &anna(),
            NewShare {
                expires_at: in_days(31),
                ..documents(&[&cv])
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("30 days"), "{e}");
    // At the limit it is made; the same document twice is shown once.
    let link = s
        .create_share(
            &anna(),
            NewShare {
                expires_at: in_days(30) - Duration::from_secs(60),
                ..documents(&[&cv, &cv])
            },
        )
        .await
        .unwrap();
    assert_eq!(link.share.document_ids, [cv.document_id.to_string()]);
}

#[tokio::test]
async fn the_access_log_names_the_link_never_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), |_| {});
    let (link, [cv, _, letter]) = shared(&s).await;
    s.open_share(&link.token, employer()).await.unwrap();
    bytes(&s, &link.token, &cv).await.unwrap();
    assert!(bytes(&s, &link.token, &letter).await.is_err());
    s.list_shares(&anna(), CASE).await.unwrap();
    s.revoke_share(&anna(), &link.share.id).await.unwrap();
    assert!(s.open_share(&link.token, employer()).await.is_err());

    let records = log(&s);
    let everything = serde_json::to_string(&records).unwrap();
    assert!(!everything.contains(&link.token), "the token is in the log");
    let principal = format!("share:{}", link.share.id);
    let of_link: Vec<&AccessRecord> = records
        .iter()
        .filter(|r| r.principal.as_deref() == Some(principal.as_str()))
        .collect();
    let seen: Vec<(AccessAction, Option<AccessDecision>)> = of_link
        .iter()
        .rev()
        .map(|r| (r.action, r.decision))
        .collect();
    assert_eq!(
        seen,
        [
            (AccessAction::OpenShare, Some(AccessDecision::Allowed)),
            (
                AccessAction::DownloadDocument,
                Some(AccessDecision::Allowed)
            ),
            (AccessAction::DownloadDocument, Some(AccessDecision::Denied)),
            (AccessAction::OpenShare, Some(AccessDecision::Denied)),
        ]
    );
    for r in &of_link {
        assert_eq!(r.peer, "203.0.113.9:44321");
        assert_eq!(r.case_number.as_deref(), Some(CASE));
    }
    let opened = of_link.last().unwrap();
    assert_eq!(opened.policies, ["share-shows-its-documents"]);
    assert!(opened.detail.contains(&cv.document_id.to_string()));
    assert_eq!(
        of_link[2].document_id,
        Some(cv.document_id.to_string()),
        "the download names its document"
    );
    // Making, listing and revoking are the caseworker's.
    let by_anna: Vec<AccessAction> = records
        .iter()
        .rev()
        .filter(|r| r.principal.as_deref() == Some("caseworker:anna"))
        .map(|r| r.action)
        .filter(|a| {
            matches!(
                a,
                AccessAction::CreateShare | AccessAction::ListShares | AccessAction::RevokeShare
            )
        })
        .collect();
    assert_eq!(
        by_anna,
        [
            AccessAction::CreateShare,
            AccessAction::ListShares,
            AccessAction::RevokeShare
        ]
    );
}
