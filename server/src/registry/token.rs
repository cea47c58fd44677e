//! The token endpoint (`/token`): Docker's GET form with Basic credentials, and the OAuth2 POST
//! form (`password` and `refresh_token` grants) that containerd tries first.

use axum::Extension;
use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use berth_core::{
    activity::Origin,
    registry::access::{self, Credentials, Issued},
};
use serde_json::json;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::errors::ApiError;
use crate::state::AppState;

fn pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn values<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// `GET /token?service=..&scope=..[&offline_token=true]`, Basic credentials optional.
pub async fn get(
    State(state): State<AppState>,
    Extension(origin): Extension<Origin>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = pairs(query.as_deref().unwrap_or(""));
    let scopes = access::parse_scopes(values(&q, "scope"));
    let offline = values(&q, "offline_token").any(|v| v == "true");
    let creds = basic_credentials(&headers);
    let credentials = match &creds {
        Some((login, password)) => Credentials::Password { login, password },
        None => Credentials::Anonymous,
    };
    match access::issue(&state.hub, credentials, &scopes, offline, &origin).await {
        Ok(issued) => answer(&issued, false),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /token` with an OAuth2 form.
pub async fn post(
    State(state): State<AppState>,
    Extension(origin): Extension<Origin>,
    body: Bytes,
) -> Response {
    let form = pairs(&String::from_utf8_lossy(&body));
    let field = |k: &'static str| values(&form, k).next().unwrap_or("");
    let scopes = access::parse_scopes(values(&form, "scope"));
    let offline = field("access_type") == "offline";
    let credentials = match field("grant_type") {
        "password" => Credentials::Password {
            login: field("username"),
            password: field("password"),
        },
        "refresh_token" => Credentials::Refresh(field("refresh_token")),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "error": "unsupported_grant_type",
                    "error_description": format!("grant_type {other:?} is not supported; use password or refresh_token"),
                })),
            )
                .into_response()
        }
    };
    match access::issue(&state.hub, credentials, &scopes, offline, &origin).await {
        Ok(issued) => answer(&issued, true),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn answer(issued: &Issued, oauth: bool) -> Response {
    let issued_at = OffsetDateTime::from_unix_timestamp(issued.issued_at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let mut body = json!({
        "token": issued.token,
        "access_token": issued.token,
        "expires_in": issued.expires_in,
        "issued_at": issued_at,
    });
    if oauth {
        body["scope"] = json!(issued.scope);
    }
    if let Some(r) = &issued.refresh_token {
        body["refresh_token"] = json!(r);
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
