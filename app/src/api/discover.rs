//! Server functions of search, explore and stars: each calls one `berth_core::discover`
//! function and maps its result for the page.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{SearchView, StarState},
};

#[cfg(feature = "ssr")]
use crate::ssr::*;

/// The star button's state for `viewer` on `repo`.
#[cfg(feature = "ssr")]
pub(super) async fn star_state(
    hub: &berth_core::Hub,
    viewer: Option<&berth_core::accounts::User>,
    repo: &berth_core::registry::repos::Repository,
) -> Result<StarState, berth_core::CoreError> {
    let starred = match viewer {
        Some(u) => berth_core::discover::is_starred(hub, u, repo).await?,
        None => false,
    };
    let hint = match viewer {
        None => Some("Log in to star repositories.".to_string()),
        Some(u) if !u.confirmed => Some("Confirm your email address to star repositories.".into()),
        Some(_) => None,
    };
    Ok(StarState {
        namespace: repo.namespace.clone(),
        name: repo.name.clone(),
        count: repo.star_count,
        starred,
        can_star: hint.is_none(),
        hint,
    })
}

#[cfg(feature = "ssr")]
fn view_of(
    results: berth_core::discover::Results,
    query: String,
    official_only: bool,
    sort: &str,
) -> SearchView {
    use berth_core::discover::{highlight, Sort};
    let words = results.words.clone();
    SearchView {
        hits: results
            .repositories
            .iter()
            .map(|r| crate::model::SearchHit {
                summary: super::repositories::summary(r),
                namespace: highlight(&r.namespace, &words),
                name: highlight(&r.name, &words),
                description: highlight(&r.description, &words),
            })
            .collect(),
        total: results.total,
        page: results.page,
        pages: results.pages,
        query,
        official_only,
        sort: sort.to_string(),
        sorts: Sort::ALL
            .iter()
            .map(|s| (s.key().to_string(), s.label().to_string()))
            .collect(),
    }
}

/// `/search`: one page of repositories the viewer may see that match `q`.
#[server(endpoint = "search")]
pub async fn search_repositories(
    q: String,
    official: bool,
    sort: String,
    page: i64,
) -> Result<SearchView, AppError> {
    use berth_core::{
        access::Subject,
        discover::{self, Query, Sort, PER_PAGE},
    };
    let hub = hub()?;
    let subject = Subject::from_user(current_user().await?);
    let sort = Sort::parse(&sort);
    let query = Query {
        text: q.clone(),
        official_only: official,
        sort,
        page,
        per_page: PER_PAGE,
    };
    let results = discover::search(&hub, &subject, &query)
        .await
        .map_err(core_error)?;
    Ok(view_of(results, q, official, sort.key()))
}

/// `/explore`: public repositories, official images first.
#[server(endpoint = "explore")]
pub async fn explore_repositories(sort: String, page: i64) -> Result<SearchView, AppError> {
    use berth_core::discover::{self, Sort};
    let sort = match Sort::parse(&sort) {
        Sort::BestMatch => Sort::Pulls,
        s => s,
    };
    let results = discover::explore(&hub()?, sort, page)
        .await
        .map_err(core_error)?;
    Ok(view_of(results, String::new(), false, sort.key()))
}

/// Stars (`star` = "1") or unstars a repository. A plain form returns to the repository page;
/// the page's script (`js` set) gets the new state instead.
#[server(endpoint = "repositories/star")]
pub async fn set_star(
    namespace: String,
    name: String,
    star: String,
    js: Option<String>,
) -> Result<StarState, AppError> {
    let hub = hub()?;
    let user = require_user().await?;
    let (repo, starred) =
        berth_core::discover::set_star(&hub, &user, &namespace, &name, star == "1")
            .await
            .map_err(|e| repo_error(e, &[]))?;
    if js.is_none() {
        leptos_axum::redirect(&format!("/r/{}", repo.full_name));
    }
    Ok(StarState {
        count: repo.star_count,
        starred,
        can_star: true,
        hint: None,
        namespace: repo.namespace,
        name: repo.name,
    })
}
