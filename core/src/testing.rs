//! Test support shared by the test suites of `berth_core` and `server`: where a test hub keeps
//! its data. `make test` runs every suite twice: on SQLite and the data folder (the embedded
//! default), then with `BERTH_TEST_BACKEND=postgres-s3` on the PostgreSQL and S3 servers that
//! `scripts/test-services.sh` started, each test on a database and key prefix of its own.

use sqlx::{Connection, Executor};

/// The backend the suite runs on: `"sqlite"` or `"postgres-s3"`.
pub fn backend() -> String {
    std::env::var("BERTH_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

pub fn on_postgres() -> bool {
    backend() == "postgres-s3"
}

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("BERTH_TEST_BACKEND=postgres-s3 needs {var}: run the suite with `make test`, which starts the servers")
    })
}

/// `BERTH_*` settings that put a new test hub on the backend under test: none for SQLite (the
/// defaults under its data folder); otherwise a new, empty PostgreSQL database and a new key
/// prefix in the test bucket.
pub async fn fresh_backend() -> Vec<(String, String)> {
    match backend().as_str() {
        "sqlite" => vec![],
        "postgres-s3" => {
            let name = format!("berth_t_{}", &crate::tokens::generate().1[..16]).to_lowercase();
            let name: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            vec![
                ("BERTH_DATABASE_URL".into(), fresh_database(&name).await),
                ("BERTH_STORAGE_URL".into(), s3_url_with_prefix(&name)),
            ]
        }
        other => panic!("unknown BERTH_TEST_BACKEND {other:?} (sqlite or postgres-s3)"),
    }
}

/// A hub for a test, on the backend under test, keeping its files in `data_dir`; `extra`
/// settings (`BERTH_*` pairs) go on top.
pub async fn open_hub(data_dir: &std::path::Path, extra: &[(&str, &str)]) -> crate::Hub {
    let data = data_dir.to_string_lossy().to_string();
    let backend = fresh_backend().await;
    let mut pairs = vec![("BERTH_DATA_DIR", data.as_str())];
    pairs.extend(backend.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    pairs.extend_from_slice(extra);
    let config = crate::Config::from_pairs(&pairs).expect("test configuration");
    crate::Hub::open(config)
        .await
        .expect("opening the test hub")
}

/// Creates database `name` on the test server and returns its URL.
pub async fn fresh_database(name: &str) -> String {
    let admin = required("BERTH_TEST_POSTGRES_URL");
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let mut url = url::Url::parse(&admin).expect("BERTH_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The test bucket's URL with `prefix/` as key prefix.
pub fn s3_url_with_prefix(prefix: &str) -> String {
    let raw = required("BERTH_TEST_S3_URL");
    let mut url = url::Url::parse(&raw).expect("BERTH_TEST_S3_URL is a URL");
    url.set_path(&format!("/{prefix}"));
    url.to_string()
}

/// The blobs a hub configured with `backend` (from [`fresh_backend`]) and `data_dir` has stored:
/// files under `DATA_DIR/blobs`, or objects under the prefix's `blobs/`.
pub async fn stored_blobs(backend: &[(String, String)], data_dir: &std::path::Path) -> Vec<String> {
    match backend.iter().find(|(k, _)| k == "BERTH_STORAGE_URL") {
        Some((_, url)) => {
            let loc = crate::registry::storage::S3Location::parse(url).expect("test S3 URL");
            crate::registry::storage::S3BlobStore::open(&loc)
                .expect("test S3 store")
                .keys_under("blobs/")
                .await
                .expect("listing the test bucket")
        }
        None => walk(&data_dir.join("blobs")),
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Moves every garbage-collection mark `secs` into the past: what waiting out the grace period
/// would do, without the wait.
pub async fn age_marks(hub: &crate::Hub, secs: i64) {
    crate::store::lifecycle::age_marks(hub.db.pool(), secs)
        .await
        .expect("ageing collection marks");
}

/// Moves every tag's and manifest's push time `secs` into the past.
pub async fn age_tags(hub: &crate::Hub, secs: i64) {
    crate::store::lifecycle::age_pushes(hub.db.pool(), secs)
        .await
        .expect("ageing pushes");
}

/// A repository's stored bytes counted from its manifests' references (what the kept figure
/// must equal).
pub async fn counted_repository_bytes(hub: &crate::Hub, repository_id: i64) -> i64 {
    crate::store::lifecycle::count_repository_bytes(hub.db.pool(), repository_id)
        .await
        .expect("counting stored bytes")
}

/// Moves every recorded blob deletion `secs` into the past (what the time a restart takes would
/// do: an interrupted deletion becomes one to finish).
pub async fn age_deletions(hub: &crate::Hub, secs: i64) {
    sqlx::query("UPDATE blob_deletions SET started_at = started_at - $1")
        .bind(secs)
        .execute(hub.db.pool())
        .await
        .expect("ageing blob deletions");
}

/// Blob rows whose bytes the store does not hold (what must never exist).
pub async fn rows_without_bytes(hub: &crate::Hub) -> Vec<String> {
    let digests: Vec<String> = sqlx::query_scalar("SELECT digest FROM blobs ORDER BY digest")
        .fetch_all(hub.db.pool())
        .await
        .expect("listing blob rows");
    let mut missing = Vec::new();
    for d in digests {
        let parsed: crate::registry::names::Digest = d.parse().expect("a stored digest");
        if hub
            .registry
            .blobs
            .size(&parsed)
            .await
            .ok()
            .flatten()
            .is_none()
        {
            missing.push(d);
        }
    }
    missing
}

/// A blob store operation, for [`FaultyStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    Size,
    Read,
    Delete,
    StartUpload,
    AppendUpload,
    ReadUpload,
    CommitUpload,
    AbortUpload,
    ListBlobs,
    ListUploads,
}

/// Where an injected failure strikes: before the operation does anything, or after it is done
/// (what a process killed between a store's answer and the next step leaves behind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strike {
    Before,
    After,
}

/// A blob store that fails chosen calls: the test-only wrapper for injecting faults at the
/// storage boundary.
pub struct FaultyStore {
    inner: std::sync::Arc<dyn crate::registry::storage::BlobStore>,
    /// (operation, calls of it to let through first, where it strikes).
    faults: std::sync::Mutex<Vec<(StoreOp, u32, Strike)>>,
}

impl FaultyStore {
    /// A copy of `hub` whose blob store is `hub`'s behind a [`FaultyStore`].
    pub fn wrap(hub: &crate::Hub) -> (crate::Hub, std::sync::Arc<FaultyStore>) {
        let faulty = std::sync::Arc::new(FaultyStore {
            inner: hub.registry.blobs.clone(),
            faults: Default::default(),
        });
        let mut wrapped = hub.clone();
        wrapped.registry.blobs = faulty.clone();
        (wrapped, faulty)
    }

    /// Fails the call of `op` after `skip` more calls of it succeed, once.
    pub fn fail(&self, op: StoreOp, skip: u32, strike: Strike) {
        self.lock().push((op, skip, strike));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(StoreOp, u32, Strike)>> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this call of `op` fails, and where.
    fn strikes(&self, op: StoreOp) -> Option<Strike> {
        let mut faults = self.lock();
        let i = faults.iter().position(|(o, _, _)| *o == op)?;
        if faults[i].1 > 0 {
            faults[i].1 -= 1;
            return None;
        }
        Some(faults.remove(i).2)
    }

    async fn call<T>(
        &self,
        op: StoreOp,
        f: impl std::future::Future<Output = std::io::Result<T>>,
    ) -> std::io::Result<T> {
        let injected = || std::io::Error::other(format!("injected failure of {op:?}"));
        match self.strikes(op) {
            None => f.await,
            Some(Strike::Before) => Err(injected()),
            Some(Strike::After) => {
                f.await?;
                Err(injected())
            }
        }
    }
}

#[async_trait::async_trait]
impl crate::registry::storage::BlobStore for FaultyStore {
    async fn size(&self, digest: &crate::registry::names::Digest) -> std::io::Result<Option<u64>> {
        self.call(StoreOp::Size, self.inner.size(digest)).await
    }

    async fn read(
        &self,
        digest: &crate::registry::names::Digest,
        offset: u64,
        len: u64,
    ) -> std::io::Result<crate::registry::storage::BlobReader> {
        self.call(StoreOp::Read, self.inner.read(digest, offset, len))
            .await
    }

    async fn delete(&self, digest: &crate::registry::names::Digest) -> std::io::Result<()> {
        self.call(StoreOp::Delete, self.inner.delete(digest)).await
    }

    async fn start_upload(&self, id: &str) -> std::io::Result<()> {
        self.call(StoreOp::StartUpload, self.inner.start_upload(id))
            .await
    }

    async fn append_upload(
        &self,
        id: &str,
        offset: u64,
        data: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
    ) -> std::io::Result<u64> {
        self.call(
            StoreOp::AppendUpload,
            self.inner.append_upload(id, offset, data),
        )
        .await
    }

    async fn read_upload(
        &self,
        id: &str,
        len: u64,
    ) -> std::io::Result<crate::registry::storage::BlobReader> {
        self.call(StoreOp::ReadUpload, self.inner.read_upload(id, len))
            .await
    }

    async fn commit_upload(
        &self,
        id: &str,
        len: u64,
        digest: &crate::registry::names::Digest,
    ) -> std::io::Result<()> {
        self.call(
            StoreOp::CommitUpload,
            self.inner.commit_upload(id, len, digest),
        )
        .await
    }

    async fn abort_upload(&self, id: &str) -> std::io::Result<()> {
        self.call(StoreOp::AbortUpload, self.inner.abort_upload(id))
            .await
    }

    async fn list_blobs(&self) -> std::io::Result<Vec<crate::registry::storage::StoredFile>> {
        self.call(StoreOp::ListBlobs, self.inner.list_blobs()).await
    }

    async fn list_uploads(&self) -> std::io::Result<Vec<(String, i64)>> {
        self.call(StoreOp::ListUploads, self.inner.list_uploads())
            .await
    }
}
