//! `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<tag or digest>`.

use axum::{
    extract::Request,
    http::{header, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use berth_core::{
    access::Action,
    registry::{
        manifests::{self, MAX_SIZE},
        names::Reference,
        RegistryError,
    },
};
use tokio::io::AsyncReadExt;

use super::{auth, auth::Caller, body_reader, errors::ApiError};
use crate::state::AppState;

pub async fn get(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    reference: &str,
    req: Request,
    with_body: bool,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let repo = auth::open(hub, caller, raw, Action::Pull).await?.repo;
    let reference: Reference = reference.parse().map_err(|e| match e {
        RegistryError::TagInvalid(_) | RegistryError::DigestInvalid(_) => {
            ApiError::from(RegistryError::ManifestUnknown)
        }
        other => other.into(),
    })?;
    let m = manifests::get(hub, &repo, &reference).await?;
    let etag = format!("\"{}\"", m.digest);
    let unchanged = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim() == etag);
    let headers = |res: &mut Response, len: usize| {
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&m.media_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        h.insert(header::CONTENT_LENGTH, len.into());
        if let Ok(v) = HeaderValue::from_str(&m.digest) {
            h.insert(HeaderName::from_static("docker-content-digest"), v);
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
    };
    // A GET is a pull even when the client's cached copy is still current (304); a HEAD by tag
    // starts one (see `manifests::count_request`).
    let client = format!(
        "{}|{}|{}",
        caller.origin.ip.as_deref().unwrap_or(""),
        caller.claims.as_ref().map_or("", |c| c.sub.as_str()),
        caller.origin.agent.as_deref().unwrap_or("")
    );
    manifests::count_request(hub, &repo, &reference, &m, &client, with_body);
    if unchanged {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        headers(&mut res, 0);
        res.headers_mut().remove(header::CONTENT_LENGTH);
        return Ok(res);
    }
    let len = m.content.len();
    let mut res = if with_body {
        m.content.clone().into_response()
    } else {
        ().into_response()
    };
    headers(&mut res, len);
    Ok(res)
}

pub async fn put(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    reference: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let reference: Reference = reference.parse()?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Read at most one byte past the limit (memory stays bounded) and answer 413 after reading,
    // so that a client still sending is not cut off mid-request.
    let mut bytes = Vec::new();
    body_reader(req.into_body())
        .take(MAX_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "MANIFEST_INVALID",
                format!("could not read the manifest: {e}"),
            )
        })?;
    let auth::Opened {
        name,
        repo,
        subject,
    } = auth::open(hub, caller, raw, Action::Push).await?;
    let user = subject
        .user()
        .ok_or_else(|| auth::challenge(hub, None, None, "authentication required"))?;
    let pushed = manifests::put(
        hub,
        &repo,
        &reference,
        content_type.as_deref(),
        &bytes,
        user,
        &caller.origin,
    )
    .await?;
    let mut res = (
        StatusCode::CREATED,
        [
            (
                header::LOCATION,
                format!("/v2/{}/manifests/{}", name.raw, pushed.digest),
            ),
            (
                HeaderName::from_static("docker-content-digest"),
                pushed.digest.to_string(),
            ),
            (header::CONTENT_LENGTH, "0".to_string()),
        ],
    )
        .into_response();
    if let Some(subject) = pushed.subject.and_then(|s| HeaderValue::from_str(&s).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("oci-subject"), subject);
    }
    Ok(res)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    reference: &str,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let opened = auth::open(hub, caller, raw, Action::Delete).await?;
    let reference: Reference = reference.parse()?;
    manifests::delete(
        hub,
        &opened.repo,
        &reference,
        opened.subject.user(),
        &caller.origin,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, [(header::CONTENT_LENGTH, "0")]).into_response())
}
