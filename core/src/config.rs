//! Operator configuration: defaults, then an optional `berth.toml`, then `BERTH_*` environment variables.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::error::CoreError;

#[derive(Clone)]
pub struct Config {
    /// Address the HTTP server binds.
    pub addr: SocketAddr,
    /// Folder for the SQLite database, the mail outbox and (later) blobs.
    pub data_dir: PathBuf,
    /// `sqlite://...` (default: `DATA_DIR/berth.db`) or `postgres://...`.
    pub database_url: String,
    /// External base URL used in links, without a trailing slash.
    pub public_url: String,
    /// `smtp://` or `smtps://` URL; unset means mail goes to `DATA_DIR/outbox`.
    pub smtp_url: Option<String>,
    /// Sender address of Berth's mail.
    pub mail_from: String,
    /// Folder with the built site assets (`pkg/`, favicon).
    pub site_root: PathBuf,
    /// Secret that signs registry tokens. Unset: one is generated and kept in the database, so
    /// every replica sharing the database shares it.
    pub token_secret: Option<String>,
    /// Where blobs go: `s3://BUCKET[/PREFIX]?endpoint=...&region=...` or `file:///PATH`; unset
    /// means `DATA_DIR`.
    pub storage_url: Option<String>,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (also how long an idle keep-alive
    /// connection stays open).
    pub header_timeout_secs: u64,
    /// Seconds a request body may send nothing, or a client may read nothing of a response,
    /// before the connection is closed. Slow transfers that keep moving are never cut.
    pub idle_timeout_secs: u64,
    /// Seconds requests in flight get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the real client, for
    /// rate limits and the activity log. Empty: the peer address is the client.
    pub trusted_proxies: Vec<IpRange>,
    /// Multiplies every per-address rate limit, for hubs whose users share an address (an
    /// office behind one NAT). Per-account limits stay as they are.
    pub address_limit_scale: i64,
    /// Per-address rate limits count an IPv6 client by its first this many bits (a /64 is what
    /// one subscriber gets, so counting single addresses would give an attacker 2^64 buckets;
    /// `BERTH_IPV6_LIMIT_PREFIX`, default 64). IPv4 clients count by their address.
    pub ipv6_limit_prefix: u8,
    /// Ranges webhooks may reach although the guard refuses them by default (loopback, private,
    /// link-local, metadata addresses): `BERTH_WEBHOOK_ALLOW=10.1.0.0/16,127.0.0.1`.
    pub webhook_allow: Vec<IpRange>,
    /// Seconds a blob stays after it was found unreferenced (or last uploaded, mounted or read)
    /// before garbage collection deletes it: longer than any push between checking a layer and
    /// putting the manifest that references it (`BERTH_GC_GRACE`, default a day).
    pub gc_grace_secs: i64,
    /// Automated builds: the Docker engine builds run on (`unix:///run/docker.sock`). Unset: this
    /// process runs no builds (`BERTH_BUILD_DOCKER_HOST`).
    pub build_docker_host: Option<String>,
    /// Builds one worker runs at once (`BERTH_BUILD_CONCURRENCY`, default 1).
    pub build_concurrency: usize,
    /// Seconds a build may take, clone to push (`BERTH_BUILD_TIMEOUT`, default an hour).
    pub build_timeout_secs: u64,
    /// Bytes the build context may hold (`BERTH_BUILD_MAX_CONTEXT`, default 500 MB).
    pub build_max_context: u64,
    /// Network mode of the build's `RUN` containers (`BERTH_BUILD_NETWORK`: `default`, `none`, …).
    pub build_network: Option<String>,
    /// Whether build sources may be `file://` paths on the build machine (local mirrors);
    /// off by default, as such a path reads the worker's own disk (`BERTH_BUILD_ALLOW_FILE=1`).
    pub build_allow_file: bool,
    /// Key that encrypts stored secrets (build sources' access tokens), 32+ characters
    /// (`BERTH_SECRET_KEY`). Unset: no access tokens can be stored.
    pub secret_key: Option<String>,
}

/// An address range, `10.0.0.0/8` or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    pub addr: std::net::IpAddr,
    pub prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Option<IpRange> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse().ok()?, p.parse().ok()?),
            None => {
                let addr: std::net::IpAddr = text.trim().parse().ok()?;
                (addr, if addr.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if matches!(addr, std::net::IpAddr::V4(_)) {
            32
        } else {
            128
        };
        (prefix <= max).then_some(IpRange { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        match (self.addr, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The keys `berth.toml` may hold; each maps to the `BERTH_` variable of the same name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    public_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    site_root: Option<String>,
    token_secret: Option<String>,
    storage_url: Option<String>,
    max_connections: Option<String>,
    header_timeout: Option<String>,
    idle_timeout: Option<String>,
    shutdown_grace: Option<String>,
    trusted_proxies: Option<String>,
    address_limit_scale: Option<String>,
    ipv6_limit_prefix: Option<String>,
    webhook_allow: Option<String>,
    gc_grace: Option<String>,
    build_docker_host: Option<String>,
    build_concurrency: Option<String>,
    build_timeout: Option<String>,
    build_max_context: Option<String>,
    build_network: Option<String>,
    build_allow_file: Option<String>,
    secret_key: Option<String>,
}

/// A comma-separated list of addresses and ranges.
fn ranges(name: &str, value: Option<String>) -> Result<Vec<IpRange>, CoreError> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            IpRange::parse(entry).ok_or_else(|| {
                CoreError::Config(format!(
                    "BERTH_{name}: {entry:?} is not an address or a range like 10.0.0.0/8"
                ))
            })
        })
        .collect()
}

/// A whole number setting within `range`, or its default.
fn number(
    key: &str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, CoreError> {
    let Some(v) = value else { return Ok(default) };
    match v.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(CoreError::Config(format!(
            "BERTH_{key} {v:?} must be a whole number from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

impl Config {
    /// Reads `BERTH_CONFIG` (or `./berth.toml` if present), then the environment.
    pub fn load() -> Result<Self, CoreError> {
        let path = std::env::var("BERTH_CONFIG")
            .map(PathBuf::from)
            .ok()
            .or_else(|| Some(PathBuf::from("berth.toml")).filter(|p| p.exists()));
        let file = match path {
            Some(p) => read_file(&p)?,
            None => FileConfig::default(),
        };
        Self::resolve(file, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Configuration from explicit values (tests, embedding); unspecified keys take their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CoreError> {
        Self::resolve(FileConfig::default(), lookup)
    }

    /// Configuration from `BERTH_*` name/value pairs (tests, embedding); later pairs win.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, CoreError> {
        Self::from_lookup(|key| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
    }

    fn resolve(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> Result<Self, CoreError> {
        let pick =
            |key: &str, from_file: Option<String>| env(&format!("BERTH_{key}")).or(from_file);
        let addr_s = pick("ADDR", file.addr).unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_s.parse().map_err(|e| {
            CoreError::Config(format!("BERTH_ADDR {addr_s:?} is not an address: {e}"))
        })?;
        let data_dir =
            PathBuf::from(pick("DATA_DIR", file.data_dir).unwrap_or_else(|| "./data".into()));
        let database_url = pick("DATABASE_URL", file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("berth.db").display()));
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(CoreError::Config(
                "BERTH_DATABASE_URL must start with sqlite:// or postgres://".into(),
            ));
        }
        let public_url = pick("PUBLIC_URL", file.public_url)
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| CoreError::Config(format!("BERTH_PUBLIC_URL {public_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(CoreError::Config(
                "BERTH_PUBLIC_URL must be an absolute http:// or https:// URL".into(),
            ));
        }
        let smtp_url = pick("SMTP_URL", file.smtp_url);
        let mail_from = pick("MAIL_FROM", file.mail_from)
            .unwrap_or_else(|| "Berth <noreply@berth.localhost>".into());
        let site_root = PathBuf::from(
            pick("SITE_ROOT", file.site_root).unwrap_or_else(|| "target/site".into()),
        );
        let token_secret = pick("TOKEN_SECRET", file.token_secret);
        if token_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(CoreError::Config(
                "BERTH_TOKEN_SECRET must be at least 32 characters".into(),
            ));
        }
        let storage_url = pick("STORAGE_URL", file.storage_url);
        if let Some(url) = &storage_url {
            if !(url.starts_with("s3://") || url.starts_with("file:///")) {
                return Err(CoreError::Config(
                    "BERTH_STORAGE_URL must start with s3:// or file:///".into(),
                ));
            }
        }
        let max_connections = number(
            "MAX_CONNECTIONS",
            pick("MAX_CONNECTIONS", file.max_connections),
            1024,
            1..=1_000_000,
        )? as usize;
        let header_timeout_secs = number(
            "HEADER_TIMEOUT",
            pick("HEADER_TIMEOUT", file.header_timeout),
            30,
            1..=3600,
        )?;
        let idle_timeout_secs = number(
            "IDLE_TIMEOUT",
            pick("IDLE_TIMEOUT", file.idle_timeout),
            60,
            1..=86_400,
        )?;
        let shutdown_grace_secs = number(
            "SHUTDOWN_GRACE",
            pick("SHUTDOWN_GRACE", file.shutdown_grace),
            30,
            0..=3600,
        )?;
        let trusted_proxies = ranges(
            "TRUSTED_PROXIES",
            pick("TRUSTED_PROXIES", file.trusted_proxies),
        )?;
        let webhook_allow = ranges("WEBHOOK_ALLOW", pick("WEBHOOK_ALLOW", file.webhook_allow))?;
        let address_limit_scale = number(
            "ADDRESS_LIMIT_SCALE",
            pick("ADDRESS_LIMIT_SCALE", file.address_limit_scale),
            1,
            1..=10_000,
        )? as i64;
        let ipv6_limit_prefix = number(
            "IPV6_LIMIT_PREFIX",
            pick("IPV6_LIMIT_PREFIX", file.ipv6_limit_prefix),
            64,
            1..=128,
        )? as u8;
        let gc_grace_secs = number(
            "GC_GRACE",
            pick("GC_GRACE", file.gc_grace),
            86_400,
            0..=30 * 86_400,
        )? as i64;
        let build_docker_host = pick("BUILD_DOCKER_HOST", file.build_docker_host);
        if let Some(h) = &build_docker_host {
            if !h.starts_with("unix://") {
                return Err(CoreError::Config(
                    "BERTH_BUILD_DOCKER_HOST must be a unix:// socket path".into(),
                ));
            }
        }
        let build_concurrency = number(
            "BUILD_CONCURRENCY",
            pick("BUILD_CONCURRENCY", file.build_concurrency),
            1,
            1..=64,
        )? as usize;
        let build_timeout_secs = number(
            "BUILD_TIMEOUT",
            pick("BUILD_TIMEOUT", file.build_timeout),
            3600,
            10..=86_400,
        )?;
        let build_max_context = number(
            "BUILD_MAX_CONTEXT",
            pick("BUILD_MAX_CONTEXT", file.build_max_context),
            500_000_000,
            1..=100_000_000_000,
        )?;
        let build_network = pick("BUILD_NETWORK", file.build_network).filter(|n| !n.is_empty());
        let build_allow_file = matches!(
            pick("BUILD_ALLOW_FILE", file.build_allow_file).as_deref(),
            Some("1" | "true" | "yes")
        );
        let secret_key = pick("SECRET_KEY", file.secret_key);
        if secret_key.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(CoreError::Config(
                "BERTH_SECRET_KEY must be at least 32 characters".into(),
            ));
        }
        Ok(Config {
            addr,
            data_dir,
            database_url,
            public_url,
            smtp_url,
            mail_from,
            site_root,
            token_secret,
            storage_url,
            max_connections,
            header_timeout_secs,
            idle_timeout_secs,
            shutdown_grace_secs,
            trusted_proxies,
            address_limit_scale,
            ipv6_limit_prefix,
            webhook_allow,
            gc_grace_secs,
            build_docker_host,
            build_concurrency,
            build_timeout_secs,
            build_max_context,
            build_network,
            build_allow_file,
            secret_key,
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// Host (and port) of the public URL: what users put before image names.
    pub fn registry_host(&self) -> String {
        url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .unwrap_or_else(|| self.public_url.clone())
    }
}

fn read_file(path: &Path) -> Result<FileConfig, CoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| CoreError::io(path, e))?;
    toml::from_str(&text).map_err(|e| CoreError::Config(format!("{}: {e}", path.display())))
}

/// Hides the password part of a URL for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("site_root", &self.site_root)
            .field("token_secret", &self.token_secret.as_ref().map(|_| "***"))
            .field("storage_url", &self.storage_url)
            .field("max_connections", &self.max_connections)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("address_limit_scale", &self.address_limit_scale)
            .field("gc_grace_secs", &self.gc_grace_secs)
            .field("build_docker_host", &self.build_docker_host)
            .field("build_concurrency", &self.build_concurrency)
            .field("build_timeout_secs", &self.build_timeout_secs)
            .field("build_network", &self.build_network)
            .field("build_allow_file", &self.build_allow_file)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, CoreError> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_address() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite://./data/berth.db");
        assert!(c.smtp_url.is_none());
        let c = cfg(&[
            ("BERTH_ADDR", "127.0.0.1:4000"),
            ("BERTH_DATA_DIR", "/tmp/x"),
        ])
        .unwrap();
        assert_eq!(c.public_url, "http://127.0.0.1:4000");
        assert_eq!(c.database_url, "sqlite:///tmp/x/berth.db");
    }

    #[test]
    fn public_url_is_trimmed_and_checked() {
        let c = cfg(&[("BERTH_PUBLIC_URL", "https://hub.example.com/")]).unwrap();
        assert_eq!(c.public_url, "https://hub.example.com");
        assert!(c.is_https());
        assert!(cfg(&[("BERTH_PUBLIC_URL", "/relative")]).is_err());
        assert!(cfg(&[("BERTH_ADDR", "nonsense")]).is_err());
        assert!(cfg(&[("BERTH_DATABASE_URL", "mysql://x")]).is_err());
    }

    #[test]
    fn trusted_proxies_are_ranges() {
        let c = cfg(&[("BERTH_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")]).unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(c.trusted_proxies[0].contains("10.1.2.3".parse().unwrap()));
        assert!(!c.trusted_proxies[0].contains("11.0.0.1".parse().unwrap()));
        assert!(c.trusted_proxies[1].contains("127.0.0.1".parse().unwrap()));
        assert!(c.trusted_proxies[2].contains("::1".parse().unwrap()));
        assert!(cfg(&[("BERTH_TRUSTED_PROXIES", "10.0.0.0/33")]).is_err());
        assert!(cfg(&[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn limits_have_defaults_and_ranges() {
        let c = cfg(&[]).unwrap();
        assert_eq!(
            (
                c.max_connections,
                c.header_timeout_secs,
                c.idle_timeout_secs,
                c.shutdown_grace_secs
            ),
            (1024, 30, 60, 30)
        );
        let c = cfg(&[
            ("BERTH_MAX_CONNECTIONS", "50"),
            ("BERTH_HEADER_TIMEOUT", "2"),
        ])
        .unwrap();
        assert_eq!((c.max_connections, c.header_timeout_secs), (50, 2));
        let e = cfg(&[("BERTH_MAX_CONNECTIONS", "0")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("BERTH_MAX_CONNECTIONS") && e.contains("1 to"),
            "{e}"
        );
        assert!(cfg(&[("BERTH_IDLE_TIMEOUT", "soon")]).is_err());
    }

    #[test]
    fn file_values_are_overridden_by_env() {
        let file: FileConfig =
            toml::from_str("addr = \"127.0.0.1:5000\"\nsmtp_url = \"smtp://a:2525\"").unwrap();
        let c = Config::resolve(file, |k| {
            (k == "BERTH_ADDR").then(|| "127.0.0.1:6000".to_string())
        })
        .unwrap();
        assert_eq!(c.addr.port(), 6000);
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://a:2525"));
        assert!(toml::from_str::<FileConfig>("unknown = 1").is_err());
    }

    #[test]
    fn passwords_are_hidden_in_debug_output() {
        let c = cfg(&[("BERTH_SMTP_URL", "smtps://user:hunter2@mail.example.com")]).unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("smtps://user:***@mail.example.com"), "{s}");
    }
}
