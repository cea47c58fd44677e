//! What the benchmarks share: running `wrk` and reading its report, and a process's memory.

/// What `wrk --latency` reports.
pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx answers, plus one if there were socket errors.
    pub errors: u64,
}

fn millis(text: &str) -> f64 {
    let (n, unit) = text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len()));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

/// Reads a `wrk --latency` report.
pub fn parse(text: &str) -> Wrk {
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_string()))
    };
    Wrk {
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        p50_ms: field("50%").map_or(f64::NAN, |v| millis(&v)),
        p99_ms: field("99%").map_or(f64::NAN, |v| millis(&v)),
        errors: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            + field("Socket errors:").map_or(0, |_| 1),
    }
}

/// Runs `wrk` (2 threads) on `url` with `connections` for `seconds`, sending `headers`; panics
/// if wrk is missing (`make bench` installs it).
pub fn run(url: &str, connections: u32, seconds: u32, headers: &[(&str, &str)]) -> Wrk {
    let mut cmd = std::process::Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    for (k, v) in headers {
        cmd.args(["-H", &format!("{k}: {v}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk (Debian package) must be installed; `make bench` installs it");
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// A process's resident memory now (`VmRSS`) or at its peak (`VmHWM`), in MiB.
pub fn memory_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}
