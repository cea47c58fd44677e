//! A real SMTP server: aiosmtpd (from PyPI) on loopback, delivering into a Maildir.

use std::{process::Stdio, time::Duration};

/// aiosmtpd on loopback, stopped when dropped.
pub struct SmtpServer {
    pub child: tokio::process::Child,
}

impl SmtpServer {
    /// Starts aiosmtpd with its Maildir handler: each received message becomes a file in `maildir/new`.
    pub async fn start(port: u16, maildir: &std::path::Path) -> Self {
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let child = tokio::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup.sh test installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer { child };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }
}
