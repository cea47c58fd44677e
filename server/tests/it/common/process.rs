//! The `berth` binary run as a separate process, as operators run it.

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A `berth serve` process, killed when dropped.
pub struct Berth {
    pub child: Child,
    pub base: String,
}

impl Berth {
    /// Starts `berth serve` on `port` with `data` as data folder and `env` on top, and waits
    /// until it accepts connections.
    pub fn start(data: &std::path::Path, port: u16, env: &[(String, String)]) -> Berth {
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("serve")
            .envs(env.iter().cloned())
            .env("BERTH_DATA_DIR", data)
            .env("BERTH_ADDR", format!("127.0.0.1:{port}"))
            .env("BERTH_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "berth did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Berth { child, base }
    }

    /// Resident memory of the server process, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Creates a confirmed account with `berth user add`, as an operator would.
pub fn add_user(
    data: &std::path::Path,
    env: &[(String, String)],
    name: &str,
    email: &str,
    password: &str,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "user",
            "add",
            name,
            "--email",
            email,
            "--password-stdin",
            "--confirmed",
        ])
        .envs(env.iter().cloned())
        .env("BERTH_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "berth user add {name}");
}
