//! All SQL lives here, one module per table. Functions take any executor (pool or transaction).

pub mod access_tokens;
pub mod activity;
pub mod blobs;
pub mod builds;
pub mod collaborators;
pub mod copy;
pub mod discover;
pub mod jobs;
pub mod lifecycle;
pub mod manifests;
pub mod orgs;
pub mod rate;
pub mod repositories;
pub mod settings;
pub mod tags;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod webhooks;

/// `%text%` for a case-insensitive LIKE on `LOWER(column)`, with LIKE's own wildcards in `text`
/// taken literally (used with `ESCAPE '\\'`).
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `$first, $first+1, …` for `n` bound values (an `IN (…)` list).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
