//! Every route of the server, in one place, and the layers around them.

use std::time::Duration;

use app::{shell, App};
use axum::http::{header, HeaderValue};
use axum::{
    middleware::{from_fn, from_fn_with_state},
    routing::get,
    Router,
};
use berth_core::Hub;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::services::ServeDir;
use tower_sessions::SessionManagerLayer;

use crate::{
    handlers,
    middleware::{self, NonceSlot, FORM_BODY_MAX},
    registry,
    sessions::HubSessions,
    state::AppState,
};

pub fn build(state: AppState, sessions: SessionManagerLayer<HubSessions>) -> Router {
    let routes = generate_route_list(App);
    let context = page_context(state.hub.clone());
    let leptos = state.leptos.clone();
    let idle = Duration::from_secs(state.hub.config.idle_timeout_secs);
    let web = Router::new()
        .route("/healthz", get(handlers::health))
        .route("/confirm-email", get(handlers::confirm::confirm_email))
        .route(
            "/confirm-email-change",
            get(handlers::confirm::confirm_email_change),
        )
        .route("/_/{name}", get(handlers::hub_urls::official))
        .route("/r/_/{name}", get(handlers::hub_urls::official))
        .route("/r/{namespace}/{name}/tags", get(handlers::hub_urls::tags))
        .nest("/pkg", pkg_files(&state))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(leptos.clone())
        })
        // Unknown paths render the app's 404 page with the same context as every page.
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(from_fn(middleware::take_flash))
        .layer(from_fn(middleware::request_scope))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::plain_form_redirects,
        ))
        .layer(sessions)
        .layer(from_fn(|req: axum::extract::Request, next| async move {
            if req.uri().path().starts_with("/api/") {
                middleware::limit_body(FORM_BODY_MAX, req, next).await
            } else {
                next.run(req).await
            }
        }))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ));
    web
        // The registry authenticates with bearer tokens, not cookies: no session, no CSRF check,
        // and no body limit on uploads.
        .merge(registry::routes())
        // Called by git servers: no session, no CSRF check (an HMAC signature when a secret is set).
        .route(
            "/hooks/build/{token}",
            axum::routing::post(handlers::builds::trigger).layer(
                axum::extract::DefaultBodyLimit::max(handlers::builds::BODY_MAX),
            ),
        )
        .layer(from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(from_fn(move |req, next| {
            crate::serve::stalled_body(idle, req, next)
        }))
        .layer(from_fn_with_state(state.clone(), middleware::client_origin))
        .layer(from_fn(middleware::log_request))
        .with_state(state)
}

/// What every page render and server function gets: the hub; and the page's script nonce is
/// handed back to the security-headers middleware for the Content-Security-Policy.
fn page_context(hub: Hub) -> impl Fn() + Clone + Send + 'static {
    move || {
        provide_context(hub.clone());
        if let (Some(parts), Some(nonce)) = (
            use_context::<axum::http::request::Parts>(),
            leptos::nonce::use_nonce(),
        ) {
            if let Some(slot) = parts.extensions.get::<NonceSlot>() {
                *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(nonce.to_string());
            }
        }
    }
}

/// The hydration bundle and stylesheet, precompressed by the build (brotli and gzip, chosen by
/// the browser's `Accept-Encoding`). Their names carry a hash of their contents, so browsers
/// keep them for a year; anything else under `/pkg` is revalidated.
fn pkg_files(state: &AppState) -> Router<AppState> {
    let dir = state.hub.config.site_root.join("pkg");
    let hashed = state.leptos.output_name.to_string();
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let immutable = hashed != "berth" && req.uri().path().contains(&format!("/{hashed}"));
            async move {
                let mut res = next.run(req).await;
                let value = if immutable && res.status().is_success() {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
                res
            }
        },
    ))
}
