//! The domain's tests, one binary: each module opens a fresh hub per test (SQLite, or
//! PostgreSQL and S3 in `make test`'s second pass).

mod access;
mod accounts;
mod discover;
mod lifecycle;
mod orgs;
mod repositories;
mod security;
mod webhooks;

/// A new account on `hub`, confirmed or not, administrator or not (password `s3cret-pass`).
pub async fn account(
    hub: &berth_core::Hub,
    name: &str,
    confirmed: bool,
    admin: bool,
) -> berth_core::accounts::User {
    berth_core::accounts::register(
        hub,
        berth_core::accounts::NewAccount {
            username: name,
            email: &format!("{name}@example.com"),
            password: "s3cret-pass",
        },
        confirmed,
        admin,
    )
    .await
    .unwrap()
}
