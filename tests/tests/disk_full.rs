//! A full disk under the data directory: uploads fail with a clear
//! RESOURCE_EXHAUSTED, nothing acknowledged is damaged, and uploads work
//! again once space is freed. The data directory is a small tmpfs, so the
//! test needs root (to mount); elsewhere it says so and does nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::Command;

use akte_e2e::Server;
use common::*;

/// A mounted tmpfs, unmounted on drop.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .ok()?
            .success();
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system of `dir` with one file, leaving about `leave` bytes.
fn fill(dir: &std::path::Path, leave: usize) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    drop(f);
    // Give a little back, so that small writes (logs) still pass.
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len.saturating_sub(leave as u64)).unwrap();
    path
}

#[tokio::test]
async fn a_full_disk_refuses_uploads_clearly_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let Some(_fs) = Tmpfs::mount(&mnt, "96m") else {
        eprintln!("skipped: mounting a tmpfs for the data directory needs root");
        return;
    };
    let data = mnt.join("data");
    let config = "[ocr]\nmode = \"off\"\n[limits]\ninline_upload_bytes = 65536\n";
    let server = Server::start(&data, Some(config)).unwrap();
    let mut c = clients(&server).await;
    let k = create_case(&mut c, "12345BG0000601", "Nord").await;
    let mut acked = Vec::new();
    for i in 0..5u64 {
        let body = tiff(300 * 1024, i);
        let d = upload(&mut c, header(&k.case_number, "image/tiff", "a.tif"), &body)
            .await
            .unwrap();
        acked.push((d.document_id, body));
    }

    let filler = fill(&mnt, 256 * 1024);
    let big = tiff(2 * 1024 * 1024, 99);
    let err = upload(
        &mut c,
        header(&k.case_number, "image/tiff", "voll.tif"),
        &big,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("disk is full"), "{}", err.message());

    // Space returns: the same upload works, nothing earlier is damaged.
    std::fs::remove_file(&filler).unwrap();
    let d = upload(
        &mut c,
        header(&k.case_number, "image/tiff", "voll.tif"),
        &big,
    )
    .await
    .unwrap();
    acked.push((d.document_id, big));
    for (id, body) in &acked {
        let (_, back) = download(&mut c, id, None, None).await.unwrap();
        assert!(back == *body, "{id} changed");
    }
    assert_eq!(
        list_documents(&mut c, &k.case_number).await.len(),
        acked.len()
    );
    assert!(files_below(&server.data_dir.join("staging")).is_empty());
    drop(c);
    drop(server);
}
