//! Runs one build: a shallow fetch of exactly the commit, the Dockerfile built by the Docker
//! engine through its API (bollard), the image read back from the engine and pushed into the
//! repository through the registry's own upload and manifest functions (so quotas, immutable
//! tags, webhooks and every page treat it as any push). The build's context is sent to the
//! engine as a tar of the checkout; the engine sees nothing else of this machine.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use bollard::{
    query_parameters::{BuildImageOptionsBuilder, BuilderVersion, RemoveImageOptionsBuilder},
    Docker,
};
use futures_util::StreamExt;
use tokio::{io::AsyncWriteExt, process::Command};

use super::Status;
use crate::{
    access::{self, Action, Subject},
    accounts, clock,
    error::CoreError,
    hub::Hub,
    jobs,
    registry::{manifests, names::Reference, repos::Repository, uploads},
    secrets, store,
};

/// How a build stopped short.
enum Stop {
    Failed(String),
    Cancelled,
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Stop::Failed(format!("Internal error (database): {e}"))
    }
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Self {
        Stop::Failed(format!("Internal error: {e}"))
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Failed(msg.into()))
}

/// The build's log, written to its row in batches (a follower polls the row).
struct Log<'a> {
    hub: &'a Hub,
    id: i64,
    buf: String,
    flushed: Instant,
}

impl Log<'_> {
    async fn push(&mut self, text: &str) {
        self.buf.push_str(text);
        if self.flushed.elapsed() > Duration::from_millis(250) || self.buf.len() > 16_384 {
            self.flush().await;
        }
    }

    async fn line(&mut self, text: &str) {
        self.push(&format!("{text}\n")).await;
    }

    async fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.buf);
        if let Err(e) =
            store::builds::append_log(self.hub.db.pool(), self.id, &text, super::LOG_MAX).await
        {
            tracing::warn!(build = self.id, error = %e, "could not write the build log");
        }
        self.flushed = Instant::now();
    }
}

/// The `Build` job: runs build `id` unless it finished (or was cancelled) meanwhile. A build
/// that fails is a finished job (its failure is on the build page); only an error recording it
/// asks the queue to retry.
pub async fn run(hub: &Hub, id: i64, job_id: i64) -> Result<(), CoreError> {
    let pool = hub.db.pool();
    let Some(row) = store::builds::build(pool, id).await? else {
        return Ok(());
    };
    if Status::parse(&row.status).is_none_or(Status::finished) {
        return Ok(());
    }
    let restarted = row.started_at.is_some();
    if !store::builds::advance(pool, id, Status::Cloning.as_str(), clock::now()).await? {
        return Ok(());
    }
    let mut log = Log {
        hub,
        id,
        buf: String::new(),
        flushed: Instant::now(),
    };
    if restarted {
        log.line("The worker that ran this build stopped; building again from the start.")
            .await;
    }
    let work = std::env::temp_dir().join(format!("berth-build-{id}-{}", super::random_token()));
    let image = format!("berth-build-{id}");
    let limit = hub.config.build_timeout_secs;
    let outcome = {
        let steps = steps(hub, &row, &mut log, &work, &image);
        tokio::select! {
            done = tokio::time::timeout(Duration::from_secs(limit), steps) => match done {
                Ok(result) => result,
                Err(_) => Err(Stop::Failed(format!("The build took longer than {limit} seconds (BERTH_BUILD_TIMEOUT) and was stopped."))),
            },
            () = watch(hub, id, job_id) => Err(Stop::Cancelled),
        }
    };
    // Whatever happened: the checkout and the engine's copy of the image go.
    let _ = tokio::fs::remove_dir_all(&work).await;
    if let Some(docker) = engine(hub) {
        let opts = RemoveImageOptionsBuilder::default().force(true).build();
        let _ = docker.remove_image(&image, Some(opts), None).await;
    }
    let now = clock::now();
    let (status, error, digest) = match outcome {
        Ok(digest) => {
            log.line(&format!("Pushed {} ({digest}).", row.docker_tag))
                .await;
            (Status::Succeeded, None, Some(digest))
        }
        Err(Stop::Failed(msg)) => {
            log.line(&format!("FAILED: {msg}")).await;
            (Status::Failed, Some(msg), None)
        }
        Err(Stop::Cancelled) => {
            log.line("Cancelled.").await;
            (Status::Cancelled, None, None)
        }
    };
    log.flush().await;
    if store::builds::finish(
        pool,
        id,
        status.as_str(),
        error.as_deref(),
        digest.as_deref(),
        now,
    )
    .await?
    {
        tracing::info!(build = id, status = status.as_str(), "build finished");
        notify(hub, id).await?;
    }
    Ok(())
}

/// Resolves once the build is asked to stop; meanwhile keeps the job's lease.
async fn watch(hub: &Hub, id: i64, job_id: i64) {
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if store::builds::cancel_requested(hub.db.pool(), id)
            .await
            .unwrap_or(false)
        {
            return;
        }
        if renewed.elapsed() > Duration::from_secs(60) {
            let until = clock::now() + jobs::LEASE_SECS;
            if let Err(e) = store::jobs::extend(hub.db.pool(), job_id, until).await {
                tracing::warn!(build = id, error = %e, "could not renew the build's lease");
            }
            renewed = Instant::now();
        }
    }
}

fn engine(hub: &Hub) -> Option<Docker> {
    let host = hub.config.build_docker_host.as_deref()?;
    // The client's own timeout covers a whole request, the build's stream included.
    Docker::connect_with_unix(
        host,
        hub.config.build_timeout_secs + 120,
        bollard::API_DEFAULT_VERSION,
    )
    .ok()
}

async fn advance(hub: &Hub, id: i64, status: Status) -> Result<(), Stop> {
    if store::builds::advance(hub.db.pool(), id, status.as_str(), clock::now()).await? {
        Ok(())
    } else {
        Err(Stop::Cancelled)
    }
}

/// Clone, build, push; the pushed manifest's digest.
async fn steps(
    hub: &Hub,
    row: &store::builds::BuildRow,
    log: &mut Log<'_>,
    work: &Path,
    image: &str,
) -> Result<String, Stop> {
    let pool = hub.db.pool();
    let Some(source) = store::builds::source(pool, row.repository_id).await? else {
        return fail("The repository's git source was unlinked.");
    };
    let Some(repo) = store::repositories::by_id(pool, row.repository_id).await? else {
        return fail("The repository was deleted.");
    };
    let repo = Repository::from(repo);
    let Some(user) = accounts::user_by_id(hub, source.linked_by).await? else {
        return fail("The account that linked the source no longer exists; link it again.");
    };
    if access::decide(hub, &Subject::User(user.clone()), &repo, Action::Push)
        .await?
        .is_err()
    {
        return fail(format!(
            "{} linked this source but may no longer push to {}; link it again.",
            user.username, repo.full_name
        ));
    }
    let token = match &source.token_sealed {
        None => None,
        Some(sealed) => match hub
            .config
            .secret_key
            .as_deref()
            .and_then(|k| secrets::open(k, sealed))
        {
            Some(t) => Some(t),
            None => {
                return fail(
                    "The stored access token cannot be read (BERTH_SECRET_KEY changed or is \
                     unset); enter the token again.",
                )
            }
        },
    };

    // Clone exactly the commit, from the address the guard checked and nowhere else.
    let url = super::check_git_url(hub, &source.git_url)
        .await
        .map_err(|e| Stop::Failed(format!("Clone refused: {e}")))?;
    let pinned = super::pin_git_url(hub, &url)
        .await
        .map_err(|e| Stop::Failed(format!("Clone refused: {e}")))?;
    let checkout = work.join("src");
    tokio::fs::create_dir_all(&checkout)
        .await
        .map_err(|e| Stop::Failed(format!("Cannot create the work folder: {e}")))?;
    log.line(&format!("Cloning {url} ({})", row.source_ref))
        .await;
    let git = Git {
        dir: &checkout,
        token: token.as_deref(),
        allow_file: hub.config.build_allow_file,
        pinned: &pinned,
    };
    git.run(&["init", "-q"]).await.map_err(Stop::Failed)?;
    let want = row.want_commit.as_deref().unwrap_or(&row.source_ref);
    let mut fetched = git.fetch(want).await;
    if fetched.is_err() && row.want_commit.is_some() {
        log.line("The pushed commit is no longer there; building the ref as it is now.")
            .await;
        fetched = git.fetch(&row.source_ref).await;
    }
    if let Err(e) = fetched {
        return fail(format!("Cloning {url} at {} failed: {e}", row.source_ref));
    }
    git.run(&["checkout", "-q", "--detach", "FETCH_HEAD"])
        .await
        .map_err(|e| Stop::Failed(format!("Checking out failed: {e}")))?;
    let head = git
        .run(&["log", "-1", "--format=%H%n%s"])
        .await
        .map_err(Stop::Failed)?;
    let mut lines = head.lines();
    let commit = lines.next().unwrap_or_default().trim().to_string();
    let message: String = lines.next().unwrap_or_default().chars().take(500).collect();
    store::builds::set_commit(pool, row.id, &commit, &message).await?;
    let short = &commit[..commit.len().min(12)];
    log.line(&format!("Commit {short}: {message}")).await;

    // The context and the Dockerfile, inside the checkout.
    advance(hub, row.id, Status::Building).await?;
    let root = checkout
        .canonicalize()
        .map_err(|e| Stop::Failed(e.to_string()))?;
    let context = root.join(row.context.trim_start_matches('/'));
    let context = match context.canonicalize() {
        Ok(c) if c.starts_with(&root) && c.is_dir() => c,
        _ => {
            return fail(format!(
                "The build context {} is not a folder in commit {short}.",
                row.context
            ))
        }
    };
    let dockerfile_rel = row.dockerfile.trim_start_matches('/').to_string();
    match context.join(&dockerfile_rel).canonicalize() {
        Ok(d) if d.starts_with(&root) && d.is_file() => {
            // The engine itself fetches `ADD URL` sources, outside the RUN containers that
            // BERTH_BUILD_NETWORK=none cuts off: refuse them rather than let the setting lie.
            if hub.config.build_network.as_deref() == Some("none") {
                let text = tokio::fs::read_to_string(&d).await.unwrap_or_default();
                if let Some(url) = remote_sources(&text).into_iter().next() {
                    return fail(format!(
                        "The Dockerfile adds {url} from the network, which builds on this hub \
                         may not reach (BERTH_BUILD_NETWORK=none); copy the file into the \
                         repository instead."
                    ));
                }
            }
        }
        _ => {
            return fail(format!(
                "Dockerfile not found at {} (in the build context {}) in commit {short}.",
                row.dockerfile, row.context
            ))
        }
    }
    let tar_path = work.join("context.tar");
    let max = hub.config.build_max_context;
    let (ctx, out) = (context.clone(), tar_path.clone());
    let size = tokio::task::spawn_blocking(move || tar_context(&ctx, &out, max))
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?
        .map_err(Stop::Failed)?;
    log.line(&format!(
        "Sending a build context of {size} bytes to the engine."
    ))
    .await;

    // Build.
    let Some(docker) = engine(hub) else {
        return fail("This worker has no Docker engine (BERTH_BUILD_DOCKER_HOST).");
    };
    let args: HashMap<String, String> = super::parse_args(&row.build_args)
        .map_err(Stop::Failed)?
        .into_iter()
        .collect();
    let labels = HashMap::from([
        (
            "org.opencontainers.image.revision".to_string(),
            commit.clone(),
        ),
        (
            "org.opencontainers.image.source".to_string(),
            url.to_string(),
        ),
    ]);
    let mut opts = BuildImageOptionsBuilder::default()
        .dockerfile(&dockerfile_rel)
        .t(image)
        .rm(true)
        .forcerm(true)
        .buildargs(&args)
        .labels(&labels)
        .version(BuilderVersion::BuilderV1);
    if let Some(network) = &hub.config.build_network {
        opts = opts.networkmode(network);
    }
    let file = tokio::fs::File::open(&tar_path)
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?;
    let body = bollard::body_try_stream(tokio_util::io::ReaderStream::new(file));
    let mut stream = docker.build_image(opts.build(), None, Some(body));
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    log.push(&text).await;
                }
                if let Some(status) = info.status {
                    log.line(&status).await;
                }
                if let Some(detail) = info.error_detail {
                    return fail(format!(
                        "The build failed: {}",
                        detail.message.unwrap_or_default().trim()
                    ));
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return fail(format!("The build failed: {}", error.trim()));
            }
            Err(e) => return fail(format!("The Docker engine failed: {e}")),
        }
    }
    log.flush().await;

    // Push through the registry.
    advance(hub, row.id, Status::Pushing).await?;
    log.line(&format!("Pushing {}:{}", repo.full_name, row.docker_tag))
        .await;
    let saved = work.join("image.tar");
    {
        let mut out = tokio::fs::File::create(&saved)
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?;
        let mut export = docker.export_image(image);
        while let Some(chunk) = export.next().await {
            let chunk =
                chunk.map_err(|e| Stop::Failed(format!("Reading the image failed: {e}")))?;
            out.write_all(&chunk)
                .await
                .map_err(|e| Stop::Failed(e.to_string()))?;
        }
        out.flush().await.map_err(|e| Stop::Failed(e.to_string()))?;
    }
    let unpacked = work.join("image");
    let image_parts = {
        let (saved, unpacked) = (saved.clone(), unpacked.clone());
        tokio::task::spawn_blocking(move || read_saved(&saved, &unpacked))
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?
            .map_err(Stop::Failed)?
    };
    let digest = push(hub, &repo, &user, row, &commit, url.as_str(), image_parts).await?;
    store::builds::set_tag_commit(pool, repo.id, &row.docker_tag, &digest, &commit).await?;

    if source.readme != 0 {
        match tokio::fs::read_to_string(root.join("README.md")).await {
            Ok(text) if crate::repositories::validate_overview(&text).is_ok() => {
                store::repositories::set_descriptions(pool, repo.id, &repo.description, &text)
                    .await?;
                log.line("Overview updated from README.md.").await;
            }
            Ok(_) => {
                log.line("README.md is too long for an overview; the overview stays.")
                    .await
            }
            Err(_) => log.line("No README.md; the overview stays.").await,
        }
    }
    Ok(digest)
}

/// git with no prompts, no user or system configuration, only network protocols (and file://
/// when the operator allows it), no redirects, every connection to the address the guard
/// checked, and the access token as an HTTP header for the source's own origin only, never in
/// the URL or on the command line.
struct Git<'a> {
    dir: &'a Path,
    token: Option<&'a str>,
    allow_file: bool,
    pinned: &'a super::PinnedUrl,
}

impl Git<'_> {
    /// Exactly one commit (or a ref's tip), no history, no tags.
    async fn fetch(&self, what: &str) -> Result<String, String> {
        let url = self.pinned.fetch_url.as_str();
        self.run(&["fetch", "-q", "--depth", "1", "--no-tags", url, what])
            .await
    }

    /// The configuration every git command gets, from its environment (never argv).
    fn config(&self) -> Vec<(String, String)> {
        use base64::Engine;
        // A redirect would take the clone (and, before curl strips it, the token) to a host
        // the guard never saw.
        let mut config = vec![("http.followRedirects".to_string(), "false".to_string())];
        if let Some(resolve) = &self.pinned.curl_resolve {
            config.push(("http.curloptResolve".into(), resolve.clone()));
        }
        if let Some(token) = self.token {
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
            config.push((
                format!("http.{}/.extraHeader", self.pinned.origin),
                format!("Authorization: Basic {basic}"),
            ));
        }
        config
    }

    async fn run(&self, args: &[&str]) -> Result<String, String> {
        let mut c = Command::new("git");
        c.current_dir(self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", self.dir)
            .env(
                "GIT_ALLOW_PROTOCOL",
                if self.allow_file {
                    "https:http:git:file"
                } else {
                    "https:http:git"
                },
            )
            .kill_on_drop(true);
        let config = self.config();
        c.env("GIT_CONFIG_COUNT", config.len().to_string());
        for (i, (key, value)) in config.into_iter().enumerate() {
            c.env(format!("GIT_CONFIG_KEY_{i}"), key)
                .env(format!("GIT_CONFIG_VALUE_{i}"), value);
        }
        let out = tokio::time::timeout(Duration::from_secs(600), c.output())
            .await
            .map_err(|_| "git took longer than 10 minutes".to_string())?
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let last: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            Err(last[last.len().saturating_sub(3)..].join(" / "))
        }
    }
}

/// The remote sources (`http://`, `https://`, `git@…`) of a Dockerfile's `ADD` instructions,
/// continuation lines joined.
fn remote_sources(dockerfile: &str) -> Vec<String> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined.push(current);
    let mut found = Vec::new();
    for instruction in joined {
        let mut words = instruction.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("ADD")) {
            continue;
        }
        // JSON form: ["src", …, "dest"]; shell form: words.
        let rest: Vec<String> = words
            .map(|w| w.trim_matches(['[', ']', ',', '"']).to_string())
            .filter(|w| !w.is_empty() && !w.starts_with("--"))
            .collect();
        let sources = &rest[..rest.len().saturating_sub(1)];
        found.extend(
            sources
                .iter()
                .filter(|w| w.contains("://") || w.starts_with("git@"))
                .cloned(),
        );
    }
    found
}

/// Tars the context (without `.git` folders) into `out`; refuses more than `max` bytes.
fn tar_context(context: &Path, out: &Path, max: u64) -> Result<u64, String> {
    let file = std::fs::File::create(out).map_err(|e| e.to_string())?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    tar.follow_symlinks(false);
    let mut total = 0u64;
    let mut pending: Vec<PathBuf> = vec![context.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            let rel = path.strip_prefix(context).map_err(|e| e.to_string())?;
            let meta = std::fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
            if meta.is_dir() {
                tar.append_dir(rel, &path).map_err(|e| e.to_string())?;
                pending.push(path);
                continue;
            }
            total += meta.len();
            if total > max {
                return Err(format!(
                    "The build context is larger than {max} bytes (BERTH_BUILD_MAX_CONTEXT)."
                ));
            }
            tar.append_path_with_name(&path, rel)
                .map_err(|e| e.to_string())?;
        }
    }
    tar.into_inner()
        .and_then(|mut w| std::io::Write::flush(&mut w))
        .map_err(|e| e.to_string())?;
    Ok(total)
}

/// An image as `docker save` writes it: the config and the layers, in order.
struct Saved {
    config: Vec<u8>,
    layers: Vec<PathBuf>,
}

fn read_saved(saved: &Path, dir: &Path) -> Result<Saved, String> {
    let file = std::fs::File::open(saved).map_err(|e| e.to_string())?;
    tar::Archive::new(file)
        .unpack(dir)
        .map_err(|e| format!("Reading the image failed: {e}"))?;
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Config")]
        config: String,
        #[serde(rename = "Layers")]
        layers: Vec<String>,
    }
    let manifest = std::fs::read(dir.join("manifest.json")).map_err(|e| e.to_string())?;
    let entries: Vec<Entry> = serde_json::from_slice(&manifest).map_err(|e| e.to_string())?;
    let entry = entries
        .into_iter()
        .next()
        .ok_or("The engine returned no image.")?;
    let inside = |p: &str| {
        let path = dir.join(p);
        if p.split('/').any(|c| c == "..") {
            Err("The engine returned a path outside the image.".to_string())
        } else {
            Ok(path)
        }
    };
    Ok(Saved {
        config: std::fs::read(inside(&entry.config)?).map_err(|e| e.to_string())?,
        layers: entry
            .layers
            .iter()
            .map(|l| inside(l))
            .collect::<Result<_, _>>()?,
    })
}

/// A layer ready to upload: gzip-compressed (the engine hands them out uncompressed).
fn compress(layer: &Path) -> Result<PathBuf, String> {
    let mut input = std::fs::File::open(layer).map_err(|e| e.to_string())?;
    let mut magic = [0u8; 2];
    let gz = std::io::Read::read(&mut input, &mut magic).map_err(|e| e.to_string())? == 2
        && magic == [0x1f, 0x8b];
    if gz {
        return Ok(layer.to_path_buf());
    }
    let out = layer.with_extension("gz");
    let mut input = std::fs::File::open(layer).map_err(|e| e.to_string())?;
    let file = std::fs::File::create(&out).map_err(|e| e.to_string())?;
    let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    std::io::copy(&mut input, &mut enc).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Uploads the config and layers and puts an OCI manifest under the build's tag, as the
/// account that linked the source; returns the manifest's digest.
async fn push(
    hub: &Hub,
    repo: &Repository,
    user: &accounts::User,
    row: &store::builds::BuildRow,
    commit: &str,
    url: &str,
    image: Saved,
) -> Result<String, Stop> {
    let refused = |e: crate::registry::RegistryError| Stop::Failed(format!("Push refused: {e}"));
    let mut layers = Vec::new();
    for layer in image.layers {
        let path = tokio::task::spawn_blocking(move || compress(&layer))
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?
            .map_err(Stop::Failed)?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?;
        let digest = crate::registry::names::Digest::sha256(&bytes);
        let mut data: &[u8] = &bytes;
        uploads::put_whole(hub, repo, user, &digest, &mut data)
            .await
            .map_err(refused)?;
        layers.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest.to_string(),
            "size": bytes.len(),
        }));
    }
    let config_digest = crate::registry::names::Digest::sha256(&image.config);
    let mut data: &[u8] = &image.config;
    uploads::put_whole(hub, repo, user, &config_digest, &mut data)
        .await
        .map_err(refused)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest.to_string(),
            "size": image.config.len(),
        },
        "layers": layers,
        "annotations": {
            "org.opencontainers.image.revision": commit,
            "org.opencontainers.image.source": url,
            "org.opencontainers.image.ref.name": row.docker_tag,
        },
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|e| Stop::Failed(e.to_string()))?;
    let origin = crate::activity::Origin {
        ip: None,
        agent: Some(format!("berth-build/{}", row.id)),
    };
    let pushed = manifests::put(
        hub,
        repo,
        &Reference::Tag(row.docker_tag.clone()),
        Some(OCI_MANIFEST),
        &bytes,
        user,
        &origin,
    )
    .await
    .map_err(refused)?;
    Ok(pushed.digest.to_string())
}

/// Mails the build's result if the source asks for it (failures, or every build).
async fn notify(hub: &Hub, id: i64) -> Result<(), CoreError> {
    let pool = hub.db.pool();
    let Some(b) = store::builds::build(pool, id).await? else {
        return Ok(());
    };
    let Some(source) = store::builds::source(pool, b.repository_id).await? else {
        return Ok(());
    };
    let status = Status::parse(&b.status).unwrap_or(Status::Failed);
    let wanted = match super::Notify::parse(&source.notify) {
        Some(super::Notify::All) => status != Status::Cancelled,
        Some(super::Notify::Failures) => status == Status::Failed,
        _ => false,
    };
    if !wanted {
        return Ok(());
    }
    let Some(repo) = store::repositories::by_id(pool, b.repository_id).await? else {
        return Ok(());
    };
    // The namespace's owner when it is a person; for an organization, whoever linked the source.
    let owner = accounts::user_by_id(hub, repo.owner_id).await?;
    let to = match owner.filter(|u| !u.is_org) {
        Some(u) => Some(u),
        None => accounts::user_by_id(hub, source.linked_by).await?,
    };
    let Some(to) = to else {
        return Ok(());
    };
    let link = format!(
        "{}/r/{}/builds/{}",
        hub.config.public_url, repo.full_name, b.id
    );
    let mail = accounts::mails::build_result(
        &to.username,
        &repo.full_name,
        &b.docker_tag,
        status.as_str(),
        b.commit_sha.as_deref().unwrap_or(""),
        b.error.as_deref(),
        &link,
    )
    .to(&to.email);
    jobs::enqueue(pool, &jobs::Job::Mail(mail)).await?;
    hub.jobs.wake();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::remote_sources;

    #[test]
    fn remote_add_sources_are_found_in_every_form() {
        let file = "FROM scratch\n# ADD http://commented.example/x /x\nADD --chown=1 https://a.example/f /f\n\
                    add [\"http://b.example/g\", \"/g\"]\nADD local.txt /l\nCOPY http://c.example/no /n\n\
                    ADD git@git.example:team/app.git /src\nADD \\\n  https://d.example/h \\\n  /h\n";
        assert_eq!(
            remote_sources(file),
            [
                "https://a.example/f",
                "http://b.example/g",
                "git@git.example:team/app.git",
                "https://d.example/h"
            ]
        );
        assert!(remote_sources("FROM scratch\nADD a b /c\n").is_empty());
    }
}
