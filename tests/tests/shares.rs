//! Share links over gRPC (`ShareService`) and with `akte share`, against the
//! real server: who may make them, what the server checks, listing and
//! revoking, and what the access log keeps (never a link's token).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use akte_e2e::{akte_bin, Conn, Server};
use akte_proto::v1 as pb;
use akte_proto::v1::audit_service_client::AuditServiceClient;
use akte_proto::v1::case_service_client::CaseServiceClient;
use akte_proto::v1::share_service_client::ShareServiceClient;
use common::*;
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const CASE: &str = "12345BG0000701";
const RESTRICTED: &str = "12345BG0000702";

fn in_days(days: u64) -> prost_types::Timestamp {
    let at = SystemTime::now() + Duration::from_secs(days * 86_400);
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    prost_types::Timestamp {
        seconds: i64::try_from(secs).unwrap(),
        nanos: 0,
    }
}

fn documents(ids: &[&str], days: u64) -> pb::CreateShareRequest {
    pb::CreateShareRequest {
        case_number: CASE.into(),
        document_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        recipient: "Bäckerei Schmidt GmbH".into(),
        expires_at: Some(in_days(days)),
        purpose: pb::SharePurpose::Documents as i32,
    }
}

async fn shares_as(server: &Server, args: &[&str]) -> ShareServiceClient<Conn> {
    let token = server.token(args).unwrap();
    ShareServiceClient::new(server.channel_as(&token).await.unwrap())
}

/// A server with a case of Nord holding two documents, and a restricted case.
async fn setup(dir: &std::path::Path) -> (Server, Vec<String>) {
    let server = Server::start(&dir.join("data"), Some("[ocr]\nmode = \"off\"\n")).unwrap();
    let mut admin = clients(&server).await;
    create_case(&mut admin, CASE, "Nord").await;
    create_case(&mut admin, RESTRICTED, "Nord").await;
    let mut ids = Vec::new();
    for (name, text) in [
        ("lebenslauf.txt", "Lebenslauf Erika Mustermann"),
        ("zeugnis.txt", "Zeugnis der Berufsschule"),
    ] {
        let doc = upload(
            &mut admin,
            header(CASE, "text/plain", name),
            text.as_bytes(),
        )
        .await
        .unwrap();
        ids.push(doc.document_id);
    }
    admin
        .cases
        .restrict_case(pb::RestrictCaseRequest {
            case_number: RESTRICTED.into(),
            restricted_to: "personal".into(),
        })
        .await
        .unwrap();
    (server, ids)
}

#[tokio::test]
async fn share_links_are_made_listed_and_revoked_over_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ids) = setup(dir.path()).await;
    let mut health = HealthClient::new(server.raw_channel().await.unwrap());
    let serving = health
        .check(HealthCheckRequest {
            service: "akte.v1.ShareService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(serving.status, 1, "ShareService is SERVING");

    let mut anna = shares_as(&server, &["--sub", "anna", "--site", "Nord"]).await;
    let made = anna
        .create_share(documents(&[&ids[0]], 14))
        .await
        .unwrap()
        .into_inner();
    let share = made.share.clone().unwrap();
    assert_eq!(made.token.len(), 43);
    assert_eq!(made.path, format!("/s/{}", made.token));
    assert_eq!(share.case_number, CASE);
    assert_eq!(share.document_ids, [ids[0].clone()]);
    assert_eq!(share.created_by, "caseworker:anna");
    assert_eq!(share.purpose, pb::SharePurpose::Documents as i32);
    assert!(share.active && share.revoked_at.is_none());
    let expires = share.expires_at.unwrap().seconds;
    assert!((expires - in_days(14).seconds).abs() <= 1, "{expires}");

    let status = anna
        .create_share(pb::CreateShareRequest {
            document_ids: Vec::new(),
            recipient: "Erika Mustermann".into(),
            purpose: pb::SharePurpose::Status as i32,
            ..documents(&[], 30)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.path, format!("/status/{}", status.token));
    assert_ne!(status.token, made.token);

    // What the server refuses.
    let refused = [
        (
            "beyond max_ttl_days",
            documents(&[&ids[0]], 91),
            Code::InvalidArgument,
        ),
        (
            "without an expiry",
            pb::CreateShareRequest {
                expires_at: None,
                ..documents(&[&ids[0]], 1)
            },
            Code::InvalidArgument,
        ),
        (
            "without a purpose",
            pb::CreateShareRequest {
                purpose: 0,
                ..documents(&[&ids[0]], 1)
            },
            Code::InvalidArgument,
        ),
        (
            "without documents",
            documents(&[], 1),
            Code::InvalidArgument,
        ),
        (
            "without a recipient",
            pb::CreateShareRequest {
                recipient: String::new(),
                ..documents(&[&ids[0]], 1)
            },
            Code::InvalidArgument,
        ),
        (
            "a case restricted to another group",
            pb::CreateShareRequest {
                case_number: RESTRICTED.into(),
                ..documents(&[&ids[0]], 1)
            },
            Code::PermissionDenied,
        ),
    ];
    for (what, request, code) in refused {
        let e = anna.create_share(request).await.unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e:?}");
    }
    // A restricted case is not shared, even by its group.
    let mut petra = shares_as(
        &server,
        &["--sub", "petra", "--site", "Nord", "--group", "personal"],
    )
    .await;
    let e = petra
        .create_share(pb::CreateShareRequest {
            case_number: RESTRICTED.into(),
            recipient: "Erika Mustermann".into(),
            purpose: pb::SharePurpose::Status as i32,
            ..documents(&[], 7)
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    // Another site's caseworker makes, lists and revokes nothing.
    let mut bernd = shares_as(&server, &["--sub", "bernd", "--site", "Süd"]).await;
    let e = bernd
        .create_share(documents(&[&ids[1]], 7))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = bernd
        .list_shares(pb::ListSharesRequest {
            case_number: CASE.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = bernd
        .revoke_share(pb::RevokeShareRequest {
            share_id: share.share_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Listed newest first; revoked once, and listed so.
    let list = |client: &mut ShareServiceClient<Conn>| {
        let mut client = client.clone();
        async move {
            client
                .list_shares(pb::ListSharesRequest {
                    case_number: CASE.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .shares
        }
    };
    let listed = list(&mut anna).await;
    let listed_ids: Vec<&str> = listed.iter().map(|s| s.share_id.as_str()).collect();
    let status_id = status.share.as_ref().unwrap().share_id.clone();
    assert_eq!(listed_ids, [status_id.as_str(), share.share_id.as_str()]);
    assert!(listed.iter().all(|s| s.active));
    let revoked = anna
        .revoke_share(pb::RevokeShareRequest {
            share_id: share.share_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!revoked.active);
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by, "caseworker:anna");
    let listed = list(&mut anna).await;
    assert!(listed[0].active);
    assert!(!listed[1].active && listed[1].revoked_at.is_some());
    // An administrator manages every site's links.
    let mut admin = ShareServiceClient::new(server.channel().await.unwrap());
    assert_eq!(list(&mut admin).await.len(), 2);

    // The access log has what was done, by whom, and never a token.
    let auditor = server
        .token(&["--sub", "revision", "--role", "auditor"])
        .unwrap();
    let records = AuditServiceClient::new(server.channel_as(&auditor).await.unwrap())
        .list_access_records(pb::ListAccessRecordsRequest {
            case_number: CASE.into(),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    let actions: Vec<(&str, &str, &str)> = records
        .iter()
        .filter(|r| r.action.contains("share"))
        .map(|r| (r.action.as_str(), r.principal.as_str(), r.decision.as_str()))
        .collect();
    for expected in [
        ("create_share", "caseworker:anna", "allowed"),
        ("create_share", "caseworker:bernd", "denied"),
        ("list_shares", "caseworker:anna", "allowed"),
        ("revoke_share", "caseworker:anna", "allowed"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    let everything = format!("{records:?}");
    assert!(!everything.contains(&made.token) && !everything.contains(&status.token));

    // The case itself is unchanged by sharing.
    let case = CaseServiceClient::new(server.channel().await.unwrap())
        .get_case(pb::GetCaseRequest {
            key: Some(pb::get_case_request::Key::CaseNumber(CASE.into())),
            reason: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.document_count, 2);
}

fn akte(server: &Server, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(akte_bin())
        .args(args)
        .env("AKTE_SERVER", &server.addr)
        .env("AKTE_TOKEN_FILE", server.admin_token_file())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value of a `name   value` line of `akte share` output.
fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {out}"))
}

#[tokio::test]
async fn akte_share_makes_lists_and_revokes_links() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ids) = setup(dir.path()).await;

    let (ok, out, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--document",
            &ids[0],
            &ids[1],
            "--recipient",
            "Bäckerei Schmidt GmbH",
            "--expires",
            "14d",
        ],
    );
    assert!(ok, "{err}");
    let path = field(&out, "path");
    assert!(path.starts_with("/s/") && path.len() == 3 + 43, "{out}");
    let id = field(&out, "share")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(out.contains(&ids[0]) && out.contains(&ids[1]), "{out}");
    let expires = field(&out, "expires");
    let expected =
        humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(14 * 86_400))
            .to_string();
    assert_eq!(&expires[..10], &expected[..10], "{out}");

    // With the web interface's address: the whole link, its QR code and the
    // printable card.
    let web = server.web_url().unwrap();
    let qr = dir.path().join("link.png");
    let card = dir.path().join("karte.pdf");
    let (ok, out, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--document",
            &ids[0],
            "--recipient",
            "Pflegedienst Nord",
            "--expires",
            "7d",
            "--web-url",
            &format!("{web}/"),
            "--qr",
            qr.to_str().unwrap(),
            "--card",
            card.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let url = field(&out, "url").to_owned();
    assert_eq!(url, format!("{web}{}", field(&out, "path")));
    let img = image::open(&qr).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    assert_eq!(
        grids[0].decode().unwrap().1,
        url,
        "the QR code holds the link"
    );
    assert!(std::fs::read(&card).unwrap().starts_with(b"%PDF"));
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Pflegedienst Nord"));
    let (ok, _, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--document",
            &ids[0],
            "--recipient",
            "x",
            "--expires",
            "1d",
            "--qr",
            "x.png",
        ],
    );
    assert!(!ok && err.contains("--web-url"), "{err}");

    let (ok, out, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--status",
            "--recipient",
            "Erika Mustermann",
            "--expires",
            "2099-01-01T00:00:00Z",
        ],
    );
    // Beyond shares.max_ttl_days (90) of the server.
    assert!(!ok, "{out}");
    assert!(err.contains("90 days"), "{err}");
    let at =
        humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(30 * 86_400))
            .to_string();
    let (ok, out, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--status",
            "--recipient",
            "Erika Mustermann",
            "--expires",
            &at,
        ],
    );
    assert!(ok, "{err}");
    assert!(field(&out, "path").starts_with("/status/"), "{out}");
    assert_eq!(field(&out, "expires"), at, "{out}");
    let status_id = field(&out, "share")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    // Refused by the CLI itself: a document with --status, no expiry it reads.
    let (ok, _, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--status",
            "--document",
            &ids[0],
            "--recipient",
            "x",
            "--expires",
            "1d",
        ],
    );
    assert!(!ok && err.contains("--document"), "{err}");
    let (ok, _, err) = akte(
        &server,
        &[
            "share",
            "create",
            CASE,
            "--document",
            &ids[0],
            "--recipient",
            "x",
            "--expires",
            "soon",
        ],
    );
    assert!(!ok && err.contains("--expires"), "{err}");

    let (ok, out, err) = akte(&server, &["share", "list", CASE]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with(&status_id) && lines[0].contains("status"),
        "{out}"
    );
    assert!(
        lines[2].starts_with(&id) && lines[2].contains("documents"),
        "{out}"
    );
    assert!(lines.iter().all(|l| l.contains("active")), "{out}");

    let (ok, out, err) = akte(&server, &["share", "revoke", &id]);
    assert!(ok, "{err}");
    assert!(field(&out, "revoked").ends_with("by admin:admin"), "{out}");
    let (ok, out, _) = akte(&server, &["share", "list", CASE]);
    assert!(ok);
    assert!(out.lines().nth(2).unwrap().contains("revoked"), "{out}");
    let (ok, _, err) = akte(&server, &["share", "revoke", "01JD3X2B0000000000000000SH"]);
    assert!(!ok && err.contains("not permitted"), "{err}");
}
