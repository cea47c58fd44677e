//! Search benchmark: 100,000 repositories (a tenth private) seeded straight into the database,
//! then `/v1/search` (what `docker search` asks) and the web's `/search` page timed on the
//! release `berth` binary, on SQLite and on PostgreSQL. Latency is measured one request at a
//! time (what one person waits for); throughput with `wrk` at 16 connections. The PostgreSQL
//! pass needs `BERTH_TEST_POSTGRES_URL` (`make bench` starts a throwaway server). Run with
//! `make bench`.

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/measure.rs"]
mod measure;

use std::time::Instant;

use common::process::{add_user, free_port, Berth};

const REPOSITORIES: usize = 100_000;
const ROUNDS: usize = 200;
const PASSWORD: &str = "benchmark password";

/// 2,000 made-up words; names take two, descriptions four. `server` is in one name in ten.
fn vocabulary() -> Vec<String> {
    let a = [
        "ba", "ke", "lo", "mi", "nu", "pra", "sto", "vel", "zor", "qui",
    ];
    let b = [
        "den", "lix", "mor", "tan", "ruk", "sel", "vop", "gar", "hin", "wex",
    ];
    let c = [
        "a", "o", "us", "er", "is", "on", "um", "ix", "al", "en", "ar", "et", "ol", "ik", "ur",
        "em", "ad", "ib", "og", "uz",
    ];
    let mut words = Vec::new();
    for x in a {
        for y in b {
            for z in c {
                words.push(format!("{x}{y}{z}"));
            }
        }
    }
    words
}

/// A small deterministic generator, so both backends hold the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

async fn seed(db: &sqlx::AnyPool) {
    let words = vocabulary();
    let mut rng = Lcg(42);
    let owner: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'bench'")
        .fetch_one(db)
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let batch = 500;
    for start in (0..REPOSITORIES).step_by(batch) {
        let mut sql = String::from(
            "INSERT INTO repositories (namespace, name, full_name, owner_id, is_private, description,
             pull_count, star_count, created_at, last_pushed_at) VALUES ",
        );
        let mut values = Vec::new();
        for i in start..start + batch {
            let namespace = format!("team{}", i % 2000);
            let second = if i % 10 == 0 {
                "server".to_string()
            } else {
                words[rng.next(words.len())].clone()
            };
            let name = format!("{}-{second}-{i}", words[rng.next(words.len())]);
            let description = (0..4)
                .map(|_| words[rng.next(words.len())].as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let private = i64::from(i % 10 == 3);
            let pulls = rng.next(1_000_000) as i64;
            let stars = rng.next(500) as i64;
            let at = 1_700_000_000 + i as i64;
            values.push(format!(
                "('{namespace}', '{name}', '{namespace}/{name}', {owner}, {private}, '{description}', {pulls}, {stars}, {at}, {at})"
            ));
        }
        sql.push_str(&values.join(", "));
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// `ROUNDS` GETs of `url` one after another; their times in milliseconds, sorted.
async fn timed(http: &reqwest::Client, url: &str) -> Vec<f64> {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let res = http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        res.bytes().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(backend: &str, env: Vec<(String, String)>, db_url: String) {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), &env, "bench", "bench@example.com", PASSWORD);
    let server = Berth::start(dir.path(), free_port(), &env);
    let base = server.base.clone();
    sqlx::any::install_default_drivers();
    let db_url = if db_url.is_empty() {
        format!("sqlite://{}/berth.db", dir.path().display())
    } else {
        db_url
    };
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let started = Instant::now();
    seed(&db).await;
    if backend == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(&db).await.unwrap();
    }
    let seeded = started.elapsed();
    drop(db);

    let http = reqwest::Client::new();
    let queries = [
        ("one word (~250 matches)", "q=kedenus"),
        ("common word (10,000 matches)", "q=server"),
        ("prefix (~2,500 matches)", "q=kede"),
        ("two words", "q=kedenus+server"),
        ("no match", "q=nothinglikethis"),
        ("empty query, every public repository", "q="),
    ];
    println!(
        "\nSearch on {backend}: {REPOSITORIES} repositories (seeded in {:.1} s), /v1/search?n=25, one request at a time, {ROUNDS} rounds\n",
        seeded.as_secs_f64()
    );
    println!(
        "| {:<40} | {:>8} | {:>8} | {:>8} |",
        "query", "matches", "p50", "p99"
    );
    println!("|{:-<42}|{:-<10}|{:-<10}|{:-<10}|", "", "", "", "");
    for (label, q) in queries {
        let url = format!("{base}/v1/search?{q}&n=25");
        let first: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        let matches = first["num_results"].as_i64().unwrap();
        let times = timed(&http, &url).await;
        println!(
            "| {:<40} | {:>8} | {:>5.1} ms | {:>5.1} ms |",
            label,
            matches,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    // The web pages, and throughput under concurrency.
    for (label, path) in [
        ("web page /search?q=kedenus", "/search?q=kedenus"),
        ("web page /explore (most pulled)", "/explore"),
        (
            "web page /explore?sort=updated&page=100",
            "/explore?sort=updated&page=100",
        ),
    ] {
        let times = timed(&http, &format!("{base}{path}")).await;
        println!(
            "| {:<40} | {:>8} | {:>5.1} ms | {:>5.1} ms |",
            label,
            "",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    let w = measure::run(&format!("{base}/v1/search?q=kedenus&n=25"), 16, 8, &[]);
    let (rps, p50, p99, refused) = (w.rps, w.p50_ms, w.p99_ms, w.errors);
    let peak = measure::memory_mib(server.child.id(), "VmHWM");
    println!(
        "\nwrk -t2 -c16 -d8s on /v1/search?q=kedenus: {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {refused} turned away (429); server peak RSS {peak:.1} MiB"
    );
    drop(server);
}

#[tokio::main]
async fn main() {
    run("SQLite", vec![], String::new()).await;
    if std::env::var("BERTH_TEST_POSTGRES_URL").is_ok() {
        let name = format!("berth_search_{}", berth_core::clock::now());
        let url = berth_core::testing::fresh_database(&name).await;
        run(
            "PostgreSQL",
            vec![("BERTH_DATABASE_URL".into(), url.clone())],
            url,
        )
        .await;
    } else {
        println!(
            "\n(PostgreSQL skipped: BERTH_TEST_POSTGRES_URL is not set; `make bench` sets it)"
        );
    }
}
