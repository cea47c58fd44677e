//! How numbers read on pages.

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

/// The platforms a manifest recorded (a JSON array of {os, architecture, variant}) as
/// "linux/amd64, linux/arm64/v8".
pub fn platforms(json: &str) -> String {
    let list: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    let names: Vec<String> = list
        .iter()
        .map(|p| {
            let part = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("");
            [part("os"), part("architecture"), part("variant")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("/")
        })
        .filter(|s| !s.is_empty())
        .collect();
    names.join(", ")
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
    }
}
