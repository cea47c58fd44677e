//! The server's integration tests, as one test binary (linked once): the running server over
//! HTTP, the registry with real clients (docker, skopeo), mail through a real SMTP server, and
//! the `berth` binary as a process. `replicas` and `migrate_data` need the PostgreSQL and S3
//! servers of `make test`'s second pass, so they are ignored unless asked for
//! (`scripts/test-scale.sh` runs them with `--ignored`).

mod common;

mod big_blob;
mod builds;
mod discover;
mod docker;
mod full_disk;
mod hardening;
mod http;
mod https;
mod lifecycle;
mod migrate_data;
mod orgs;
mod registry;
mod replicas;
mod repo_pages;
mod robustness;
mod security;
mod skopeo;
mod smtp;
mod webhooks;
