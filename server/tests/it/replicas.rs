//! Several replicas behave as one hub. Two `berth serve` processes, each with a data folder of
//! its own, share one PostgreSQL database and one S3 bucket behind a round-robin TCP proxy.
//! Through the proxy: docker login, push, pull and run, and a browser signing up, confirming
//! from the mail (a real SMTP server) and logging in. Across replicas: a token issued by one is
//! honoured by the other, a login session too, and a blob upload moves between them. Then one
//! replica is killed in the middle of an upload; the other finishes it and keeps serving docker
//! and the browser.
//!
//! It needs the PostgreSQL and S3 servers that `make test` starts for its second pass, so plain
//! `cargo test` ignores it; `scripts/test-scale.sh` runs it with `--ignored`.

use crate::common;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{
    docker::{rootfs_tar, Engine},
    location,
    process::{add_user, free_port, Berth},
    receiver::Receiver,
    reg::{sha256, Reg},
    smtp::SmtpServer,
};
use reqwest::{header, Method, StatusCode};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "replica test password";

/// A load balancer in miniature: each new connection goes to the next replica in turn, or to
/// the one after it if that one refuses. Returns its address and the connections each replica got.
async fn round_robin_proxy(
    listener: TcpListener,
    replicas: Vec<SocketAddr>,
) -> Arc<Vec<AtomicU64>> {
    let served: Arc<Vec<AtomicU64>> =
        Arc::new(replicas.iter().map(|_| AtomicU64::new(0)).collect());
    let counts = served.clone();
    tokio::spawn(async move {
        let next = AtomicUsize::new(0);
        while let Ok((mut client, _)) = listener.accept().await {
            let first = next.fetch_add(1, Ordering::Relaxed);
            let replicas = replicas.clone();
            let counts = counts.clone();
            tokio::spawn(async move {
                for i in 0..replicas.len() {
                    let k = (first + i) % replicas.len();
                    if let Ok(mut server) = TcpStream::connect(replicas[k]).await {
                        counts[k].fetch_add(1, Ordering::Relaxed);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        return;
                    }
                }
            });
        }
    });
    served
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the browser's sign-up test (with and without JavaScript) against `base`.
fn browser_signup_and_login(base: &str, maildir: &Path) {
    let out = Command::new("npx")
        .args([
            "playwright",
            "test",
            "--grep",
            "sign up, confirm from the mail, log out, log in",
        ])
        .current_dir(repo_root().join("end2end"))
        .env("BERTH_E2E_BASE_URL", base)
        .env("BERTH_E2E_MAILDIR", maildir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .output()
        .expect("npx (Node.js) with end2end/node_modules: `make test` installs them");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser test through {base}:\n{text}");
    assert!(text.contains("2 passed"), "both modes ran:\n{text}");
}

/// The home page as `browser` sees it on `base`.
async fn home_page(browser: &reqwest::Client, base: &str) -> String {
    browser
        .get(format!("{base}/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// PATCHes `bytes` at `offset` into the upload at `loc` and checks the acknowledged range.
async fn patch(reg: &Reg, repo: &str, loc: &str, offset: usize, bytes: &[u8]) -> String {
    let res = reg
        .req(Method::PATCH, loc, repo)
        .await
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(
            "content-range",
            format!("{offset}-{}", offset + bytes.len() - 1),
        )
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(
        res.headers()["range"],
        format!("0-{}", offset + bytes.len() - 1).as_str()
    );
    location(&res)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the PostgreSQL and S3 servers of make test's second pass (scripts/test-scale.sh runs it)"]
async fn two_replicas_behind_a_proxy_serve_as_one_hub() {
    assert!(
        berth_core::testing::on_postgres(),
        "the replica test runs on PostgreSQL and S3: run it with `make test` (scripts/test-scale.sh)"
    );
    let backend = berth_core::testing::fresh_backend().await;
    let mail = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let _smtp = SmtpServer::start(smtp_port, mail.path()).await;

    let ports = [free_port(), free_port()];
    let replicas: Vec<SocketAddr> = ports
        .iter()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let served = round_robin_proxy(listener, replicas).await;

    let mut env = backend.clone();
    env.extend([
        ("BERTH_PUBLIC_URL".to_string(), proxy.clone()),
        (
            "BERTH_SMTP_URL".to_string(),
            format!("smtp://127.0.0.1:{smtp_port}"),
        ),
        (
            "BERTH_SITE_ROOT".to_string(),
            repo_root().join("target/site").display().to_string(),
        ),
        ("BERTH_WEBHOOK_ALLOW".to_string(), "127.0.0.1".to_string()),
    ]);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    // Both start at once on the empty database: migrations and the token key must not race.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| Berth::start(dirs[0].path(), ports[0], &env));
        let b = scope.spawn(|| Berth::start(dirs[1].path(), ports[1], &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    add_user(
        dirs[0].path(),
        &env,
        "replicaalice",
        "replicaalice@example.com",
        PASSWORD,
    );
    let login = Some(("replicaalice", PASSWORD));
    let on_a = Reg::new(&a.base, login);
    let on_b = Reg::new(&b.base, login);
    let repo = "replicaalice/direct";

    // A token from one replica opens the other.
    let token = on_a.token(&[format!("repository:{repo}:pull,push")]).await;
    let res = on_b
        .http
        .get(on_b.url("/v2/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "B honours A's token");

    // A login session made on one replica is valid on the other (cookies do not care for ports).
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser
        .post(a.base.clone() + "/api/login")
        .header("accept", "text/html")
        .header("origin", &proxy)
        .header("referer", format!("{proxy}/login"))
        .form(&[("login", "replicaalice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/", "logged in on A");
    let page = home_page(&browser, &b.base).await;
    assert!(
        page.contains("Repositories") && page.contains("replicaalice"),
        "B knows A's session: {page}"
    );

    // An upload started on A continues on B, is checked on A, and finishes on B.
    let content: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let digest = sha256(&content);
    let res = on_a
        .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let loc = location(&res);
    let third = content.len() / 3;
    let loc = patch(&on_b, repo, &loc, 0, &content[..third]).await;
    let res = on_a
        .req(Method::GET, &loc, repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["range"], format!("0-{}", third - 1).as_str());
    let loc = patch(&on_a, repo, &loc, third, &content[third..2 * third]).await;
    let loc = patch(&on_b, repo, &loc, 2 * third, &content[2 * third..]).await;
    let res = on_a
        .req(Method::PUT, &format!("{loc}?digest={digest}"), repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "committed on A");
    let res = on_b
        .req(Method::GET, &format!("/v2/{repo}/blobs/{digest}"), repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), content, "B serves it");

    // A webhook added on A hears pushes made on both replicas, each event exactly once (each
    // replica's worker competes for the same queue).
    let receiver = Receiver::start(&[]).await;
    let res = browser
        .post(a.base.clone() + "/api/webhooks/create")
        .header("accept", "text/html")
        .header("origin", &proxy)
        .header("referer", format!("{proxy}/r/{repo}?tab=settings"))
        .form(&[
            ("full_name", repo),
            ("name", "replicas"),
            ("url", receiver.url.as_str()),
            ("secret", ""),
            ("tag_pushed", "on"),
        ])
        .send()
        .await
        .unwrap();
    let hook_page = location(&res).replace(&proxy, "");
    assert!(hook_page.contains("/webhooks/"), "{hook_page}");
    for (n, on) in [&on_a, &on_b, &on_a, &on_b, &on_a, &on_b]
        .into_iter()
        .enumerate()
    {
        on.push_image(repo, &format!("hook{n}"), format!("layer {n}").as_bytes())
            .await;
    }
    let got = receiver.wait_for(6).await;
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("x-berth-delivery")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "six events, six deliveries");
    // Every delivery shows one attempt, delivered, on either replica's page.
    for base in [&a.base, &b.base] {
        let page = loop {
            let page = browser
                .get(format!("{base}{hook_page}"))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .replace("<!>", "");
            if page.matches(">delivered<").count() >= 6 {
                break page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(!page.contains("Attempt 2"), "no event was sent twice");
    }
    assert_eq!(receiver.received().len(), 6);

    // docker through the proxy: login, push (several connections, so both replicas), pull, run.
    let host = proxy.trim_start_matches("http://").to_string();
    let work = tempfile::tempdir().unwrap();
    let tar = rootfs_tar(work.path());
    let engine = {
        let host = host.clone();
        tokio::task::spawn_blocking(move || {
            let engine = Engine::start();
            let app = format!("{host}/replicaalice/app:v1");
            engine.ok(&["import", tar.to_str().unwrap(), &app]);
            let good = engine.login(&host, "replicaalice", PASSWORD);
            assert!(
                String::from_utf8_lossy(&good.stdout).contains("Login Succeeded"),
                "{}",
                String::from_utf8_lossy(&good.stderr)
            );
            let pushed = engine.ok(&["push", &app]);
            assert!(pushed.contains("v1: digest: sha256:"), "{pushed}");
            engine.ok(&["rmi", &app]);
            engine.ok(&["image", "prune", "-f"]);
            let pulled = engine.ok(&["pull", &app]);
            assert!(pulled.contains("Downloaded newer image"), "{pulled}");
            let ran = engine.ok(&["run", "--rm", "--network", "none", &app, "cat", "/greeting"]);
            assert!(ran.contains("hello from berth"), "{ran}");
            engine
        })
        .await
        .unwrap()
    };
    let counts: Vec<u64> = served.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert!(
        counts.iter().all(|&n| n > 0),
        "the proxy spread connections over both replicas: {counts:?}"
    );

    // A browser through the proxy: sign up, confirm from the mail, log out, log in.
    let maildir = mail.path().to_path_buf();
    let base = proxy.clone();
    tokio::task::spawn_blocking(move || browser_signup_and_login(&base, &maildir))
        .await
        .unwrap();

    // Rate limits are counted in the shared database: failed logins alternate between the
    // replicas and the account's limit (ten) is reached all the same, on both.
    let token_as = |base: String, password: &'static str| async move {
        reqwest::Client::new()
            .get(format!("{base}/token?service=berth"))
            .basic_auth("replicaguess", Some(password))
            .send()
            .await
            .unwrap()
    };
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        assert_eq!(token_as(base.clone(), "wrong guess").await.status(), 401);
    }
    for base in [&a.base, &b.base] {
        let res = token_as(base.clone(), "another guess").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
        assert!(res.headers().contains_key("retry-after"));
    }

    // A replica dies in the middle of an upload: the other one finishes it.
    let other: Vec<u8> = content.iter().rev().copied().collect();
    let other_digest = sha256(&other);
    let res = on_a
        .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), repo)
        .await
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let loc = patch(&on_a, repo, &loc, 0, &other[..third]).await;
    a.kill();
    let loc = patch(&on_b, repo, &loc, third, &other[third..]).await;
    let res = on_b
        .req(Method::PUT, &format!("{loc}?digest={other_digest}"), repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "finished on B");
    let res = on_b
        .req(
            Method::GET,
            &format!("/v2/{repo}/blobs/{other_digest}"),
            repo,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), other);

    // The session made on A lives on; docker and the browser keep working through the proxy.
    let page = home_page(&browser, &b.base).await;
    assert!(page.contains("replicaalice"), "session after A died");
    tokio::task::spawn_blocking(move || {
        let app = format!("{host}/replicaalice/app:v1");
        let v2 = format!("{host}/replicaalice/app:v2");
        engine.ok(&[
            "run",
            "--network",
            "none",
            "--name",
            "layer2",
            &app,
            "sh",
            "-c",
            "echo after the failover > /layer2",
        ]);
        engine.ok(&["commit", "layer2", &v2]);
        engine.ok(&["rm", "layer2"]);
        let pushed = engine.ok(&["push", &v2]);
        assert!(pushed.contains("v2: digest: sha256:"), "{pushed}");
        engine.ok(&["rmi", &app, &v2]);
        engine.ok(&["image", "prune", "-f"]);
        let pulled = engine.ok(&["pull", &v2]);
        assert!(pulled.contains("Downloaded newer image"), "{pulled}");
        let ran = engine.ok(&["run", "--rm", "--network", "none", &v2, "cat", "/layer2"]);
        assert!(ran.contains("after the failover"), "{ran}");
    })
    .await
    .unwrap();
    let maildir = mail.path().to_path_buf();
    tokio::task::spawn_blocking(move || browser_signup_and_login(&proxy, &maildir))
        .await
        .unwrap();
    drop(b);
}
