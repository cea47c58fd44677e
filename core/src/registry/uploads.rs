//! Blob uploads: started, appended to in one or many requests, committed under a verified digest.
//!
//! The acknowledged size lives in the database and the bytes in the blob store, so an upload
//! survives a restart and can continue on another replica. The running hash is kept in memory
//! as an optimisation; when it is missing (restart, other replica) the commit re-reads the bytes.

use std::{
    collections::HashMap,
    io,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use super::{
    names::{Algorithm, Digest, Hasher},
    repos::Repository,
    RegistryError,
};
use crate::{accounts::User, clock, hub::Hub, store};

/// Uploads untouched for this long are removed.
pub const STALE_AFTER: i64 = clock::DAY;

#[derive(Default)]
struct Running {
    /// Hash of the first `hashed` bytes, if it was kept.
    hasher: Option<Hasher>,
    hashed: u64,
}

/// One lock and running hash per upload in progress in this process.
#[derive(Clone, Default)]
pub struct UploadLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Running>>>>>);

/// Entries exist only for uploads whose row exists (checked before one is made) and go with the
/// upload (finished, cancelled, swept) or as soon as a request finds the row gone. Between the
/// chunks of one upload the entry keeps the running hash, which spares re-reading the whole
/// blob at commit.
impl UploadLocks {
    fn entry(&self, id: &str) -> Arc<tokio::sync::Mutex<Running>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(id.to_string()).or_default().clone()
    }

    fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Whether this process keeps state for the upload `id`.
    pub fn holds(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(id)
    }
}

/// Upload ids are Berth's own: 32 lowercase hex digits. Anything else is unknown before any
/// state is touched (a made-up id never reaches the database or the lock table).
fn check_id(id: &str) -> Result<(), RegistryError> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(RegistryError::BlobUploadUnknown)
    }
}

/// Runs `f` holding the upload's lock, once its row is known to exist; forgets the lock when
/// the upload turns out to be gone.
async fn locked<T>(
    hub: &Hub,
    repo: &Repository,
    id: &str,
    f: impl AsyncFnOnce(&mut Running, store::uploads::UploadRow) -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    row(hub, repo, id).await?;
    let lock = hub.registry.uploads.entry(id);
    let mut running = lock.lock().await;
    let result = match row(hub, repo, id).await {
        Ok(r) => f(&mut running, r).await,
        Err(e) => Err(e),
    };
    if matches!(result, Err(RegistryError::BlobUploadUnknown)) {
        hub.registry.uploads.forget(id);
    }
    result
}

/// Where an upload stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadState {
    pub id: String,
    /// Bytes received and acknowledged.
    pub size: u64,
}

/// Request bodies as the domain sees them.
pub type Data<'a> = &'a mut (dyn AsyncRead + Send + Unpin);

pub async fn start(
    hub: &Hub,
    repo: &Repository,
    user: &User,
) -> Result<UploadState, RegistryError> {
    let id = crate::tokens::generate().1[..32].to_string();
    hub.registry.blobs.start_upload(&id).await?;
    store::uploads::insert(hub.db.pool(), &id, repo.id, user.id, clock::now()).await?;
    Ok(UploadState { id, size: 0 })
}

async fn row(
    hub: &Hub,
    repo: &Repository,
    id: &str,
) -> Result<store::uploads::UploadRow, RegistryError> {
    check_id(id)?;
    store::uploads::get(hub.db.pool(), id)
        .await?
        .filter(|r| r.repository_id == repo.id)
        .ok_or(RegistryError::BlobUploadUnknown)
}

pub async fn status(hub: &Hub, repo: &Repository, id: &str) -> Result<UploadState, RegistryError> {
    let r = row(hub, repo, id).await?;
    Ok(UploadState {
        id: r.id,
        size: r.size as u64,
    })
}

/// Appends a chunk. `start` is where the client says the chunk begins (from `Content-Range`);
/// chunks must arrive in order.
pub async fn append(
    hub: &Hub,
    repo: &Repository,
    id: &str,
    start: Option<u64>,
    data: Data<'_>,
) -> Result<UploadState, RegistryError> {
    locked(hub, repo, id, async |running, row| {
        let size = row.size as u64;
        if start.is_some_and(|s| s != size) {
            return Err(RegistryError::RangeInvalid { size });
        }
        let size = append_locked(hub, id, size, running, data).await?;
        Ok(UploadState {
            id: id.to_string(),
            size,
        })
    })
    .await
}

async fn append_locked(
    hub: &Hub,
    id: &str,
    size: u64,
    running: &mut Running,
    data: Data<'_>,
) -> Result<u64, RegistryError> {
    if size == 0 {
        *running = Running {
            hasher: Some(Hasher::new(Algorithm::Sha256)),
            hashed: 0,
        };
    } else if running.hashed != size {
        running.hasher = None;
    }
    let mut reader = HashingReader {
        inner: data,
        hasher: running.hasher.as_mut(),
    };
    let appended = match hub
        .registry
        .blobs
        .append_upload(id, size, &mut reader)
        .await
    {
        Ok(n) => n,
        Err(e) => {
            // Part of the chunk may be on disk; it is not acknowledged and will be cut off.
            running.hasher = None;
            return Err(e.into());
        }
    };
    let new_size = size + appended;
    running.hashed = new_size;
    if appended > 0
        && !store::uploads::advance(
            hub.db.pool(),
            id,
            size as i64,
            new_size as i64,
            clock::now(),
        )
        .await?
    {
        running.hasher = None;
        return Err(RegistryError::BlobUploadUnknown);
    }
    Ok(new_size)
}

/// Appends the last chunk (if any), verifies the digest and stores the blob. On a mismatch the
/// upload is discarded and nothing is stored.
pub async fn finish(
    hub: &Hub,
    repo: &Repository,
    id: &str,
    digest: &Digest,
    data: Option<Data<'_>>,
) -> Result<u64, RegistryError> {
    check_id(id)?;
    let committed = locked(hub, repo, id, async |running, row| {
        commit_locked(hub, repo, id, digest, data, running, row).await
    })
    .await;
    match committed {
        // A retried commit whose first attempt succeeded: answer as the first time.
        Err(RegistryError::BlobUploadUnknown) => super::blobs::size(hub, repo, digest)
            .await
            .map_err(|_| RegistryError::BlobUploadUnknown),
        other => other,
    }
}

async fn commit_locked(
    hub: &Hub,
    repo: &Repository,
    id: &str,
    digest: &Digest,
    data: Option<Data<'_>>,
    running: &mut Running,
    row: store::uploads::UploadRow,
) -> Result<u64, RegistryError> {
    let mut size = row.size as u64;
    if let Some(data) = data {
        size = append_locked(hub, id, size, running, data).await?;
    }
    let computed = match running.hasher.take() {
        Some(h) if running.hashed == size && h.algorithm() == digest.algorithm() => h.finish(),
        _ => rehash(hub, id, size, digest.algorithm()).await?,
    };
    if &computed != digest {
        discard(hub, id).await?;
        return Err(RegistryError::DigestInvalid(format!(
            "provided digest did not match uploaded content: the {size} bytes received hash to {computed}"
        )));
    }
    let now = clock::now();
    let d = digest.to_string();
    // The row first (see `lifecycle`): a collection deleting this digest finishes before the
    // bytes move into place, and none starts on it until the grace period passes again. The row
    // alone makes nothing readable; the repository link below does.
    crate::lifecycle::claim(hub, digest, size as i64).await?;
    hub.registry.blobs.commit_upload(id, size, digest).await?;
    let mut tx = hub.db.begin_write().await?;
    store::blobs::link(&mut *tx, repo.id, &d, now).await?;
    store::uploads::delete(&mut *tx, id).await?;
    tx.commit().await?;
    hub.registry.uploads.forget(id);
    Ok(size)
}

/// A whole blob in one request (`POST ?digest=`).
pub async fn put_whole(
    hub: &Hub,
    repo: &Repository,
    user: &User,
    digest: &Digest,
    data: Data<'_>,
) -> Result<u64, RegistryError> {
    let up = start(hub, repo, user).await?;
    finish(hub, repo, &up.id, digest, Some(data)).await
}

pub async fn cancel(hub: &Hub, repo: &Repository, id: &str) -> Result<(), RegistryError> {
    row(hub, repo, id).await?;
    discard(hub, id).await
}

async fn discard(hub: &Hub, id: &str) -> Result<(), RegistryError> {
    hub.registry.blobs.abort_upload(id).await?;
    store::uploads::delete(hub.db.pool(), id).await?;
    hub.registry.uploads.forget(id);
    Ok(())
}

async fn rehash(
    hub: &Hub,
    id: &str,
    size: u64,
    algorithm: Algorithm,
) -> Result<Digest, RegistryError> {
    let mut reader = hub.registry.blobs.read_upload(id, size).await?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// Cancels every upload in progress into `repo` (before the repository is deleted).
pub async fn discard_all(hub: &Hub, repo: &Repository) -> Result<(), RegistryError> {
    for id in store::uploads::ids_of_repository(hub.db.pool(), repo.id).await? {
        discard(hub, &id).await?;
    }
    Ok(())
}

/// Removes uploads nobody touched for [`STALE_AFTER`]; returns how many.
pub async fn purge_stale(hub: &Hub) -> Result<usize, RegistryError> {
    let ids = store::uploads::stale_ids(hub.db.pool(), clock::now() - STALE_AFTER).await?;
    for id in &ids {
        discard(hub, id).await?;
    }
    Ok(ids.len())
}

/// Hashes bytes as the store reads them (from a request, or from another store).
pub(crate) struct HashingReader<'a, 'b> {
    pub(crate) inner: Data<'a>,
    pub(crate) hasher: Option<&'b mut Hasher>,
}

impl AsyncRead for HashingReader<'_, '_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut *this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(h)) = (&poll, this.hasher.as_deref_mut()) {
            h.update(&buf.filled()[before..]);
        }
        poll
    }
}
