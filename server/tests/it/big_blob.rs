//! The `berth` binary as a separate process: a multi-GiB blob pushed and pulled while its memory
//! stays flat, and a server killed (SIGKILL) in the middle of an upload that restarts with no
//! corrupt blob and lets the upload start over.

use crate::common;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use common::process::{add_user, free_port, Berth};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
const PASSWORD: &str = "big blob password";

/// Samples a process's RSS every 50 ms until stopped; returns the peak.
fn watch_rss(server: &Berth) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let pid = server.child.id();
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(Ordering::Relaxed) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rss = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024;
            peak = peak.max(rss);
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    });
    (stop, handle)
}

/// Chunk `n` (1 MiB, or less at the end) of the test content: varied bytes, numbered chunks.
fn chunk(n: u64, size: u64) -> Vec<u8> {
    let mut chunk: Vec<u8> = (0..MIB)
        .map(|i| ((i * 2_654_435_761) >> 13) as u8)
        .collect();
    chunk[..8].copy_from_slice(&n.to_le_bytes());
    chunk.truncate((size - n * MIB).min(MIB) as usize);
    chunk
}

/// `size` bytes of test content as a stream of 1 MiB chunks, hashed as they are produced.
fn generated(size: u64, hasher: Arc<Mutex<Sha256>>, sent: Arc<AtomicU64>) -> reqwest::Body {
    let chunks = size.div_ceil(MIB);
    let stream = futures_util::stream::iter((0..chunks).map(move |n| {
        let chunk = chunk(n, size);
        let len = chunk.len();
        hasher.lock().unwrap().update(&chunk);
        sent.fetch_add(len as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    }));
    reqwest::Body::wrap_stream(stream)
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    http.get(format!(
        "{base}/token?service=x&scope=repository:biguser/big:push,pull"
    ))
    .basic_auth("biguser", Some(PASSWORD))
    .send()
    .await
    .unwrap()
    .json::<Value>()
    .await
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_gib_blob_streams_in_and_out_in_flat_memory() {
    let data = tempfile::tempdir().unwrap();
    let backend = berth_core::testing::fresh_backend().await;
    add_user(
        data.path(),
        &backend,
        "biguser",
        "big@example.com",
        PASSWORD,
    );
    let server = Berth::start(data.path(), free_port(), &backend);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let t = token(&http, &server.base).await;
    let idle = server.rss();

    let size = 2 * GIB + 12_345;
    let (stop, peak) = watch_rss(&server);
    let started = Instant::now();
    let res = http
        .post(format!("{}/v2/biguser/big/blobs/uploads/", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let sent = Arc::new(AtomicU64::new(0));
    let res = http
        .patch(format!("{}{loc}", server.base))
        .bearer_auth(&t)
        .header("content-type", "application/octet-stream")
        .body(generated(size, hasher.clone(), sent))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["range"], format!("0-{}", size - 1).as_str());
    let digest = format!(
        "sha256:{}",
        hex::encode(hasher.lock().unwrap().clone().finalize())
    );
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let t = token(&http, &server.base).await;
    let res = http
        .put(format!("{}{loc}?digest={digest}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let push_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let push_peak = peak.join().unwrap();

    let (stop, peak) = watch_rss(&server);
    let started = Instant::now();
    let res = http
        .get(format!("{}/v2/biguser/big/blobs/{digest}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.content_length(), Some(size));
    let mut pulled = Sha256::new();
    let mut received = 0u64;
    let mut res = res;
    while let Some(chunk) = res.chunk().await.unwrap() {
        received += chunk.len() as u64;
        pulled.update(&chunk);
    }
    let pull_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let pull_peak = peak.join().unwrap();
    assert_eq!(received, size);
    assert_eq!(format!("sha256:{}", hex::encode(pulled.finalize())), digest);

    let mib = |b: u64| b as f64 / MIB as f64;
    println!(
        "big blob {:.2} GiB: idle RSS {:.1} MiB; push {:.1} s, peak RSS {:.1} MiB; pull {:.1} s, peak RSS {:.1} MiB",
        size as f64 / GIB as f64,
        mib(idle),
        push_secs,
        mib(push_peak),
        pull_secs,
        mib(pull_peak)
    );
    // Flat: the server's memory grows by far less than the blob: a few MiB of buffers on the
    // filesystem; on S3 the 8 MiB parts of the multipart uploads (two in flight, one filling,
    // while the chunks are stored and again while the commit copies them into the blob).
    let bound = if berth_core::testing::on_postgres() {
        96 * MIB
    } else {
        64 * MIB
    };
    assert!(
        push_peak < idle + bound,
        "push peak {:.1} MiB over idle {:.1} MiB",
        mib(push_peak),
        mib(idle)
    );
    assert!(
        pull_peak < idle + bound,
        "pull peak {:.1} MiB over idle {:.1} MiB",
        mib(pull_peak),
        mib(idle)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_serves_no_partial_blob() {
    let data = tempfile::tempdir().unwrap();
    let backend = berth_core::testing::fresh_backend().await;
    add_user(
        data.path(),
        &backend,
        "biguser",
        "big@example.com",
        PASSWORD,
    );
    let port = free_port();
    let server = Berth::start(data.path(), port, &backend);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let t = token(&http, &server.base).await;
    let res = http
        .post(format!("{}/v2/biguser/big/blobs/uploads/", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_string();

    // Stream 512 MiB and kill the server with SIGKILL once about 200 MiB went out.
    let size = 512 * MIB;
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let sent = Arc::new(AtomicU64::new(0));
    let upload = tokio::spawn({
        let (http, url, t, body) = (
            http.clone(),
            format!("{}{loc}", server.base),
            t.clone(),
            generated(size, hasher.clone(), sent.clone()),
        );
        async move { http.patch(url).bearer_auth(t).body(body).send().await }
    });
    while sent.load(Ordering::Relaxed) < 200 * MIB {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    assert!(
        upload.await.unwrap().is_err(),
        "the connection died with the server"
    );
    let digest = format!("sha256:{}", {
        // The digest of the whole content, as a client that knew it would send it.
        let mut h = Sha256::new();
        for n in 0..size / MIB {
            h.update(chunk(n, size));
        }
        hex::encode(h.finalize())
    });

    let server = Berth::start(data.path(), port, &backend);
    let t = token(&http, &server.base).await;
    // Nothing half-written is served, and no blob file or object exists.
    let res = http
        .head(format!("{}/v2/biguser/big/blobs/{digest}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let blob_files = berth_core::testing::stored_blobs(&backend, data.path()).await;
    assert!(blob_files.is_empty(), "no blob stored: {blob_files:?}");
    // The upload is still known, with nothing acknowledged; it starts over and completes.
    let res = http
        .get(format!("{}{loc}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["range"], "0-0");
    let res = http
        .patch(format!("{}{loc}", server.base))
        .bearer_auth(&t)
        .body(generated(
            size,
            Arc::new(Mutex::new(Sha256::new())),
            Arc::new(AtomicU64::new(0)),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let res = http
        .put(format!("{}{loc}?digest={digest}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = http
        .head(format!("{}/v2/biguser/big/blobs/{digest}", server.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-length"], size.to_string().as_str());
    assert_eq!(
        berth_core::testing::stored_blobs(&backend, data.path())
            .await
            .len(),
        1
    );
}
