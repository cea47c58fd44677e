//! Server functions of the repository pages: each parses its form, calls one
//! `berth_core::repositories` function and redirects (so plain HTML forms work) or answers.

use leptos::prelude::*;

use crate::{error::AppError, model::RepoView};

#[cfg(feature = "ssr")]
use crate::{model::RepoSummary, ssr::*};

#[cfg(feature = "ssr")]
pub(super) fn summary(r: &berth_core::registry::repos::Repository) -> RepoSummary {
    use berth_core::clock;
    RepoSummary {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        full_name: r.full_name.clone(),
        description: r.description.clone(),
        is_private: r.is_private,
        last_pushed: r.last_pushed_at.map(|t| clock::ago(t, clock::now())),
        last_pushed_exact: r.last_pushed_at.map(clock::format_time),
        pull_count: r.pull_count,
        star_count: r.star_count,
        tag_count: r.tag_count,
        shared: false,
        is_official: r.is_official(),
        is_automated: r.is_automated,
    }
}

/// Where the repository page lives.
#[cfg(feature = "ssr")]
fn page_of(full_name: &str, query: &str) -> String {
    format!("/r/{full_name}{query}")
}

#[server(endpoint = "repositories/create")]
pub async fn create_repository(
    namespace: String,
    name: String,
    description: String,
    visibility: String,
) -> Result<(), AppError> {
    use berth_core::repositories::{self, NewRepo};
    let user = require_user().await?;
    let values = [
        ("namespace", namespace.as_str()),
        ("name", name.as_str()),
        ("description", description.as_str()),
        ("visibility", visibility.as_str()),
    ];
    let repo = repositories::create(
        &hub()?,
        &user,
        NewRepo {
            namespace: &namespace,
            name: &name,
            description: &description,
            private: visibility == "private",
        },
    )
    .await
    .map_err(|e| repo_error(e, &values))?;
    leptos_axum::redirect(&page_of(&repo.full_name, "?created=1"));
    Ok(())
}

/// The repository page's data: the header, and what the open tab shows (the overview, one page
/// of tags, or for owners the settings); the other tabs' data is not loaded.
#[server(endpoint = "repositories/get")]
pub async fn get_repository(
    namespace: String,
    name: String,
    tab: Option<String>,
    sort: Option<String>,
    filter: Option<String>,
    page: Option<i64>,
) -> Result<RepoView, AppError> {
    use berth_core::{
        clock, markdown,
        repositories::{self, Role, TagOrder},
    };
    let hub = hub()?;
    let viewer = current_user().await?;
    let (repo, role) = repositories::open(&hub, viewer.as_ref(), &namespace, &name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let host = hub.config.registry_host();
    let order = match sort.as_deref() {
        Some("name") => TagOrder::Name,
        _ => TagOrder::Newest,
    };
    let filter = filter.unwrap_or_default();
    let tab = tab.as_deref().unwrap_or("overview");
    let can_manage = role.may_manage();
    let tags = if tab == "tags" {
        repositories::tag_page(&hub, &repo, &filter, order, page.unwrap_or(1))
            .await
            .map_err(|e| repo_error(e, &[]))?
    } else {
        repositories::TagPage::default()
    };
    let pull_tag = repositories::pull_tag(&hub, &repo)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let now = clock::now();
    let immutable = if tab == "tags" {
        Some(
            berth_core::lifecycle::immutable_tags(&hub, &repo)
                .await
                .map_err(internal)?,
        )
    } else {
        None
    };
    let items = tags
        .tags
        .iter()
        .map(|t| crate::model::TagItem {
            immutable: immutable.as_ref().is_some_and(|i| i.covers(&t.name)),
            name: t.name.clone(),
            digest: t.digest.clone(),
            short_digest: crate::format::short_digest(&t.digest),
            platforms: crate::format::platforms(&t.platforms),
            size: crate::format::size(t.total_size),
            pushed_ago: clock::ago(t.pushed_at, now),
            pushed_exact: clock::format_time(t.pushed_at),
            pushed_by: t.pushed_by.clone().unwrap_or_default(),
            pull_command: format!("docker pull {host}/{}:{}", repo.full_name, t.name),
            pulls: t.pull_count,
            last_pulled: t.last_pulled_at.map(|at| clock::ago(at, now)),
            last_pulled_exact: t.last_pulled_at.map(clock::format_time),
        })
        .collect();
    let on_settings = can_manage && tab == "settings";
    let org_repo = on_settings
        && repositories::repo_is_org(&hub, &repo)
            .await
            .map_err(internal)?;
    let teams = match &viewer {
        Some(v) if org_repo => {
            let (granted, all) = berth_core::orgs::repository_teams(&hub, v, &repo)
                .await
                .map_err(|e| org_error(e, &[]))?;
            Some(crate::model::RepoTeams {
                granted: granted
                    .into_iter()
                    .map(|(t, p)| (t, p.as_str().to_string(), p.label().to_string()))
                    .collect(),
                all,
            })
        }
        _ => None,
    };
    // Offered only to those who manage the repository's namespace (see `repositories::transfer`).
    let transfer_targets = match &viewer {
        Some(v) if on_settings => {
            let managed = repositories::namespaces_for(&hub, v)
                .await
                .map_err(internal)?;
            if managed.contains(&repo.namespace) {
                managed
                    .into_iter()
                    .filter(|n| *n != repo.namespace)
                    .collect()
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    let webhooks = match &viewer {
        Some(v) if on_settings => berth_core::webhooks::list(&hub, v, &repo.full_name)
            .await
            .map_err(|e| internal(e.to_string()))?
            .iter()
            .map(super::webhooks::item)
            .collect(),
        _ => Vec::new(),
    };
    let stored = if tab == "overview" || on_settings {
        // Read with the repository: no query of its own on the page's path.
        Some(crate::format::size(repo.stored_bytes))
    } else {
        None
    };
    let storage = if on_settings {
        Some(super::lifecycle::storage_view(&hub, &repo).await?)
    } else {
        None
    };
    let collaborators = if on_settings && !org_repo {
        repositories::collaborators(&hub, &repo, role)
            .await
            .map_err(|e| repo_error(e, &[]))?
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    } else {
        Vec::new()
    };
    // The plan is the owning account's: the person's, or the organization's.
    let private_usage = if on_settings && matches!(role, Role::Owner | Role::Editor) {
        let owner = berth_core::accounts::user_by_id(&hub, repo.owner_id)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
        let (used, limit) = repositories::private_usage(&hub, &owner)
            .await
            .map_err(|e| repo_error(e, &[]))?;
        Some(crate::format::private_usage(used, limit))
    } else {
        None
    };
    let star = super::discover::star_state(&hub, viewer.as_ref(), &repo)
        .await
        .map_err(internal)?;
    let chart = if tab == "overview" {
        let days = berth_core::discover::daily_pulls(&hub, &repo, berth_core::discover::CHART_DAYS)
            .await
            .map_err(internal)?;
        Some(crate::model::PullChart {
            total: days.iter().map(|(_, n)| n).sum(),
            days: days
                .into_iter()
                .map(|(day, n)| (clock::format_day(day), n))
                .collect(),
        })
    } else {
        None
    };
    Ok(RepoView {
        star,
        chart,
        pull_command: pull_tag.map(|t| format!("docker pull {host}/{}:{t}", repo.full_name)),
        push_commands: role.may_push().then(|| {
            format!(
                "docker tag my-image {host}/{full}:latest\ndocker push {host}/{full}:latest",
                full = repo.full_name
            )
        }),
        overview_html: if tab == "overview" {
            markdown::to_safe_html(&repo.overview)
        } else {
            String::new()
        },
        overview_source: (can_manage && tab != "tags").then(|| repo.overview.clone()),
        can_manage,
        source_url: berth_core::builds::source_url(&hub, &repo)
            .await
            .map_err(core_error)?,
        collaborators,
        private_usage,
        teams,
        transfer_targets,
        webhooks,
        stored,
        storage,
        tags: crate::model::TagList {
            tags: items,
            total: tags.total,
            page: tags.page,
            pages: tags.pages,
            sort: if order == TagOrder::Name {
                "name"
            } else {
                "newest"
            }
            .into(),
            filter,
        },
        summary: summary(&repo),
    })
}

/// Safe HTML for an overview being edited (the preview).
#[server(endpoint = "repositories/preview")]
pub async fn preview_overview(overview: String) -> Result<String, AppError> {
    require_user().await?;
    Ok(berth_core::markdown::to_safe_html(&overview))
}

#[server(endpoint = "repositories/descriptions")]
pub async fn save_descriptions(
    full_name: String,
    description: String,
    overview: String,
    tab: Option<String>,
) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::set_descriptions(&hub()?, &user, &full_name, &description, &overview)
        .await
        .map_err(|e| repo_error(e, &[("description", &description), ("overview", &overview)]))?;
    // Back to the tab the editor was on: the overview edited in place, or settings.
    let back = match tab.as_deref() {
        Some("overview") => "?saved=descriptions",
        _ => "?tab=settings&section=general&saved=descriptions",
    };
    leptos_axum::redirect(&page_of(&full_name, back));
    Ok(())
}

#[server(endpoint = "repositories/visibility")]
pub async fn set_visibility(
    full_name: String,
    visibility: String,
    confirm_name: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::set_visibility(
        &hub()?,
        &user,
        &full_name,
        visibility == "private",
        &confirm_name,
    )
    .await
    .map_err(|e| repo_error(e, &[("visibility", &visibility)]))?;
    leptos_axum::redirect(&page_of(
        &full_name,
        "?tab=settings&section=general&saved=visibility",
    ));
    Ok(())
}

#[server(endpoint = "repositories/delete-tag")]
pub async fn delete_tag(full_name: String, tag: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::delete_tag(&hub()?, &user, &full_name, &tag, &origin())
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&page_of(
        &full_name,
        &format!("?tab=tags&deleted={}", crate::url::query_value(&tag)),
    ));
    Ok(())
}

#[server(endpoint = "repositories/add-collaborator")]
pub async fn add_collaborator(full_name: String, username: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::add_collaborator(&hub()?, &user, &full_name, &username)
        .await
        .map_err(|e| repo_error(e, &[("username", &username)]))?;
    leptos_axum::redirect(&page_of(
        &full_name,
        "?tab=settings&section=access&saved=collaborators",
    ));
    Ok(())
}

#[server(endpoint = "repositories/remove-collaborator")]
pub async fn remove_collaborator(full_name: String, username: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::remove_collaborator(&hub()?, &user, &full_name, &username)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&page_of(
        &full_name,
        "?tab=settings&section=access&saved=collaborators",
    ));
    Ok(())
}

#[server(endpoint = "repositories/delete")]
pub async fn delete_repository(full_name: String, confirm: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::repositories::delete(&hub()?, &user, &full_name, &confirm, &origin())
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect(&format!("/?deleted={full_name}"));
    Ok(())
}

/// The namespaces the user may create repositories in, their own first.
#[server(endpoint = "repositories/namespaces")]
pub async fn my_namespaces() -> Result<Vec<String>, AppError> {
    let user = require_user().await?;
    berth_core::repositories::namespaces_for(&hub()?, &user)
        .await
        .map_err(internal)
}

/// The dashboard's list: the repositories of the chosen namespace (the user's own and those
/// they collaborate on, or an organization's they belong to) whose name contains `filter`, most
/// recently pushed first or by name (`sort=name`); empty when logged out (the home page asks
/// before it knows who is there).
#[server(endpoint = "repositories/mine")]
pub async fn my_repositories(
    filter: Option<String>,
    ns: Option<String>,
    sort: Option<String>,
) -> Result<crate::model::DashboardRepos, AppError> {
    let Some(user) = current_user().await? else {
        return Ok(Default::default());
    };
    let by_name = sort.as_deref() == Some("name");
    let d = berth_core::repositories::dashboard(&hub()?, &user, ns.as_deref(), by_name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let filter = filter.unwrap_or_default().trim().to_lowercase();
    let personal = d.namespace == user.username;
    Ok(crate::model::DashboardRepos {
        repos: d
            .repositories
            .iter()
            .filter(|r| filter.is_empty() || r.full_name.contains(&filter))
            .map(|r| RepoSummary {
                shared: personal && r.owner_id != user.id,
                ..summary(r)
            })
            .collect(),
        namespaces: d.namespaces,
        namespace: d.namespace,
    })
}

/// The tag page: the index digest and platform switcher of a multi-platform image, and the
/// chosen platform's image: configuration, build steps with the size of each layer, layers.
#[server(endpoint = "repositories/tag")]
pub async fn get_tag(
    namespace: String,
    name: String,
    tag: String,
    platform: Option<String>,
) -> Result<crate::model::TagView, AppError> {
    use crate::{
        format,
        model::{PlatformLink, TagView},
    };
    use berth_core::{clock, repositories};
    let hub = hub()?;
    let viewer = current_user().await?;
    let (repo, role) = repositories::open(&hub, viewer.as_ref(), &namespace, &name)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let detail = repositories::tag_detail(&hub, &repo, &tag)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let host = hub.config.registry_host();
    let label = |i: &repositories::Image| {
        i.platform
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let chosen = platform
        .as_deref()
        .and_then(|p| detail.images.iter().position(|i| label(i) == p))
        .unwrap_or(0);
    let base = format!("/r/{}/tags/{}", repo.full_name, detail.tag.name);
    let platforms = if detail.images.len() > 1 {
        detail
            .images
            .iter()
            .enumerate()
            .map(|(n, i)| PlatformLink {
                label: label(i),
                href: format!("{base}?platform={}", crate::url::query_value(&label(i))),
                current: n == chosen,
            })
            .collect()
    } else {
        Vec::new()
    };
    let source_commit = berth_core::builds::tag_commit(&hub, &repo, &detail.tag.name)
        .await
        .map_err(core_error)?;
    // Build pages are for those who manage the repository.
    let source_build = match (&source_commit, role.may_manage()) {
        (Some(_), true) => berth_core::builds::built_by(&hub, &repo, &detail.tag.digest)
            .await
            .map_err(core_error)?
            .map(|id| format!("/r/{}/builds/{id}", repo.full_name)),
        _ => None,
    };
    let immutable = berth_core::lifecycle::immutable_tags(&hub, &repo)
        .await
        .map_err(internal)?
        .covers(&detail.tag.name);
    Ok(TagView {
        immutable,
        pull_command: format!("docker pull {host}/{}:{}", repo.full_name, detail.tag.name),
        namespace: repo.namespace.clone(),
        name: repo.name.clone(),
        full_name: repo.full_name.clone(),
        tag: detail.tag.name.clone(),
        is_private: repo.is_private,
        can_manage: role.may_manage(),
        digest: detail.tag.digest.clone(),
        index_digest: detail.index_digest.clone(),
        media_type: detail.tag.media_type.clone(),
        pushed_ago: clock::ago(detail.tag.pushed_at, clock::now()),
        pushed_exact: clock::format_time(detail.tag.pushed_at),
        pushed_by: detail.tag.pushed_by.clone().unwrap_or_default(),
        platforms,
        image: detail.images.get(chosen).map(format::image_view),
        source_build,
        source_commit,
    })
}
