//! Docker benchmark: `docker push` and `docker pull` of an image with four 64 MiB layers of
//! random bytes, with a real Docker engine, against Berth (release build, SQLite, filesystem
//! blobs, token auth) and the CNCF reference registry (Debian's `docker-registry` 2.8.2, no
//! auth), in alternating rounds (A B A B …): the medians and ranges side by side.
//!
//! Each push goes to a fresh server on a new port, so docker uploads every layer (it would
//! otherwise mount or skip what it knows the registry has); each pull starts from an engine
//! that holds none of the image's layers. Run with `make bench` (needs dockerd, as root).

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{
    docker::{rootfs_tar, Engine},
    process::free_port,
};

const PASSWORD: &str = "benchmark password";
const LAYERS: usize = 4;
const LAYER_MIB: usize = 64;
const ROUNDS: usize = 5;

/// A registry under test: its `host:port`, and the process (killed when dropped).
struct Server {
    host: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn berth() -> Server {
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
        .env("BERTH_LOG", "warn")
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
        .env("BERTH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port);
    Server {
        host: format!("127.0.0.1:{port}"),
        child,
        _dir: dir,
    }
}

fn reference() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
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
    wait_for(port);
    Server {
        host: format!("127.0.0.1:{port}"),
        child,
        _dir: dir,
    }
}

/// Logs the engine in when the server is Berth (the reference registry has no auth).
fn prepare(engine: &Engine, server: &Server, is_berth: bool) {
    if is_berth {
        let out = engine.login(&server.host, "bench", PASSWORD);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Removes every image, so the next pull downloads every layer.
fn forget_images(engine: &Engine) {
    let ids = engine.ok(&["images", "-aq"]);
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let mut args = vec!["rmi", "-f"];
        args.extend(ids);
        engine.docker(&args);
    }
    engine.ok(&["image", "prune", "-af"]);
}

fn summary(times: &mut [f64]) -> String {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    format!(
        "{:.2} s ({:.2}–{:.2})",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    )
}

fn main() {
    let engine = Engine::start();
    let work = tempfile::tempdir().unwrap();
    // The image: busybox, then four layers of random bytes (incompressible, as real layers
    // of binaries nearly are).
    let tar = rootfs_tar(work.path());
    engine.ok(&["import", tar.to_str().unwrap(), "berth-bench/base:1"]);
    let context = work.path().join("context");
    std::fs::create_dir_all(&context).unwrap();
    let mut dockerfile = String::from("FROM berth-bench/base:1\n");
    for n in 0..LAYERS {
        let mut file = std::fs::File::create(context.join(format!("layer{n}"))).unwrap();
        let mut bytes = vec![0u8; 1 << 20];
        for _ in 0..LAYER_MIB {
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
            file.write_all(&bytes).unwrap();
        }
        dockerfile.push_str(&format!("COPY layer{n} /layer{n}\n"));
    }
    std::fs::write(context.join("Dockerfile"), dockerfile).unwrap();
    let built = engine
        .command()
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "-q", "-t", "berth-bench/src:1"])
        .arg(&context)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    // Pushes, alternating, each to a fresh server.
    let (mut push_berth, mut push_reference) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS * 2 {
        let is_berth = round % 2 == 0;
        let server = if is_berth { berth() } else { reference() };
        prepare(&engine, &server, is_berth);
        let image = format!("{}/bench/app:v1", server.host);
        engine.ok(&["tag", "berth-bench/src:1", &image]);
        let started = Instant::now();
        engine.ok(&["push", &image]);
        let took = started.elapsed().as_secs_f64();
        engine.ok(&["rmi", &image]);
        if is_berth {
            push_berth.push(took);
        } else {
            push_reference.push(took);
        }
    }

    // Pulls, alternating, from one server of each kind holding the image.
    let servers = [(berth(), true), (reference(), false)];
    for (server, is_berth) in &servers {
        prepare(&engine, server, *is_berth);
        let image = format!("{}/bench/app:v1", server.host);
        engine.ok(&["tag", "berth-bench/src:1", &image]);
        engine.ok(&["push", &image]);
    }
    let (mut pull_berth, mut pull_reference) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS * 2 {
        let (server, is_berth) = &servers[round % 2];
        forget_images(&engine);
        let image = format!("{}/bench/app:v1", server.host);
        let started = Instant::now();
        let out = engine.ok(&["pull", &image]);
        let took = started.elapsed().as_secs_f64();
        assert!(out.contains("Downloaded newer image"), "{out}");
        if *is_berth {
            pull_berth.push(took);
        } else {
            pull_reference.push(took);
        }
    }
    drop(servers);
    forget_images(&engine);

    println!(
        "\nDocker benchmark: an image of {LAYERS} × {LAYER_MIB} MiB random layers (plus busybox), real Docker engine (vfs storage), loopback; {ROUNDS} rounds each, alternating; median (min–max)\n"
    );
    println!(
        "| {:<34} | {:>22} | {:>22} |",
        "workload", "Berth", "reference 2.8.2"
    );
    println!("|{:-<36}|{:-<24}|{:-<24}|", "", "", "");
    println!(
        "| {:<34} | {:>22} | {:>22} |",
        "docker push (fresh registry)",
        summary(&mut push_berth),
        summary(&mut push_reference)
    );
    println!(
        "| {:<34} | {:>22} | {:>22} |",
        "docker pull (empty engine)",
        summary(&mut pull_berth),
        summary(&mut pull_reference)
    );
}
