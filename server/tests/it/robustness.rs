//! A fixed budget of hostile traffic against the `berth` binary (short timeouts configured):
//! 64 simultaneous wrong passwords, 200 made-up upload ids, 20 connections that dribble or send
//! nothing. Afterwards the slow connections are closed, resident memory is back within a stated
//! bound of the idle size, and a normal request is answered at once; a slow upload that keeps
//! moving still completes, a stalled one is cut, and SIGTERM ends the server within its grace
//! period even with a stalled connection open.

use crate::common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::process::{add_user, free_port, Berth};
use serde_json::Value;

const PASSWORD: &str = "robust password";
const MIB: u64 = 1 << 20;
/// How far above its idle size the server may stay after the bursts.
const RSS_MARGIN: u64 = 24 * MIB;
const HEADER_TIMEOUT: u64 = 2;
const IDLE_TIMEOUT: u64 = 3;

/// Waits until the peer closes `stream` (a read returns 0 or fails); how long that took.
fn closed_within(mut stream: TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).ok()?;
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return None
            }
            Err(_) => return Some(started.elapsed()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bounded_bursts_leave_the_server_small_and_responsive() {
    let dir = tempfile::tempdir().unwrap();
    let backend = berth_core::testing::fresh_backend().await;
    let mut env = backend.clone();
    for (k, v) in [
        ("BERTH_HEADER_TIMEOUT", HEADER_TIMEOUT.to_string()),
        ("BERTH_IDLE_TIMEOUT", IDLE_TIMEOUT.to_string()),
        ("BERTH_SHUTDOWN_GRACE", "3".to_string()),
    ] {
        env.push((k.to_string(), v));
    }
    add_user(dir.path(), &env, "robust", "robust@example.com", PASSWORD);
    let port = free_port();
    let server = Berth::start(dir.path(), port, &env);
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Warm up the paths the bursts take, then read the idle size.
    assert!(http
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let ok = http
        .get(format!(
            "{base}/token?service=x&scope=repository:robust/app:push,pull"
        ))
        .basic_auth("robust", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = server.rss();

    // 64 simultaneous wrong passwords (no account needed): each is refused (401), or turned
    // away at once when the hashing queue is full (429 with Retry-After).
    let bursts: Vec<_> = (0..64)
        .map(|i| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let res = http
                    .get(format!("{base}/token?service=x"))
                    .basic_auth(format!("nobody{i}"), Some("wrong password"))
                    .send()
                    .await
                    .unwrap();
                (
                    res.status().as_u16(),
                    res.headers().get("retry-after").is_some(),
                )
            })
        })
        .collect();
    let mut refused = 0;
    let mut busy = 0;
    for b in bursts {
        match b.await.unwrap() {
            (401, _) => refused += 1,
            (429, true) => busy += 1,
            other => panic!("unexpected answer to a wrong password: {other:?}"),
        }
    }
    assert_eq!(refused + busy, 64);
    assert!(refused > 0);

    // 200 made-up upload ids.
    let repo_upload = http
        .post(format!("{base}/v2/robust/app/blobs/uploads/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(repo_upload.status(), 202);
    let location = repo_upload.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    for i in 0..200 {
        let id = if i % 2 == 0 {
            format!("{i:032x}")
        } else {
            "z".repeat(2000 + i)
        };
        let res = http
            .patch(format!("{base}/v2/robust/app/blobs/uploads/{id}"))
            .bearer_auth(&token)
            .body(vec![0u8; 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }

    // 20 slow connections: half send nothing, half dribble a header a byte at a time.
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    let dribblers: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let started = Instant::now();
                for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
                    .iter()
                    .cycle()
                {
                    if s.write_all(&[*b]).is_err() || started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
                started.elapsed()
            })
        })
        .collect();
    let limit = Duration::from_secs(HEADER_TIMEOUT + 5);
    for s in silent {
        let took = closed_within(s, limit).expect("an idle connection is closed");
        assert!(took <= limit, "{took:?}");
    }
    for d in dribblers {
        let took = d.join().unwrap();
        assert!(
            took < Duration::from_secs(HEADER_TIMEOUT + 5),
            "a dribbling header was cut after {took:?}"
        );
    }

    // Memory is back near idle, and a normal request is answered at once.
    let mut after = server.rss();
    for _ in 0..20 {
        if after <= idle + RSS_MARGIN {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = server.rss();
    }
    assert!(
        after <= idle + RSS_MARGIN,
        "resident {} MiB after the bursts, idle was {} MiB",
        after / MIB,
        idle / MIB
    );
    eprintln!(
        "robustness: idle {} MiB, after the bursts {} MiB; wrong passwords: {refused} refused, {busy} turned away busy",
        idle / MIB,
        after / MIB
    );
    let started = Instant::now();
    let res = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // A slow upload that keeps moving (a piece every second for longer than the idle limit)
    // completes; one that stalls is cut after the idle limit.
    let pieces = (IDLE_TIMEOUT + 3) as usize;
    let slow = futures_util::stream::unfold(0usize, move |i| async move {
        if i == pieces {
            return None;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        Some((
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 1024])),
            i + 1,
        ))
    });
    let res = http
        .patch(format!("{base}{location}"))
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(slow))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        202,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stalled,
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\npartial"
    )
    .unwrap();
    let took = closed_within(
        stalled.try_clone().unwrap(),
        Duration::from_secs(IDLE_TIMEOUT + 10),
    )
    .expect("a stalled body is cut");
    assert!(took >= Duration::from_secs(IDLE_TIMEOUT - 1), "{took:?}");

    // SIGTERM with a connection holding a stalled request: the server still ends in time.
    let mut hanging = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        hanging,
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\nx"
    )
    .unwrap();
    let pid = server.child.id().to_string();
    let started = Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut server = server;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "berth did not stop within 15 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    drop(hanging);
}
