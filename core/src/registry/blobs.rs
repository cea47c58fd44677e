//! Blobs as seen through a repository: a blob is readable in a repository only after it was
//! pushed or mounted there, so knowing a digest does not open another repository's layers.

use super::{names::Digest, repos::Repository, storage::BlobReader, RegistryError};
use crate::{clock, hub::Hub, store};

/// The size of a blob in a repository.
pub async fn size(hub: &Hub, repo: &Repository, digest: &Digest) -> Result<u64, RegistryError> {
    store::blobs::linked_size(hub.db.pool(), repo.id, &digest.to_string())
        .await?
        .map(|s| s as u64)
        .ok_or(RegistryError::BlobUnknown)
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
