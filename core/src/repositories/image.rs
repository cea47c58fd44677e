//! What a tag holds, as the tag page shows it: the index (if any) and each platform's image with
//! its layers and the history of commands that built it. Manifests come from the registry's
//! store with the platforms recorded at push; the history from the configuration blob.

use serde::Deserialize;

use super::RepoError;
use crate::{
    hub::Hub,
    registry::{
        manifests::{self, Platform},
        names::{Digest, Reference},
        repos::Repository,
        RegistryError,
    },
    store,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub size: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryStep {
    pub created_by: String,
    /// Steps that changed only metadata (ENV, CMD…) add no layer.
    pub empty_layer: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Recorded at push; `None` when the configuration did not say.
    pub platform: Option<Platform>,
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

/// The parts of image manifests, indexes and configurations the page reads.
#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: i64,
}

#[derive(Deserialize)]
struct ManifestDoc {
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct ConfigDoc {
    #[serde(default)]
    history: Vec<HistoryDoc>,
}

#[derive(Deserialize)]
struct HistoryDoc {
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    empty_layer: bool,
}

/// The tag `tag` of a repository the caller opened (see [`super::open`]).
pub async fn tag_detail(hub: &Hub, repo: &Repository, tag: &str) -> Result<TagDetail, RepoError> {
    let row = store::tags::get(hub.db.pool(), repo.id, tag)
        .await?
        .ok_or(RepoError::NotFound)?;
    let (top, top_platform) = load(hub, repo, &row.digest)
        .await?
        .ok_or(RepoError::NotFound)?;
    let mut images = Vec::new();
    let index_digest = match &top.manifests {
        Some(children) => {
            for child in children {
                // Attestations ride along in indexes with no platform of their own.
                if let Some((doc, Some(platform))) = load(hub, repo, &child.digest).await? {
                    images.push(image(hub, &child.digest, Some(platform), &doc).await);
                }
            }
            Some(row.digest.clone())
        }
        None => {
            images.push(image(hub, &row.digest, top_platform, &top).await);
            None
        }
    };
    Ok(TagDetail {
        tag: row,
        index_digest,
        images,
    })
}

/// A stored manifest of the repository, parsed, with the first platform recorded at push;
/// `None` if the repository has no such manifest (deleted meanwhile) or it cannot be read as
/// one. A database failure is an error, not a missing page.
async fn load(
    hub: &Hub,
    repo: &Repository,
    digest: &str,
) -> Result<Option<(ManifestDoc, Option<Platform>)>, RepoError> {
    let Ok(digest) = digest.parse::<Digest>() else {
        return Ok(None);
    };
    let stored = match manifests::get(hub, repo, &Reference::Digest(digest)).await {
        Ok(stored) => stored,
        Err(RegistryError::ManifestUnknown) => return Ok(None),
        Err(e) => return Err(super::internal(e)),
    };
    Ok(serde_json::from_slice(&stored.content)
        .ok()
        .map(|doc| (doc, stored.platforms.into_iter().next())))
}

async fn image(hub: &Hub, digest: &str, platform: Option<Platform>, doc: &ManifestDoc) -> Image {
    let layers: Vec<Layer> = doc
        .layers
        .iter()
        .map(|l| Layer {
            digest: l.digest.clone(),
            size: l.size,
        })
        .collect();
    let history = match &doc.config {
        Some(c) => history(hub, c).await,
        None => Vec::new(),
    };
    Image {
        platform,
        digest: digest.to_string(),
        size: layers.iter().map(|l| l.size).sum(),
        layers,
        history,
    }
}

async fn history(hub: &Hub, config: &Descriptor) -> Vec<HistoryStep> {
    let Ok(digest) = config.digest.parse::<Digest>() else {
        return Vec::new();
    };
    let Some(bytes) = manifests::read_config(hub, &digest, config.size.max(0) as u64).await else {
        return Vec::new();
    };
    serde_json::from_slice::<ConfigDoc>(&bytes)
        .map(|c| {
            c.history
                .into_iter()
                .map(|h| HistoryStep {
                    created_by: h.created_by,
                    empty_layer: h.empty_layer,
                })
                .collect()
        })
        .unwrap_or_default()
}
