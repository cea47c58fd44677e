//! Registry benchmark: the same client workload against Berth (release build, its own process,
//! SQLite and filesystem blobs, token auth on) and the CNCF reference registry (Debian's
//! `docker-registry`, filesystem storage, no auth), side by side.
//!
//! Run with `make bench`. Figures vary with the machine; compare the columns, not the absolutes.

#[path = "support/measure.rs"]
mod measure;

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const MIB: usize = 1 << 20;
const PASSWORD: &str = "benchmark password";
const SMALL_BLOBS: usize = 300;
const BIG_BLOB: usize = 512 * MIB;
const CONNECTIONS: usize = 64;
const LOAD_SECONDS: u64 = 10;

struct Target {
    base: String,
    repo: String,
    /// `None` for the reference registry, which runs without auth.
    token: Option<String>,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn start_berth(http: &reqwest::Client) -> Target {
    let dir = tempfile::tempdir().unwrap();
    let mut add = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "user",
            "add",
            "bench",
            "--email",
            "bench@example.com",
            "--password-stdin",
            "--confirmed",
        ])
        .env("BERTH_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("serve")
        .env("BERTH_DATA_DIR", dir.path())
        .env("BERTH_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port);
    let base = format!("http://127.0.0.1:{port}");
    let token = http
        .get(format!(
            "{base}/token?service=x&scope=repository:bench/app:push,pull"
        ))
        .basic_auth("bench", Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    Target {
        base,
        repo: "bench/app".into(),
        token: Some(token),
        child,
        _dir: dir,
    }
}

fn start_reference() -> Target {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry (Debian package) must be installed; `make bench` installs it");
    wait_for_port(port);
    Target {
        base: format!("http://127.0.0.1:{port}"),
        repo: "bench/app".into(),
        token: None,
        child,
        _dir: dir,
    }
}

impl Target {
    fn req(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let r = http.request(method, url);
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn push_blob(&self, http: &reqwest::Client, body: Bytes) -> String {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        let res = self
            .req(
                http,
                reqwest::Method::POST,
                &format!("/v2/{}/blobs/uploads/", self.repo),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let loc = res.headers()["location"].to_str().unwrap().to_string();
        let sep = if loc.contains('?') { '&' } else { '?' };
        let res = self
            .req(
                http,
                reqwest::Method::PUT,
                &format!("{loc}{sep}digest={digest}"),
            )
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        digest
    }
}

struct Figures {
    small_push_per_s: f64,
    big_push_mib_s: f64,
    big_pull_mib_s: f64,
    manifest_rps: f64,
    manifest_p50_ms: f64,
    manifest_p99_ms: f64,
    head_rps: f64,
    head_p99_ms: f64,
    idle_rss_mib: f64,
    peak_rss_mib: f64,
    after_rss_mib: f64,
}

fn rss_mib(pid: u32) -> f64 {
    measure::memory_mib(pid, "VmHWM")
}

fn rss_now_mib(pid: u32) -> f64 {
    measure::memory_mib(pid, "VmRSS")
}

/// `wrk` with `CONNECTIONS` connections for `LOAD_SECONDS` on one GET; returns (req/s, p50 ms,
/// p99 ms). Panics on non-2xx answers.
fn load(t: &Target, path: &str, accept: &str) -> (f64, f64, f64) {
    let auth = t.token.as_ref().map(|token| format!("Bearer {token}"));
    let mut headers = vec![("Accept", accept)];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth.as_str()));
    }
    let w = measure::run(
        &format!("{}{path}", t.base),
        CONNECTIONS as u32,
        LOAD_SECONDS as u32,
        &headers,
    );
    assert_eq!(w.errors, 0, "wrk saw errors on {path}");
    (w.rps, w.p50_ms, w.p99_ms)
}

/// `CONNECTIONS` clients sending HEAD for `LOAD_SECONDS` (wrk cannot read HEAD answers that
/// carry a Content-Length); returns (req/s, p99 ms).
async fn load_head(t: &Arc<Target>, http: &reqwest::Client, path: &str) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (t, http, path) = (t.clone(), http.clone(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let res = t
                    .req(&http, reqwest::Method::HEAD, &path)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p99 = all[((all.len() as f64 * 0.99) as usize).min(all.len() - 1)];
    (all.len() as f64 / LOAD_SECONDS as f64, p99)
}

async fn run(t: Target, http: &reqwest::Client) -> Figures {
    let t = Arc::new(t);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_mib = rss_now_mib(t.child.id());
    // Small blobs, one after another (a push of many small layers).
    let started = Instant::now();
    for i in 0..SMALL_BLOBS {
        let body = Bytes::from(format!("small blob {i} {}", "x".repeat(4000)));
        t.push_blob(http, body).await;
    }
    let small_push_per_s = SMALL_BLOBS as f64 / started.elapsed().as_secs_f64();

    // One big blob, streamed PATCH then PUT, as docker does.
    let base: Vec<u8> = (0..MIB)
        .map(|i| ((i * 2_654_435_761) >> 13) as u8)
        .collect();
    let mut hasher = Sha256::new();
    let chunks: Vec<Bytes> = (0..BIG_BLOB / MIB)
        .map(|n| {
            let mut c = base.clone();
            c[..8].copy_from_slice(&(n as u64).to_le_bytes());
            hasher.update(&c);
            Bytes::from(c)
        })
        .collect();
    let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
    let started = Instant::now();
    let res = t
        .req(
            http,
            reqwest::Method::POST,
            &format!("/v2/{}/blobs/uploads/", t.repo),
        )
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    let res = t
        .req(http, reqwest::Method::PATCH, &loc)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let sep = if loc.contains('?') { '&' } else { '?' };
    let res = t
        .req(
            http,
            reqwest::Method::PUT,
            &format!("{loc}{sep}digest={digest}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let big_push_mib_s = (BIG_BLOB / MIB) as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut res = t
        .req(
            http,
            reqwest::Method::GET,
            &format!("/v2/{}/blobs/{digest}", t.repo),
        )
        .send()
        .await
        .unwrap();
    let mut got = 0usize;
    while let Some(c) = res.chunk().await.unwrap() {
        got += c.len();
    }
    assert_eq!(got, BIG_BLOB);
    let big_pull_mib_s = (BIG_BLOB / MIB) as f64 / started.elapsed().as_secs_f64();

    // A manifest to pull under load.
    let config = Bytes::from(
        json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})
            .to_string(),
    );
    let cd = t.push_blob(http, config.clone()).await;
    let layer = Bytes::from(vec![1u8; 1000]);
    let ld = t.push_blob(http, layer.clone()).await;
    let manifest = json!({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":cd,"size":config.len()},
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":ld,"size":layer.len()}]}).to_string();
    let res = t
        .req(
            http,
            reqwest::Method::PUT,
            &format!("/v2/{}/manifests/v1", t.repo),
        )
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let oci = "application/vnd.oci.image.manifest.v1+json";
    let (manifest_rps, manifest_p50_ms, manifest_p99_ms) =
        load(&t, &format!("/v2/{}/manifests/v1", t.repo), oci);
    let (head_rps, head_p99_ms) = load_head(&t, http, &format!("/v2/{}/blobs/{ld}", t.repo)).await;
    let peak_rss_mib = rss_mib(t.child.id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_rss_mib = rss_now_mib(t.child.id());
    Figures {
        small_push_per_s,
        big_push_mib_s,
        big_pull_mib_s,
        manifest_rps,
        manifest_p50_ms,
        manifest_p99_ms,
        head_rps,
        head_p99_ms,
        idle_rss_mib,
        peak_rss_mib,
        after_rss_mib,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let berth = run(start_berth(&http).await, &http).await;
    let reference = run(start_reference(), &http).await;
    println!("\nRegistry benchmark: 2 cores, loopback, filesystem storage; Berth with token auth, reference without auth; loads by wrk at {CONNECTIONS} connections for {LOAD_SECONDS} s\n");
    println!(
        "| {:<44} | {:>12} | {:>16} |",
        "workload", "Berth", "reference 2.8.2"
    );
    println!("|{:-<46}|{:-<14}|{:-<18}|", "", "", "");
    let rows: [(&str, f64, f64, &str); 11] = [
        (
            "push small blobs (4 KiB, POST+PUT, serial)",
            berth.small_push_per_s,
            reference.small_push_per_s,
            "blobs/s",
        ),
        (
            "push 512 MiB blob (streamed PATCH + PUT)",
            berth.big_push_mib_s,
            reference.big_push_mib_s,
            "MiB/s",
        ),
        (
            "pull 512 MiB blob",
            berth.big_pull_mib_s,
            reference.big_pull_mib_s,
            "MiB/s",
        ),
        (
            "manifest GET, 64 connections",
            berth.manifest_rps,
            reference.manifest_rps,
            "req/s",
        ),
        (
            "manifest GET p50",
            berth.manifest_p50_ms,
            reference.manifest_p50_ms,
            "ms",
        ),
        (
            "manifest GET p99",
            berth.manifest_p99_ms,
            reference.manifest_p99_ms,
            "ms",
        ),
        (
            "blob HEAD, 64 connections",
            berth.head_rps,
            reference.head_rps,
            "req/s",
        ),
        (
            "blob HEAD p99",
            berth.head_p99_ms,
            reference.head_p99_ms,
            "ms",
        ),
        (
            "server RSS idle",
            berth.idle_rss_mib,
            reference.idle_rss_mib,
            "MiB",
        ),
        (
            "server peak RSS (whole run)",
            berth.peak_rss_mib,
            reference.peak_rss_mib,
            "MiB",
        ),
        (
            "server RSS 2 s after the load",
            berth.after_rss_mib,
            reference.after_rss_mib,
            "MiB",
        ),
    ];
    for (what, b, r, unit) in rows {
        println!(
            "| {:<44} | {:>12} | {:>16} |",
            what,
            format!("{b:.1} {unit}"),
            format!("{r:.1} {unit}")
        );
    }
}
