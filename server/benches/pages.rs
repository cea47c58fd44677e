//! Page benchmark: what a busy hub's users feel. The release `berth` binary (SQLite, its own
//! process) serves a repository with 10,001 tags to `wrk` at 64 connections, logged in: the
//! repository page, the Tags tab (newest first; sorted by name deep in the list; filtered), a tag
//! page, and the landing page for scale; with the server's resident memory idle, at its peak
//! under the load, and after it. Run with `make bench`.

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/measure.rs"]
mod measure;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{
    process::{add_user, free_port, Berth},
    reg::Reg,
};

const PASSWORD: &str = "benchmark password";
const TAGS: i64 = 10_000;
const CONNECTIONS: u32 = 64;
const SECONDS: u32 = 10;

fn wrk(url: &str, headers: &[(&str, &str)]) -> measure::Wrk {
    measure::run(url, CONNECTIONS, SECONDS, headers)
}

fn rss_mib(pid: u32) -> f64 {
    measure::memory_mib(pid, "VmRSS")
}

/// Samples the resident size every 50 ms until stopped; the peak, in KiB.
fn sample_peak(pid: u32) -> (Arc<AtomicBool>, Arc<AtomicU64>, std::thread::JoinHandle<()>) {
    let (stop, peak) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let handle = std::thread::spawn({
        let (stop, peak) = (stop.clone(), peak.clone());
        move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max((rss_mib(pid) * 1024.0) as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    });
    (stop, peak, handle)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), &[], "bench", "bench@example.com", PASSWORD);
    let server = Berth::start(dir.path(), free_port(), &[]);
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // One image, then 10,000 tags on it, written straight into the database.
    let (_, digest) = Reg::new(&base, Some(("bench", PASSWORD)))
        .push_image("bench/many", "seed", &[7u8; 4096])
        .await;
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
        .bind(&digest)
        .bind(1_700_000_000 + i)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    drop(db);

    let res = http
        .post(format!("{base}/api/login"))
        .header("accept", "text/html")
        .header("origin", &base)
        .form(&[("login", "bench"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "logged in: {}", res.status());
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // (name, path, logged in, what the page must show)
    let pages = [
        (
            "repository page (Overview)",
            "/r/bench/many",
            true,
            "Tags (10001)",
        ),
        (
            "Tags tab, newest first, page 1",
            "/r/bench/many?tab=tags",
            true,
            "build-09999",
        ),
        (
            "Tags tab, by name, page 200",
            "/r/bench/many?tab=tags&sort=name&page=200",
            true,
            "build-04975",
        ),
        (
            "Tags tab, filtered (1,000 matches)",
            "/r/bench/many?tab=tags&q=build-09",
            true,
            "build-09999",
        ),
        (
            "tag page",
            "/r/bench/many/tags/build-05000",
            true,
            "Build steps",
        ),
        (
            "landing page (logged out, for scale)",
            "/",
            false,
            "Your own container hub",
        ),
    ];
    // Each page renders as expected before it is timed.
    for (_, path, logged_in, shows) in pages {
        let mut req = http
            .get(format!("{base}{path}"))
            .header("accept", "text/html");
        if logged_in {
            req = req.header("cookie", &cookie);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains(shows), "{path} shows {shows}");
    }

    let idle = rss_mib(server.child.id());
    let (stop, peak, sampler) = sample_peak(server.child.id());
    println!(
        "\nPage benchmark: a repository with {} tags, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, release build, SQLite, 2 cores\n",
        TAGS + 1
    );
    println!(
        "| {:<38} | {:>10} | {:>9} | {:>9} | {:>6} |",
        "page", "req/s", "p50", "p99", "errors"
    );
    println!(
        "|{:-<40}|{:-<12}|{:-<11}|{:-<11}|{:-<8}|",
        "", "", "", "", ""
    );
    for (name, path, logged_in, _) in pages {
        let url = format!("{base}{path}");
        let mut headers = vec![("Accept", "text/html")];
        if logged_in {
            headers.push(("Cookie", cookie.as_str()));
        }
        let w = wrk(&url, &headers);
        println!(
            "| {:<38} | {:>10.1} | {:>6.1} ms | {:>6.1} ms | {:>6} |",
            name, w.rps, w.p50_ms, w.p99_ms, w.errors
        );
    }
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mib(server.child.id());
    println!(
        "\nResident memory: idle {idle:.1} MiB, peak under load {:.1} MiB, 2 s after {after:.1} MiB",
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    );
    drop(server);
}
