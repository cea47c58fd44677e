//! Request logging, cross-site refusal, body limits for forms, the redirects and one-time errors
//! of plain form posts, and security headers.

use std::time::Instant;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine;

use crate::state::AppState;

/// One line per request. The query string is left out: it may hold a one-time token.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    tracing::info!(
        target: "berth::http",
        %method,
        %path,
        status = res.status().as_u16(),
        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    res
}

/// CSRF defence for state-changing browser requests: besides SameSite=Lax session cookies, a
/// request whose `Origin` is another site (or that the browser marks `Sec-Fetch-Site: cross-site`)
/// is refused before it reaches a form handler.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let own = origin == state.hub.config.public_url
                || origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"))
                    == Some(host);
            !own
        });
    if cross_site || foreign_origin {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            Body::from("Cross-site request refused. Submit the form from Berth's own pages."),
        )
            .into_response();
    }
    next.run(req).await
}

/// Largest body of a web form post: descriptions with a 25,000-character overview fit
/// (percent-encoded, up to 12 bytes a character), anything else is far smaller.
pub const FORM_BODY_MAX: usize = 320 * 1024;
/// Largest body of a `/token` request (an OAuth2 form with a password or refresh token).
pub const TOKEN_BODY_MAX: usize = 16 * 1024;

/// Whether the request comes from a plain HTML form (no JavaScript): browsers send
/// `Accept: text/html` for those, the app's fetch client does not.
fn from_plain_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// How much of a refused oversized body is read and thrown away before answering, so that the
/// client, still sending, receives the 413 instead of a reset connection. Beyond this the
/// connection is simply closed.
const DRAIN_MAX: u64 = 64 << 20;

/// Reads a small request body whole, up to `max` bytes; a larger one is answered 413 with a
/// page (plain forms), the app's error JSON (the hydrated app) or registry JSON (`/token`).
pub async fn limit_body(max: usize, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut fits = declared.is_none_or(|n| n <= max as u64);
    let mut read = 0u64;
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let Ok(chunk) = chunk else {
            return (
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
                .into_response();
        };
        read += chunk.len() as u64;
        if fits && buf.len() + chunk.len() <= max {
            buf.extend_from_slice(&chunk);
        } else {
            fits = false;
            buf = Vec::new();
            if read > DRAIN_MAX {
                break;
            }
        }
    }
    if !fits {
        let mut res = too_large(parts.uri.path(), &parts.headers, max);
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return res;
    }
    next.run(Request::from_parts(parts, Body::from(buf))).await
}

fn too_large(path: &str, headers: &axum::http::HeaderMap, max: usize) -> Response {
    let limit = if max >= 1024 * 1024 {
        format!("{} MiB", max / (1024 * 1024))
    } else {
        format!("{} KiB", max / 1024)
    };
    let message = format!("This request is too large: at most {limit} can be sent here.");
    tracing::warn!(%path, max, "request body too large");
    if path == "/token" {
        let body = serde_json::json!({
            "errors": [{ "code": "SIZE_INVALID", "message": message }]
        });
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    if from_plain_form(headers) {
        let css = crate::state::stylesheet_href();
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large · Berth</title>\
             <link rel=\"stylesheet\" href=\"{css}\"></head><body><main class=\"site-main\">\
             <section class=\"auth-card\"><h1>That was too much</h1><p>{message} Go back, shorten what you typed, and send it again.</p>\
             <p><a href=\"/\">Back to Berth</a></p></section></main></body></html>"
        );
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response();
    }
    let error = app::error::AppError::Form {
        message: Some(message),
        fields: vec![],
        values: vec![],
    };
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response()
}

/// Query parameters of success notices: dropped from the page a refused form returns to, so an
/// earlier "Saved." does not stand above the new refusal.
const NOTICE_PARAMS: &[&str] = &[
    "saved",
    "deleted",
    "created",
    "resent",
    "reset",
    "sent",
    "confirmed",
];

/// Plain form posts to `/api/…` end in a redirect. This keeps it on Berth: a target that is not
/// one of Berth's own paths (a foreign `Referer`, say) becomes `/`. A refused form's error
/// (which the server-function machinery would put in the URL) is taken out of the URL and kept
/// in the session as a one-time flash for the page (see `app::flash`).
pub async fn plain_form_redirects(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST || !from_plain_form(req.headers()) {
        return next.run(req).await;
    }
    let own = own_origins(&state, req.headers());
    let mut res = next.run(req).await;
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return res;
    };
    let Some(mut target) = own_path(&location, &own) else {
        res.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
        return res;
    };
    let mut query: Vec<(String, String)> = target
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let err = take(&mut query, "__err");
    let action = take(&mut query, "__path");
    let refused = err.is_some() && action.is_some();
    if let (Some(err), Some(action)) = (err, action) {
        query.retain(|(k, _)| !NOTICE_PARAMS.contains(&k.as_str()));
        let error = base64::engine::general_purpose::URL_SAFE
            .decode(err.as_bytes())
            .map(|bytes| {
                <app::error::AppError as leptos::server_fn::error::FromServerFnError>::de(
                    bytes.into(),
                )
            })
            .unwrap_or(app::error::AppError::Internal);
        let flash = app::flash::FormFlash {
            page: target.path().to_string(),
            action,
            error,
        };
        if let Err(e) = session.insert(app::flash::SESSION_KEY, flash).await {
            tracing::error!(error = %e, "could not keep a form's error in the session");
        }
        // A visitor's session made only to carry this error is kept ten minutes, not two weeks:
        // failed forms must not fill the session table.
        if matches!(
            session.get::<serde_json::Value>(app::ssr::AUTH_KEY).await,
            Ok(None)
        ) {
            session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::minutes(10),
            )));
        }
    }
    if query.is_empty() {
        target.set_query(None);
    } else {
        target.query_pairs_mut().clear().extend_pairs(&query);
    }
    let mut path = match target.query() {
        Some(q) => format!("{}?{q}", target.path()),
        None => target.path().to_string(),
    };
    // A refused form: back to the form itself (its error shows there, with the `refused`
    // anchor), otherwise to the section of the page the redirect names, if any.
    if refused {
        path.push_str("#refused");
    } else if let Some(fragment) = target.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    if let Ok(v) = HeaderValue::from_str(&path) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn take(query: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let i = query.iter().position(|(k, _)| k == key)?;
    Some(query.remove(i).1)
}

/// The origins Berth answers as: its public URL, and the `Host` the request came to.
fn own_origins(state: &AppState, headers: &axum::http::HeaderMap) -> Vec<url::Origin> {
    let mut origins = Vec::new();
    if let Ok(u) = url::Url::parse(&state.hub.config.public_url) {
        origins.push(u.origin());
    }
    if let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) {
        for scheme in ["http", "https"] {
            if let Ok(u) = url::Url::parse(&format!("{scheme}://{host}/")) {
                origins.push(u.origin());
            }
        }
    }
    origins
}

/// `location` as a URL on one of Berth's own origins, or `None` if it points anywhere else.
fn own_path(location: &str, own: &[url::Origin]) -> Option<url::Url> {
    let base = own.first()?.ascii_serialization();
    let base = url::Url::parse(&format!("{base}/")).ok()?;
    // Relative paths resolve against Berth; `//host/…` and absolute URLs keep their own origin.
    let url = base.join(location).ok()?;
    own.contains(&url.origin()).then_some(url)
}

/// Where the request comes from (client address and agent), for rate limits and the activity
/// log: the peer address, or the `X-Forwarded-For` entry set by a trusted proxy.
pub async fn client_origin(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = |ip: std::net::IpAddr| {
        state
            .hub
            .config
            .trusted_proxies
            .iter()
            .any(|r| r.contains(ip))
    };
    let mut ip = peer;
    if let Some(p) = peer.filter(|p| trusted(*p)) {
        ip = Some(p);
        // The nearest hop a trusted proxy did not add is the client.
        let forwarded: Vec<std::net::IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        for hop in forwarded.iter().rev() {
            ip = Some(*hop);
            if !trusted(*hop) {
                break;
            }
        }
    }
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect());
    req.extensions_mut().insert(berth_core::activity::Origin {
        ip: ip.map(|i| i.to_string()),
        agent,
    });
    next.run(req).await
}

/// State that lives for one request: the user looked up once for all of a page's parts.
pub async fn request_scope(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(app::ssr::UserCache::default());
    next.run(req).await
}

/// Page loads: a pending form error moves from the session onto this request (and so onto the
/// page it renders), once.
pub async fn take_flash(
    session: tower_sessions::Session,
    mut req: Request,
    next: Next,
) -> Response {
    if req.method() == Method::GET && from_plain_form(req.headers()) {
        // Read first: removing marks the session changed, and a changed session is written
        // back, which must not happen on every page view.
        match session
            .get::<app::flash::FormFlash>(app::flash::SESSION_KEY)
            .await
        {
            Ok(Some(flash)) => {
                if let Err(e) = session
                    .remove::<app::flash::FormFlash>(app::flash::SESSION_KEY)
                    .await
                {
                    tracing::warn!(error = %e, "could not clear a form error from the session");
                }
                req.extensions_mut().insert(flash);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read a form error from the session"),
        }
    }
    next.run(req).await
}

/// The nonce Leptos gives the page's scripts, passed from the render back to
/// [`security_headers`] for the Content-Security-Policy header.
#[derive(Clone, Default)]
pub struct NonceSlot(pub std::sync::Arc<std::sync::Mutex<Option<String>>>);

/// Headers every response gets: no sniffing, no framing, referrers only to Berth itself, HSTS
/// under https; and for pages a Content-Security-Policy that runs only Berth's own scripts (the
/// hydration script by its nonce) and styles.
pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let slot = NonceSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if state.hub.config.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let nonce = slot.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let policy = match (is_html, nonce) {
        // Overviews may show images from anywhere (badges), never scripts or styles.
        (true, Some(n)) => format!(
            "default-src 'self'; script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src * data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        (true, None) => {
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src * data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                .to_string()
        }
        (false, _) => "default-src 'none'; frame-ancestors 'none'".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}
