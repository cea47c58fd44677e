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
            .output_name("berth")
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
