//! Server functions of automated builds: each parses its form, calls one `berth_core::builds`
//! function and redirects, so plain HTML forms work.
// A plain form's fields are a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{BuildView, BuildsView, LogChunk},
};

#[cfg(feature = "ssr")]
use crate::{
    model::{BuildItem, BuildRuleItem, BuildSourceItem},
    ssr::*,
};

#[cfg(feature = "ssr")]
fn builds_page(full_name: &str, query: &str) -> String {
    format!("/r/{full_name}/builds{query}")
}

#[cfg(feature = "ssr")]
fn item(b: berth_core::builds::Build) -> BuildItem {
    use berth_core::clock;
    let now = clock::now();
    let duration = b
        .started_at
        .map(|s| clock::duration_words(b.finished_at.unwrap_or(now) - s));
    BuildItem {
        id: b.id,
        status: b.status.as_str().into(),
        finished: b.status.finished(),
        cause: if b.cause == "manual" {
            "Build now".into()
        } else {
            "Pushed to the git repository".into()
        },
        created: clock::format_time(b.created_at),
        created_ago: clock::ago(b.created_at, now),
        duration,
        source_ref: b.source_ref,
        docker_tag: b.docker_tag,
        commit: b.commit,
        commit_message: b.commit_message,
        error: b.error,
        digest: b.digest,
        dockerfile: b.dockerfile,
        context: b.context,
    }
}

/// The Builds page.
#[server(endpoint = "builds/get")]
pub async fn get_builds(
    namespace: String,
    name: String,
    status: Option<String>,
) -> Result<BuildsView, AppError> {
    use berth_core::builds::{self, Notify};
    let user = require_user().await?;
    let full_name = format!("{namespace}/{name}");
    let status = status.as_deref().and_then(builds::history_filter);
    let o = builds::overview(&hub()?, &user, &full_name, status)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    Ok(BuildsView {
        full_name: o.repo.full_name.clone(),
        source: o.source.map(|s| BuildSourceItem {
            git_url: s.git_url,
            has_token: s.has_token,
            trigger_url: s.trigger_url,
            has_hook_secret: s.has_hook_secret,
            notify: s.notify.as_str().into(),
            readme: s.readme,
        }),
        rules: o
            .rules
            .into_iter()
            .map(|r| BuildRuleItem {
                id: r.id,
                source_type: r.source_type,
                source: r.source,
                is_regex: r.is_regex,
                docker_tag: r.docker_tag,
                dockerfile: r.dockerfile,
                context: r.context,
                build_args: r.build_args,
                enabled: r.enabled,
            })
            .collect(),
        builds: o.builds.into_iter().map(item).collect(),
        engine_here: o.engine_here,
        notify_choices: Notify::CHOICES
            .iter()
            .map(|n| (n.as_str().into(), n.label().into()))
            .collect(),
        status: status.map(String::from),
    })
}

#[server(endpoint = "builds/source")]
pub async fn save_build_source(
    full_name: String,
    git_url: String,
    token: String,
    remove_token: Option<String>,
    hook_secret: String,
    remove_hook_secret: Option<String>,
    notify: String,
    readme: Option<String>,
) -> Result<(), AppError> {
    use berth_core::builds::{self, SourceForm};
    let user = require_user().await?;
    builds::save_source(
        &hub()?,
        &user,
        &full_name,
        SourceForm {
            git_url: &git_url,
            token: &token,
            remove_token: remove_token.is_some(),
            hook_secret: &hook_secret,
            remove_hook_secret: remove_hook_secret.is_some(),
            notify: &notify,
            readme: readme.is_some(),
        },
    )
    .await
    .map_err(|e| repo_error(e, &[("git_url", &git_url), ("notify", &notify)]))?;
    leptos_axum::redirect(&builds_page(&full_name, "?saved=source"));
    Ok(())
}

#[server(endpoint = "builds/unlink")]
pub async fn unlink_build_source(full_name: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::builds::unlink(&hub()?, &user, &full_name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&builds_page(&full_name, "?saved=unlinked"));
    Ok(())
}

#[server(endpoint = "builds/trigger")]
pub async fn regenerate_build_trigger(full_name: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::builds::regenerate_trigger(&hub()?, &user, &full_name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&builds_page(&full_name, "?saved=trigger#trigger"));
    Ok(())
}

#[server(endpoint = "builds/rule")]
pub async fn save_build_rule(
    full_name: String,
    id: i64,
    source_type: String,
    source: String,
    is_regex: Option<String>,
    docker_tag: String,
    dockerfile: String,
    context: String,
    build_args: String,
    enabled: Option<String>,
) -> Result<(), AppError> {
    use berth_core::builds::{self, RuleForm};
    let user = require_user().await?;
    builds::save_rule(
        &hub()?,
        &user,
        &full_name,
        id,
        RuleForm {
            source_type: &source_type,
            source: &source,
            is_regex: is_regex.is_some(),
            docker_tag: &docker_tag,
            dockerfile: &dockerfile,
            context: &context,
            build_args: &build_args,
            enabled: enabled.is_some(),
        },
    )
    .await
    .map_err(|e| {
        repo_error(
            e,
            &[
                ("source_type", &source_type),
                ("source", &source),
                ("docker_tag", &docker_tag),
                ("dockerfile", &dockerfile),
                ("context", &context),
                ("build_args", &build_args),
            ],
        )
    })?;
    leptos_axum::redirect(&builds_page(&full_name, "?saved=rule#rules"));
    Ok(())
}

#[server(endpoint = "builds/rule-delete")]
pub async fn delete_build_rule(full_name: String, id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::builds::delete_rule(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&builds_page(&full_name, "?saved=rule-deleted#rules"));
    Ok(())
}

#[server(endpoint = "builds/now")]
pub async fn build_now(full_name: String, rule: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = berth_core::builds::build_now(&hub()?, &user, &full_name, rule)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&builds_page(&full_name, &format!("/{id}")));
    Ok(())
}

#[server(endpoint = "builds/cancel")]
pub async fn cancel_build(full_name: String, id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::builds::cancel(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&builds_page(&full_name, &format!("/{id}?saved=cancel")));
    Ok(())
}

/// One build with its log.
#[server(endpoint = "builds/build")]
pub async fn get_build(namespace: String, name: String, id: i64) -> Result<BuildView, AppError> {
    let user = require_user().await?;
    let full_name = format!("{namespace}/{name}");
    let (build, log) = berth_core::builds::get(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    Ok(BuildView {
        full_name,
        build: item(build),
        log_len: log.chars().count() as i64,
        log,
    })
}

/// The log after character `from` of a running build (the page follows it with JavaScript).
#[server(endpoint = "builds/log")]
pub async fn build_log(full_name: String, id: i64, from: i64) -> Result<LogChunk, AppError> {
    let user = require_user().await?;
    let (build, text, next) = berth_core::builds::log_since(&hub()?, &user, &full_name, id, from)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    Ok(LogChunk {
        text,
        next,
        build: item(build),
    })
}
