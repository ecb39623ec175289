//! The access log proves itself: an untouched log verifies, and each kind
//! of tampering is found and located.

use std::path::Path;

use akte_catalog::Log;

use crate::checkpoint::Verification;
use crate::tests::{admin, store};
use crate::{NewCase, Store};

/// A store whose log holds `reads + 1` records, with a checkpoint at the end.
async fn logged(dir: &Path, reads: usize) -> Store {
    let s = store(dir, |c| c.storage.allow_volatile = true);
    if s.get_case_by_number(&admin(), "12345BG0000001")
        .await
        .is_err()
    {
        s.create_case(
            &admin(),
            NewCase {
                case_number: "12345BG0000001".into(),
                site: "Nord".into(),
                ..NewCase::default()
            },
        )
        .await
        .ok();
    }
    for _ in 0..reads {
        s.get_case_by_number(&admin(), "12345BG0000001")
            .await
            .unwrap();
    }
    s.write_checkpoint(Log::Access).await.unwrap();
    s
}

fn found(v: &Verification, words: &str) {
    assert!(
        v.problems.iter().any(|p| p.contains(words)),
        "expected a problem with {words:?}, got {:#?}",
        v.problems
    );
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 10).await;
    let first = s.inner.catalog.log_size(Log::Access);
    logged_more(&s, 5).await;
    s.write_checkpoint(Log::Access).await.unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    assert!(v.intact(), "{:#?}", v.problems);
    assert_eq!(v.records, s.inner.catalog.log_size(Log::Access));
    // Each checkpoint is in the catalog and in the object store.
    assert_eq!(v.checkpoints, 4);
    assert!(first < v.records);
    // Nothing new: no new checkpoint.
    assert!(s.write_checkpoint(Log::Access).await.unwrap().is_none());
}

async fn logged_more(s: &Store, reads: usize) {
    for _ in 0..reads {
        s.get_case_by_number(&admin(), "12345BG0000001")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_flipped_byte_is_found_in_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 10).await;
    let c = &s.inner.catalog;
    let mut bytes = c.audit_record_bytes(3).unwrap().unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    c.tamper_put_record(3, &bytes).unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, "record 3 was changed");
    found(&v, "differ from what checkpoint");
}

#[tokio::test]
async fn a_dropped_record_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 10).await;
    s.inner.catalog.tamper_delete_record(4).unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, "records 4 to 4 are missing");
    found(&v, "differ from what checkpoint");
}

#[tokio::test]
async fn two_swapped_records_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 10).await;
    let c = &s.inner.catalog;
    let two = c.audit_record_bytes(2).unwrap().unwrap();
    let five = c.audit_record_bytes(5).unwrap().unwrap();
    c.tamper_put_record(2, &five).unwrap();
    c.tamper_put_record(5, &two).unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, "record 2 says it is record 5");
    found(&v, "record 5 says it is record 2");
}

#[tokio::test]
async fn an_inserted_record_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 10).await;
    let c = &s.inner.catalog;
    let size = c.log_size(Log::Access);
    // Everything from 6 on moves up one; a made-up record takes 6.
    for seq in (6..size).rev() {
        let bytes = c.audit_record_bytes(seq).unwrap().unwrap();
        c.tamper_put_record(seq + 1, &bytes).unwrap();
    }
    let mut fake =
        akte_catalog::Catalog::decode_access(&c.audit_record_bytes(5).unwrap().unwrap()).unwrap();
    fake.seq = Some(6);
    fake.principal = Some("caseworker:niemand".into());
    c.tamper_put_record(6, &serde_json_record(&fake)).unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, "record 7 says it is record 6");
    found(&v, "record 6 was changed");
}

/// A record encoded as the catalog stores it (version 1, JSON).
fn serde_json_record(r: &akte_types::AccessRecord) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend(serde_json::to_vec(r).unwrap());
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_catalog_restored_from_an_older_copy_and_a_forked_log_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let older = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 5).await;
    drop(s);
    copy_dir(&dir.path().join("catalog"), older.path());
    // The log goes on, and a later checkpoint reaches the object store.
    let s = logged(dir.path(), 10).await;
    let signed = s.inner.catalog.log_size(Log::Access);
    drop(s);
    std::fs::remove_dir_all(dir.path().join("catalog")).unwrap();
    copy_dir(older.path(), &dir.path().join("catalog"));
    let s = logged(dir.path(), 0).await;
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, &format!("checkpoint {signed} (object store"));
    found(&v, "the catalog was restored from an older copy");

    // The restored log goes its own way past the signed size: a fork.
    logged_more(&s, 20).await;
    s.write_checkpoint(Log::Access).await.unwrap();
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, &format!("the first {signed} records differ"));
}

#[tokio::test]
async fn a_replaced_checkpoint_key_is_found_with_the_pinned_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = logged(dir.path(), 3).await;
    let pinned = s.checkpoint_public_key();
    assert!(s.verify_access_log(Some(&pinned)).await.unwrap().intact());
    drop(s);
    // Someone replaces the key and signs the log anew.
    std::fs::remove_file(dir.path().join("auth/checkpoint-key.pem")).unwrap();
    let s = logged(dir.path(), 3).await;
    let v = s.verify_access_log(Some(&pinned)).await.unwrap();
    found(&v, "not the one given");
    found(&v, "the signature does not verify");
    // Without the pinned key, the object store's copy of the first key
    // still gives it away.
    let v = s.verify_access_log(None).await.unwrap();
    found(&v, "holds another checkpoint key");
}
