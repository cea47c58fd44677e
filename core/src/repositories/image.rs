//! What a tag holds, as the tag page shows it: the index (if any) and each platform's image with
//! its layers and the history of commands that built it, read from the stored manifests and
//! configuration blobs.

use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::RepoError;
use crate::{
    hub::Hub,
    registry::{names::Digest, repos::Repository},
    store,
};

/// Configuration blobs are small JSON documents; anything bigger is not read for the page.
const CONFIG_MAX: u64 = 4 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub size: i64,
    pub media_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryStep {
    pub created_by: String,
    /// Steps that changed only metadata (ENV, CMD…) add no layer.
    pub empty_layer: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// "linux/arm64/v8", or empty when the image does not say.
    pub platform: String,
    pub digest: String,
    /// Sum of the compressed layers.
    pub size: i64,
    pub layers: Vec<Layer>,
    pub history: Vec<HistoryStep>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagDetail {
    pub tag: store::tags::TagRow,
    /// The index's digest when the tag names a multi-platform image.
    pub index_digest: Option<String>,
    pub images: Vec<Image>,
}

fn platform_of(v: &Value) -> String {
    let part = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    [part("os"), part("architecture"), part("variant")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// The tag `tag` of a repository the caller opened (see [`super::open`]).
pub async fn tag_detail(hub: &Hub, repo: &Repository, tag: &str) -> Result<TagDetail, RepoError> {
    let row = store::tags::get(hub.db.pool(), repo.id, tag)
        .await?
        .ok_or(RepoError::NotFound)?;
    let top = manifest_json(hub, repo, &row.digest).await?;
    let mut images = Vec::new();
    let index_digest = match top.get("manifests").and_then(Value::as_array) {
        Some(children) => {
            for child in children {
                let platform = child.get("platform").map(platform_of).unwrap_or_default();
                // Attestations ride along in indexes as unknown/unknown.
                if platform.is_empty() || platform.starts_with("unknown") {
                    continue;
                }
                let Some(digest) = child.get("digest").and_then(Value::as_str) else {
                    continue;
                };
                if let Ok(json) = manifest_json(hub, repo, digest).await {
                    images.push(image(hub, digest, platform, &json).await);
                }
            }
            Some(row.digest.clone())
        }
        None => {
            images.push(image(hub, &row.digest, String::new(), &top).await);
            None
        }
    };
    Ok(TagDetail {
        tag: row,
        index_digest,
        images,
    })
}

async fn manifest_json(hub: &Hub, repo: &Repository, digest: &str) -> Result<Value, RepoError> {
    let m = store::manifests::by_digest(hub.db.pool(), repo.id, digest)
        .await?
        .ok_or(RepoError::NotFound)?;
    serde_json::from_slice(&m.content).map_err(|_| RepoError::NotFound)
}

/// An image manifest's layers, and from its configuration the platform (if the index did not
/// give one) and the build history.
async fn image(hub: &Hub, digest: &str, platform: String, manifest: &Value) -> Image {
    let layers: Vec<Layer> = manifest
        .get("layers")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .map(|l| Layer {
                    digest: l.get("digest").and_then(Value::as_str).unwrap_or("").into(),
                    size: l.get("size").and_then(Value::as_i64).unwrap_or(0),
                    media_type: l
                        .get("mediaType")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .into(),
                })
                .collect()
        })
        .unwrap_or_default();
    let config = match manifest
        .pointer("/config/digest")
        .and_then(Value::as_str)
        .and_then(|d| d.parse::<Digest>().ok())
    {
        Some(d) => read_config(hub, &d).await,
        None => None,
    };
    let history = config
        .as_ref()
        .and_then(|c| c.get("history"))
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .map(|step| HistoryStep {
                    created_by: step
                        .get("created_by")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    empty_layer: step
                        .get("empty_layer")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    let platform = if platform.is_empty() {
        config.as_ref().map(platform_of).unwrap_or_default()
    } else {
        platform
    };
    Image {
        platform,
        digest: digest.to_string(),
        size: layers.iter().map(|l| l.size).sum(),
        layers,
        history,
    }
}

async fn read_config(hub: &Hub, digest: &Digest) -> Option<Value> {
    let size = hub.registry.blobs.size(digest).await.ok()??;
    if size > CONFIG_MAX {
        return None;
    }
    let mut reader = hub.registry.blobs.read(digest, 0, size).await.ok()?;
    let mut bytes = Vec::with_capacity(size as usize);
    reader.read_to_end(&mut bytes).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}
