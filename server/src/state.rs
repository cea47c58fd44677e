use std::net::SocketAddr;

use axum::extract::FromRef;
use berth_core::Hub;
use leptos::prelude::LeptosOptions;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub hub: Hub,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(hub: Hub, addr: SocketAddr) -> Self {
        let leptos = LeptosOptions::builder()
            .output_name(output_name(&hub))
            .site_root(hub.config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        AppState { hub, leptos }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

/// The bundle's file names: `berth.HASH` when the build hashed them (it writes the hash to
/// `pkg/assets.hash`), plain `berth` otherwise.
fn output_name(hub: &Hub) -> String {
    let name = match std::fs::read_to_string(hub.config.site_root.join("pkg").join("assets.hash")) {
        Ok(hash) if !hash.trim().is_empty() => format!("berth.{}", hash.trim()),
        _ => "berth".to_string(),
    };
    let _ = STYLESHEET.set(format!("/pkg/{name}.css"));
    name
}

/// The stylesheet's address, for the few pages built outside Leptos (a 413).
static STYLESHEET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn stylesheet_href() -> &'static str {
    STYLESHEET.get().map_or("/pkg/berth.css", String::as_str)
}
