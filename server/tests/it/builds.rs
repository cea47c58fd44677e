//! Automated builds end to end, with a real git repository served by `git daemon` on loopback
//! and a real Docker engine: a build queued while no worker runs survives the restart and
//! builds; the image pulls and runs with the file's content; a `git push` calls the trigger URL
//! from a post-receive hook and builds a new digest; a failing RUN fails with its output in the
//! log and a mail; a missing Dockerfile says where; a running build is cancelled; signatures are
//! checked; the badge and `is_automated` show.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use berth_core::{
    accounts::User,
    builds::{self, Build, RuleForm, SourceForm, Status},
};

use crate::common::{self, docker::Engine, TestServer};

const PASSWORD: &str = "builds test password";

/// `git daemon` serving a folder, killed when dropped.
struct GitDaemon(Child);

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn serve_git(base: &Path) -> (GitDaemon, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // git-daemon itself (not the `git daemon` wrapper, whose child would outlive a kill).
    let exec_path = git(base, &["--exec-path"]);
    let mut daemon = GitDaemon(
        Command::new(Path::new(&exec_path).join("git-daemon"))
            .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .spawn()
            .expect("git daemon (Debian's git)"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (daemon, port);
        }
        if daemon.0.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("git daemon did not listen");
}

async fn wait_for(
    hub: &berth_core::Hub,
    user: &User,
    repo: &str,
    id: i64,
    done: fn(Status) -> bool,
) -> (Build, String) {
    for _ in 0..1200 {
        let (b, log) = builds::get(hub, user, repo, id).await.unwrap();
        if done(b.status) {
            return (b, log);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (b, log) = builds::get(hub, user, repo, id).await.unwrap();
    panic!("build {id} stayed {:?}:\n{log}", b.status);
}

fn rule<'a>(branch: &'a str, tag: &'a str, dockerfile: &'a str) -> RuleForm<'a> {
    RuleForm {
        source_type: "branch",
        source: branch,
        is_regex: false,
        docker_tag: tag,
        dockerfile,
        context: "/",
        build_args: "GREETING=hello",
        enabled: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_pushes_build_images_that_pull_and_run() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // The git repository: a Dockerfile FROM scratch copying a file (and busybox to show it).
    let src = w.join("src");
    std::fs::create_dir_all(&src).unwrap();
    git(&src, &["init", "-q", "-b", "main"]);
    std::fs::copy("/bin/busybox", src.join("busybox")).expect("/bin/busybox (busybox-static)");
    std::fs::write(src.join("hello.txt"), "first version\n").unwrap();
    std::fs::write(
        src.join("Dockerfile"),
        "FROM scratch\nARG GREETING\nCOPY busybox /bin/busybox\nCOPY hello.txt /hello.txt\nCMD [\"/bin/busybox\", \"cat\", \"/hello.txt\"]\n",
    )
    .unwrap();
    std::fs::write(
        src.join("Dockerfile.broken"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo about to fail; exit 3\"]\n",
    )
    .unwrap();
    std::fs::write(
        src.join("Dockerfile.slow"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"120\"]\n",
    )
    .unwrap();
    std::fs::write(src.join("README.md"), "# Built by Berth\n\nFrom git.\n").unwrap();
    git(&src, &["add", "."]);
    git(&src, &["commit", "-q", "-m", "First image"]);
    let first_commit = git(&src, &["rev-parse", "HEAD"]);
    let served = w.join("served");
    std::fs::create_dir_all(&served).unwrap();
    git(
        w,
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().unwrap(),
            served.join("app.git").to_str().unwrap(),
        ],
    );
    git(
        &src,
        &[
            "remote",
            "add",
            "origin",
            served.join("app.git").to_str().unwrap(),
        ],
    );
    let (_daemon, port) = serve_git(&served);
    let git_url = format!("git://127.0.0.1:{port}/app.git");

    let engine = tokio::task::spawn_blocking(Engine::start).await.unwrap();
    let key = "a test key that is long enough for sealing";
    let settings = [
        ("BERTH_WEBHOOK_ALLOW", "127.0.0.1"),
        ("BERTH_SECRET_KEY", key),
        ("BERTH_BUILD_NETWORK", "none"),
    ];

    // A hub with no build worker: "Build now" queues.
    let s = TestServer::start_with(&settings).await;
    common::register(s.hub(), "builder", PASSWORD, true, false).await;
    let user = berth_core::accounts::user_by_name(s.hub(), "builder")
        .await
        .unwrap()
        .unwrap();
    berth_core::repositories::create(
        s.hub(),
        &user,
        berth_core::repositories::NewRepo {
            namespace: "builder",
            name: "app",
            description: "Built from git",
            private: false,
        },
    )
    .await
    .unwrap();
    let repo = "builder/app";
    let source = |url: &'static str| SourceForm {
        git_url: url,
        token: "",
        remove_token: false,
        hook_secret: "",
        remove_hook_secret: false,
        notify: "failures",
        readme: true,
    };
    // The guard: loopback only because the operator allows it here; a metadata address never.
    let refused =
        builds::save_source(s.hub(), &user, repo, source("http://169.254.169.254/x.git")).await;
    assert!(
        format!("{refused:?}").contains("internal address"),
        "{refused:?}"
    );
    let refused = builds::save_source(s.hub(), &user, repo, source("file:///etc")).await;
    assert!(
        format!("{refused:?}").contains("BERTH_BUILD_ALLOW_FILE"),
        "{refused:?}"
    );
    let url: &'static str = Box::leak(git_url.clone().into_boxed_str());
    builds::save_source(
        s.hub(),
        &user,
        repo,
        SourceForm {
            token: "secret-token",
            ..source(url)
        },
    )
    .await
    .unwrap();
    let o = builds::overview(s.hub(), &user, repo, None).await.unwrap();
    assert!(o.source.as_ref().unwrap().has_token);
    assert_eq!(o.rules.len(), 1, "the default rule");
    let main_rule = &o.rules[0];
    assert_eq!(
        (main_rule.source.as_str(), main_rule.docker_tag.as_str()),
        ("main", "latest")
    );
    let bad = builds::save_rule(
        s.hub(),
        &user,
        repo,
        0,
        RuleForm {
            dockerfile: "../x",
            ..rule("main", "x", "")
        },
    )
    .await;
    assert!(format!("{bad:?}").contains("dockerfile"), "{bad:?}");
    // Only "latest" builds on pushes to main: the others are disabled, for "Build now" only.
    let mut made = Vec::new();
    for (tag, dockerfile) in [
        ("broken", "Dockerfile.broken"),
        ("slow", "Dockerfile.slow"),
        ("missing", "nope/Dockerfile"),
    ] {
        let form = RuleForm {
            enabled: false,
            ..rule("main", tag, dockerfile)
        };
        made.push(
            builds::save_rule(s.hub(), &user, repo, 0, form)
                .await
                .unwrap(),
        );
    }
    let [broken, slow, missing] = made[..] else {
        unreachable!()
    };
    let first = builds::build_now(s.hub(), &user, repo, main_rule.id)
        .await
        .unwrap();
    let (b, _) = builds::get(s.hub(), &user, repo, first).await.unwrap();
    assert_eq!(b.status, Status::Queued);
    // A queued build cancelled now never runs.
    let dropped = builds::build_now(s.hub(), &user, repo, main_rule.id)
        .await
        .unwrap();
    builds::cancel(s.hub(), &user, repo, dropped).await.unwrap();
    let (b, _) = builds::get(s.hub(), &user, repo, dropped).await.unwrap();
    assert_eq!(b.status, Status::Cancelled);

    // Restarted with an engine: the queued build runs.
    let s = s
        .restart_with(
            &[
                settings.as_slice(),
                &[("BERTH_BUILD_DOCKER_HOST", engine.host())],
            ]
            .concat(),
        )
        .await;
    let hub = s.hub();
    let (b, log) = wait_for(hub, &user, repo, first, Status::finished).await;
    assert_eq!(b.status, Status::Succeeded, "{log}");
    assert_eq!(b.commit.as_deref(), Some(first_commit.as_str()));
    assert_eq!(b.commit_message.as_deref(), Some("First image"));
    assert!(log.contains("COPY hello.txt /hello.txt"), "{log}");
    let first_digest = b.digest.clone().unwrap();
    let repository = berth_core::repositories::open(hub, Some(&user), "builder", "app")
        .await
        .unwrap()
        .0;
    assert_eq!(
        builds::tag_commit(hub, &repository, "latest")
            .await
            .unwrap()
            .as_deref(),
        Some(first_commit.as_str())
    );
    assert!(repository.is_automated);
    assert!(
        repository.overview.contains("Built by Berth"),
        "README.md became the overview"
    );

    // docker pull and run show the file.
    let host = s.base.trim_start_matches("http://").to_string();
    let image = format!("{host}/builder/app:latest");
    let run = |engine: &Engine, image: &str| {
        engine.ok(&["pull", image]);
        engine.ok(&["run", "--rm", "--network", "none", image])
    };
    let engine = {
        let image = image.clone();
        tokio::task::spawn_blocking(move || {
            let out = run(&engine, &image);
            assert!(out.contains("first version"), "{out}");
            engine
        })
        .await
        .unwrap()
    };

    // The badge, the commit on the tag's page, and docker search.
    let tag_page = reqwest::get(s.url("/r/builder/app/tags/latest"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        tag_page.contains(&first_commit),
        "the tag page names the commit"
    );
    // ... and, for its owner, links the build that made it.
    let c = common::web_session(&s, "builder", PASSWORD).await;
    let (_, owner_view) = common::get_html(&s, &c, "/r/builder/app/tags/latest").await;
    assert!(
        owner_view.contains(&format!("/r/builder/app/builds/{first}")),
        "the tag page links its build"
    );
    let page = reqwest::get(s.url("/r/builder/app"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("badge-automated"), "the Automated badge");
    let found: serde_json::Value = reqwest::get(s.url("/v1/search?q=app"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hit = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "builder/app")
        .unwrap()
        .clone();
    assert_eq!(hit["is_automated"], true, "{found}");

    // A git push calls the trigger URL from a post-receive hook: a second build, a new digest.
    let trigger = builds::overview(hub, &user, repo, None)
        .await
        .unwrap()
        .source
        .unwrap()
        .trigger_url;
    let hook = served.join("app.git/hooks/post-receive");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nwhile read old new ref; do curl -fsS -X POST --data \"ref=$ref&after=$new\" {trigger}; done\n"),
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&hook)
        .status()
        .unwrap();
    std::fs::write(src.join("hello.txt"), "second version\n").unwrap();
    git(&src, &["commit", "-q", "-am", "Second image"]);
    let second_commit = git(&src, &["rev-parse", "HEAD"]);
    git(&src, &["push", "-q", "origin", "main"]);
    let history = builds::overview(hub, &user, repo, None)
        .await
        .unwrap()
        .builds;
    // The first build, the cancelled one, and exactly one for the push (the main rule's).
    assert_eq!(history.len(), 3, "one build per push to main");
    let second = history[0].id;
    assert_eq!(history[0].cause, "trigger");
    let (b, log) = wait_for(hub, &user, repo, second, Status::finished).await;
    assert_eq!(b.status, Status::Succeeded, "{log}");
    assert_eq!(b.commit.as_deref(), Some(second_commit.as_str()));
    assert_ne!(b.digest.as_deref(), Some(first_digest.as_str()));
    let engine = {
        let image = image.clone();
        tokio::task::spawn_blocking(move || {
            let out = run(&engine, &image);
            assert!(out.contains("second version"), "{out}");
            engine
        })
        .await
        .unwrap()
    };

    // A failing RUN: failed, its output and the failing step in the log, and a mail.
    let failing = builds::build_now(hub, &user, repo, broken).await.unwrap();
    let (b, log) = wait_for(hub, &user, repo, failing, Status::finished).await;
    assert_eq!(b.status, Status::Failed, "{log}");
    assert!(log.contains("about to fail"), "{log}");
    assert!(
        log.contains("RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo about to fail; exit 3\"]"),
        "{log}"
    );
    assert!(
        b.error
            .as_deref()
            .unwrap_or_default()
            .contains("non-zero code: 3"),
        "{:?}",
        b.error
    );
    let mut mail = None;
    for _ in 0..200 {
        mail = common::mails_in(&s.outbox(), &user.email)
            .into_iter()
            .find(|m| m.contains("Build failed: builder/app:broken"));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail.expect("a mail about the failed build");
    assert!(mail.contains("non-zero code: 3"), "{mail}");

    // A push past the namespace's storage limit: refused, with the limit in the error.
    common::register(hub, "buildadmin", PASSWORD, true, true).await;
    let admin = berth_core::accounts::user_by_name(hub, "buildadmin")
        .await
        .unwrap()
        .unwrap();
    berth_core::lifecycle::set_storage_limit(hub, &admin, "builder", Some(1))
        .await
        .unwrap();
    let over = builds::build_now(hub, &user, repo, main_rule.id)
        .await
        .unwrap();
    let (b, log) = wait_for(hub, &user, repo, over, Status::finished).await;
    assert_eq!(b.status, Status::Failed, "{log}");
    let error = b.error.unwrap_or_default();
    assert!(
        error.starts_with("Push refused") && error.contains("storage limit"),
        "{error}"
    );
    assert!(log.contains("storage limit"), "{log}");
    berth_core::lifecycle::set_storage_limit(hub, &admin, "builder", None)
        .await
        .unwrap();

    // The history filtered by status.
    let failed = builds::overview(hub, &user, repo, Some("failed"))
        .await
        .unwrap()
        .builds;
    assert_eq!(failed.len(), 2, "the failing RUN and the storage limit");
    assert!(failed.iter().all(|b| b.status == Status::Failed));

    // A Dockerfile that is not there: said where.
    let nothing = builds::build_now(hub, &user, repo, missing).await.unwrap();
    let (b, _) = wait_for(hub, &user, repo, nothing, Status::finished).await;
    assert_eq!(b.status, Status::Failed);
    assert!(
        b.error
            .as_deref()
            .unwrap_or_default()
            .contains("Dockerfile not found at nope/Dockerfile"),
        "{:?}",
        b.error
    );

    // Cancel a running build.
    let long = builds::build_now(hub, &user, repo, slow).await.unwrap();
    wait_for(hub, &user, repo, long, |s| {
        s == Status::Building || s.finished()
    })
    .await;
    let started = std::time::Instant::now();
    builds::cancel(hub, &user, repo, long).await.unwrap();
    let (b, log) = wait_for(hub, &user, repo, long, Status::finished).await;
    assert_eq!(b.status, Status::Cancelled, "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "cancelled long before the sleep ends"
    );
    // Cancelling a finished build says so.
    assert!(builds::cancel(hub, &user, repo, long).await.is_err());

    // The trigger URL: unknown tokens are 404; with a secret, unsigned calls are 401 and
    // GitHub-signed ones queue the matching rules only (none, for another branch).
    let client = reqwest::Client::new();
    let unknown = client
        .post(s.url(&format!("/hooks/build/{}", "0".repeat(48))))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    builds::save_source(
        hub,
        &user,
        repo,
        SourceForm {
            hook_secret: "hook secret",
            ..source(url)
        },
    )
    .await
    .unwrap();
    let body =
        r#"{"ref":"refs/heads/elsewhere","after":"1111111111111111111111111111111111111111"}"#;
    let unsigned = client.post(&trigger).body(body).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let signed = client
        .post(&trigger)
        .header(
            "X-Hub-Signature-256",
            format!(
                "sha256={}",
                common::receiver::hmac_sha256_hex(b"hook secret", body.as_bytes())
            ),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let answer: serde_json::Value = signed.json().await.unwrap();
    assert_eq!(answer["queued"], 0, "{answer}");
    // Guessing tokens: after 30 bad calls from one address in 10 minutes, 429 with Retry-After.
    let mut limited = None;
    for n in 0..40 {
        let guess = client
            .post(s.url(&format!("/hooks/build/{n:048x}")))
            .send()
            .await
            .unwrap();
        if guess.status() == 429 {
            limited = Some((n, guess));
            break;
        }
        assert_eq!(guess.status(), 404);
    }
    let (n, answer) = limited.expect("bad trigger calls are limited");
    assert!(n <= 30, "limited after {n} more calls");
    assert!(answer.headers().contains_key("retry-after"));

    // A private repository over https: the stored token goes as the HTTP password (a header,
    // never in the URL or the log).
    let private = common::receiver::Receiver::start(&[401]).await;
    let private_url: &'static str = Box::leak(
        private
            .url
            .replace("/hook", "/private.git")
            .into_boxed_str(),
    );
    // Pointed at another host, the stored token does not follow unless given again.
    builds::save_source(hub, &user, repo, source(private_url))
        .await
        .unwrap();
    let o = builds::overview(hub, &user, repo, None).await.unwrap();
    assert!(
        !o.source.unwrap().has_token,
        "the token stays with its host"
    );
    builds::save_source(
        hub,
        &user,
        repo,
        SourceForm {
            token: "secret-token",
            ..source(private_url)
        },
    )
    .await
    .unwrap();
    let denied = builds::build_now(hub, &user, repo, main_rule.id)
        .await
        .unwrap();
    let (b, log) = wait_for(hub, &user, repo, denied, Status::finished).await;
    assert_eq!(b.status, Status::Failed, "{log}");
    assert!(
        b.error
            .as_deref()
            .unwrap_or_default()
            .contains("Cloning http://127.0.0.1"),
        "{:?}",
        b.error
    );
    let asked = private.received();
    assert!(!asked.is_empty(), "git asked the server");
    assert_eq!(
        asked[0].header("authorization"),
        "Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0LXRva2Vu"
    );
    assert!(!log.contains("secret-token") && !b.error.unwrap_or_default().contains("secret-token"));

    // A source that answers with a redirect to an internal server: git does not follow it,
    // so the internal server hears nothing (neither the clone nor the token).
    let internal = common::receiver::Receiver::serve(
        tokio::net::TcpListener::bind("127.0.0.3:0").await.unwrap(),
        &[],
    );
    let target = internal.url.replace("/hook", "/private.git");
    let redirector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect_url: &'static str = Box::leak(
        format!("http://{}/moved.git", redirector.local_addr().unwrap()).into_boxed_str(),
    );
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let to = format!(
            "{target}/info/refs?{}",
            uri.query().unwrap_or("service=git-upload-pack")
        );
        async move { (axum::http::StatusCode::FOUND, [("location", to)]) }
    });
    tokio::spawn(async move { axum::serve(redirector, app).await });
    builds::save_source(
        hub,
        &user,
        repo,
        SourceForm {
            token: "secret-token",
            ..source(redirect_url)
        },
    )
    .await
    .unwrap();
    let redirected = builds::build_now(hub, &user, repo, main_rule.id)
        .await
        .unwrap();
    let (b, log) = wait_for(hub, &user, repo, redirected, Status::finished).await;
    assert_eq!(b.status, Status::Failed, "{log}");
    assert!(
        internal.received().is_empty(),
        "the clone followed the redirect to {}: {:?}",
        internal.url,
        b.error
    );

    // Unlinking removes the badge.
    builds::unlink(hub, &user, repo).await.unwrap();
    let repository = berth_core::repositories::open(hub, Some(&user), "builder", "app")
        .await
        .unwrap()
        .0;
    assert!(!repository.is_automated);
    drop(engine);
    s.stop().await;
}
