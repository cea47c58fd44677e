//! The build trigger URL: a git server's push webhook (GitHub, Gitea, GitLab payloads) or a
//! plain POST from a `post-receive` hook queues the builds whose rules match the pushed ref.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use berth_core::activity::Origin;
use berth_core::builds::{self, TriggerCall, TriggerError};
use serde_json::json;

use crate::state::AppState;

/// Bytes a push payload may have (GitHub caps its own at 25 MB; pushes of many commits are
/// large, but what we read is the ref and the head commit).
pub const BODY_MAX: usize = 5 * 1024 * 1024;

pub async fn trigger(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    origin: Option<Extension<Origin>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let address = origin.and_then(|Extension(o)| o.ip);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let call = TriggerCall {
        body: &body,
        signature_256: header("x-hub-signature-256").or(header("x-berth-signature-256")),
        gitea_signature: header("x-gitea-signature"),
        gitlab_token: header("x-gitlab-token"),
        query_ref: query.get("ref").map(String::as_str),
        address: address.as_deref(),
    };
    let error = |status: StatusCode, message: &str| {
        (status, Json(json!({ "error": message }))).into_response()
    };
    match builds::trigger(&state.hub, &token, call).await {
        Ok(ids) if ids.is_empty() => (
            StatusCode::OK,
            Json(json!({ "queued": 0, "builds": ids, "message": "no enabled build rule matches" })),
        )
            .into_response(),
        Ok(ids) => (
            StatusCode::ACCEPTED,
            Json(json!({ "queued": ids.len(), "builds": ids })),
        )
            .into_response(),
        Err(TriggerError::Unknown) => error(StatusCode::NOT_FOUND, "unknown build trigger"),
        Err(TriggerError::Unauthorized(m)) => error(StatusCode::UNAUTHORIZED, m),
        Err(TriggerError::Refused(m)) => error(StatusCode::TOO_MANY_REQUESTS, &m),
        Err(e @ TriggerError::Limited(retry_after)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after.to_string())],
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
        Err(TriggerError::Internal(e)) => {
            tracing::error!(error = %e, "build trigger failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
