//! Who may call, over gRPC: without valid credentials only health checking
//! and reflection answer; a sample of the access rules' cells end to end;
//! restricted cases invisible in search counts; the audit service.
#![allow(clippy::unwrap_used)]

mod common;

use akte_e2e::Server;
use akte_proto::v1 as pb;
use akte_proto::v1::audit_service_client::AuditServiceClient;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_proto::v1::search_service_client::SearchServiceClient;
use common::*;
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

fn token(server: &Server, args: &[&str]) -> String {
    server.token(args).unwrap()
}

#[tokio::test]
async fn without_valid_credentials_only_health_and_reflection_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        Some("[ocr]\nmode = \"off\"\n[auth]\nleeway_secs = 0\n"),
    )
    .unwrap();
    let other = tempfile::tempdir().unwrap();
    let elsewhere = Server::start(&other.path().join("data"), None).unwrap();
    let foreign = token(&elsewhere, &["--sub", "anna", "--role", "admin"]);
    drop(elsewhere);
    let expired = token(
        &server,
        &["--sub", "anna", "--role", "admin", "--ttl", "1s"],
    );
    let plain = server.raw_channel().await.unwrap();
    let mut health = HealthClient::new(plain.clone());
    health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    // A token for another audience, signed with the right key.
    let other_audience = dir.path().join("other-audience.toml");
    std::fs::write(&other_audience, "[auth]\naudience = \"fremd\"\n").unwrap();
    let out = std::process::Command::new(akte_e2e::akte_bin())
        .args([
            "token",
            "issue",
            "--sub",
            "anna",
            "--role",
            "admin",
            "--data-dir",
        ])
        .arg(&server.data_dir)
        .arg("--config")
        .arg(&other_audience)
        .output()
        .unwrap();
    assert!(out.status.success());
    let wrong_audience = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut tampered = token(&server, &["--sub", "anna", "--role", "caseworker"]);
    tampered.pop();
    tampered.push('x');
    for (what, credential) in [
        ("no token", None),
        ("garbage", Some("not-a-jwt".to_owned())),
        ("another server's key", Some(foreign)),
        ("another audience", Some(wrong_audience)),
        ("a broken signature", Some(tampered)),
    ] {
        let conn = akte_e2e::with_token(plain.clone(), credential.as_deref());
        let e = CaseServiceClient::new(conn.clone())
            .list_cases(pb::ListCasesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
        let e = SearchServiceClient::new(conn.clone())
            .search(pb::SearchRequest {
                query: "Antrag".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
        let e = DocumentServiceClient::new(conn.clone())
            .list_inbox(pb::ListInboxRequest {
                site: "Nord".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
        let e = AuditServiceClient::new(conn)
            .list_access_records(pb::ListAccessRecordsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
    }
    // The one-second token is refused once it has run out (the server
    // allows no clock skew here).
    let mut cases = CaseServiceClient::new(akte_e2e::with_token(plain, Some(&expired)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match cases.list_cases(pb::ListCasesRequest::default()).await {
            Ok(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Ok(_) => panic!("an expired token is still accepted"),
            Err(e) => {
                assert_eq!(e.code(), Code::Unauthenticated);
                assert!(e.message().contains("expired"), "{e:?}");
                break;
            }
        }
    }
}

async fn as_(server: &Server, args: &[&str]) -> Clients {
    let conn = server.channel_as(&token(server, args)).await.unwrap();
    Clients {
        cases: CaseServiceClient::new(conn.clone()),
        docs: DocumentServiceClient::new(conn.clone()),
        search: SearchServiceClient::new(conn),
    }
}

fn reason() -> Option<pb::AccessReason> {
    Some(pb::AccessReason {
        code: "vertretung".into(),
        text: "Urlaubsvertretung".into(),
    })
}

#[tokio::test]
async fn the_rules_hold_over_grpc_and_restricted_cases_stay_invisible() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), Some("[ocr]\nmode = \"off\"\n")).unwrap();
    let mut admin = clients(&server).await;
    create_case(&mut admin, "12345BG0000901", "Nord").await;
    create_case(&mut admin, "12345BG0000902", "Nord").await;
    let text = |case: &str| header(case, "text/plain", "brief.txt");
    let open = upload(
        &mut admin,
        text("12345BG0000901"),
        b"Mietbescheinigung offen",
    )
    .await
    .unwrap();
    let hidden = upload(
        &mut admin,
        text("12345BG0000902"),
        b"Mietbescheinigung geheim",
    )
    .await
    .unwrap();
    admin
        .cases
        .restrict_case(pb::RestrictCaseRequest {
            case_number: "12345BG0000902".into(),
            restricted_to: "personal".into(),
        })
        .await
        .unwrap();

    let mut anna = as_(&server, &["--sub", "anna", "--site", "Nord"]).await;
    let mut bernd = as_(&server, &["--sub", "bernd", "--site", "Süd"]).await;
    let mut petra = as_(
        &server,
        &["--sub", "petra", "--site", "Nord", "--group", "personal"],
    )
    .await;
    let station = as_(
        &server,
        &["--sub", "scan-01", "--role", "station", "--site", "Nord"],
    )
    .await;
    let auditor = token(&server, &["--sub", "revision", "--role", "auditor"]);

    // Once both are indexed, the group sees both; everyone else one.
    let search = |reason: Option<pb::AccessReason>| pb::SearchRequest {
        query: "Mietbescheinigung".into(),
        reason,
        ..Default::default()
    };
    let mut total = 0;
    for _ in 0..300 {
        total = petra
            .search
            .search(search(None))
            .await
            .unwrap()
            .into_inner()
            .total_hits;
        if total == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(total, 2);
    let seen = anna.search.search(search(None)).await.unwrap().into_inner();
    assert_eq!(seen.total_hits, 1);
    assert_eq!(
        seen.hits[0].document.as_ref().unwrap().document_id,
        open.document_id
    );
    assert!(!seen.hits.iter().any(|h| h.snippet.contains("geheim")));
    // Another site: nothing without a reason, the open case with one.
    let r = bernd
        .search
        .search(search(None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total_hits, 0);
    let r = bernd
        .search
        .search(search(reason()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total_hits, 1);

    let get = |id: &str, reason: Option<pb::AccessReason>| pb::GetDocumentRequest {
        document_id: id.into(),
        reason,
    };
    for (who, mut docs, id, reason, code) in [
        ("own site", anna.docs.clone(), &open.document_id, None, None),
        (
            "restricted",
            anna.docs.clone(),
            &hidden.document_id,
            None,
            Some(Code::PermissionDenied),
        ),
        (
            "other site",
            bernd.docs.clone(),
            &open.document_id,
            None,
            Some(Code::PermissionDenied),
        ),
        (
            "other site, reason",
            bernd.docs.clone(),
            &open.document_id,
            reason(),
            None,
        ),
        (
            "restricted, reason",
            bernd.docs.clone(),
            &hidden.document_id,
            reason(),
            Some(Code::PermissionDenied),
        ),
        ("group", petra.docs.clone(), &hidden.document_id, None, None),
    ] {
        let r = docs.get_document(get(id, reason)).await;
        assert_eq!(
            r.as_ref().err().map(tonic::Status::code),
            code,
            "{who}: {r:?}"
        );
    }
    // A station reads nothing; a caseworker does not restrict.
    let mut station = station;
    let e = station
        .docs
        .get_document(get(&open.document_id, None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = anna
        .cases
        .restrict_case(pb::RestrictCaseRequest {
            case_number: "12345BG0000901".into(),
            restricted_to: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Only auditors read the log, and find these calls in it.
    let e = AuditServiceClient::new(server.channel().await.unwrap())
        .list_access_records(pb::ListAccessRecordsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let mut audit = AuditServiceClient::new(server.channel_as(&auditor).await.unwrap());
    let records = audit
        .list_access_records(pb::ListAccessRecordsRequest {
            principal: "caseworker:bernd".into(),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    let with_reason = records
        .iter()
        .find(|r| r.action == "get_document" && r.decision == "allowed")
        .expect("bernd's read with a reason");
    assert_eq!(with_reason.reason.as_ref().unwrap().code, "vertretung");
    assert_eq!(with_reason.policies, ["caseworker-other-site-with-reason"]);
    assert!(records
        .iter()
        .any(|r| r.action == "get_document" && r.decision == "denied"));
    assert!(records.iter().all(|r| r.principal == "caseworker:bernd"));
}

#[tokio::test]
async fn the_log_proves_itself_to_an_auditor() {
    use akte_types::merkle;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(
        &data,
        Some("[ocr]\nmode = \"off\"\n[access]\ncheckpoint_interval_secs = 1\n"),
    )
    .unwrap();
    let mut admin = clients(&server).await;
    create_case(&mut admin, "12345BG0000951", "Nord").await;
    let read = |c: &mut Clients| {
        let mut cases = c.cases.clone();
        async move {
            cases
                .get_case(pb::GetCaseRequest {
                    key: Some(pb::get_case_request::Key::CaseNumber(
                        "12345BG0000951".into(),
                    )),
                    reason: None,
                })
                .await
                .unwrap();
        }
    };
    for _ in 0..5 {
        read(&mut admin).await;
    }
    let auditor = token(&server, &["--sub", "revision", "--role", "auditor"]);
    let mut audit = AuditServiceClient::new(server.channel_as(&auditor).await.unwrap());
    let first = audit
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    // The signature, checked with nothing but the public key.
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &first.public_key)
        .verify(first.signed_text.as_bytes(), &first.signature)
        .expect("the checkpoint's signature verifies");
    assert!(first
        .signed_text
        .contains(&format!("size {}\n", first.size)));
    assert!(first.signed_text.contains(&hex::encode(&first.root)));

    // A record of the log, proven to be in the signed tree.
    let records = audit
        .list_access_records(pb::ListAccessRecordsRequest {
            case_number: "12345BG0000951".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    let some = records
        .iter()
        .find(|r| r.action == "get_case" && r.seq < first.size)
        .unwrap();
    let proof = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            seq: some.seq,
            tree_size: first.size,
        })
        .await
        .unwrap()
        .into_inner();
    let hash = |b: &[u8]| -> merkle::Hash { b.try_into().unwrap() };
    let path: Vec<merkle::Hash> = proof.path.iter().map(|p| hash(p)).collect();
    assert_eq!(proof.root.as_ref(), first.root.as_ref());
    assert!(merkle::verify_inclusion(
        some.seq,
        first.size,
        &merkle::leaf_hash(&proof.record),
        &path,
        &hash(&first.root)
    ));
    assert!(String::from_utf8_lossy(&proof.record).contains("12345BG0000951"));

    // The log grows; the later checkpoint extends the earlier one.
    for _ in 0..7 {
        read(&mut admin).await;
    }
    // The next checkpoint (one a second here) covers them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let second = loop {
        let c = audit
            .get_checkpoint(pb::GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner();
        if c.size > first.size + 7 {
            break c;
        }
        assert!(std::time::Instant::now() < deadline, "no newer checkpoint");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let c = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first: first.size,
            second: second.size,
        })
        .await
        .unwrap()
        .into_inner();
    let proof: Vec<merkle::Hash> = c.proof.iter().map(|p| hash(p)).collect();
    assert!(merkle::verify_consistency(
        first.size,
        second.size,
        &proof,
        &hash(&first.root),
        &hash(&second.root)
    ));
    // Not for caseworkers.
    let anna = token(&server, &["--sub", "anna", "--site", "Nord"]);
    let e = AuditServiceClient::new(server.channel_as(&anna).await.unwrap())
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    drop(server);

    let out = std::process::Command::new(akte_e2e::akte_bin())
        .args(["audit", "verify", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("intact"), "{text}");
}
