//! Content discovery: `GET /v2/<name>/tags/list`, `GET /v2/_catalog`, and
//! `GET /v2/<name>/referrers/<digest>`.

use axum::{
    extract::Request,
    http::{header, HeaderName},
    response::{IntoResponse, Response},
    Json,
};
use berth_core::{
    access::Action,
    registry::{manifests, names::Digest, repos, RegistryError},
};
use serde_json::json;

use super::{auth, auth::Caller, errors::ApiError, query, query_value};
use crate::state::AppState;

/// Catalog pages hold at most this many names unless the client asks for fewer.
const CATALOG_PAGE: i64 = 100;
const MAX_PAGE: i64 = 10_000;

/// `n` and `last` from the query. `n` absent means "all" (`None`).
fn page(q: &[(String, String)]) -> Result<(Option<i64>, String), ApiError> {
    let n = match query_value(q, "n") {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n.min(MAX_PAGE)),
            _ => {
                return Err(RegistryError::PaginationInvalid(format!(
                    "n must be a number from 0 up, not {v:?}"
                ))
                .into())
            }
        },
    };
    Ok((n, query_value(q, "last").unwrap_or("").to_string()))
}

/// Trims a page fetched with one extra row and builds the `Link` to the next page if there is one.
fn paginate(mut items: Vec<String>, n: Option<i64>, path: &str) -> (Vec<String>, Option<String>) {
    let Some(n) = n else {
        return (items, None);
    };
    if n == 0 {
        return (Vec::new(), None);
    }
    if items.len() as i64 <= n {
        return (items, None);
    }
    items.truncate(n as usize);
    let last = items.last().cloned().unwrap_or_default();
    let next = format!(
        "<{path}?n={n}&last={}>; rel=\"next\"",
        url::form_urlencoded::byte_serialize(last.as_bytes()).collect::<String>()
    );
    (items, Some(next))
}

fn with_link(body: serde_json::Value, link: Option<String>) -> Response {
    let mut res = Json(body).into_response();
    if let Some(l) = link.and_then(|l| l.parse().ok()) {
        res.headers_mut().insert(header::LINK, l);
    }
    res
}

pub async fn tags(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let auth::Opened { name, repo, .. } = auth::open(hub, caller, raw, Action::Pull).await?;
    let (n, last) = page(&query(&req))?;
    let fetched = manifests::tags(hub, &repo, &last, n.map_or(i64::MAX, |n| n + 1)).await?;
    let (tags, link) = paginate(fetched, n, &format!("/v2/{}/tags/list", name.raw));
    Ok(with_link(json!({ "name": name.raw, "tags": tags }), link))
}

pub async fn catalog(
    state: &AppState,
    caller: &Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    if !caller.allows("registry", "catalog", "*") {
        return Err(auth::challenge(
            hub,
            Some("registry:catalog:*"),
            None,
            "authentication required",
        ));
    }
    let subject = caller.subject(hub).await?;
    let (n, last) = page(&query(&req))?;
    // Unlike tags, the catalog is always paged: it can be large.
    let n = n.unwrap_or(CATALOG_PAGE);
    let fetched = repos::catalog(hub, &subject, &last, n + 1).await?;
    let (names, link) = paginate(fetched, Some(n), "/v2/_catalog");
    Ok(with_link(json!({ "repositories": names }), link))
}

pub async fn referrers(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    digest: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let repo = auth::open(hub, caller, raw, Action::Pull).await?.repo;
    let digest: Digest = digest.parse()?;
    let q = query(&req);
    let filter = query_value(&q, "artifactType").filter(|t| !t.is_empty());
    let found = manifests::referrers(hub, &repo, &digest, filter).await?;
    let body = json!({
        "schemaVersion": 2,
        "mediaType": manifests::OCI_INDEX,
        "manifests": found,
    });
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(manifests::OCI_INDEX),
    );
    if filter.is_some() {
        res.headers_mut().insert(
            HeaderName::from_static("oci-filters-applied"),
            header::HeaderValue::from_static("artifactType"),
        );
    }
    Ok(res)
}
