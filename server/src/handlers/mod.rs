//! Plain HTTP handlers outside the Leptos app.

pub mod confirm;

/// Liveness for load balancers and the test harness.
pub async fn health() -> &'static str {
    "ok"
}
