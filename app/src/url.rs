//! Building links on pages (server and browser alike).

/// Percent-encodes a query value or a path segment: everything but letters, digits, `-`, `_`
/// and `.` (the characters of names and tags).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where a namespace's name links: the account's profile, or for `library` (which belongs to
/// no account) the official images.
pub fn namespace_page(namespace: &str) -> String {
    if namespace == "library" {
        "/search?official=1".into()
    } else {
        format!("/u/{namespace}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(super::query_value("v1.0-rc_2"), "v1.0-rc_2");
        assert_eq!(super::query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
