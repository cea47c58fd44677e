//! The domain's tests, one binary: each module opens a fresh hub per test (SQLite, or
//! PostgreSQL and S3 in `make test`'s second pass).

mod access;
mod accounts;
mod discover;
mod repositories;
mod security;
