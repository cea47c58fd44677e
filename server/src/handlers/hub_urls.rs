//! Docker Hub's web addresses, so a link copied from Docker Hub works with the host swapped:
//! `/_/NAME` and `/r/_/NAME` (official images), `/r/NAMESPACE/NAME/tags` (the Tags tab, with
//! Docker Hub's `name` filter and `page`). Each is a permanent redirect to Berth's own address,
//! whose page decides what exists (an unknown name there is the normal 404 page).

use app::url::query_value as segment;
use axum::{
    extract::{Path, RawQuery},
    response::Redirect,
};
use berth_core::registry::names::LIBRARY;

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
