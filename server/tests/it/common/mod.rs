//! A real `berth` server on a free loopback port with its own data folder, and HTTP clients for it.
#![allow(dead_code)]

pub mod docker;
pub mod process;
pub mod receiver;
pub mod reg;
pub mod smtp;

use std::{path::PathBuf, time::Duration};

use berth_core::Config;
use berth_server::Running;

pub struct TestServer {
    pub running: Option<Running>,
    /// The server's hub over connections that are not reused (see [`TestServer::hub`]).
    test_hub: berth_core::Hub,
    pub base: String,
    pub dir: tempfile::TempDir,
}

/// A client address no other client of this test binary uses.
pub fn client_address() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::net::Ipv4Addr::from(0x0a00_0000 + n).to_string()
}

static SHARED: std::sync::OnceLock<TestServer> = std::sync::OnceLock::new();

impl TestServer {
    /// The one server of this test binary, on a runtime of its own. Tests share it the way
    /// users share a hub, each with its own accounts. (Several Leptos servers in one process,
    /// which production never runs, once hung a page render under load.)
    pub fn shared() -> &'static TestServer {
        SHARED.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    // Clients tell the server their address as a proxy would (see
                    // [`client_address`]), so per-address rate limits count per test.
                    // Webhooks may reach the tests' receivers on loopback.
                    let server = TestServer::start_with(&[
                        ("BERTH_TRUSTED_PROXIES", "127.0.0.1"),
                        ("BERTH_WEBHOOK_ALLOW", "127.0.0.1"),
                    ])
                    .await;
                    tx.send(server).unwrap();
                    std::future::pending::<()>().await;
                });
            });
            rx.recv().unwrap()
        })
    }

    /// The server's hub (its settings, keys and in-memory state), for tests to call the domain
    /// directly. Its database connections are opened for each use and closed after it: each
    /// test runs on a runtime of its own, and a PostgreSQL connection opened by a test that
    /// ended cannot serve the next one.
    pub fn hub(&self) -> &berth_core::Hub {
        &self.test_hub
    }

    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = berth_core::testing::fresh_backend().await;
        Self::start_in(dir, &backend, extra).await
    }

    /// Stops this server and starts another on the same data folder, database and storage,
    /// with `extra` settings (a restart, with other settings if need be).
    pub async fn restart_with(mut self, extra: &[(&str, &str)]) -> Self {
        let config = self.running.as_ref().unwrap().hub.config.clone();
        if let Some(r) = self.running.take() {
            tokio::time::timeout(Duration::from_secs(15), r.shutdown())
                .await
                .expect("server shut down within 15 s")
                .unwrap();
        }
        let mut backend = vec![(
            "BERTH_DATABASE_URL".to_string(),
            config.database_url.clone(),
        )];
        if let Some(storage) = &config.storage_url {
            backend.push(("BERTH_STORAGE_URL".into(), storage.clone()));
        }
        Self::start_in(self.dir, &backend, extra).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        backend: &[(String, String)],
        extra: &[(&str, &str)],
    ) -> Self {
        let data = dir.path().to_string_lossy().to_string();
        let mut pairs = vec![
            ("BERTH_DATA_DIR", data.as_str()),
            ("BERTH_ADDR", "127.0.0.1:0"),
        ];
        pairs.extend(backend.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        pairs.extend_from_slice(extra);
        let config = Config::from_pairs(&pairs).unwrap();
        let running = berth_server::start(config).await.unwrap();
        let base = format!("http://{}", running.addr);
        let test_hub = berth_core::Hub {
            db: running.hub.db.unpooled().unwrap(),
            ..running.hub.clone()
        };
        TestServer {
            test_hub,
            running: Some(running),
            base,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        self.client_at(&client_address())
    }

    /// A browser-like client at the given address (sent as `X-Forwarded-For`, which the shared
    /// server trusts from loopback).
    pub fn client_at(&self, address: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // Generous: on 2 cores the robustness test's argon2 bursts (another server) can
            // starve this one for seconds; a request that hangs still fails the test.
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// Waits for the `n`-th mail (1-based) addressed to `to` in the outbox and returns it decoded.
    pub async fn mail_to(&self, to: &str, n: usize) -> String {
        wait_for_mail(&self.outbox(), to, n).await
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            tokio::time::timeout(Duration::from_secs(15), r.shutdown())
                .await
                .expect("server shut down within 15 s")
                .unwrap();
        }
    }
}

/// Mails in a folder (the outbox's `.eml` files, or a Maildir's `new/`) addressed to `to`, oldest first.
pub fn mails_in(dir: &std::path::Path, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<(std::time::SystemTime, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let modified = e.metadata().ok()?.modified().ok()?;
            text.contains(&format!("To: {to}"))
                .then(|| (modified, decode_quoted_printable(&text)))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, t)| t).collect()
}

pub async fn wait_for_mail(dir: &std::path::Path, to: &str, n: usize) -> String {
    for _ in 0..200 {
        let mails = mails_in(dir, to);
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail #{n} to {to} in {} after 20 s", dir.display());
}

/// The path and query of the first link to `route` in a mail ("/confirm-email?token=…").
pub fn link(mail: &str, route: &str) -> String {
    let marker = format!("{route}?token=");
    let start = mail
        .find(&marker)
        .unwrap_or_else(|| panic!("no {route} link in mail:\n{mail}"));
    let rest = &mail[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

/// What a mail client does to a quoted-printable body: joins soft line breaks, decodes `=XX`.
pub fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `prefix` and six random digits: a name no other test on the shared server uses.
pub fn unique(prefix: &str) -> String {
    use rand::Rng;
    format!("{prefix}{}", rand::thread_rng().gen_range(100_000..999_999))
}

/// Creates an account `name` (email `NAME@example.com`) directly through the domain.
pub async fn register(
    hub: &berth_core::Hub,
    name: &str,
    password: &str,
    confirmed: bool,
    admin: bool,
) {
    berth_core::accounts::register(
        hub,
        berth_core::accounts::NewAccount {
            username: name,
            email: &format!("{name}@example.com"),
            password,
        },
        confirmed,
        admin,
    )
    .await
    .unwrap();
}

pub const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Posts a form the way a browser without JavaScript does.
pub async fn post_form(
    server: &TestServer,
    client: &reqwest::Client,
    path: &str,
    from_page: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(server.url(path))
        .header("accept", HTML)
        .header("referer", server.url(from_page))
        .header("origin", &server.base)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Posts a form the way the hydrated app's server-function client does (fetch, no text/html).
pub async fn post_fetch(
    server: &TestServer,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(server.url(path))
        .header("accept", "application/json")
        .header("origin", &server.base)
        .form(form)
        .send()
        .await
        .unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {} {}", res.status(), res.url()))
        .to_str()
        .unwrap()
        .to_string()
}

pub async fn get_html(server: &TestServer, client: &reqwest::Client, path: &str) -> (u16, String) {
    let res = client
        .get(server.url(path))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    // Leptos marks text boundaries with empty comments for hydration; a reader does not see them.
    (status, res.text().await.unwrap().replace("<!>", ""))
}

/// A browser session (fresh cookie jar) logged in as `name` with `password` by the plain form.
pub async fn web_session(server: &TestServer, name: &str, password: &str) -> reqwest::Client {
    let c = server.client();
    let res = post_form(
        server,
        &c,
        "/api/login",
        "/login",
        &[("login", name), ("password", password)],
    )
    .await;
    assert_eq!(location(&res), "/", "{name} logged in");
    c
}

/// Posts a form and follows its redirect; returns where it landed and the page there.
pub async fn submit(
    server: &TestServer,
    c: &reqwest::Client,
    path: &str,
    from: &str,
    form: &[(&str, &str)],
) -> (String, String) {
    let res = post_form(server, c, path, from, form).await;
    let to = location(&res);
    let to = to.trim_start_matches(&server.base).to_string();
    let (status, html) = get_html(server, c, &to).await;
    assert_eq!(status, 200, "{to}: {html}");
    (to, html)
}
