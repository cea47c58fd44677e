//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (start, monolithic, or cross-repository mount),
//! then `PATCH`, `PUT ?digest=`, `GET` (status) and `DELETE` (cancel) on the upload's URL.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderName, StatusCode},
    response::{IntoResponse, Response},
};
use berth_core::{
    access::{Action, Subject},
    registry::{
        blobs,
        names::{Digest, RepoName},
        repos::{self, Repository},
        uploads::{self, UploadState},
        RegistryError,
    },
};

use super::{auth, auth::Caller, body_reader, errors::ApiError, query, query_value};
use crate::state::AppState;

/// Opens the repository for a push (creating it on the first one); returns it with the user.
async fn pushing(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<(RepoName, Repository, Subject), ApiError> {
    let auth::Opened {
        name,
        repo,
        subject,
    } = auth::open(&state.hub, caller, raw, Action::Push).await?;
    Ok((name, repo, subject))
}

/// 202 with where to send the next chunk and what has arrived (`Range: 0-<last byte>`, or
/// `0-0` when nothing has, as the reference registry answers).
fn accepted(status: StatusCode, name: &RepoName, up: &UploadState) -> Response {
    let mut res = (
        status,
        [
            (
                header::LOCATION,
                format!("/v2/{}/blobs/uploads/{}", name.raw, up.id),
            ),
            (header::RANGE, format!("0-{}", up.size.saturating_sub(1))),
            (HeaderName::from_static("docker-upload-uuid"), up.id.clone()),
        ],
    )
        .into_response();
    if status != StatusCode::NO_CONTENT {
        res.headers_mut().insert(
            header::CONTENT_LENGTH,
            header::HeaderValue::from_static("0"),
        );
    }
    res
}

fn created(name: &RepoName, digest: &Digest) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/v2/{}/blobs/{digest}", name.raw)),
            (
                HeaderName::from_static("docker-content-digest"),
                digest.to_string(),
            ),
            (header::CONTENT_LENGTH, "0".to_string()),
        ],
    )
        .into_response()
}

pub async fn start(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let q = query(&req);
    // A mount asks for the source's pull too: a client that requests exactly the challenged
    // scope (the conformance suite's, and others) then holds a token that can mount.
    let mount_from = query_value(&q, "mount")
        .and(query_value(&q, "from"))
        .and_then(|f| RepoName::parse(f).ok());
    let (name, repo, subject) = match pushing(state, caller, raw).await {
        Ok(opened) => opened,
        Err(e) => {
            return Err(match &mount_from {
                Some(from) => auth::also_challenge(e, &format!("repository:{}:pull", from.raw)),
                None => e,
            })
        }
    };
    let user = subject
        .user()
        .ok_or_else(|| auth::challenge(hub, None, None, "authentication required"))?;
    if let (Some(mount), Some(from)) = (query_value(&q, "mount"), query_value(&q, "from")) {
        // Mount only from a repository the caller may pull; otherwise fall through to a plain upload.
        if let (Ok(digest), Ok(from_name)) = (mount.parse::<Digest>(), RepoName::parse(from)) {
            if caller.allows("repository", &from_name.raw, "pull") {
                if let Ok(Some(from_repo)) =
                    repos::check(hub, &subject, &from_name, Action::Pull).await?
                {
                    if blobs::mount(hub, &from_repo, &repo, &digest).await? {
                        return Ok(created(&name, &digest));
                    }
                }
            }
        }
    }
    if let Some(d) = query_value(&q, "digest") {
        let digest: Digest = d.parse()?;
        let mut body = body_reader(req.into_body());
        uploads::put_whole(hub, &repo, user, &digest, &mut body).await?;
        return Ok(created(&name, &digest));
    }
    let up = uploads::start(hub, &repo, user).await?;
    Ok(accepted(StatusCode::ACCEPTED, &name, &up))
}

/// Where a chunk starts, from `Content-Range: <start>-<end>`; its length must match
/// `Content-Length` when both are sent.
fn chunk_start(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    let text = text.strip_prefix("bytes ").unwrap_or(text);
    let text = text.split('/').next().unwrap_or("");
    let (a, b) = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)))
        .ok_or_else(|| {
            ApiError::from(RegistryError::SizeInvalid(format!(
                "Content-Range {text:?} is not <start>-<end>"
            )))
        })?;
    if a > b {
        return Err(RegistryError::RangeInvalid { size: 0 }.into());
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l != b - a + 1) {
        return Err(RegistryError::SizeInvalid(format!(
            "Content-Range {a}-{b} is {} bytes but Content-Length says {}",
            b - a + 1,
            length.unwrap_or(0)
        ))
        .into());
    }
    Ok(Some(a))
}

fn content_type_ok(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None | Some("application/octet-stream") | Some("") => Ok(()),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BLOB_UPLOAD_INVALID",
            format!("chunks are application/octet-stream, not {other}"),
        )),
    }
}

pub async fn patch(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let (name, repo, _) = pushing(state, caller, raw).await?;
    content_type_ok(req.headers())?;
    let start = chunk_start(req.headers())?;
    let mut body = body_reader(req.into_body());
    let up = match uploads::append(hub, &repo, id, start, &mut body).await {
        Err(RegistryError::RangeInvalid { size }) => {
            return Err(
                ApiError::from(RegistryError::RangeInvalid { size }).with_header(
                    header::LOCATION,
                    format!("/v2/{}/blobs/uploads/{id}", name.raw),
                ),
            )
        }
        other => other?,
    };
    Ok(accepted(StatusCode::ACCEPTED, &name, &up))
}

pub async fn put(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hub = &state.hub;
    let (name, repo, _) = pushing(state, caller, raw).await?;
    let q = query(&req);
    let digest: Digest = query_value(&q, "digest")
        .ok_or_else(|| {
            RegistryError::DigestInvalid(
                "the closing PUT needs ?digest=<digest of the blob>".into(),
            )
        })?
        .parse()?;
    let start = chunk_start(req.headers())?;
    if let Some(s) = start {
        let now = uploads::status(hub, &repo, id).await?;
        if s != now.size {
            return Err(RegistryError::RangeInvalid { size: now.size }.into());
        }
    }
    let mut body = body_reader(req.into_body());
    uploads::finish(hub, &repo, id, &digest, Some(&mut body)).await?;
    Ok(created(&name, &digest))
}

pub async fn status(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let (name, repo, _) = pushing(state, caller, raw).await?;
    let up = uploads::status(&state.hub, &repo, id).await?;
    Ok(accepted(StatusCode::NO_CONTENT, &name, &up))
}

pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let (_, repo, _) = pushing(state, caller, raw).await?;
    uploads::cancel(&state.hub, &repo, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
