//! Blobs as seen through a repository: a blob is readable in a repository only after it was
//! pushed or mounted there, so knowing a digest does not open another repository's layers.

use super::{names::Digest, repos::Repository, storage::BlobReader, RegistryError};
use crate::{clock, hub::Hub, store};

/// The size of a blob in a repository. Reading a blob marked for collection restarts its grace
/// period: a push that checks a layer is about to reference it.
pub async fn size(hub: &Hub, repo: &Repository, digest: &Digest) -> Result<u64, RegistryError> {
    let d = digest.to_string();
    let (size, marked) = store::blobs::linked(hub.db.pool(), repo.id, &d)
        .await?
        .ok_or(RegistryError::BlobUnknown)?;
    if marked && !(crate::lifecycle::touch(hub, &d).await? && stored(hub, digest).await?) {
        return Err(RegistryError::BlobUnknown);
    }
    Ok(size as u64)
}

/// Whether the blob store holds the bytes of `digest`. Asked for blobs marked for collection,
/// the only rows whose bytes a collection interrupted by an older Berth may have deleted: a
/// client told such a blob exists would skip uploading it and push an image nobody can pull.
pub(crate) async fn stored(hub: &Hub, digest: &Digest) -> Result<bool, RegistryError> {
    let present = hub.registry.blobs.size(digest).await?.is_some();
    if !present {
        tracing::warn!(%digest, "a blob's row has no bytes in the store; answering that it is unknown");
    }
    Ok(present)
}

/// `len` bytes of a blob from `offset` (the caller checked the range against [`size`]).
pub async fn open(
    hub: &Hub,
    digest: &Digest,
    offset: u64,
    len: u64,
) -> Result<BlobReader, RegistryError> {
    Ok(hub.registry.blobs.read(digest, offset, len).await?)
}

/// Makes a blob of `from` available in `to` without copying it. False if `from` lacks it.
pub async fn mount(
    hub: &Hub,
    from: &Repository,
    to: &Repository,
    digest: &Digest,
) -> Result<bool, RegistryError> {
    let d = digest.to_string();
    if store::blobs::linked_size(hub.db.pool(), from.id, &d)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    // Restart a marked blob's grace period before linking it: a collection that got there
    // first means there is nothing to mount (the client uploads instead).
    if !(crate::lifecycle::touch(hub, &d).await? && stored(hub, digest).await?) {
        return Ok(false);
    }
    store::blobs::link(hub.db.pool(), to.id, &d, clock::now()).await?;
    Ok(true)
}

/// Removes a blob from a repository. The bytes stay while other repositories use them.
pub async fn delete(hub: &Hub, repo: &Repository, digest: &Digest) -> Result<(), RegistryError> {
    if store::blobs::unlink(hub.db.pool(), repo.id, &digest.to_string()).await? {
        Ok(())
    } else {
        Err(RegistryError::BlobUnknown)
    }
}

/// The uncompressed size recorded for a layer that cannot be measured.
pub const UNMEASURABLE: i64 = -1;

/// A layer to measure: its digest and media type (which says how it is compressed).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerRef {
    pub digest: String,
    pub media_type: String,
}

/// Records how large each of `layers` is uncompressed, for those not measured yet (a job queued
/// by manifest pushes; off the push path because it reads every byte). A layer Berth cannot
/// read (zstd, or not the gzip it claims to be) is recorded as [`UNMEASURABLE`].
pub async fn measure_layers(hub: &Hub, layers: &[LayerRef]) -> Result<(), RegistryError> {
    let digests: Vec<String> = layers.iter().map(|l| l.digest.clone()).collect();
    let todo = store::blobs::unmeasured(hub.db.pool(), &digests).await?;
    for layer in layers.iter().filter(|l| todo.contains(&l.digest)) {
        let Ok(digest) = layer.digest.parse::<Digest>() else {
            continue;
        };
        let Some(size) = store::blobs::size(hub.db.pool(), &layer.digest).await? else {
            continue;
        };
        let uncompressed = if layer.media_type.ends_with("gzip") {
            gunzipped_size(hub, &digest, size as u64).await?
        } else if layer.media_type.ends_with(".tar") || layer.media_type.ends_with("tar") {
            Some(size as u64)
        } else {
            None
        };
        let recorded = uncompressed.map_or(UNMEASURABLE, |n| n as i64);
        store::blobs::set_uncompressed(hub.db.pool(), &layer.digest, recorded).await?;
    }
    Ok(())
}

/// How many bytes a gzip blob inflates to; `None` if it is not valid gzip.
async fn gunzipped_size(
    hub: &Hub,
    digest: &Digest,
    size: u64,
) -> Result<Option<u64>, RegistryError> {
    use std::io::Write;
    use tokio::io::AsyncReadExt;

    /// Counts what is written to it.
    #[derive(Default)]
    struct Count(u64);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let mut reader = hub.registry.blobs.read(digest, 0, size).await?;
    let mut decoder = flate2::write::MultiGzDecoder::new(Count::default());
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if decoder.write_all(&buf[..n]).is_err() {
            return Ok(None);
        }
    }
    match decoder.finish() {
        Ok(count) => Ok(Some(count.0)),
        Err(_) => Ok(None),
    }
}
