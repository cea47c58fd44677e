//! How numbers read on pages.

/// "1 of 1 private repository used.": the plan's use, on account settings and repository settings.
pub fn private_usage(used: i64, limit: i64) -> String {
    let noun = if limit == 1 {
        "repository"
    } else {
        "repositories"
    };
    format!("{used} of {limit} private {noun} used.")
}

/// "1.4 MB", "932 B": decimal units, as Docker Hub shows compressed sizes.
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// The platforms a manifest recorded at push (a JSON array) as "linux/amd64, linux/arm64/v8".
pub fn platforms(json: &str) -> String {
    serde_json::from_str::<Vec<berth_core::registry::manifests::Platform>>(json)
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first 12 hex digits of a digest, as Docker Hub shows them.
/// The client a `User-Agent` names, as people call it: its first product and version
/// ("docker/27.0.3 go/go1.22 … UpstreamClient(…)" → "docker 27.0.3").
pub fn client(agent: &str) -> String {
    let first = agent.split_whitespace().next().unwrap_or("");
    match first.split_once('/') {
        Some((name, version)) if !name.is_empty() && !version.is_empty() => {
            let version: String = version.chars().take(20).collect();
            format!("{name} {version}")
        }
        _ => first.chars().take(40).collect(),
    }
}

pub fn short_digest(digest: &str) -> String {
    digest
        .split_once(':')
        .map(|(_, hex)| hex.chars().take(12).collect())
        .unwrap_or_default()
}

/// A size measured in the background: "4.2 MB", or "not known" for compression Berth does not read.
fn measure(m: berth_core::repositories::Measure) -> String {
    match m {
        berth_core::repositories::Measure::Bytes(n) => size(n),
        berth_core::repositories::Measure::Unknown => "not known".into(),
    }
}

/// An image as the tag page shows it.
pub fn image_view(i: &berth_core::repositories::Image) -> crate::model::ImageView {
    use crate::model::{ImageView, LayerView, StepView};
    use berth_core::clock;
    let mut facts = Vec::new();
    if let Some(c) = &i.config {
        let words = |v: &[String]| v.join(" ");
        if let Some(t) = c.created {
            facts.push(("Created".to_string(), clock::format_time(t)));
        }
        if !c.entrypoint.is_empty() {
            facts.push(("Entrypoint".into(), words(&c.entrypoint)));
        }
        if !c.cmd.is_empty() {
            facts.push(("Command".into(), words(&c.cmd)));
        }
        if !c.working_dir.is_empty() {
            facts.push(("Working directory".into(), c.working_dir.clone()));
        }
        if !c.user.is_empty() {
            facts.push(("User".into(), c.user.clone()));
        }
        if !c.exposed_ports.is_empty() {
            facts.push(("Exposed ports".into(), c.exposed_ports.join(", ")));
        }
        if !c.volumes.is_empty() {
            facts.push(("Volumes".into(), c.volumes.join(", ")));
        }
    }
    ImageView {
        platform: i
            .platform
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        digest: i.digest.clone(),
        compressed: size(i.size),
        uncompressed: i.uncompressed.map(measure),
        facts,
        env: i.config.as_ref().map(|c| c.env.clone()).unwrap_or_default(),
        labels: i
            .config
            .as_ref()
            .map(|c| c.labels.clone())
            .unwrap_or_default(),
        steps: i
            .steps
            .iter()
            .map(|s| StepView {
                instruction: s.instruction.clone(),
                size: size(s.layer.as_ref().map_or(0, |l| l.size)),
                adds_layer: s.layer.is_some(),
            })
            .collect(),
        layers: i
            .layers
            .iter()
            .map(|l| LayerView {
                digest: l.digest.clone(),
                short_digest: short_digest(&l.digest),
                size: size(l.size),
                uncompressed: match l.uncompressed {
                    Some(berth_core::repositories::Measure::Bytes(n)) => Some(size(n)),
                    _ => None,
                },
            })
            .collect(),
        has_config: i.config.is_some(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_are_named_by_their_first_product() {
        assert_eq!(
            super::client("docker/27.0.3 go/go1.22.5 git-commit/7d4bcd8 kernel/6.1.0 os/linux arch/amd64 UpstreamClient(Docker-Client/27.0.3 \\(linux\\))"),
            "docker 27.0.3"
        );
        assert_eq!(
            super::client("containerd/1.7.24+unknown"),
            "containerd 1.7.24+unknown"
        );
        assert_eq!(super::client("curl"), "curl");
        assert_eq!(super::client(""), "");
    }

    #[test]
    fn sizes_and_platforms_read_well() {
        assert_eq!(super::size(932), "932 B");
        assert_eq!(super::size(1_430_000), "1.4 MB");
        assert_eq!(super::size(25_600_000), "26 MB");
        assert_eq!(
            super::platforms(
                r#"[{"os":"linux","architecture":"amd64"},{"os":"linux","architecture":"arm64","variant":"v8"}]"#
            ),
            "linux/amd64, linux/arm64/v8"
        );
        assert_eq!(super::platforms("[]"), "");
        assert_eq!(
            super::short_digest("sha256:0123456789abcdef"),
            "0123456789ab"
        );
    }
}
