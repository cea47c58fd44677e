//! Plain HTTP handlers outside the Leptos app.

pub mod builds;
pub mod confirm;
pub mod hub_urls;

/// Liveness for load balancers and the test harness.
pub async fn health() -> &'static str {
    "ok"
}
