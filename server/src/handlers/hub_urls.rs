//! Docker Hub's web addresses, so a link copied from Docker Hub works with the host swapped:
//! `/_/NAME` and `/r/_/NAME` (official images), `/r/NAMESPACE/NAME/tags` (the Tags tab, with
//! Docker Hub's `name` filter and `page`). Each is a permanent redirect to Berth's own address,
//! whose page decides what exists (an unknown name there is the normal 404 page).

use axum::{
    extract::{Path, RawQuery},
    response::Redirect,
};
use berth_core::registry::names::LIBRARY;

/// One path segment, percent-encoded except for the characters names are made of.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn official(Path(name): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/r/{LIBRARY}/{}", segment(&name)))
}

pub async fn tags(
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Redirect {
    let namespace = if namespace == "_" {
        LIBRARY
    } else {
        &namespace
    };
    let mut target = format!("/r/{}/{}?tab=tags", segment(namespace), segment(&name));
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let key = match key.as_ref() {
            "name" => "q",
            "page" => "page",
            _ => continue,
        };
        target.push_str(&format!("&{key}={}", segment(&value)));
    }
    Redirect::permanent(&target)
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_keep_names_and_encode_the_rest() {
        assert_eq!(super::segment("alpine-3.20_x"), "alpine-3.20_x");
        assert_eq!(super::segment("a/b?c#d"), "a%2Fb%3Fc%23d");
    }
}
