//! The `akte` command-line client and `akte reindex`, against the real server.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use akte_e2e::{akte_bin, Server};

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

/// Runs an offline subcommand (no server) on `data`; returns stdout, or
/// stderr as the error.
fn akte_offline(command: &str, data: &std::path::Path, extra: &[&str]) -> Result<String, String> {
    let out = Command::new(akte_bin())
        .args(command.split(' '))
        .arg("--data-dir")
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn cli_session_and_reindex() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, None).unwrap();

    let (ok, out, err) = akte(
        &server,
        &[
            "case",
            "create",
            "12345BG0012345",
            "--title",
            "Familie Mustermann",
            "--site",
            "Nord",
            "--party",
            "Erika Mustermann",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("12345BG0012345") && out.contains("Erika Mustermann"),
        "{out}"
    );
    let (ok, _, err) = akte(
        &server,
        &["case", "create", "12345BG0012345", "--site", "Nord"],
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    assert!(!err.contains("backtrace"), "{err}");

    let letter = dir.path().join("antrag.txt");
    std::fs::write(
        &letter,
        "Weiterbewilligungsantrag der Beschäftigten Erika Mustermann",
    )
    .unwrap();
    let pdf = dir.path().join("bescheid.pdf");
    std::fs::write(
        &pdf,
        akte_extract::fixtures::text_pdf(&["Bescheid über Leistungen zum Lebensunterhalt"]),
    )
    .unwrap();
    let (ok, out, err) = akte(
        &server,
        &[
            "upload",
            letter.to_str().unwrap(),
            pdf.to_str().unwrap(),
            "--case",
            "12345BG0012345",
            "--type",
            "Antrag",
        ],
    );
    assert!(ok, "{err}");
    let ids: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{out}");

    let (ok, out, _) = akte(&server, &["case", "show", "12345BG0012345"]);
    assert!(ok);
    assert!(
        out.contains("documents 2") && out.contains(&ids[0]) && out.contains(&ids[1]),
        "{out}"
    );
    let (ok, out, _) = akte(&server, &["case", "list", "--site", "Nord"]);
    assert!(ok);
    assert!(
        out.contains("12345BG0012345") && out.contains("Familie Mustermann"),
        "{out}"
    );

    let copy = dir.path().join("kopie.pdf");
    let (ok, _, err) = akte(&server, &["get", &ids[1], "-o", copy.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&pdf).unwrap());

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (ok, out, err) = akte(
            &server,
            &["search", "Lebensunterhalt", "--case", "12345BG0012345"],
        );
        assert!(ok, "{err}");
        if out.contains(&ids[1]) {
            assert!(out.starts_with("1 hits"), "{out}");
            break;
        }
        assert!(Instant::now() < deadline, "never found: {out}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (ok, _, err) = akte(&server, &["search", "title:"]);
    assert!(!ok);
    assert!(err.contains("invalid search query"), "{err}");

    // A rebuild while the server runs is refused and leaves the index alone.
    let err = akte_offline("reindex", &data, &[]).unwrap_err();
    assert!(err.contains("server still running"), "{err}");
    assert!(data.join("index").is_dir());

    drop(server);
    // Every read was logged: the download, the case view, the searches.
    let log = akte_offline("audit show", &data, &["--limit", "1000"]).unwrap();
    for (action, what) in [
        ("DownloadDocument", ids[1].as_str()),
        ("GetCase", "12345BG0012345"),
        ("ListCaseDocuments", "12345BG0012345"),
        ("Search", "Lebensunterhalt"),
    ] {
        assert!(
            log.lines().any(|l| l.contains(action) && l.contains(what)),
            "no {action} of {what}: {log}"
        );
    }
    assert!(
        // After the record of reading the log itself.
        log.lines().nth(1).is_some_and(|l| l.contains("Search")),
        "newest first: {log}"
    );
    // A scrub of an intact store reports nothing; a damaged blob is named
    // with its document, and the exit status says so.
    let out = akte_offline("scrub", &data, &[]).unwrap();
    assert!(
        out.contains("checked 2 blobs") && out.contains("0 missing, 0 corrupt"),
        "{out}"
    );
    let blob = common::files_below(&data.join("objects/blobs"))
        .into_iter()
        .next()
        .unwrap();
    let intact = std::fs::read(&blob).unwrap();
    let mut damaged = intact.clone();
    damaged[0] ^= 1;
    std::fs::write(&blob, &damaged).unwrap();
    let out = Command::new(akte_bin())
        .args(["scrub", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let name = blob.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stdout.contains("1 corrupt")
            && stdout.lines().any(|l| l.starts_with("corrupt")
                && l.contains(&name)
                && ids.iter().any(|id| l.contains(id.as_str()))),
        "{stdout}"
    );
    std::fs::write(&blob, &intact).unwrap();
    assert!(akte_offline("scrub", &data, &["--max-mib-per-sec", "64"]).is_ok());
    // Rebuild the index from the catalog with the server stopped.
    std::fs::remove_dir_all(data.join("index")).unwrap();
    let out = akte_offline("reindex", &data, &[]).unwrap();
    assert!(out.contains("reindexed 2 documents"), "{out}");
    let server = Server::start(&data, None).unwrap();
    for (word, id) in [("Beschaeftigte", &ids[0]), ("Lebensunterhalt", &ids[1])] {
        let (ok, out, _) = akte(&server, &["search", word]);
        assert!(ok && out.contains(id.as_str()), "{word}: {out}");
    }
}

#[test]
fn cover_sheet_inbox_and_assign() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), None).unwrap();
    for number in ["12345BG0000301", "12345BG0000302"] {
        let (ok, _, err) = akte(
            &server,
            &[
                "case",
                "create",
                number,
                "--site",
                "Nord",
                "--title",
                "Familie Muster",
            ],
        );
        assert!(ok, "{err}");
    }
    // The cover sheet: a PDF with the number as text (and as a QR code).
    let sheet = dir.path().join("deckblatt.pdf");
    let (ok, _, err) = akte(
        &server,
        &[
            "case",
            "cover-sheet",
            "12345BG0000301",
            "-o",
            sheet.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let text = Command::new("pdftotext")
        .arg(&sheet)
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("12345BG0000301"));
    let (ok, _, err) = akte(
        &server,
        &["case", "cover-sheet", "99999BG0000309", "-o", "-"],
    );
    assert!(!ok && err.contains("does not exist"), "{err}");

    // A letter without a number goes to the inbox of the site.
    let letter = dir.path().join("brief.txt");
    std::fs::write(
        &letter,
        "Sehr geehrte Damen und Herren, anbei der Mietvertrag.",
    )
    .unwrap();
    let (ok, out, err) = akte(
        &server,
        &["upload", letter.to_str().unwrap(), "--site", "Nord"],
    );
    assert!(ok, "{err}");
    let id = out.split_whitespace().next().unwrap().to_owned();
    let start = Instant::now();
    loop {
        let (ok, out, err) = akte(&server, &["inbox", "Nord"]);
        assert!(ok, "{err}");
        if out.contains(&id) {
            assert!(out.contains("no case number found"), "{out}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not in the inbox: {out}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, out, err) = akte(
        &server,
        &["assign", &id, "12345BG0000302", "--note", "Mietvertrag"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("12345BG0000302"), "{out}");
    let (_, out, err) = akte(&server, &["inbox", "Nord"]);
    assert!(!out.contains(&id) && err.contains("empty"), "{out}{err}");
    let (_, out, _) = akte(&server, &["case", "show", "12345BG0000302"]);
    assert!(out.contains(&id) && out.contains("documents 1"), "{out}");
}

#[test]
fn the_cli_on_the_servers_machine_finds_the_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, None).unwrap();
    let run = |envs: &[(&str, &std::path::Path)]| {
        let mut cmd = Command::new(akte_bin());
        cmd.args(["case", "list"])
            .env("AKTE_SERVER", &server.addr)
            .env_remove("AKTE_TOKEN")
            .env_remove("AKTE_TOKEN_FILE")
            .env_remove("AKTE_DATA_DIR")
            .env_remove("AKTE_CONFIG")
            .current_dir(dir.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Nothing says where the data is (and ./akte-data has none): refused.
    let (ok, err) = run(&[]);
    assert!(
        !ok && err.contains("Unauthenticated") || err.contains("credentials"),
        "{err}"
    );
    assert!(run(&[("AKTE_DATA_DIR", &data)]).0);
    let config = dir.path().join("akte.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    assert!(run(&[("AKTE_CONFIG", &config)]).0);
}

#[test]
fn case_status_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), Some("[ocr]\nmode = \"off\"\n")).unwrap();
    let (ok, _, err) = akte(
        &server,
        &[
            "case",
            "create",
            "12345BG0000401",
            "--title",
            "Akte",
            "--site",
            "Nord",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = akte(
        &server,
        &[
            "case",
            "status",
            "12345BG0000401",
            "waiting_for_documents",
            "--public",
            "Bitte reichen Sie den Mietvertrag ein.",
            "--internal",
            "Mietvertrag fehlt",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("status    waiting_for_documents"), "{out}");
    let (ok, _, err) = akte(&server, &["case", "status", "12345BG0000401", "closed"]);
    assert!(ok, "{err}");
    let (ok, _, err) = akte(&server, &["case", "status", "12345BG0000401", "vertagt"]);
    assert!(!ok && err.contains("unknown status"), "{err}");
    let (ok, out, err) = akte(&server, &["case", "timeline", "12345BG0000401"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains("created"), "{out}");
    assert!(
        lines[1].contains("status_changed")
            && lines[1].contains("Bitte reichen Sie den Mietvertrag ein.")
            && lines[1].contains("[intern: Mietvertrag fehlt]")
            && lines[1].contains("(admin:admin)"),
        "{out}"
    );
    assert!(
        lines[2].contains("closed") && lines[2].contains("abgeschlossen"),
        "{out}"
    );
}

#[test]
fn logs_are_json_lines_when_asked() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(akte_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--web-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env_remove("AKTE_CONFIG")
        .env("AKTE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let record: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        seen.push(
            record["fields"]["message"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        assert!(record["level"].is_string() && record["timestamp"].is_string());
        if ["akte serving", "web interface serving"]
            .iter()
            .all(|want| seen.iter().any(|m| m == want))
        {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.iter().any(|m| m == "wrote the admin token"),
        "{seen:?}"
    );
}
