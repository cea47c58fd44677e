//! The registry API at `/v2/` (OCI distribution-spec 1.1) and its token endpoint at `/token`.
//!
//! Repository names hold any number of `/`, so one route takes everything under `/v2/` and
//! [`Route::parse`] reads the path from the right.

mod auth;
mod blobs;
mod errors;
mod listings;
mod manifests;
mod search;
mod token;
mod uploads;

use std::io;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{any, get},
    Router,
};
use berth_core::registry::names::RepoName;
use futures_util::TryStreamExt;
use tokio::io::AsyncRead;
use tokio_util::io::StreamReader;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;
use auth::Caller;
use errors::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2", get(base))
        .route("/v2/", get(base))
        .route("/v2/{*rest}", any(dispatch))
        .route("/v1/_ping", get(search::ping))
        .route("/v1/search", get(search::search))
        .route(
            "/token",
            get(token::get)
                .post(token::post)
                .layer(axum::middleware::from_fn(|req, next| {
                    crate::middleware::limit_body(crate::middleware::TOKEN_BODY_MAX, req, next)
                })),
        )
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("docker-distribution-api-version"),
            HeaderValue::from_static("registry/2.0"),
        ))
}

/// `GET /v2/`: 200 with a valid token, otherwise the challenge that tells clients where to get
/// one. Docker learns how to authenticate only from this answer, so it must be a 401 even though
/// anonymous pulls are allowed.
async fn base(State(state): State<AppState>, req: Request) -> Response {
    match Caller::from_request(&state.hub, &req) {
        Ok(Caller {
            claims: Some(_), ..
        }) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            "{}",
        )
            .into_response(),
        Ok(_) => auth::challenge(&state.hub, None, None, "authentication required").into_response(),
        Err(e) => e.into_response(),
    }
}

/// What a path under `/v2/` addresses.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Catalog,
    Tags(&'a str),
    Manifest(&'a str, &'a str),
    Referrers(&'a str, &'a str),
    UploadStart(&'a str),
    Upload(&'a str, &'a str),
    Blob(&'a str, &'a str),
}

impl<'a> Route<'a> {
    fn parse(rest: &'a str) -> Option<Self> {
        let last = |s: &'a str, marker: &str| {
            s.rsplit_once(marker)
                .filter(|(name, tail)| !name.is_empty() && !tail.is_empty() && !tail.contains('/'))
        };
        if rest == "_catalog" {
            return Some(Route::Catalog);
        }
        if let Some(name) = rest.strip_suffix("/tags/list") {
            return Some(Route::Tags(name));
        }
        if let Some(name) = rest
            .strip_suffix("/blobs/uploads/")
            .or_else(|| rest.strip_suffix("/blobs/uploads"))
        {
            return Some(Route::UploadStart(name));
        }
        if let Some((name, id)) = last(rest, "/blobs/uploads/") {
            return Some(Route::Upload(name, id));
        }
        if let Some((name, r)) = last(rest, "/manifests/") {
            return Some(Route::Manifest(name, r));
        }
        if let Some((name, d)) = last(rest, "/referrers/") {
            return Some(Route::Referrers(name, d));
        }
        if let Some((name, d)) = last(rest, "/blobs/") {
            return Some(Route::Blob(name, d));
        }
        None
    }
}

async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let rest = path.strip_prefix("/v2/").unwrap_or("");
    let Some(route) = Route::parse(rest) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "no such registry endpoint",
        )
        .into_response();
    };
    let caller = match Caller::from_request(&state.hub, &req) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let method = req.method().clone();
    let s = &state;
    let result = match (route, method) {
        (Route::Catalog, Method::GET) => listings::catalog(s, &caller, req).await,
        (Route::Tags(n), Method::GET) => listings::tags(s, &caller, n, req).await,
        (Route::Referrers(n, d), Method::GET) => listings::referrers(s, &caller, n, d, req).await,
        (Route::Manifest(n, r), Method::GET) => manifests::get(s, &caller, n, r, req, true).await,
        (Route::Manifest(n, r), Method::HEAD) => manifests::get(s, &caller, n, r, req, false).await,
        (Route::Manifest(n, r), Method::PUT) => manifests::put(s, &caller, n, r, req).await,
        (Route::Manifest(n, r), Method::DELETE) => manifests::delete(s, &caller, n, r).await,
        (Route::Blob(n, d), Method::GET) => blobs::get(s, &caller, n, d, req, true).await,
        (Route::Blob(n, d), Method::HEAD) => blobs::get(s, &caller, n, d, req, false).await,
        (Route::Blob(n, d), Method::DELETE) => blobs::delete(s, &caller, n, d).await,
        (Route::UploadStart(n), Method::POST) => uploads::start(s, &caller, n, req).await,
        (Route::Upload(n, id), Method::GET | Method::HEAD) => {
            uploads::status(s, &caller, n, id).await
        }
        (Route::Upload(n, id), Method::PATCH) => uploads::patch(s, &caller, n, id, req).await,
        (Route::Upload(n, id), Method::PUT) => uploads::put(s, &caller, n, id, req).await,
        (Route::Upload(n, id), Method::DELETE) => uploads::cancel(s, &caller, n, id).await,
        (_, m) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            format!("{m} is not supported on this endpoint"),
        )),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Parses a repository name from the path.
fn repo_name(raw: &str) -> Result<RepoName, ApiError> {
    RepoName::parse(raw).map_err(ApiError::from)
}

/// The query string's `key=value` pairs, decoded.
fn query(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_value<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A request body as a byte stream, read as it arrives (never buffered whole).
fn body_reader(body: Body) -> impl AsyncRead + Send + Unpin {
    StreamReader::new(body.into_data_stream().map_err(io::Error::other))
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn paths_are_read_from_the_right() {
        assert_eq!(Route::parse("_catalog"), Some(Route::Catalog));
        assert_eq!(Route::parse("a/b/tags/list"), Some(Route::Tags("a/b")));
        assert_eq!(
            Route::parse("a/manifests/manifests/v1"),
            Some(Route::Manifest("a/manifests", "v1"))
        );
        assert_eq!(
            Route::parse("a/b/blobs/uploads/"),
            Some(Route::UploadStart("a/b"))
        );
        assert_eq!(
            Route::parse("a/b/blobs/uploads/xyz"),
            Some(Route::Upload("a/b", "xyz"))
        );
        assert_eq!(
            Route::parse("a/b/blobs/sha256:00"),
            Some(Route::Blob("a/b", "sha256:00"))
        );
        assert_eq!(
            Route::parse("a/b/referrers/sha256:00"),
            Some(Route::Referrers("a/b", "sha256:00"))
        );
        assert_eq!(Route::parse("a/b/unknown"), None);
        assert_eq!(Route::parse("/manifests/v1"), None);
    }
}
