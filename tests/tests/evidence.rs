//! A document proven unchanged without akte's code: the real server signs
//! the evidence log's root, `akte evidence --json` gives the proof, and
//! `tests/evidence/verify.py` (Python's standard library, Ed25519 by the
//! `cryptography` package or by `openssl`) checks it against the file.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use akte_e2e::{akte_bin, Server};
use common::*;

/// `akte ARGS` as the server's administrator, or as the holder of `token`.
fn akte(server: &Server, args: &[&str], token: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(akte_bin());
    cmd.args(args)
        .env("AKTE_SERVER", &server.addr)
        .env("RUST_BACKTRACE", "0");
    match token {
        Some(t) => cmd.env("AKTE_TOKEN", t),
        None => cmd.env("AKTE_TOKEN_FILE", server.admin_token_file()),
    };
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The evidence of a document as `akte evidence --json` prints it.
fn evidence_json(server: &Server, id: &str) -> serde_json::Value {
    let (ok, out, err) = akte(server, &["evidence", id, "--json"], None);
    assert!(ok, "akte evidence: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Runs the verifier on `evidence` and `document`; whether it verified, and
/// what it said.
fn verify(
    dir: &Path,
    evidence: &serde_json::Value,
    document: &[u8],
    extra: &[&str],
) -> (bool, String) {
    let json = dir.join("evidence.json");
    let file = dir.join("document");
    std::fs::write(&json, serde_json::to_vec_pretty(evidence).unwrap()).unwrap();
    std::fs::write(&file, document).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("evidence/verify.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&json)
        .arg(&file)
        .args(extra)
        .output()
        .expect("python3 runs the verifier");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => (true, said),
        Some(1) => (false, said),
        other => panic!("the verifier exited with {other:?}: {said}"),
    }
}

/// The roots of the evidence log in the object store: their file names.
fn roots(data: &Path) -> Vec<String> {
    files_below(&data.join("objects/evidence"))
        .iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("roots")))
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .collect()
}

async fn upload_letters(c: &mut Clients, case: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..n {
        let content = format!("Schreiben {i} an das Jobcenter: Nachweis der Miete").into_bytes();
        let doc = upload(
            c,
            header(case, "text/plain", &format!("brief-{i}.txt")),
            &content,
        )
        .await
        .unwrap();
        out.push((doc.document_id, content));
    }
    out
}

#[tokio::test]
async fn a_document_is_proven_unchanged_without_akte_and_a_changed_byte_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(
        &data,
        Some("[ocr]\nmode = \"off\"\n[evidence]\ncheckpoint_interval_secs = 1\n"),
    )
    .unwrap();
    let mut c = clients(&server).await;
    create_case(&mut c, "12345BG0000961", "Nord").await;
    let docs = upload_letters(&mut c, "12345BG0000961", 5).await;
    // The scheduled root covers all five.
    wait_until("a root of five documents is signed", || {
        roots(&data).contains(&format!("{:020}.json", 5))
    })
    .await;

    let key_file = files_below(&data.join("objects/evidence"))
        .into_iter()
        .find(|p| p.ends_with("checkpoint-key.pub"))
        .expect("the public key is in the object store");
    let pinned = std::fs::read_to_string(key_file).unwrap();
    for (i, (id, content)) in docs.iter().enumerate() {
        let e = evidence_json(&server, id);
        assert_eq!(e["document_id"], id.as_str());
        assert_eq!(e["sha256"], sha256_hex(content));
        assert_eq!(e["leaf_index"], i as u64);
        assert_eq!(e["root"]["size"], 5);
        assert_eq!(e["root"]["public_key"], pinned.trim());
        let (ok, said) = verify(dir.path(), &e, content, &["--public-key", pinned.trim()]);
        assert!(ok, "document {i}: {said}");
        assert!(said.starts_with("verified"), "{said}");
    }

    let (id, content) = &docs[2];
    let e = evidence_json(&server, id);
    // Ed25519 checked by openssl instead of Python's cryptography.
    let (ok, said) = verify(dir.path(), &e, content, &["--openssl"]);
    assert!(ok, "with openssl: {said}");

    // One byte of the document changed.
    let mut changed = content.clone();
    changed[10] ^= 0x20;
    let (ok, said) = verify(dir.path(), &e, &changed, &[]);
    assert!(!ok && said.contains("SHA-256"), "{said}");
    // The proof tampered with: a hash of the path, the leaf's place, the
    // document's hash and size (to pass off another file), the root, its
    // time.
    let other: &[u8] = b"ein anderes Schreiben";
    let tampered = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut bad = e.clone();
        f(&mut bad);
        bad
    };
    let flip_at = |bad: &mut serde_json::Value, pointer: &str| {
        let value = bad.pointer_mut(pointer).unwrap();
        *value = serde_json::json!(flip(value.as_str().unwrap()));
    };
    let cases: [(&str, serde_json::Value, &[u8]); 5] = [
        ("a path hash", tampered(&|b| flip_at(b, "/path/0")), content),
        (
            "the leaf index",
            tampered(&|b| b["leaf_index"] = serde_json::json!(3)),
            content,
        ),
        (
            "the document",
            tampered(&|b| {
                b["sha256"] = serde_json::json!(sha256_hex(other));
                b["size"] = serde_json::json!(other.len());
            }),
            other,
        ),
        ("the root", tampered(&|b| flip_at(b, "/root/root")), content),
        (
            "the root's time",
            tampered(&|b| {
                let at = b["root"]["at"].as_i64().unwrap();
                b["root"]["at"] = serde_json::json!(at + 1);
            }),
            content,
        ),
    ];
    for (what, bad, document) in cases {
        let (ok, said) = verify(dir.path(), &bad, document, &[]);
        assert!(!ok, "tampered {what}: {said}");
    }
    // A root signed by another key than the one kept apart.
    let (ok, said) = verify(dir.path(), &e, content, &["--public-key", &"11".repeat(32)]);
    assert!(!ok && said.contains("signature"), "{said}");

    // The human form.
    let (ok, out, err) = akte(&server, &["evidence", id], None);
    assert!(ok, "{err}");
    assert!(
        out.contains(&sha256_hex(content)) && out.contains("leaf        2 of 5"),
        "{out}"
    );
}

/// Flips the lowest bit of the first hex digit.
fn flip(hex: &str) -> String {
    let mut chars: Vec<char> = hex.chars().collect();
    chars[0] = if chars[0] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn a_root_is_signed_at_shutdown_and_readers_alone_get_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The default interval (an hour): no scheduled root during the test.
    let server = Server::start(&data, Some("[ocr]\nmode = \"off\"\n")).unwrap();
    let mut c = clients(&server).await;
    create_case(&mut c, "12345BG0000962", "Nord").await;
    let docs = upload_letters(&mut c, "12345BG0000962", 3).await;
    assert!(roots(&data).is_empty());
    let stopped = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    wait_until("a root is signed at shutdown", || {
        roots(&data) == [format!("{:020}.json", 3)]
    })
    .await;

    let server = server.restart().unwrap();
    let (id, content) = &docs[1];
    let e = evidence_json(&server, id);
    assert_eq!(e["root"]["size"], 3, "the root of the shutdown covers it");
    let (ok, said) = verify(dir.path(), &e, content, &[]);
    assert!(ok, "{said}");

    // Another site's caseworker may not read the document, nor its evidence.
    let bernd = server
        .token(&["--sub", "bernd", "--role", "caseworker", "--site", "Süd"])
        .unwrap();
    let (ok, _, err) = akte(&server, &["evidence", id], Some(&bernd));
    assert!(!ok && err.contains("not permitted"), "{err}");
    let anna = server
        .token(&["--sub", "anna", "--role", "caseworker", "--site", "Nord"])
        .unwrap();
    let (ok, _, err) = akte(&server, &["evidence", id, "--json"], Some(&anna));
    assert!(ok, "{err}");
}
