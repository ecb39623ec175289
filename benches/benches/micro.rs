//! Micro-benchmarks of the building blocks, each against the bare operation
//! underneath it where there is one:
//! - hashing: SHA-256 (sha2) of a 200 KB scan and of 4 MB;
//! - blobs: put (stage, hash, commit) and verified get of 200 KB, on the
//!   memory store and on the durable local directory (fsync'd), beside the
//!   bare "write + fsync + rename + directory fsync" of the same size;
//! - catalog: a document written with a synced WAL, a document and a case
//!   looked up;
//! - index: 100 German letters added and committed, and a word searched with
//!   a site filter in 10,000 documents.
//!
//! `cargo bench -p akte-benches --bench micro`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use akte_benches::corpus::document as letter;
use akte_blob::{open_backend, Backend, BlobStore};
use akte_catalog::Catalog;
use akte_index::{IndexDoc, SearchIndex, SearchQuery};
use akte_types::{
    now_millis, Case, CaseNumberPattern, ContentHash, Document, IdGenerator, IndexState,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KB: usize = 1000;

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

fn hashing(c: &mut Criterion) {
    let mut g = c.benchmark_group("sha256");
    for size in [200 * KB, 4000 * KB] {
        let data = noise(size, 1);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(format!("{} KB", size / KB), |b| {
            b.iter(|| ContentHash::of(std::hint::black_box(&data)))
        });
    }
    g.finish();
}

fn blobs(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backends: Vec<(&str, Backend)> = vec![
        (
            "memory",
            open_backend("memory://", &BTreeMap::new(), dir.path()).unwrap(),
        ),
        (
            "local",
            open_backend("", &BTreeMap::new(), &dir.path().join("objects")).unwrap(),
        ),
    ];
    let mut g = c.benchmark_group("blob 200 KB");
    g.throughput(Throughput::Bytes(200 * KB as u64));
    // Baseline for the local put: the bare durable write of a new file.
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let data = noise(200 * KB, 4);
    let mut n = 0u64;
    g.bench_function("write + fsync + rename + dir fsync (baseline)", |b| {
        b.iter(|| {
            use std::io::Write;
            n += 1;
            let tmp = raw.join(format!("{n}.tmp"));
            let mut f = std::fs::File::create(&tmp).unwrap();
            f.write_all(&data).unwrap();
            f.sync_all().unwrap();
            std::fs::rename(&tmp, raw.join(n.to_string())).unwrap();
            std::fs::File::open(&raw).unwrap().sync_all().unwrap();
        })
    });
    for (name, backend) in backends {
        let store = BlobStore::new(backend, dir.path().join(format!("staging-{name}"))).unwrap();
        let mut base = noise(200 * KB, 2);
        let counter = AtomicU64::new(0);
        // New content every time, so that each put writes a blob.
        let mut unique = || {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            base[..8].copy_from_slice(&n.to_le_bytes());
            base.clone()
        };
        g.bench_function(format!("put {name}"), |b| {
            b.iter_batched(
                &mut unique,
                |data| {
                    rt.block_on(async {
                        let mut w = store.writer(u64::MAX);
                        w.write(&data).await.unwrap();
                        let staged = w.finish().await.unwrap();
                        assert!(store.commit(&staged).await.unwrap());
                    })
                },
                BatchSize::SmallInput,
            )
        });
        let data = unique();
        let hash = ContentHash::of(&data);
        rt.block_on(async {
            let mut w = store.writer(u64::MAX);
            w.write(&data).await.unwrap();
            store.commit(&w.finish().await.unwrap()).await.unwrap();
        });
        g.bench_function(format!("get {name}, verified"), |b| {
            b.iter(|| {
                rt.block_on(store.read_all(hash, data.len() as u64))
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn document(ids: &IdGenerator, case: &Case, n: u64) -> Document {
    let now = now_millis();
    Document {
        document_id: ids.document_id(),
        case_id: Some(case.case_id),
        case_number: Some(case.case_number.clone()),
        site: case.site.clone(),
        sha256: ContentHash::of(&n.to_le_bytes()),
        size_bytes: 200_000,
        media_type: "image/tiff".into(),
        filename: "scan.tif".into(),
        title: "Weiterbewilligungsantrag".into(),
        document_type: "Antrag".into(),
        source: "Poststelle".into(),
        received_at: now,
        created_at: now,
        index_state: IndexState::Pending,
        index_error: None,
        page_count: 0,
        history: Vec::new(),
        routing_note: None,
        transfer_note: None,
    }
}

fn catalog(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog")).unwrap();
    let ids = IdGenerator::new();
    let pattern = CaseNumberPattern::default();
    let mut cases = Vec::new();
    for i in 0..1000 {
        let case = Case {
            status: Default::default(),
            restricted_to: None,
            case_id: ids.case_id(),
            case_number: pattern
                .parse(&format!("{:05}BG{:07}", 12000 + i, i))
                .unwrap(),
            title: format!("Akte {i}"),
            site: format!("Standort{}", i % 20),
            team: None,
            parties: vec!["Erika Mustermann".into()],
            created_at: now_millis(),
        };
        catalog.create_case(&case).unwrap();
        cases.push(case);
    }
    let counter = AtomicU64::new(0);
    let mut g = c.benchmark_group("catalog");
    g.bench_function("insert document, synced WAL", |b| {
        b.iter(|| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let case = &cases[n as usize % cases.len()];
            catalog.insert_document(&document(&ids, case, n)).unwrap()
        })
    });
    let stored: Vec<Document> = (0..1000u64)
        .map(|n| {
            let d = document(&ids, &cases[n as usize % cases.len()], 1 << 40 | n);
            catalog.insert_document(&d).unwrap();
            d
        })
        .collect();
    let mut i = 0usize;
    g.bench_function("get document", |b| {
        b.iter(|| {
            i = (i + 1) % stored.len();
            catalog
                .get_document(stored[i].document_id)
                .unwrap()
                .unwrap()
        })
    });
    g.bench_function("get case by number", |b| {
        b.iter(|| {
            i = (i + 1) % cases.len();
            catalog
                .get_case_by_number(&cases[i].case_number)
                .unwrap()
                .unwrap()
        })
    });
    // One busy case: every document filed adds to its counter.
    let busy = &cases[0];
    for n in 0..10_000u64 {
        catalog
            .insert_document(&document(&ids, busy, 2 << 40 | n))
            .unwrap();
    }
    g.bench_function(
        "get case by number, 10,000 documents filed in it just now",
        |b| {
            b.iter(|| {
                catalog
                    .get_case_by_number(&busy.case_number)
                    .unwrap()
                    .unwrap()
            })
        },
    );
    g.bench_function("case document count, same case", |b| {
        b.iter(|| catalog.case_document_count(busy.case_id).unwrap())
    });
    g.finish();
}

fn index(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let mut rng = StdRng::seed_from_u64(3);
    let docs: Vec<IndexDoc> = (0..10_000).map(|i| letter(&mut rng, i)).collect();
    for batch in docs.chunks(2000) {
        index.upsert(batch).unwrap();
        index.commit().unwrap();
    }
    let mut g = c.benchmark_group("index");
    g.sample_size(20);
    let mut next = 10_000;
    g.bench_function("add 100 letters and commit", |b| {
        b.iter_batched(
            || {
                next += 100;
                (next - 100..next)
                    .map(|i| letter(&mut rng, i))
                    .collect::<Vec<_>>()
            },
            |batch| {
                index.upsert(&batch).unwrap();
                index.commit().unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    g.sample_size(100);
    g.bench_function("search a word, site filter, 10k letters", |b| {
        b.iter(|| {
            index
                .search(&SearchQuery {
                    text: "Widerspruch".into(),
                    site: Some("Standort7".into()),
                    limit: 20,
                    ..SearchQuery::default()
                })
                .unwrap()
        })
    });
    g.bench_function("bare term query (baseline), 10k letters", |b| {
        b.iter(|| index.raw_term_search("widerspruch", 20).unwrap())
    });
    g.finish();
}

/// What authorising a call costs: checking a token, asking the rules, and
/// (for a search) asking them about every access class.
fn access(c: &mut Criterion) {
    use akte_core::access::{
        case_class, class_resource, Action, Caller, Policies, Principal, PrincipalKind, Resource,
    };
    use akte_core::auth::{AuthConfig, Authenticator};
    let dir = tempfile::tempdir().unwrap();
    let auth = Authenticator::open(dir.path(), &AuthConfig::default()).unwrap();
    let anna = Principal::new(PrincipalKind::Caseworker, "anna").with_sites(&["Standort3"]);
    let token = auth
        .local_key()
        .issue(&anna, std::time::Duration::from_secs(3600), "akte")
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let policies = Policies::reference().unwrap();
    let caller = Caller::new(anna, "10.0.0.1:1");
    let own = Resource::Case {
        case_id: None,
        site: "Standort3".into(),
        restricted_to: None,
    };
    // 20 sites, each with open cases, an inbox and one restricted group.
    let classes: Vec<Resource> = (0..20)
        .flat_map(|s| {
            let site = format!("Standort{s}");
            [
                case_class(&site, None),
                case_class(&site, Some("personal")),
                akte_core::access::inbox_class(&site),
            ]
        })
        .filter_map(|c| class_resource(&c))
        .collect();
    let mut g = c.benchmark_group("access");
    g.bench_function("verify a token (EdDSA, this server's key)", |b| {
        b.iter(|| runtime.block_on(auth.authenticate(&token)).unwrap())
    });
    g.bench_function("ask the rules once (Cedar)", |b| {
        b.iter(|| policies.check(&caller, Action::ReadDocument, &own).unwrap())
    });
    let log_dir = tempfile::tempdir().unwrap();
    let catalog = akte_catalog::Catalog::open(log_dir.path()).unwrap();
    let record = akte_types::AccessRecord {
        seq: None,
        at: akte_types::now_millis(),
        action: akte_types::AccessAction::GetDocument,
        principal: Some("caseworker:anna".into()),
        peer: "10.0.0.1:1".into(),
        case_number: Some("12345BG0000001".into()),
        document_id: Some("01JD3X1A0000000000000000AA".into()),
        detail: String::new(),
        decision: Some(akte_types::AccessDecision::Allowed),
        policies: vec!["caseworker-own-site".into()],
        reason: None,
    };
    g.bench_function("log an access (Merkle leaf and nodes, synced)", |b| {
        b.iter(|| catalog.log_access(&record).unwrap())
    });
    // A whole case lookup through the store, as a caseworker: the rules, the
    // synced access record, the read; beside the bare catalog read.
    let store_dir = tempfile::tempdir().unwrap();
    let settings = akte_core::Config {
        data_dir: store_dir.path().to_path_buf(),
        ..akte_core::Config::default()
    }
    .validate()
    .unwrap();
    let store = akte_core::Store::open(settings).unwrap();
    let admin = Caller::local_admin("bench");
    runtime
        .block_on(store.create_case(
            &admin,
            akte_core::NewCase {
                case_number: "12345BG0000001".into(),
                site: "Standort3".into(),
                ..akte_core::NewCase::default()
            },
        ))
        .unwrap();
    let number: akte_types::CaseNumber = store.parse_case_number("12345BG0000001").unwrap();
    g.bench_function(
        "get a case through the store, as a caseworker (rules, synced record)",
        |b| {
            b.iter(|| {
                runtime
                    .block_on(store.get_case_by_number(&caller, "12345BG0000001"))
                    .unwrap()
            })
        },
    );
    g.bench_function("get a case from the catalog (baseline)", |b| {
        b.iter(|| store.catalog().get_case_by_number(&number).unwrap())
    });
    g.bench_function("a search's access classes (60 classes)", |b| {
        b.iter(|| {
            classes
                .iter()
                .filter(|r| policies.check(&caller, Action::Search, r).unwrap().allowed)
                .count()
        })
    });
    g.finish();
}

criterion_group!(micro, hashing, blobs, catalog, index, access);
criterion_main!(micro);
