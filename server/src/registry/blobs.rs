//! `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`, with byte ranges.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderName, StatusCode},
    response::{IntoResponse, Response},
};
use berth_core::{
    access::Action,
    registry::{blobs, names::Digest},
};
use tokio_util::io::ReaderStream;

use super::{auth, auth::Caller, errors::ApiError};
use crate::state::AppState;

const STREAM_CHUNK: usize = 256 << 10;

pub async fn get(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    digest: &str,
    req: Request,
    with_body: bool,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let repo = auth::open(hub, caller, raw, Action::Pull).await?.repo;
    let digest: Digest = digest.parse()?;
    let size = blobs::size(hub, &repo, &digest).await?;
    let range = match req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(r) => match parse_range(r, size) {
            Some(range) => Some(range),
            None => {
                return Ok((
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{size}"))],
                )
                    .into_response())
            }
        },
        None => None,
    };
    let (status, start, len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, size),
    };
    let body = if with_body && len > 0 {
        let reader = blobs::open(hub, &digest, start, len).await?;
        Body::from_stream(ReaderStream::with_capacity(reader, STREAM_CHUNK))
    } else {
        Body::empty()
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    let d = digest.to_string();
    h.insert(header::CONTENT_LENGTH, len.into());
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::ACCEPT_RANGES,
        header::HeaderValue::from_static("bytes"),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("max-age=31536000"),
    );
    if let Ok(v) = d.parse() {
        h.insert(HeaderName::from_static("docker-content-digest"), v);
    }
    if let Ok(v) = format!("\"{d}\"").parse() {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = format!("bytes {start}-{}/{size}", start + len - 1).parse() {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(res)
}

/// One `bytes=` range (`a-b`, `a-`, `-n`) clipped to the blob; `None` when unsatisfiable.
/// Several ranges are not supported and are answered with the first.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    let first = spec.split(',').next()?.trim();
    let (a, b) = first.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 {
                return None;
            }
            (size.saturating_sub(n), size.checked_sub(1)?)
        }
        (a, "") => (a.parse().ok()?, size.checked_sub(1)?),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(size.checked_sub(1)?),
        ),
    };
    (start <= end && start < size).then_some((start, end))
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    digest: &str,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let repo = auth::open(hub, caller, raw, Action::Delete).await?.repo;
    let digest: Digest = digest.parse()?;
    blobs::delete(hub, &repo, &digest).await?;
    Ok((StatusCode::ACCEPTED, [(header::CONTENT_LENGTH, "0")]).into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_clipped_or_refused() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=9-2", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}
