//! Server functions of tag rules, retention and storage limits: each parses its form, calls one
//! `berth_core::lifecycle` function and redirects, so plain HTML forms work.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::{error::AppError, model::RetentionPlanView};

#[cfg(feature = "ssr")]
use crate::ssr::*;

#[cfg(feature = "ssr")]
fn settings_page(full_name: &str, query: &str) -> String {
    format!("/r/{full_name}?tab=settings&section=rules&{query}#tag-rules")
}

/// A whole number from a form field; what is not one is kept as a field error by the domain's
/// range check (-1 is outside every range).
#[cfg(feature = "ssr")]
fn days(value: &str) -> i64 {
    let v = value.trim();
    if v.is_empty() {
        0
    } else {
        v.parse().unwrap_or(-1)
    }
}

#[server(endpoint = "repositories/tag-rules")]
pub async fn save_tag_rules(
    full_name: String,
    immutable_mode: String,
    immutable_pattern: String,
    untagged_days: String,
    keep_last: String,
    keep_pattern: String,
    unpulled_days: String,
) -> Result<(), AppError> {
    use berth_core::lifecycle::{self, Policy};
    let user = require_user().await?;
    let values = [
        ("immutable_mode", immutable_mode.as_str()),
        ("immutable_pattern", immutable_pattern.as_str()),
        ("untagged_days", untagged_days.as_str()),
        ("keep_last", keep_last.as_str()),
        ("keep_pattern", keep_pattern.as_str()),
        ("unpulled_days", unpulled_days.as_str()),
    ];
    let immutable_tags = match immutable_mode.as_str() {
        "all" => "*".to_string(),
        "pattern" if immutable_pattern.trim().is_empty() => {
            return Err(field_refusal(
                "immutable_pattern",
                "Enter the regular expression immutable tags match, for example v[0-9]+.*",
                &values,
            ))
        }
        "pattern" => immutable_pattern.trim().to_string(),
        _ => String::new(),
    };
    let policy = Policy {
        immutable_tags,
        untagged_days: days(&untagged_days),
        keep_last: days(&keep_last),
        keep_pattern: keep_pattern.trim().to_string(),
        unpulled_days: days(&unpulled_days),
    };
    lifecycle::set_policy(&hub()?, &user, &full_name, policy)
        .await
        .map_err(|e| {
            // The pattern field answers for the immutable rule.
            let e = match e {
                berth_core::repositories::RepoError::Invalid(mut f) => {
                    for (field, _) in f.0.iter_mut() {
                        if *field == "immutable_tags" {
                            *field = "immutable_pattern";
                        }
                    }
                    berth_core::repositories::RepoError::Invalid(f)
                }
                other => other,
            };
            repo_error(e, &values)
        })?;
    leptos_axum::redirect(&settings_page(&full_name, "saved=tag-rules"));
    Ok(())
}

#[server(endpoint = "repositories/retention-preview")]
pub async fn retention_preview(full_name: String) -> Result<RetentionPlanView, AppError> {
    let user = require_user().await?;
    let plan = berth_core::lifecycle::preview(&hub()?, &user, &full_name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    Ok(RetentionPlanView {
        items: plan.items.into_iter().map(|i| (i.what, i.rule)).collect(),
        freed: crate::format::size(plan.bytes),
    })
}

#[server(endpoint = "repositories/retention-run")]
pub async fn run_retention(full_name: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::lifecycle::run_retention(&hub()?, &user, &full_name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&settings_page(&full_name, "saved=retention"));
    Ok(())
}

#[server(endpoint = "admin/storage-limit")]
pub async fn set_storage_limit(namespace: String, limit_gb: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let text = limit_gb.trim();
    let limit = if text.is_empty() {
        None
    } else {
        match text.parse::<f64>() {
            Ok(gb) if gb >= 0.0 && gb.is_finite() => Some((gb * 1e9).round() as i64),
            _ => {
                return Err(field_refusal(
                    "limit_gb",
                    "A number of gigabytes (for example 5 or 0.5), or empty for no limit.",
                    &[("namespace", &namespace), ("limit_gb", &limit_gb)],
                ))
            }
        }
    };
    berth_core::lifecycle::set_storage_limit(&hub()?, &user, &namespace, limit)
        .await
        .map_err(|e| repo_error(e, &[("namespace", &namespace), ("limit_gb", &limit_gb)]))?;
    leptos_axum::redirect("/admin/storage?saved=limit");
    Ok(())
}

/// "The namespace acme stores 1.2 GB of its 5.0 GB limit (all its repositories; a layer they
/// share counts once)."
#[cfg(feature = "ssr")]
pub(crate) fn usage_line(namespace: &str, bytes: i64, limit: Option<i64>) -> String {
    let all = "all its repositories; a layer they share counts once";
    match limit {
        Some(l) => format!(
            "The namespace {namespace} stores {} of its {} limit ({all}).",
            crate::format::size(bytes),
            crate::format::size(l)
        ),
        None => format!(
            "The namespace {namespace} stores {} ({all}).",
            crate::format::size(bytes)
        ),
    }
}

/// The settings tab's tag rules, retention log and namespace usage.
#[cfg(feature = "ssr")]
pub(crate) async fn storage_view(
    hub: &berth_core::Hub,
    repo: &berth_core::registry::repos::Repository,
) -> Result<crate::model::StorageView, AppError> {
    use berth_core::{clock, lifecycle};
    let policy = lifecycle::policy(hub, repo).await.map_err(internal)?;
    let (bytes, limit) = lifecycle::namespace_usage(hub, repo.owner_id)
        .await
        .map_err(internal)?;
    let now = clock::now();
    let log = lifecycle::retention_log(hub, repo)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|l| crate::model::RetentionLogItem {
            when: clock::ago(l.at, now),
            what: l.what,
            rule: l.rule,
            freed: crate::format::size(l.bytes),
        })
        .collect();
    let (immutable_mode, immutable_pattern) = match policy.immutable_tags.as_str() {
        "" => ("none", String::new()),
        "*" => ("all", String::new()),
        p => ("pattern", p.to_string()),
    };
    Ok(crate::model::StorageView {
        namespace_usage: usage_line(&repo.namespace, bytes, limit),
        immutable_mode: immutable_mode.into(),
        immutable_pattern,
        untagged_days: policy.untagged_days,
        keep_last: policy.keep_last,
        keep_pattern: policy.keep_pattern,
        unpulled_days: policy.unpulled_days,
        log,
    })
}

/// The administrators' storage page: every namespace by stored bytes, largest first.
#[server(endpoint = "admin/storage")]
pub async fn get_storage_overview(
    sort: Option<String>,
) -> Result<crate::model::StorageOverview, AppError> {
    let user = require_user().await?;
    let by_name = sort.as_deref() == Some("name");
    let (rows, (blobs, bytes)) =
        berth_core::lifecycle::usage_overview(&hub()?, &user, by_name, 500)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    Ok(crate::model::StorageOverview {
        by_name,
        total: format!("{} in {} blobs.", crate::format::size(bytes), blobs),
        rows: rows
            .into_iter()
            .map(|r| crate::model::StorageRow {
                stored: crate::format::size(r.bytes),
                limit: r
                    .limit
                    .map(crate::format::size)
                    .unwrap_or_else(|| "No limit".into()),
                limit_gb: r
                    .limit
                    .map(|l| format!("{}", l as f64 / 1e9))
                    .unwrap_or_default(),
                over: r.limit.is_some_and(|l| r.bytes > l),
                namespace: r.namespace,
            })
            .collect(),
    })
}
