//! A full disk under the data directory: uploads fail with a clear
//! RESOURCE_EXHAUSTED, first at the configured reserve (before anything is
//! written), then, without a reserve, when the disk itself runs full while a
//! blob is written. Nothing acknowledged is damaged, and uploads work again
//! once space is freed. The data directory is a small tmpfs, so the
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

/// Waits until the free space of the file system of `dir` has stopped
/// changing: a server just started removes, in the background, logs it has
/// replayed and space it had set aside, which a filled disk would get back.
async fn settled(dir: &std::path::Path) {
    let free = || fs4::available_space(dir).unwrap();
    let mut last = free();
    let mut steady = 0;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = free();
        steady = if now == last { steady + 1 } else { 0 };
        last = now;
        if steady >= 5 {
            return;
        }
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

type Acked = Vec<(String, Vec<u8>)>;

/// Uploads `body` while the disk is full (refused with a clear status), then
/// removes `filler` and uploads it again (stored).
async fn refused_until_space_returns(
    c: &mut Clients,
    case: &str,
    name: &str,
    body: Vec<u8>,
    filler: &std::path::Path,
    acked: &mut Acked,
) {
    let err = upload(c, header(case, "image/tiff", name), &body)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("disk is full"), "{}", err.message());
    all_intact(c, acked).await;
    std::fs::remove_file(filler).unwrap();
    let d = upload(c, header(case, "image/tiff", name), &body)
        .await
        .unwrap();
    acked.push((d.document_id, body));
}

/// Every acknowledged document reads back byte for byte.
async fn all_intact(c: &mut Clients, acked: &Acked) {
    for (id, body) in acked {
        let (_, back) = download(c, id, None, None).await.unwrap();
        assert!(back == *body, "{id} changed");
    }
}

#[tokio::test]
async fn a_full_disk_refuses_uploads_clearly_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    // A prerequisite of the test: it fails, not passes, without it.
    let _fs = Tmpfs::mount(&mnt, "256m")
        .expect("this test mounts a tmpfs for the data directory, which needs root");
    let data = mnt.join("data");
    // First with a reserve of 8 MiB: uploads stop while there is still room.
    let reserve = "[storage]\nallow_volatile = true\n[ocr]\nmode = \"off\"\n[limits]\ninline_upload_bytes = 65536\nreserved_disk_bytes = 8388608\n";
    let server = Server::start(&data, Some(reserve)).unwrap();
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
    // Below the reserve: refused before anything is written, though there is
    // still room; reading still works.
    settled(&mnt).await;
    let filler = fill(&mnt, 4 * 1024 * 1024);
    refused_until_space_returns(
        &mut c,
        &k.case_number,
        "klein.tif",
        tiff(10 * 1024, 98),
        &filler,
        &mut acked,
    )
    .await;
    drop(c);
    drop(server);

    // Without a reserve the disk itself runs full while the blob is written.
    let config =
        "[storage]\nallow_volatile = true\n[ocr]\nmode = \"off\"\n[limits]\ninline_upload_bytes = 65536\nreserved_disk_bytes = 0\n";
    let server = Server::start(&data, Some(config)).unwrap();
    let mut c = clients(&server).await;
    settled(&mnt).await;
    let filler = fill(&mnt, 256 * 1024);
    // Larger than what the catalog may give back meanwhile (RocksDB frees
    // preallocated log space after a restart).
    refused_until_space_returns(
        &mut c,
        &k.case_number,
        "voll.tif",
        tiff(24 * 1024 * 1024, 99),
        &filler,
        &mut acked,
    )
    .await;
    all_intact(&mut c, &acked).await;
    assert_eq!(
        list_documents(&mut c, &k.case_number).await.len(),
        acked.len()
    );
    assert!(files_below(&server.data_dir.join("staging")).is_empty());
    drop(c);
    drop(server);
}
