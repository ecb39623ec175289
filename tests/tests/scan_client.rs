//! `akte scan`, the scanning-station client, against the real server: every
//! file stored exactly once even when the client is killed midway and
//! restarted; acknowledged files moved to done/, refused ones to error/ with
//! the reason; --watch picks up files as they arrive.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use akte_e2e::{akte_bin, Server};
use akte_extract::fixtures;
use akte_proto::v1 as pb;
use common::*;

fn scan_cmd(server: &Server, dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(akte_bin());
    cmd.args([
        "scan",
        "--station",
        "poststelle-1",
        "--site",
        "Nord",
        "--operator",
        "Schmidt",
    ])
    .arg(dir)
    .args(["--server", &server.addr])
    .args(extra)
    .env_remove("AKTE_SERVER")
    .env("AKTE_TOKEN_FILE", server.admin_token_file())
    .stdin(Stdio::null());
    cmd
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Every document the server holds: in the cases given and in the inbox.
async fn all_documents(c: &mut Clients, cases: &[&str]) -> Vec<pb::Document> {
    let mut out = Vec::new();
    for n in cases {
        out.extend(list_documents(c, n).await);
    }
    out.extend(
        c.docs
            .list_inbox(pb::ListInboxRequest {
                site: "Nord".into(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .documents,
    );
    out
}

#[tokio::test]
async fn killed_and_restarted_scan_stores_every_file_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let a = create_case(&mut c, "12345BG0000201", "Nord").await;
    let b = create_case(&mut c, "12345BG0000202", "Nord").await;
    let inbox_dir = dir.path().join("scanner");
    std::fs::create_dir(&inbox_dir).unwrap();
    // Letters as text PDFs (fast), two scans that need recognition, and a
    // file the server refuses.
    let mut expected = Vec::new();
    for i in 0..16 {
        let number = if i % 2 == 0 {
            &a.case_number
        } else {
            &b.case_number
        };
        let pdf = fixtures::text_pdf(&[
            "Jobcenter Nord",
            &format!("Aktenzeichen {number}"),
            &format!("Schreiben Nummer {i} zur Weiterbewilligung"),
        ]);
        let name = format!("brief-{i:02}.pdf");
        std::fs::write(inbox_dir.join(&name), &pdf).unwrap();
        expected.push((name, sha256_hex(&pdf)));
    }
    let scan = fixtures::letter_png(
        &["Aktenzeichen 12345BG0000202", "Heizkostenabrechnung"],
        300,
    );
    std::fs::write(inbox_dir.join("scan-1.png"), &scan).unwrap();
    expected.push(("scan-1.png".into(), sha256_hex(&scan)));
    let cover = fixtures::image_pdf(&[
        fixtures::cover_sheet_png(&a.case_number, 300),
        fixtures::letter_png(&["Kontoauszug"], 300),
    ]);
    std::fs::write(inbox_dir.join("scan-2.pdf"), &cover).unwrap();
    expected.push(("scan-2.pdf".into(), sha256_hex(&cover)));
    std::fs::write(inbox_dir.join("programm.exe"), b"MZ\x90\x00 not a document").unwrap();

    // First run: killed right after the first acknowledgement.
    let mut child = scan_cmd(&server, &inbox_dir, &["--jobs", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "scan ended without storing"
        );
        if line.starts_with("stored ") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = names(&inbox_dir).len();
    assert!(
        left > 1,
        "the first run was not interrupted midway ({left} files left)"
    );

    // Second run: finishes. It exits non-zero because one file was refused.
    let status = scan_cmd(&server, &inbox_dir, &["--jobs", "3"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
    assert!(names(&inbox_dir).is_empty(), "{:?}", names(&inbox_dir));
    assert_eq!(
        names(&inbox_dir.join("error")),
        ["programm.exe", "programm.exe.reason"]
    );
    let reason = std::fs::read_to_string(inbox_dir.join("error/programm.exe.reason")).unwrap();
    assert!(reason.contains("InvalidArgument"), "{reason}");
    let mut done = names(&inbox_dir.join("done"));
    let mut want: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    done.sort();
    want.sort();
    assert_eq!(done, want);
    // Byte-exact in done/, and stored exactly once each.
    let docs = all_documents(&mut c, &[&a.case_number, &b.case_number]).await;
    let stored = |hash: &str| docs.iter().filter(|d| d.sha256 == hash).count();
    for (name, hash) in &expected {
        assert_eq!(
            sha256_hex(&std::fs::read(inbox_dir.join("done").join(name)).unwrap()),
            *hash
        );
        // Documents still being recognised are in neither list yet: wait.
        let start = Instant::now();
        let mut n = stored(hash);
        while n == 0 && start.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let docs = all_documents(&mut c, &[&a.case_number, &b.case_number]).await;
            n = docs.iter().filter(|d| d.sha256 == *hash).count();
        }
        assert_eq!(n, 1, "{name} stored {n} times");
    }
    // Each letter ends in its case, with its transfer note.
    let docs = all_documents(&mut c, &[&a.case_number, &b.case_number]).await;
    assert_eq!(docs.len(), expected.len());
    for d in &docs {
        let i: Option<usize> = d
            .filename
            .strip_prefix("brief-")
            .and_then(|s| s.strip_suffix(".pdf"))
            .and_then(|s| s.parse().ok());
        let want = match (i, d.filename.as_str()) {
            (Some(i), _) if i % 2 == 0 => &a.case_number,
            (Some(_), _) => &b.case_number,
            (None, "scan-1.png") => &b.case_number,
            _ => &a.case_number,
        };
        assert_eq!(&d.case_number, want, "{}", d.filename);
        let note = d.transfer_note.as_ref().unwrap();
        assert_eq!(note.station_id, "poststelle-1");
        assert_eq!(note.operator, "Schmidt");
        assert_eq!(note.sha256, d.sha256);
        assert!(note.scanned_at.is_some());
        assert_eq!(d.source, "scan");
    }
}

#[tokio::test]
async fn watch_mode_picks_up_files_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000211", "Nord").await;
    let inbox_dir = dir.path().join("scanner");
    std::fs::create_dir(&inbox_dir).unwrap();
    let mut child = scan_cmd(
        &server,
        &inbox_dir,
        &["--watch", "--interval", "0.2", "--settle", "0.3"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    for i in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pdf = fixtures::text_pdf(&[
            &format!("Aktenzeichen {}", k.case_number),
            &format!("Nachreichung {i}"),
        ]);
        // Written under a partial name first, as scanners do, then renamed.
        let part = inbox_dir.join(format!("nachtrag-{i}.pdf.part"));
        std::fs::write(&part, &pdf).unwrap();
        std::fs::rename(&part, inbox_dir.join(format!("nachtrag-{i}.pdf"))).unwrap();
    }
    wait_until("all three files done", || {
        inbox_dir.join("done").exists() && names(&inbox_dir.join("done")).len() == 3
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(names(&inbox_dir).is_empty());
    let start = Instant::now();
    while list_documents(&mut c, &k.case_number).await.len() < 3 {
        assert!(start.elapsed() < Duration::from_secs(30), "not routed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
