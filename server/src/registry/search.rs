//! `GET /v1/search`, what `docker search HOST/TERM` asks (Docker Hub's index API), and
//! `GET /v1/_ping`, which the docker daemon calls first.

use axum::{
    extract::{Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use berth_core::{
    access::Subject,
    activity::Origin,
    discover::{self, Query, Sort, PER_PAGE, PER_PAGE_MAX},
    registry::{access, RegistryError},
};
use serde_json::json;

use super::{auth::Caller, errors::ApiError, token::basic_credentials};
use crate::state::AppState;

pub async fn ping() -> Response {
    Json(json!({ "standalone": true })).into_response()
}

/// `q` (the term), `n` (results per page, 1 to 100, 25 by default) and `page`. Docker sends
/// Basic credentials when logged in with a password, or a bearer token when it holds a saved
/// login; either shows the private repositories the account may see.
pub async fn search(State(state): State<AppState>, req: Request) -> Response {
    let hub = &state.hub;
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let number = |k: &str, default: i64, max: i64| match param(k) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("{k} must be a whole number from 1 to {max}, not {v:?}")),
    };
    let (per_page, page) = match (
        number("n", PER_PAGE, PER_PAGE_MAX),
        number("page", 1, i64::MAX),
    ) {
        (Ok(n), Ok(p)) => (n, p),
        (Err(why), _) | (_, Err(why)) => return bad_request(&why),
    };
    // Read what the request says before the first await (a request is not `Sync`).
    let basic = basic_credentials(req.headers());
    let origin = req
        .extensions()
        .get::<Origin>()
        .cloned()
        .unwrap_or_default();
    let bearer = basic.is_none().then(|| Caller::from_request(hub, &req));
    drop(req);
    let subject = match subject(&state, basic, origin, bearer).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let text = param("q").unwrap_or("").to_string();
    let query = Query {
        text: text.clone(),
        official_only: false,
        sort: Sort::BestMatch,
        page,
        per_page,
    };
    let results = match discover::search(hub, &subject, &query).await {
        Ok(r) => r,
        Err(berth_core::CoreError::Busy) => {
            return ApiError::from(RegistryError::TooManyRequests(
                "too many searches at once; try again in a moment".into(),
            ))
            .into_response()
        }
        Err(e) => return ApiError::from(RegistryError::from(e)).into_response(),
    };
    let items: Vec<_> = results
        .repositories
        .iter()
        .map(|r| {
            json!({
                "name": r.short_name(),
                "description": r.description,
                "star_count": r.star_count,
                "pull_count": r.pull_count,
                "is_official": r.is_official(),
                "is_automated": r.is_automated,
            })
        })
        .collect();
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "query": text,
            "num_results": results.total,
            "num_pages": results.pages,
            "page": results.page,
            "page_size": results.per_page,
            "results": items,
        })),
    )
        .into_response()
}

async fn subject(
    state: &AppState,
    basic: Option<(String, String)>,
    origin: Origin,
    bearer: Option<Result<Caller, ApiError>>,
) -> Result<Subject, ApiError> {
    let hub = &state.hub;
    if let Some((login, password)) = basic {
        return Ok(access::subject_for_password(hub, &login, &password, &origin).await?);
    }
    match bearer {
        Some(caller) => caller?.subject(hub).await,
        None => Ok(Subject::Anonymous),
    }
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "message": message })),
    )
        .into_response()
}
