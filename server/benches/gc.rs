//! Garbage-collection benchmark, on SQLite with the data folder and (when `make bench` started
//! them) on PostgreSQL with Garage:
//! - throughput: 400 images of four 64 KiB layers each are pushed through the domain, deleted,
//!   and their 2,000 blobs collected; blobs and bytes reclaimed per second;
//! - a push storm during collection: 8 pushers push 40 images each, every image reusing two of 20
//!   layers that collection is deleting at that moment (unreferenced, past their grace period) and
//!   adding one of its own, while collections run back to back; then every pushed tag is pulled
//!   (manifest and every blob read whole and compared). Failed pushes and pulls are counted.
//!
//! Run with `make bench`, or `cargo bench -p server --bench gc`.

use std::{sync::Arc, time::Instant};

use berth_core::{
    access::Subject,
    accounts::{self, NewAccount, User},
    activity::Origin,
    clock, lifecycle,
    registry::{
        blobs, manifests,
        names::{Digest, Reference, RepoName},
        repos::{self, Repository},
        uploads,
    },
    testing, Config, Hub,
};
use tokio::io::AsyncReadExt;

const IMAGES: usize = 400;
const LAYERS: usize = 4;
const LAYER_BYTES: usize = 64 << 10;
const PUSHERS: usize = 8;
const STORM_IMAGES: usize = 40;
const SHARED: usize = 20;

fn bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut n = 0u64;
    while out.len() < len {
        out.extend_from_slice(
            &Digest::sha256(format!("{seed}{n}").as_bytes())
                .to_string()
                .into_bytes(),
        );
        n += 1;
    }
    out.truncate(len);
    out
}

async fn push(
    hub: &Hub,
    repo: &Repository,
    user: &User,
    tag: &str,
    layers: &[Vec<u8>],
) -> Result<(), String> {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","tag":"{tag}"}}"#).into_bytes();
    let mut descriptors = Vec::new();
    for (i, b) in std::iter::once(&config).chain(layers).enumerate() {
        let digest = Digest::sha256(b);
        // As docker does: check, upload only if missing.
        if blobs::size(hub, repo, &digest).await.is_err() {
            uploads::put_whole(hub, repo, user, &digest, &mut &b[..])
                .await
                .map_err(|e| e.to_string())?;
        }
        let media = if i == 0 {
            "application/vnd.oci.image.config.v1+json"
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        descriptors.push(format!(
            r#"{{"mediaType":"{media}","digest":"{digest}","size":{}}}"#,
            b.len()
        ));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[{}]}}"#,
        descriptors[0],
        descriptors[1..].join(",")
    );
    manifests::put(
        hub,
        repo,
        &Reference::Tag(tag.into()),
        Some("application/vnd.oci.image.manifest.v1+json"),
        manifest.as_bytes(),
        user,
        &Origin::default(),
    )
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Pulls a tag: the manifest, then every blob read whole and checked against its digest.
async fn pull(hub: &Hub, repo: &Repository, tag: &str) -> Result<(), String> {
    let m = manifests::get(hub, repo, &Reference::Tag(tag.into()))
        .await
        .map_err(|e| e.to_string())?;
    for d in lifecycle::blob_refs(&m.content) {
        let digest: Digest = d.parse().map_err(|_| d.clone())?;
        let size = blobs::size(hub, repo, &digest)
            .await
            .map_err(|e| format!("{d}: {e}"))?;
        let mut got = Vec::new();
        blobs::open(hub, &digest, 0, size)
            .await
            .map_err(|e| format!("{d}: {e}"))?
            .read_to_end(&mut got)
            .await
            .map_err(|e| format!("{d}: {e}"))?;
        if Digest::sha256(&got) != digest {
            return Err(format!("{d}: wrong bytes"));
        }
    }
    Ok(())
}

/// Deletes a tag's image (its manifest, by digest), unreferencing its blobs.
async fn delete_image(hub: &Hub, repo: &Repository, tag: &str) {
    let m = manifests::get(hub, repo, &Reference::Tag(tag.into()))
        .await
        .unwrap();
    manifests::delete(
        hub,
        repo,
        &Reference::Digest(m.digest.parse().unwrap()),
        None,
        &Origin::default(),
    )
    .await
    .unwrap();
}

async fn setup(hub: &Hub, name: &str) -> (User, Repository) {
    let user = accounts::register(
        hub,
        NewAccount {
            username: name,
            email: &format!("{name}@example.com"),
            password: "benchmark password",
        },
        true,
        false,
    )
    .await
    .unwrap();
    let repo = repos::create_for_push(
        hub,
        &Subject::User(user.clone()),
        &RepoName::parse(&format!("{name}/app")).unwrap(),
    )
    .await
    .unwrap();
    (user, repo)
}

async fn throughput(hub: &Hub) {
    let (user, repo) = setup(hub, "gcthroughput").await;
    let started = Instant::now();
    let hub_arc = Arc::new(hub.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..PUSHERS {
        let (hub, user, repo) = (hub_arc.clone(), user.clone(), repo.clone());
        tasks.spawn(async move {
            for i in (w..IMAGES).step_by(PUSHERS) {
                let layers: Vec<Vec<u8>> = (0..LAYERS)
                    .map(|l| bytes(&format!("t{i}-{l}"), LAYER_BYTES))
                    .collect();
                push(&hub, &repo, &user, &format!("t{i}"), &layers)
                    .await
                    .unwrap();
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    println!(
        "  seeded {IMAGES} images ({} blobs) in {:.1} s",
        IMAGES * (LAYERS + 1),
        started.elapsed().as_secs_f64()
    );
    for i in 0..IMAGES {
        delete_image(hub, &repo, &format!("t{i}")).await;
    }
    let t = Instant::now();
    let marked = lifecycle::collect(hub, false).await.unwrap();
    println!(
        "  marking {} unreferenced blobs: {:.3} s",
        marked.marked,
        t.elapsed().as_secs_f64()
    );
    testing::age_marks(hub, clock::DAY + 1).await;
    let dry = lifecycle::collect(hub, true).await.unwrap();
    println!(
        "  dry run listing {} blobs: {:.3} s",
        dry.blobs.len(),
        dry.seconds
    );
    let report = lifecycle::collect(hub, false).await.unwrap();
    let n = report.blobs.len() as f64;
    let mb = report.bytes() as f64 / 1e6;
    println!(
        "  collected {} blobs, {:.1} MB in {:.2} s: {:.0} blobs/s, {:.1} MB/s",
        report.blobs.len(),
        mb,
        report.seconds,
        n / report.seconds,
        mb / report.seconds
    );
}

async fn storm(hub: &Hub) {
    let (user, repo) = setup(hub, "gcstorm").await;
    // Shared layers, pushed once and then unreferenced past their grace period: collection is
    // deleting them while the storm reuses them.
    let shared: Vec<Vec<u8>> = (0..SHARED)
        .map(|i| bytes(&format!("shared{i}"), LAYER_BYTES))
        .collect();
    for (i, chunk) in shared.chunks(4).enumerate() {
        push(hub, &repo, &user, &format!("seed{i}"), chunk)
            .await
            .unwrap();
        delete_image(hub, &repo, &format!("seed{i}")).await;
    }
    lifecycle::collect(hub, false).await.unwrap();
    testing::age_marks(hub, clock::DAY + 1).await;

    let hub_arc = Arc::new(hub.clone());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let (hub, done) = (hub_arc.clone(), done.clone());
        tokio::spawn(async move {
            let (mut runs, mut collected) = (0, 0);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let r = lifecycle::collect(&hub, false).await.unwrap();
                runs += 1;
                collected += r.blobs.len();
            }
            (runs, collected)
        })
    };
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let shared = Arc::new(shared);
    for w in 0..PUSHERS {
        let (hub, user, repo, shared) =
            (hub_arc.clone(), user.clone(), repo.clone(), shared.clone());
        tasks.spawn(async move {
            let mut failed = Vec::new();
            for i in 0..STORM_IMAGES {
                let layers = vec![
                    shared[(w * 7 + i) % SHARED].clone(),
                    shared[(w * 3 + i * 5 + 1) % SHARED].clone(),
                    bytes(&format!("own{w}-{i}"), 4096),
                ];
                if let Err(e) = push(&hub, &repo, &user, &format!("s{w}-{i}"), &layers).await {
                    failed.push(e);
                }
            }
            failed
        });
    }
    let mut push_failures = Vec::new();
    while let Some(r) = tasks.join_next().await {
        push_failures.extend(r.unwrap());
    }
    let storm_secs = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (runs, collected) = collector.await.unwrap();
    let mut pull_failures = Vec::new();
    for w in 0..PUSHERS {
        for i in 0..STORM_IMAGES {
            if let Err(e) = pull(hub, &repo, &format!("s{w}-{i}")).await {
                pull_failures.push(e);
            }
        }
    }
    println!(
        "  push storm: {} pushes in {:.1} s during {runs} collections that deleted {collected} blobs; {} pushes failed, {} of {} pulls failed afterwards",
        PUSHERS * STORM_IMAGES,
        storm_secs,
        push_failures.len(),
        pull_failures.len(),
        PUSHERS * STORM_IMAGES
    );
    for e in push_failures.iter().chain(&pull_failures).take(5) {
        println!("    {e}");
    }
}

async fn run(label: &str, pairs: Vec<(String, String)>) {
    println!("== {label}");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().to_string();
    let mut all = vec![("BERTH_DATA_DIR".to_string(), data)];
    all.extend(pairs);
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let hub = Hub::open(Config::from_pairs(&refs).unwrap()).await.unwrap();
    throughput(&hub).await;
    storm(&hub).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "Garbage collection (berth_core in process, {} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    run("SQLite, data folder", Vec::new()).await;
    if std::env::var("BERTH_TEST_POSTGRES_URL").is_ok()
        && std::env::var("BERTH_TEST_S3_URL").is_ok()
    {
        let name = format!("gcbench{}", std::process::id());
        let db = testing::fresh_database(&name).await;
        let s3 = testing::s3_url_with_prefix(&name);
        run(
            "PostgreSQL, Garage (S3)",
            vec![
                ("BERTH_DATABASE_URL".into(), db),
                ("BERTH_STORAGE_URL".into(), s3),
            ],
        )
        .await;
    } else {
        println!("(PostgreSQL and Garage pass skipped: BERTH_TEST_POSTGRES_URL and BERTH_TEST_S3_URL unset; `make bench` sets them)");
    }
}
