//! Storage settings under which a restart would lose acknowledged documents,
//! or garbage collection would delete blobs another catalog references, are
//! refused at start: a clear message and a non-zero exit.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use akte_e2e::{akte_bin, Server};
use common::*;
use wait_timeout::ChildExt;

/// Runs `akte serve` on `data_dir` with `config`, expecting it to refuse to
/// start; returns what it printed on stderr.
fn refused(data_dir: &Path, config: &str) -> String {
    let config_path = data_dir.with_extension("toml");
    std::fs::write(&config_path, config).unwrap();
    let mut child = Command::new(akte_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--web-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir)
        .arg("--config")
        .arg(&config_path)
        .env_remove("AKTE_CONFIG")
        .env_remove("AKTE_STORAGE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = match child.wait_timeout(Duration::from_secs(60)).unwrap() {
        Some(s) => s,
        None => {
            let _ = child.kill();
            panic!("akte serve started instead of refusing: {config}");
        }
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        !status.success(),
        "akte serve exited successfully: {config}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("listening"), "{stdout}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn memory_blobs_with_a_persistent_catalog_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["memory://", "Memory://"] {
        let err = refused(
            &dir.path().join("data"),
            &format!("[storage]\nurl = \"{url}\"\n"),
        );
        assert!(
            err.contains("storage.url") && err.contains("after a restart"),
            "{err}"
        );
    }
}

#[test]
fn blobs_inside_the_staging_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let err = refused(
        &data,
        &format!(
            "[storage]\nurl = \"file://{}\"\n",
            data.join("staging/blobs").display()
        ),
    );
    assert!(err.contains("manages itself"), "{err}");
}

#[test]
fn a_data_directory_in_memory_is_refused_unless_allowed() {
    // /dev/shm is a tmpfs: a reboot empties it.
    let dir = tempfile::tempdir_in("/dev/shm")
        .expect("this test needs /dev/shm (a tmpfs) to put a data directory on");
    let err = refused(&dir.path().join("data"), "[ocr]\nmode = \"off\"\n");
    assert!(
        err.contains("tmpfs") && err.contains("allow_volatile"),
        "{err}"
    );
    let server = Server::start(
        &dir.path().join("data"),
        Some("[storage]\nallow_volatile = true\n[ocr]\nmode = \"off\"\n"),
    )
    .unwrap();
    drop(server);
}

#[tokio::test]
async fn a_second_catalog_on_the_same_blob_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = format!(
        "[ocr]\nmode = \"off\"\n[storage]\nurl = \"file://{}\"\n",
        dir.path().join("blobs").display()
    );
    let first = Server::start(&dir.path().join("a"), Some(&blobs)).unwrap();
    let mut c = clients(&first).await;
    create_case(&mut c, "12345BG0000701", "Nord").await;
    let doc = upload(
        &mut c,
        header("12345BG0000701", "text/plain", "a.txt"),
        b"Brief A",
    )
    .await
    .unwrap();
    // Another node's catalog on the same directory.
    let err = refused(&dir.path().join("b"), &blobs);
    assert!(
        err.contains("belongs to catalog") && err.contains("storage.sharing"),
        "{err}"
    );
    // Configured as shared it is refused too while the first holds the
    // directory exclusively (its garbage collection would run).
    let err = refused(
        &dir.path().join("b"),
        &format!("{blobs}sharing = \"shared\"\n"),
    );
    assert!(err.contains("exclusively"), "{err}");
    // The first node is untouched.
    let (_, back) = download(&mut c, &doc.document_id, None, None)
        .await
        .unwrap();
    assert_eq!(back, b"Brief A");
}
