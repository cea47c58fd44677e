//! Every route of the server, in one place.

use app::{shell, App};
use axum::http::{header, HeaderValue};
use axum::{middleware::from_fn_with_state, routing::get, Router};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler, generate_route_list, LeptosRoutes};
use tower_http::{services::ServeDir, set_header::SetResponseHeader};
use tower_sessions::SessionManagerLayer;

use crate::{handlers, middleware, registry, sessions::HubSessions, state::AppState};

pub fn build(state: AppState, sessions: SessionManagerLayer<HubSessions>) -> Router {
    let routes = generate_route_list(App);
    let hub = state.hub.clone();
    let leptos = state.leptos.clone();
    Router::new()
        .route("/healthz", get(handlers::health))
        .route("/confirm-email", get(handlers::confirm::confirm_email))
        .nest_service("/pkg", pkg_files(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(hub.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ))
        // The registry authenticates with bearer tokens, not cookies: no session, no CSRF check.
        .merge(registry::routes())
        .layer(axum::middleware::from_fn(middleware::log_request))
        .with_state(state)
}

/// The hydration bundle and stylesheet, gzip-precompressed by the build. Their names do not
/// change between builds, so browsers revalidate rather than cache them for long.
fn pkg_files(state: &AppState) -> SetResponseHeader<ServeDir, HeaderValue> {
    let dir = state.hub.config.site_root.join("pkg");
    SetResponseHeader::overriding(
        ServeDir::new(dir).precompressed_gzip(),
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    )
}
