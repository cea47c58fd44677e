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
pub fn short_digest(digest: &str) -> String {
    digest
        .split_once(':')
        .map(|(_, hex)| hex.chars().take(12).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
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
