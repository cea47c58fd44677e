//! Where blob bytes live. The domain talks to a [`BlobStore`]; the filesystem store under the data
//! folder is the embedded default.

mod fs;

use std::{io, pin::Pin};

use async_trait::async_trait;
use tokio::io::AsyncRead;

pub use fs::FsBlobStore;

use super::names::Digest;

/// A stream of blob bytes, read as the client consumes them.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

/// Content-addressed blob storage with an upload area.
///
/// Contract: a blob becomes readable under its digest only once [`BlobStore::commit_upload`]
/// returns, and then holds exactly the verified bytes; an interrupted upload is never visible.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// The size of a stored blob, or `None` if it is not stored.
    async fn size(&self, digest: &Digest) -> io::Result<Option<u64>>;

    /// `len` bytes of a stored blob from `offset`.
    async fn read(&self, digest: &Digest, offset: u64, len: u64) -> io::Result<BlobReader>;

    async fn delete(&self, digest: &Digest) -> io::Result<()>;

    /// Creates an empty upload.
    async fn start_upload(&self, id: &str) -> io::Result<()>;

    /// Appends everything `data` yields to an upload of which `offset` bytes are acknowledged;
    /// anything stored past `offset` (an earlier request cut off mid-way) is dropped first.
    /// Returns the number of bytes appended.
    async fn append_upload(
        &self,
        id: &str,
        offset: u64,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> io::Result<u64>;

    /// The first `len` bytes of an upload (to hash it when no running hash survived).
    async fn read_upload(&self, id: &str, len: u64) -> io::Result<BlobReader>;

    /// Makes the first `len` bytes of an upload the blob `digest`, atomically.
    async fn commit_upload(&self, id: &str, len: u64, digest: &Digest) -> io::Result<()>;

    /// Forgets an upload; absent uploads are not an error.
    async fn abort_upload(&self, id: &str) -> io::Result<()>;
}
