//! The container registry's domain: who may pull and push what (`access`), repositories created
//! by pushing (`repos`), blob uploads (`uploads`), blobs (`blobs`), manifests and tags
//! (`manifests`), over a [`storage::BlobStore`] and the `store` tables. Nothing here knows HTTP;
//! `server` maps [`RegistryError`] to the distribution spec's error codes.

pub mod access;
pub mod blobs;
pub mod manifests;
pub mod names;
pub mod repos;
pub mod storage;
pub mod uploads;

use std::sync::Arc;

use crate::{config::Config, db::Db, error::CoreError};

/// Registry services held by the hub.
#[derive(Clone)]
pub struct Registry {
    pub blobs: Arc<dyn storage::BlobStore>,
    pub keys: access::TokenKeys,
    pub uploads: uploads::UploadLocks,
    pub pulls: repos::PullCounts,
    pub configs: manifests::ConfigCache,
}

impl Registry {
    pub async fn open(config: &Config, db: &Db) -> Result<Self, CoreError> {
        Ok(Registry {
            blobs: storage::open(config)?,
            keys: access::TokenKeys::load(config, db).await?,
            uploads: uploads::UploadLocks::default(),
            pulls: repos::PullCounts::default(),
            configs: manifests::ConfigCache::default(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid repository name: {0}")]
    NameInvalid(String),
    #[error("repository name not known to registry")]
    NameUnknown,
    #[error("invalid tag: {0}")]
    TagInvalid(String),
    #[error("invalid digest: {0}")]
    DigestInvalid(String),
    #[error("blob unknown to registry")]
    BlobUnknown,
    #[error("blob upload unknown to registry")]
    BlobUploadUnknown,
    #[error("requested range not satisfiable: the upload has {size} bytes, the next chunk must start there")]
    RangeInvalid { size: u64 },
    #[error("{0}")]
    SizeInvalid(String),
    #[error("manifest unknown to registry")]
    ManifestUnknown,
    #[error("manifest invalid: {0}")]
    ManifestInvalid(String),
    #[error("manifest references a blob or manifest unknown to this repository: {0}")]
    ManifestBlobUnknown(String),
    #[error("manifest is larger than the {} MiB limit", manifests::MAX_SIZE >> 20)]
    ManifestTooLarge,
    #[error("{0}")]
    Unauthorized(String),
    #[error("requested access to the resource is denied: {0}")]
    Denied(String),
    #[error("the operation is unsupported: {0}")]
    Unsupported(String),
    #[error("invalid pagination: {0}")]
    PaginationInvalid(String),
    /// Too many requests of a kind that costs (password checks) are waiting.
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Internal(#[from] CoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        RegistryError::Internal(CoreError::Db(e))
    }
}

impl From<std::io::Error> for RegistryError {
    fn from(e: std::io::Error) -> Self {
        RegistryError::Internal(CoreError::io("blob store", e))
    }
}
