//! Manifests and tags: validated on push, stored as the exact bytes received, and summarised for
//! the web pages (size, platforms) at push time.

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use super::{
    names::{Digest, Reference},
    repos::Repository,
    RegistryError,
};
use crate::{accounts::User, clock, hub::Hub, store};

/// Largest manifest accepted (the spec asks registries to take at least 4 MB).
pub const MAX_SIZE: usize = 4 << 20;
/// Most descriptors (config and layers, or an index's manifests) one manifest may list. Images
/// have at most about 128 layers (the overlay filesystem's limit); this bounds the work a push
/// can ask for.
pub const MAX_DESCRIPTORS: usize = 1000;
/// Largest image configuration read for platform details.
const MAX_CONFIG: u64 = 8 << 20;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const SCHEMA1: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// One platform an image runs on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A stored manifest, ready to serve.
#[derive(Clone, Debug)]
pub struct Stored {
    pub digest: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub total_size: u64,
    pub platforms: Vec<Platform>,
}

/// The outcome of a manifest push.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub digest: Digest,
    /// The `subject` the manifest refers to, for the `OCI-Subject` header.
    pub subject: Option<String>,
}

enum Kind {
    Image(Box<ImageManifest>),
    Index(Box<ImageIndex>),
}

struct Parsed {
    media_type: String,
    kind: Kind,
}

fn invalid(msg: impl Into<String>) -> RegistryError {
    RegistryError::ManifestInvalid(msg.into())
}

/// Works out what a pushed document is: from `Content-Type`, else from its `mediaType` field.
fn parse(content_type: Option<&str>, bytes: &[u8]) -> Result<Parsed, RegistryError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| invalid("a manifest is a JSON object"))?;
    if obj.get("schemaVersion").and_then(|v| v.as_i64()) == Some(1) || obj.contains_key("fsLayers")
    {
        return Err(invalid(
            "Docker schema 1 manifests are not supported; push with Docker 20.10 or later",
        ));
    }
    let declared = obj.get("mediaType").and_then(|v| v.as_str());
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream");
    if let Some(h) = header {
        if SCHEMA1.contains(&h) {
            return Err(invalid(
                "Docker schema 1 manifests are not supported; push with Docker 20.10 or later",
            ));
        }
        if let Some(d) = declared {
            if d != h {
                return Err(invalid(format!(
                    "Content-Type {h} does not match the manifest's mediaType {d}"
                )));
            }
        }
    }
    let media_type = match header.or(declared) {
        Some(t) => t.to_string(),
        None if obj.contains_key("manifests") => OCI_INDEX.to_string(),
        None => OCI_MANIFEST.to_string(),
    };
    let kind = match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            if obj.contains_key("manifests") {
                return Err(invalid("an image manifest cannot list manifests"));
            }
            Kind::Image(
                serde_json::from_value(value)
                    .map_err(|e| invalid(format!("not a valid image manifest: {e}")))?,
            )
        }
        OCI_INDEX | DOCKER_LIST => {
            if obj.contains_key("config") || obj.contains_key("layers") {
                return Err(invalid("an index cannot have a config or layers"));
            }
            Kind::Index(
                serde_json::from_value(value)
                    .map_err(|e| invalid(format!("not a valid index: {e}")))?,
            )
        }
        other => {
            return Err(invalid(format!(
                "unsupported manifest media type {other}; Berth accepts OCI image manifests and \
                 indexes and Docker schema 2 manifests and manifest lists"
            )))
        }
    };
    Ok(Parsed { media_type, kind })
}

fn digest_of(d: &Descriptor) -> Result<Digest, RegistryError> {
    d.digest()
        .to_string()
        .parse()
        .map_err(|_| invalid(format!("unsupported digest {}", d.digest())))
}

fn check_count(n: usize, what: &str) -> Result<(), RegistryError> {
    if n > MAX_DESCRIPTORS {
        return Err(invalid(format!(
            "the manifest lists {n} {what}; Berth accepts at most {MAX_DESCRIPTORS}"
        )));
    }
    Ok(())
}

/// Every blob an image manifest lists is in the repository, with the size the manifest says:
/// one query for the whole manifest.
async fn check_blobs(
    hub: &Hub,
    repo: &Repository,
    listed: &[&Descriptor],
) -> Result<(), RegistryError> {
    let mut digests = Vec::with_capacity(listed.len());
    for d in listed {
        digests.push(digest_of(d)?.to_string());
    }
    digests.sort();
    digests.dedup();
    let stored: std::collections::HashMap<String, (i64, bool)> =
        store::blobs::linked_sizes(hub.db.pool(), repo.id, &digests)
            .await?
            .into_iter()
            .map(|(d, size, marked)| (d, (size, marked)))
            .collect();
    for d in listed {
        let digest = digest_of(d)?;
        let dg = digest.to_string();
        let Some(&(size, marked)) = stored.get(&dg) else {
            return Err(RegistryError::ManifestBlobUnknown(dg));
        };
        // A marked blob's bytes are checked (see `blobs::stored`); a referenced one's are there.
        if marked && !super::blobs::stored(hub, &digest).await? {
            return Err(RegistryError::ManifestBlobUnknown(dg));
        }
        if size as u64 != d.size() {
            return Err(invalid(format!(
                "blob {dg} is {size} bytes, but the manifest says {}",
                d.size()
            )));
        }
    }
    Ok(())
}

/// The size and platforms of every manifest an index lists, each checked to be in the
/// repository with the size the index says: one query for the whole index.
async fn check_children(
    hub: &Hub,
    repo: &Repository,
    listed: &[Descriptor],
) -> Result<std::collections::HashMap<String, (i64, String)>, RegistryError> {
    let mut digests = Vec::with_capacity(listed.len());
    for d in listed {
        digests.push(digest_of(d)?.to_string());
    }
    digests.sort();
    digests.dedup();
    let mut found = std::collections::HashMap::new();
    for row in store::manifests::summaries_of(hub.db.pool(), repo.id, &digests).await? {
        found.insert(row.digest, (row.size, (row.total_size, row.platforms)));
    }
    for d in listed {
        let dg = digest_of(d)?.to_string();
        let Some((size, _)) = found.get(&dg) else {
            return Err(RegistryError::ManifestBlobUnknown(dg));
        };
        if *size as u64 != d.size() {
            return Err(invalid(format!(
                "manifest {dg} is {size} bytes, but the index says {}",
                d.size()
            )));
        }
    }
    Ok(found.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

/// Validates and stores a manifest under its digest, and points the tag at it when pushed by tag.
pub async fn put(
    hub: &Hub,
    repo: &Repository,
    reference: &Reference,
    content_type: Option<&str>,
    bytes: &[u8],
    user: &User,
    origin: &crate::activity::Origin,
) -> Result<Pushed, RegistryError> {
    if bytes.len() > MAX_SIZE {
        return Err(RegistryError::ManifestTooLarge);
    }
    let parsed = parse(content_type, bytes)?;
    let digest = match reference {
        Reference::Digest(d) => {
            let actual = Digest::of(d.algorithm(), bytes);
            if &actual != d {
                return Err(RegistryError::DigestInvalid(format!(
                    "the manifest's digest is {actual}, not {d}"
                )));
            }
            actual
        }
        Reference::Tag(_) => Digest::sha256(bytes),
    };
    let (subject, artifact_type, annotations, total_size, platforms) = match &parsed.kind {
        Kind::Image(m) => {
            let listed: Vec<&Descriptor> = std::iter::once(m.config()).chain(m.layers()).collect();
            check_count(listed.len(), "layers")?;
            check_blobs(hub, repo, &listed).await?;
            let config_type = m.config().media_type().to_string();
            let platforms = if IMAGE_CONFIGS.contains(&config_type.as_str()) {
                image_platform(hub, &digest_of(m.config())?, m.config().size())
                    .await
                    .into_iter()
                    .collect()
            } else {
                Vec::new()
            };
            let size: u64 = m.layers().iter().map(|l| l.size()).sum();
            let artifact = m
                .artifact_type()
                .as_ref()
                .map(|t| t.to_string())
                .or(Some(config_type));
            (
                m.subject().clone(),
                artifact,
                m.annotations().clone(),
                size,
                platforms,
            )
        }
        Kind::Index(ix) => {
            check_count(ix.manifests().len(), "manifests")?;
            let children = check_children(hub, repo, ix.manifests()).await?;
            let mut size = 0u64;
            let mut platforms = Vec::new();
            for d in ix.manifests() {
                let dg = digest_of(d)?.to_string();
                let Some((child_size, child_platforms)) = children.get(&dg) else {
                    return Err(RegistryError::ManifestBlobUnknown(dg));
                };
                let (child_size, child_platforms) = (*child_size, child_platforms.as_str());
                let declared = d.platform().as_ref().map(|p| Platform {
                    os: p.os().to_string(),
                    architecture: p.architecture().to_string(),
                    variant: p.variant().clone(),
                });
                // Attestations and signatures ride in indexes as "unknown/unknown".
                if declared.as_ref().is_some_and(|p| p.os == "unknown") {
                    continue;
                }
                size += child_size as u64;
                match declared {
                    Some(p) => platforms.push(p),
                    None => platforms.extend(
                        serde_json::from_str::<Vec<Platform>>(child_platforms).unwrap_or_default(),
                    ),
                }
            }
            let artifact = ix.artifact_type().as_ref().map(|t| t.to_string());
            (
                ix.subject().clone(),
                artifact,
                ix.annotations().clone(),
                size,
                platforms,
            )
        }
    };
    let subject = subject.map(|s| s.digest().to_string());
    let annotations = annotations
        .filter(|a| !a.is_empty())
        .map(|a| serde_json::to_string(&a).unwrap_or_default());
    let platforms_json = serde_json::to_string(&platforms).unwrap_or_else(|_| "[]".into());
    let refs = crate::lifecycle::blob_refs(bytes);
    // Read before the write transaction: a query on another pooled connection while holding
    // SQLite's write lock can wait for a connection that writers waiting for the lock hold.
    let to_measure = match &parsed.kind {
        Kind::Image(m) => layers_to_measure(hub, m).await?,
        Kind::Index(_) => Vec::new(),
    };
    let now = clock::now();
    let d = digest.to_string();
    let mut tx = hub.db.begin_write().await?;
    // The namespace's lock (when it has a storage limit) before the repository's.
    crate::lifecycle::check_limit(&mut tx, hub.db.kind(), repo, &refs).await?;
    crate::lifecycle::lock(&mut tx, repo.id).await?;
    if let Reference::Tag(tag) = reference {
        crate::lifecycle::check_tag_move(&mut tx, repo, tag, &d).await?;
    }
    store::manifests::insert(
        &mut *tx,
        store::manifests::NewManifest {
            repository_id: repo.id,
            digest: &d,
            media_type: &parsed.media_type,
            content: bytes,
            total_size: total_size as i64,
            platforms: &platforms_json,
            artifact_type: artifact_type.as_deref(),
            subject_digest: subject.as_deref(),
            annotations: annotations.as_deref(),
            pushed_at: now,
            pushed_by: user.id,
        },
    )
    .await?;
    crate::lifecycle::record_refs(&mut tx, repo.id, &d, &refs).await?;
    if let Reference::Tag(tag) = reference {
        store::tags::upsert(&mut *tx, repo.id, tag, &d, now, user.id).await?;
        crate::webhooks::record(
            &mut tx,
            hub,
            repo,
            crate::webhooks::Change {
                event: crate::webhooks::Event::TagPushed,
                actor: &user.username,
                tag: Some(tag),
                digest: Some(&d),
                media_type: Some(&parsed.media_type),
                platforms: Some(&platforms_json),
            },
        )
        .await?;
    }
    store::repositories::touch_pushed(&mut *tx, repo.id, now).await?;
    if !to_measure.is_empty() {
        crate::jobs::enqueue(
            &mut *tx,
            &crate::jobs::Job::MeasureLayers { layers: to_measure },
        )
        .await?;
    }
    tx.commit().await?;
    hub.jobs.wake();
    if let Reference::Tag(tag) = reference {
        crate::activity::record(
            hub,
            user.id,
            crate::activity::Kind::Pushed,
            &format!("{}:{tag}", repo.full_name),
            origin,
        )
        .await?;
    }
    tracing::info!(repository = %repo.full_name, reference = %reference, digest = %d, user = %user.username, "manifest pushed");
    Ok(Pushed { digest, subject })
}

/// The layers of an image manifest whose uncompressed size nobody measured yet.
async fn layers_to_measure(
    hub: &Hub,
    m: &ImageManifest,
) -> Result<Vec<super::blobs::LayerRef>, RegistryError> {
    let digests: Vec<String> = m.layers().iter().map(|l| l.digest().to_string()).collect();
    let mut todo: std::collections::HashSet<String> =
        store::blobs::unmeasured(hub.db.pool(), &digests)
            .await?
            .into_iter()
            .collect();
    Ok(m.layers()
        .iter()
        // Each digest once, however often the manifest lists it.
        .filter(|l| todo.remove(&l.digest().to_string()))
        .map(|l| super::blobs::LayerRef {
            digest: l.digest().to_string(),
            media_type: l.media_type().to_string(),
        })
        .collect())
}

/// The bytes of an image configuration blob of `size` bytes; `None` if it is too big to be one
/// or cannot be read. Small ones are kept in memory: a blob never changes, and the image view
/// reads the same configuration on every visit (a round trip per platform on S3).
pub async fn read_config(hub: &Hub, config: &Digest, size: u64) -> Option<std::sync::Arc<Vec<u8>>> {
    if size > MAX_CONFIG {
        return None;
    }
    if let Some(hit) = hub.registry.configs.get(config) {
        return Some(hit);
    }
    let mut reader = hub.registry.blobs.read(config, 0, size).await.ok()?;
    let mut bytes = Vec::with_capacity(size as usize);
    reader.read_to_end(&mut bytes).await.ok()?;
    let bytes = std::sync::Arc::new(bytes);
    hub.registry.configs.put(config, bytes.clone());
    Some(bytes)
}

/// Recently read image configurations, by digest.
#[derive(Clone)]
pub struct ConfigCache(
    std::sync::Arc<std::sync::Mutex<lru::LruCache<Digest, std::sync::Arc<Vec<u8>>>>>,
);

impl Default for ConfigCache {
    fn default() -> Self {
        let entries = std::num::NonZeroUsize::new(CONFIG_CACHE_ENTRIES)
            .unwrap_or(std::num::NonZeroUsize::MIN);
        ConfigCache(std::sync::Arc::new(std::sync::Mutex::new(
            lru::LruCache::new(entries),
        )))
    }
}

/// Configurations kept in memory; only those of at most [`CONFIG_CACHE_MAX_BYTES`] (most are a
/// few KiB), so the cache stays under a few MiB.
const CONFIG_CACHE_ENTRIES: usize = 512;
const CONFIG_CACHE_MAX_BYTES: usize = 16 << 10;

impl ConfigCache {
    fn get(&self, digest: &Digest) -> Option<std::sync::Arc<Vec<u8>>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(digest)
            .cloned()
    }

    fn put(&self, digest: &Digest, bytes: std::sync::Arc<Vec<u8>>) {
        if bytes.len() <= CONFIG_CACHE_MAX_BYTES {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(digest.clone(), bytes);
        }
    }
}

/// os/architecture/variant from an image configuration; `None` if it cannot be read.
async fn image_platform(hub: &Hub, config: &Digest, size: u64) -> Option<Platform> {
    let bytes = read_config(hub, config, size).await?;
    #[derive(Deserialize)]
    struct Config {
        os: Option<String>,
        architecture: Option<String>,
        variant: Option<String>,
    }
    let c: Config = serde_json::from_slice(&bytes).ok()?;
    Some(Platform {
        os: c.os?,
        architecture: c.architecture?,
        variant: c.variant.filter(|v| !v.is_empty()),
    })
}

/// The manifests an index lists (none for anything else).
pub(crate) fn index_children(content: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(content) else {
        return Vec::new();
    };
    v.get("manifests")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("digest").and_then(|d| d.as_str()).map(String::from))
        .collect()
}

pub async fn get(
    hub: &Hub,
    repo: &Repository,
    reference: &Reference,
) -> Result<Stored, RegistryError> {
    let pool = hub.db.pool();
    let row = match reference {
        Reference::Tag(t) => store::manifests::by_tag(pool, repo.id, t).await?,
        Reference::Digest(d) => store::manifests::by_digest(pool, repo.id, &d.to_string()).await?,
    }
    .ok_or(RegistryError::ManifestUnknown)?;
    Ok(Stored {
        digest: row.digest,
        media_type: row.media_type,
        content: row.content,
        total_size: row.total_size as u64,
        platforms: serde_json::from_str(&row.platforms).unwrap_or_default(),
    })
}

/// Counts a manifest request (HEAD or GET) in the pull statistics: see
/// [`repos::count_manifest_request`] for what counts as a pull, and of which tag.
pub fn count_request(
    hub: &Hub,
    repo: &Repository,
    reference: &Reference,
    stored: &Stored,
    client: &str,
    is_get: bool,
) {
    super::repos::count_manifest_request(
        hub,
        repo,
        reference,
        &stored.digest,
        || index_children(&stored.content),
        client,
        is_get,
    );
}

/// Deletes a tag, or a manifest together with every tag pointing at it; `by` is who asked
/// (their activity log records it).
pub async fn delete(
    hub: &Hub,
    repo: &Repository,
    reference: &Reference,
    by: Option<&User>,
    origin: &crate::activity::Origin,
) -> Result<(), RegistryError> {
    let mut tx = hub.db.begin_write().await?;
    match reference {
        Reference::Tag(t) => crate::lifecycle::check_delete(&mut tx, repo, Some(t), None).await?,
        Reference::Digest(d) => {
            crate::lifecycle::check_delete(&mut tx, repo, None, Some(&d.to_string())).await?
        }
    }
    // The tags that go and the digest they pointed at, for the webhook events, read in the
    // transaction that deletes them (a manifest deleted by digest takes its tags along).
    let (deleted_tags, deleted_digest) = match reference {
        Reference::Tag(t) => (
            vec![t.clone()],
            store::tags::digest_of(&mut *tx, repo.id, t).await?,
        ),
        Reference::Digest(d) => {
            let d = d.to_string();
            (
                store::tags::names_for_manifest(&mut *tx, repo.id, &d).await?,
                Some(d),
            )
        }
    };
    let found = match reference {
        Reference::Tag(t) => store::tags::delete(&mut *tx, repo.id, t).await?,
        Reference::Digest(d) => {
            let d = d.to_string();
            crate::lifecycle::lock(&mut tx, repo.id).await?;
            let freed = crate::lifecycle::bytes_freed_by(&mut tx, repo.id, &d).await?;
            store::tags::delete_for_manifest(&mut *tx, repo.id, &d).await?;
            let gone = store::manifests::delete(&mut *tx, repo.id, &d).await?;
            if gone {
                crate::lifecycle::forget_bytes(&mut tx, repo.id, freed).await?;
            }
            gone
        }
    };
    if !found {
        return Err(RegistryError::ManifestUnknown);
    }
    for t in &deleted_tags {
        crate::webhooks::record(
            &mut tx,
            hub,
            repo,
            crate::webhooks::Change {
                event: crate::webhooks::Event::TagDeleted,
                actor: by.map_or("", |u| u.username.as_str()),
                tag: Some(t),
                digest: deleted_digest.as_deref(),
                media_type: None,
                platforms: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    hub.jobs.wake();
    if let Some(user) = by {
        let what = match reference {
            Reference::Tag(t) => format!("{}:{t}", repo.full_name),
            Reference::Digest(d) => format!("{}@{d}", repo.full_name),
        };
        crate::activity::record(hub, user.id, crate::activity::Kind::Deleted, &what, origin)
            .await?;
    }
    Ok(())
}

/// Tag names after `last`, at most `limit`.
pub async fn tags(
    hub: &Hub,
    repo: &Repository,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, RegistryError> {
    Ok(store::tags::names(hub.db.pool(), repo.id, last, limit).await?)
}

/// A manifest that names another as its `subject`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Referrer {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Value>,
}

/// Manifests of the repository whose subject is `digest`, optionally of one artifact type.
pub async fn referrers(
    hub: &Hub,
    repo: &Repository,
    digest: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<Referrer>, RegistryError> {
    let rows = store::manifests::referrers(hub.db.pool(), repo.id, &digest.to_string()).await?;
    Ok(rows
        .into_iter()
        .filter(|r| artifact_type.is_none() || r.artifact_type.as_deref() == artifact_type)
        .map(|r| Referrer {
            media_type: r.media_type,
            digest: r.digest,
            size: r.size,
            artifact_type: r.artifact_type,
            annotations: r.annotations.and_then(|a| serde_json::from_str(&a).ok()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_detected_and_checked() {
        let m = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        assert_eq!(
            parse(Some(OCI_MANIFEST), m).unwrap().media_type,
            OCI_MANIFEST
        );
        assert_eq!(parse(None, m).unwrap().media_type, OCI_MANIFEST);
        assert_eq!(
            parse(
                Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
                m
            )
            .unwrap()
            .media_type,
            OCI_MANIFEST
        );
        assert!(parse(Some(OCI_INDEX), m).is_err());
        assert!(parse(Some(SCHEMA1[1]), br#"{"schemaVersion":1,"fsLayers":[]}"#).is_err());
        assert!(parse(Some(OCI_MANIFEST), b"not json").is_err());
        assert!(parse(Some("text/plain"), m).is_err());
        let ix = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert_eq!(parse(Some(OCI_INDEX), ix).unwrap().media_type, OCI_INDEX);
        assert!(
            parse(Some(DOCKER_LIST), ix).is_err(),
            "mediaType disagrees with Content-Type"
        );
    }
}
