//! What a tag holds, as the image view shows it: the index (if any) and each platform's image
//! with its configuration (entrypoint, command, environment, ports…) and the build steps that
//! made it, each next to the layer it added. Manifests come from the registry's store with the
//! platforms recorded at push; the configuration from its blob (cached by digest); uncompressed
//! sizes from the background measurement of each layer.

use std::collections::HashMap;

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

/// A size measured in the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Bytes(i64),
    /// The layer's compression is one Berth does not read.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    /// Compressed, as stored.
    pub size: i64,
    /// Measured in the background after the push: `None` until then, and
    /// [`Measure::Unknown`] for compression Berth does not read.
    pub uncompressed: Option<Measure>,
}

/// One step of the build, as the history in the configuration records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildStep {
    /// The instruction, without the `/bin/sh -c #(nop)` noise: `RUN apk add curl`, `CMD ["sh"]`.
    pub instruction: String,
    /// The layer the step added; `None` for steps that changed only metadata (ENV, CMD…).
    pub layer: Option<Layer>,
    /// Unix seconds.
    pub created: Option<i64>,
}

/// The parts of an image configuration people read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub created: Option<i64>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub labels: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Recorded at push; `None` when the configuration did not say.
    pub platform: Option<Platform>,
    pub digest: String,
    /// Sum of the compressed layers.
    pub size: i64,
    /// Sum of the uncompressed layers, once every one was measured.
    pub uncompressed: Option<Measure>,
    pub layers: Vec<Layer>,
    /// `None` when the configuration could not be read (an artifact, say).
    pub config: Option<ImageConfig>,
    /// Empty for an image imported without build history.
    pub steps: Vec<BuildStep>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagDetail {
    pub tag: super::Tag,
    /// The index's digest when the tag names a multi-platform image.
    pub index_digest: Option<String>,
    pub images: Vec<Image>,
}

/// The parts of image manifests and indexes the page reads.
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfigDoc {
    created: Option<String>,
    config: RuntimeDoc,
    history: Vec<HistoryDoc>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RuntimeDoc {
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: String,
    user: String,
    env: Option<Vec<String>>,
    exposed_ports: Option<HashMap<String, serde_json::Value>>,
    volumes: Option<HashMap<String, serde_json::Value>>,
    labels: Option<HashMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HistoryDoc {
    created: Option<String>,
    created_by: String,
    comment: String,
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
                    images.push(image(hub, &child.digest, Some(platform), &doc).await?);
                }
            }
            Some(row.digest.clone())
        }
        None => {
            images.push(image(hub, &row.digest, top_platform, &top).await?);
            None
        }
    };
    Ok(TagDetail {
        tag: row.into(),
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

async fn image(
    hub: &Hub,
    digest: &str,
    platform: Option<Platform>,
    doc: &ManifestDoc,
) -> Result<Image, RepoError> {
    let digests: Vec<String> = doc.layers.iter().map(|l| l.digest.clone()).collect();
    let measured: HashMap<String, i64> = store::blobs::uncompressed_sizes(hub.db.pool(), &digests)
        .await?
        .into_iter()
        .collect();
    let layers: Vec<Layer> = doc
        .layers
        .iter()
        .map(|l| Layer {
            digest: l.digest.clone(),
            size: l.size,
            uncompressed: measured.get(&l.digest).map(|&n| {
                if n == crate::registry::blobs::UNMEASURABLE {
                    Measure::Unknown
                } else {
                    Measure::Bytes(n)
                }
            }),
        })
        .collect();
    let parsed = match &doc.config {
        Some(c) => read_config(hub, c).await,
        None => None,
    };
    let (config, steps) = match parsed {
        Some(c) => {
            let steps = steps(&c.history, &layers);
            (Some(summary(c)), steps)
        }
        None => (None, Vec::new()),
    };
    // Known once every layer is: unknown if any cannot be read.
    let uncompressed =
        layers
            .iter()
            .try_fold(Measure::Bytes(0), |sum, l| match (sum, l.uncompressed?) {
                (Measure::Bytes(a), Measure::Bytes(b)) => Some(Measure::Bytes(a + b)),
                _ => Some(Measure::Unknown),
            });
    Ok(Image {
        platform,
        digest: digest.to_string(),
        size: layers.iter().map(|l| l.size).sum(),
        uncompressed,
        layers,
        config,
        steps,
    })
}

async fn read_config(hub: &Hub, config: &Descriptor) -> Option<ConfigDoc> {
    let digest = config.digest.parse::<Digest>().ok()?;
    let bytes = manifests::read_config(hub, &digest, config.size.max(0) as u64).await?;
    serde_json::from_slice::<ConfigDoc>(&bytes).ok()
}

fn summary(c: ConfigDoc) -> ImageConfig {
    let sorted = |m: Option<HashMap<String, serde_json::Value>>| {
        let mut keys: Vec<String> = m.unwrap_or_default().into_keys().collect();
        keys.sort();
        keys
    };
    let mut labels: Vec<(String, String)> =
        c.config.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    ImageConfig {
        created: c.created.as_deref().and_then(parse_time),
        entrypoint: c.config.entrypoint.unwrap_or_default(),
        cmd: c.config.cmd.unwrap_or_default(),
        working_dir: c.config.working_dir,
        user: c.config.user,
        env: c.config.env.unwrap_or_default(),
        exposed_ports: sorted(c.config.exposed_ports),
        volumes: sorted(c.config.volumes),
        labels,
    }
}

/// Pairs each history entry that made a layer with the next layer, in order.
fn steps(history: &[HistoryDoc], layers: &[Layer]) -> Vec<BuildStep> {
    let mut next = layers.iter();
    history
        .iter()
        .map(|h| BuildStep {
            // `docker import` leaves no command, only a comment ("Imported from -").
            instruction: if h.created_by.trim().is_empty() {
                h.comment.trim().to_string()
            } else {
                instruction(&h.created_by)
            },
            layer: if h.empty_layer {
                None
            } else {
                next.next().cloned()
            },
            created: h.created.as_deref().and_then(parse_time),
        })
        .collect()
}

/// A history entry's command as a Dockerfile instruction: `/bin/sh -c #(nop) CMD ["sh"]` reads
/// `CMD ["sh"]`, `/bin/sh -c apk add curl` reads `RUN apk add curl`, and BuildKit's
/// `RUN /bin/sh -c make # buildkit` reads `RUN make`.
pub fn instruction(created_by: &str) -> String {
    let text = created_by.trim();
    let text = text.strip_suffix("# buildkit").unwrap_or(text).trim_end();
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop)") {
        return rest.trim().to_string();
    }
    if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    // `RUN |2 A=1 B=2 /bin/sh -c make` (build arguments) and `RUN /bin/sh -c make`.
    if let Some(rest) = text.strip_prefix("RUN ") {
        if let Some((_, command)) = rest.split_once("/bin/sh -c ") {
            return format!("RUN {}", command.trim());
        }
    }
    text.to_string()
}

fn parse_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_commands_read_as_instructions() {
        assert_eq!(
            instruction("/bin/sh -c #(nop)  CMD [\"sh\"]"),
            "CMD [\"sh\"]"
        );
        assert_eq!(
            instruction("/bin/sh -c #(nop) ADD file:abc in / "),
            "ADD file:abc in /"
        );
        assert_eq!(instruction("/bin/sh -c apk add curl"), "RUN apk add curl");
        assert_eq!(
            instruction("RUN /bin/sh -c make install # buildkit"),
            "RUN make install"
        );
        assert_eq!(instruction("RUN |2 A=1 B=2 /bin/sh -c make"), "RUN make");
        assert_eq!(instruction("COPY app /app # buildkit"), "COPY app /app");
        assert_eq!(instruction("ENV PATH=/usr/bin"), "ENV PATH=/usr/bin");
    }

    #[test]
    fn steps_take_layers_in_order_and_metadata_steps_none() {
        let layer = |d: &str| Layer {
            digest: d.into(),
            size: 10,
            uncompressed: None,
        };
        let history = vec![
            HistoryDoc {
                created_by: "/bin/sh -c #(nop) ADD file:x in /".into(),
                ..Default::default()
            },
            HistoryDoc {
                created_by: "/bin/sh -c #(nop) CMD [\"sh\"]".into(),
                empty_layer: true,
                ..Default::default()
            },
            HistoryDoc {
                created_by: "/bin/sh -c echo hi > /f".into(),
                ..Default::default()
            },
        ];
        let s = steps(&history, &[layer("a"), layer("b")]);
        assert_eq!(s[0].layer.as_ref().unwrap().digest, "a");
        assert_eq!(s[1].layer, None);
        assert_eq!(s[1].instruction, "CMD [\"sh\"]");
        assert_eq!(s[2].layer.as_ref().unwrap().digest, "b");
        assert_eq!(s[2].instruction, "RUN echo hi > /f");
    }
}
