//! The file system mounted for real: what survives a power cut.
#![allow(clippy::unwrap_used)]

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use akte_testfs::{Faults, TestFs};

/// Mounts on a new temporary directory; a test fails (never skips) when
/// the mount does.
fn mount_with(faults: Faults) -> (tempfile::TempDir, TestFs) {
    let dir = tempfile::tempdir().unwrap();
    let fs = TestFs::mount_with(dir.path().join("mnt"), faults)
        .unwrap_or_else(|e| panic!("cannot mount the test file system: {e}"));
    (dir, fs)
}

fn mount() -> (tempfile::TempDir, TestFs) {
    mount_with(Faults::default())
}

fn write_synced(path: &Path, data: &[u8]) {
    let mut f = File::create(path).unwrap();
    f.write_all(data).unwrap();
    f.sync_all().unwrap();
}

fn sync_dir(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

fn read(path: &Path) -> Option<Vec<u8>> {
    fs::read(path).ok()
}

#[test]
fn a_synced_file_in_a_synced_directory_survives() {
    let (_dir, mut fs) = mount();
    let d = fs.path().join("d");
    fs::create_dir(&d).unwrap();
    sync_dir(fs.path());
    write_synced(&d.join("f"), b"hello");
    sync_dir(&d);
    let report = fs.cut_power().unwrap();
    assert_eq!(report.lost_bytes, 0, "{report:?}");
    assert_eq!(read(&d.join("f")).unwrap(), b"hello");
    let stats = fs.stats();
    assert_eq!((stats.file_fsyncs, stats.dir_fsyncs, stats.cuts), (1, 2, 1));
}

#[test]
fn data_written_after_the_last_sync_is_lost() {
    let (_dir, mut fs) = mount();
    let f = fs.path().join("f");
    write_synced(&f, b"one ");
    sync_dir(fs.path());
    OpenOptions::new()
        .append(true)
        .open(&f)
        .unwrap()
        .write_all(b"two")
        .unwrap();
    // Created and named durably, never synced: survives empty.
    File::create(fs.path().join("empty"))
        .unwrap()
        .write_all(b"x")
        .unwrap();
    sync_dir(fs.path());
    assert_eq!(read(&f).unwrap(), b"one two");
    let report = fs.cut_power().unwrap();
    assert_eq!(read(&f).unwrap(), b"one ");
    assert_eq!(read(&fs.path().join("empty")).unwrap(), b"");
    assert!(report.lost_bytes >= 4, "{report:?}");
    assert_eq!(report.lost_files.len(), 2, "{report:?}");
}

#[test]
fn a_synced_file_whose_directory_was_not_synced_is_gone() {
    let (_dir, mut fs) = mount();
    let d = fs.path().join("d");
    fs::create_dir(&d).unwrap();
    sync_dir(fs.path());
    write_synced(&d.join("f"), b"data");
    // A new directory, with a synced entry, whose parent was not synced.
    let e = fs.path().join("e");
    fs::create_dir(&e).unwrap();
    write_synced(&e.join("g"), b"data");
    sync_dir(&e);
    let report = fs.cut_power().unwrap();
    assert!(!d.join("f").exists());
    assert!(d.is_dir());
    assert!(!e.exists());
    assert_eq!(
        report.lost_files,
        [PathBuf::from("d/f"), PathBuf::from("e/g")],
        "{report:?}"
    );
    assert_eq!(report.lost_bytes, 8);
}

#[test]
fn a_rename_is_durable_once_the_directory_is_synced() {
    let (_dir, mut fs) = mount();
    let (a, b) = (fs.path().join("a"), fs.path().join("b"));
    write_synced(&a, b"first");
    sync_dir(fs.path());
    fs::rename(&a, &b).unwrap();
    fs.cut_power().unwrap();
    assert_eq!(read(&a).unwrap(), b"first");
    assert!(!b.exists());

    fs::rename(&a, &b).unwrap();
    sync_dir(fs.path());
    fs.cut_power().unwrap();
    assert!(!a.exists());
    assert_eq!(read(&b).unwrap(), b"first");

    // Replacing a file: the new one, synced, renamed over the old one.
    let t = fs.path().join("t");
    write_synced(&t, b"second");
    fs::rename(&t, &b).unwrap();
    sync_dir(fs.path());
    fs.cut_power().unwrap();
    assert_eq!(read(&b).unwrap(), b"second");
    assert!(!t.exists());
    assert_eq!(fs::read_dir(fs.path()).unwrap().count(), 1);
}

#[test]
fn a_move_to_another_directory_keeps_the_old_name_until_it_is_synced() {
    let (_dir, mut fs) = mount();
    let (src, dst) = (fs.path().join("src"), fs.path().join("dst"));
    fs::create_dir(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    sync_dir(fs.path());
    write_synced(&src.join("f"), b"moved");
    sync_dir(&src);
    fs::rename(src.join("f"), dst.join("f")).unwrap();
    sync_dir(&dst);
    fs.cut_power().unwrap();
    assert_eq!(read(&dst.join("f")).unwrap(), b"moved");
    assert_eq!(read(&src.join("f")).unwrap(), b"moved");
    assert_eq!(fs::metadata(dst.join("f")).unwrap().nlink(), 2);
    fs::remove_file(src.join("f")).unwrap();
    sync_dir(&src);
    fs.cut_power().unwrap();
    assert!(!src.join("f").exists());
    assert_eq!(fs::metadata(dst.join("f")).unwrap().nlink(), 1);
}

#[test]
fn hard_links_unlinks_and_noreplace() {
    let (_dir, mut fs) = mount();
    let (tmp, dest) = (fs.path().join("x#1"), fs.path().join("x"));
    write_synced(&tmp, b"blob");
    fs::hard_link(&tmp, &dest).unwrap();
    assert_eq!(
        fs::hard_link(&tmp, &dest).unwrap_err().kind(),
        std::io::ErrorKind::AlreadyExists
    );
    fs::remove_file(&tmp).unwrap();
    sync_dir(fs.path());
    // Removed after the sync: comes back.
    fs::remove_file(&dest).unwrap();
    fs.cut_power().unwrap();
    assert_eq!(read(&dest).unwrap(), b"blob");
    assert!(!tmp.exists());
    assert_eq!(fs::metadata(&dest).unwrap().nlink(), 1);
    // An open file that is unlinked stays readable.
    let mut f = File::open(&dest).unwrap();
    fs::remove_file(&dest).unwrap();
    let mut back = String::new();
    f.read_to_string(&mut back).unwrap();
    assert_eq!(back, "blob");
    drop(f);
    assert!(fs::read_dir(fs.path()).unwrap().next().is_none());
    let tmp2 = fs.path().join("y");
    write_synced(&tmp2, b"y");
    write_synced(&dest, b"x");
    let err = nix::fcntl::renameat2(
        nix::fcntl::AT_FDCWD,
        &tmp2,
        nix::fcntl::AT_FDCWD,
        &dest,
        nix::fcntl::RenameFlags::RENAME_NOREPLACE,
    )
    .unwrap_err();
    assert_eq!(err, nix::errno::Errno::EEXIST);
}

#[test]
fn directories_truncation_preallocation_and_free_space() {
    let (_dir, fs) = mount();
    let d = fs.path().join("many");
    fs::create_dir(&d).unwrap();
    for i in 0..600 {
        File::create(d.join(format!("file-{i:04}"))).unwrap();
    }
    fs::create_dir_all(d.join("a/b/c")).unwrap();
    assert_eq!(fs::read_dir(&d).unwrap().count(), 601);
    // Removing entries while reading the directory skips none.
    fs::remove_dir_all(&d).unwrap();
    assert!(!d.exists());
    assert_eq!(
        fs::remove_dir(fs.path().join("nothing"))
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::NotFound
    );

    let f = fs.path().join("log");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&f)
        .unwrap();
    file.write_all(&[1; 100_000]).unwrap();
    file.set_len(10).unwrap();
    assert_eq!(fs::metadata(&f).unwrap().len(), 10);
    let keep = nix::fcntl::FallocateFlags::FALLOC_FL_KEEP_SIZE;
    nix::fcntl::fallocate(&file, keep, 0, 1 << 20).unwrap();
    assert_eq!(fs::metadata(&f).unwrap().len(), 10);
    nix::fcntl::fallocate(&file, nix::fcntl::FallocateFlags::empty(), 0, 4096).unwrap();
    assert_eq!(fs::metadata(&f).unwrap().len(), 4096);
    file.seek(SeekFrom::Start(5)).unwrap();
    let mut buf = [9u8; 10];
    file.read_exact(&mut buf).unwrap();
    assert_eq!(buf, [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);

    let st = nix::sys::statvfs::statvfs(fs.path()).unwrap();
    assert!(st.blocks_available() * st.fragment_size() > 1 << 40);
}

#[test]
fn ignored_file_syncs_lose_the_data_below_the_path() {
    let (_dir, mut fs) = mount_with(Faults {
        ignore_file_fsync_under: Some("objects".into()),
        ignore_dir_fsync_under: None,
    });
    let objects = fs.path().join("objects/blobs");
    fs::create_dir_all(&objects).unwrap();
    sync_dir(fs.path());
    sync_dir(&fs.path().join("objects"));
    write_synced(&objects.join("x"), b"blob");
    sync_dir(&objects);
    write_synced(&fs.path().join("catalog"), b"row");
    sync_dir(fs.path());
    let report = fs.cut_power().unwrap();
    assert_eq!(read(&objects.join("x")).unwrap(), b"");
    assert_eq!(read(&fs.path().join("catalog")).unwrap(), b"row");
    assert_eq!(report.lost_files, [PathBuf::from("objects/blobs/x")]);
    assert_eq!(fs.stats().ignored_fsyncs, 1);
}

#[test]
fn ignored_directory_syncs_lose_the_names_below_the_path() {
    let (_dir, mut fs) = mount();
    let objects = fs.path().join("objects");
    fs::create_dir(&objects).unwrap();
    sync_dir(fs.path());
    // Faults from now on.
    fs.set_faults(Faults {
        ignore_file_fsync_under: None,
        ignore_dir_fsync_under: Some("objects".into()),
    })
    .unwrap();
    write_synced(&objects.join("x"), b"blob");
    sync_dir(&objects);
    fs.cut_power().unwrap();
    assert!(objects.is_dir());
    assert!(!objects.join("x").exists());
    assert_eq!(fs.stats().ignored_fsyncs, 1);
}

#[test]
fn a_fault_path_must_be_relative() {
    let dir = tempfile::tempdir().unwrap();
    let err = TestFs::mount_with(
        dir.path().join("mnt"),
        Faults {
            ignore_file_fsync_under: Some("/objects".into()),
            ignore_dir_fsync_under: None,
        },
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
