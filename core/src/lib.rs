//! Berth's domain, kept out of the UI: accounts, one-time tokens, mail, the registry,
//! configuration and all SQL.
//!
//! Layering: callers (server functions in `app`, handlers in `server`) call the service modules
//! (`accounts`, `mail`, `registry`); services call `store`, the only place SQL lives.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod builds;
pub mod clock;
pub mod config;
pub mod db;
pub mod discover;
pub mod error;
pub mod hub;
pub mod jobs;
pub mod lifecycle;
pub mod mail;
pub mod markdown;
pub mod orgs;
pub mod rate;
pub mod registry;
pub mod repositories;
pub mod secrets;
pub(crate) mod store;
#[doc(hidden)]
pub mod testing;
pub mod tokens;
pub mod transfer;
pub mod webhooks;

pub use config::Config;
pub use error::CoreError;
pub use hub::Hub;
