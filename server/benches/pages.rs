//! Page benchmark: the repository page's Tags tab of a repository with 10,000 tags, rendered by
//! the release `berth` binary (SQLite, its own process), timed from a logged-in client: newest
//! first, sorted by name on a later page, and filtered. Run with `make bench`.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{
    process::{add_user, free_port, Berth},
    reg::Reg,
};

const PASSWORD: &str = "benchmark password";
const TAGS: i64 = 10_000;
const ROUNDS: usize = 200;

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
    add_user(dir.path(), &[], "bench", "bench@example.com", PASSWORD);
    let server = Berth::start(dir.path(), free_port(), &[]);
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .cookie_store(true)
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
    drop(server);
}
