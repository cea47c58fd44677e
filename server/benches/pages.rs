//! Page benchmark: the repository page's Tags tab of a repository with 10,000 tags, rendered by
//! the release `berth` binary (SQLite, its own process), timed from a logged-in client: newest
//! first, sorted by name on a later page, and filtered. Run with `make bench`.

use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const PASSWORD: &str = "benchmark password";
const TAGS: i64 = 10_000;
const ROUNDS: usize = 200;

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

async fn push(http: &reqwest::Client, base: &str, token: &str, repo: &str, body: &[u8]) {
    let res = http
        .post(format!(
            "{base}/v2/{repo}/blobs/uploads/?digest={}",
            sha256(body)
        ))
        .bearer_auth(token)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "{name:<44} mean {:>6.1} ms   p50 {:>6.1} ms   p99 {:>6.1} ms",
        mean,
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100])
    );
}

#[tokio::main]
async fn main() {
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("serve")
        .env("BERTH_DATA_DIR", dir.path())
        .env("BERTH_ADDR", format!("127.0.0.1:{port}"))
        .env("BERTH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "berth did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // One image, then 10,000 tags on it, written straight into the database.
    let token = http
        .get(format!(
            "{base}/token?service=x&scope=repository:bench/many:push,pull"
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
    let config =
        json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})
            .to_string();
    let layer = vec![7u8; 4096];
    push(&http, &base, &token, "bench/many", config.as_bytes()).await;
    push(&http, &base, &token, "bench/many", &layer).await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":sha256(config.as_bytes()),"size":config.len()},
        "layers": [{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":sha256(&layer),"size":layer.len()}]
    })
    .to_string();
    let res = http
        .put(format!("{base}/v2/bench/many/manifests/seed"))
        .bearer_auth(&token)
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&format!("sqlite://{}/berth.db", dir.path().display()))
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    for i in 0..TAGS {
        sqlx::query(
            "INSERT INTO tags (repository_id, name, manifest_digest, pushed_at, pushed_by)
             SELECT id, $1, $2, $3, owner_id FROM repositories WHERE full_name = 'bench/many'",
        )
        .bind(format!("build-{i:05}"))
        .bind(sha256(manifest.as_bytes()))
        .bind(1_700_000_000 + i)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let res = http
        .post(format!("{base}/api/login"))
        .header("accept", "text/html")
        .header("origin", &base)
        .form(&[("login", "bench"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "logged in: {}", res.status());

    println!(
        "Tags tab of a repository with {} tags, {ROUNDS} requests each, one client, release build:",
        TAGS + 1
    );
    for (name, path) in [
        ("newest first, page 1", "/r/bench/many?tab=tags"),
        (
            "by name, page 200",
            "/r/bench/many?tab=tags&sort=name&page=200",
        ),
        (
            "filtered (\"build-09\", 1,000 matches)",
            "/r/bench/many?tab=tags&q=build-09",
        ),
    ] {
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let res = http
                .get(format!("{base}{path}"))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body = res.text().await.unwrap();
            times.push(t.elapsed());
            assert!(body.contains("build-"), "tags rendered");
        }
        summary(name, times);
    }
    let _ = server.kill();
    let _ = server.wait();
}
