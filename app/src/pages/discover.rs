//! `/search` and `/explore`: finding repositories.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{explore_repositories, search_repositories},
    components::{
        count, AutomatedBadge, LiveSearch, OfficialBadge, Pager, PushedAndPulls, VisibilityBadge,
    },
    model::{SearchHit, SearchView},
    pages::load_failed,
    url::query_value,
};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        query.with(|q| {
            (
                q.get("q").unwrap_or_default(),
                q.get("official").is_some_and(|v| !v.is_empty() && v != "0"),
                q.get("sort").unwrap_or_default(),
                q.get("page")
                    .and_then(|p| p.parse::<i64>().ok())
                    .unwrap_or(1),
            )
        })
    };
    let results = Resource::new(key, |(q, official, sort, page)| {
        search_repositories(q, official, sort, page)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(view) => view! { <SearchResults view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SearchResults(view: SearchView) -> impl IntoView {
    let title = if view.query.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {}", view.query)
    };
    let link = {
        let (q, official, sort) = (view.query.clone(), view.official_only, view.sort.clone());
        move |page: i64| {
            format!(
                "/search?q={}{}&sort={sort}&page={page}",
                query_value(&q),
                if official { "&official=1" } else { "" }
            )
        }
    };
    let summary = match (view.total, view.query.is_empty()) {
        (0, true) => "No repositories yet.".to_string(),
        (0, false) => format!("No repositories match “{}”.", view.query),
        (n, true) => count(n, "repository", "repositories"),
        (n, false) => format!(
            "{} for “{}”",
            count(n, "repository", "repositories"),
            view.query
        ),
    };
    view! {
        <Title text=title/>
        <section class="discover-page">
            <h1>"Search"</h1>
            <form id="search-form" class="search-form" method="get" action="/search" role="search">
                <div class="search-field">
                    <label for="search-q">"Search repositories"</label>
                    <input id="search-q" type="search" name="q" value=view.query.clone()
                        placeholder="Name, namespace or description" autocomplete="off"/>
                </div>
                <div class="search-field">
                    <label for="search-sort">"Sort by"</label>
                    <select id="search-sort" name="sort">
                        {view.sorts.iter().map(|(key, label)| view! {
                            <option value=key.clone() selected=view.sort == *key>{label.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <label class="choice search-official">
                    <input type="checkbox" name="official" value="1" checked=view.official_only/>
                    <span>"Official images only"</span>
                </label>
                <button type="submit" class="button button-primary">"Search"</button>
            </form>
            <LiveSearch/>
            <div id="search-results" aria-live="polite">
                <p class="results-summary muted">{summary}</p>
                <HitList hits=view.hits.clone()/>
                <Pager page=view.page pages=view.pages label="Search results pages" link/>
            </div>
        </section>
    }
}

#[component]
pub fn ExplorePage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        query.with(|q| {
            (
                q.get("sort").unwrap_or_else(|| "pulls".into()),
                q.get("page")
                    .and_then(|p| p.parse::<i64>().ok())
                    .unwrap_or(1),
            )
        })
    };
    let results = Resource::new(key, |(sort, page)| explore_repositories(sort, page));
    view! {
        <Title text="Explore"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(view) => view! { <Explore view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Explore(view: SearchView) -> impl IntoView {
    let sort = view.sort.clone();
    let link = {
        let sort = sort.clone();
        move |page: i64| format!("/explore?sort={sort}&page={page}")
    };
    view! {
        <section class="discover-page">
            <h1>"Explore"</h1>
            <p class="muted">"Public repositories on this Berth: official images first."</p>
            <nav class="tabs" aria-label="Order">
                // Every order but best match, which needs words.
                {view.sorts.iter().filter(|(key, _)| key != "best").map(|(key, label)| {
                    let current = sort == *key;
                    view! {
                        <a class="tab" class:active=current aria-current=current.then_some("page")
                            href=format!("/explore?sort={key}")>{label.clone()}</a>
                    }
                }).collect_view()}
            </nav>
            {if view.hits.is_empty() {
                view! {
                    <div class="empty-state">
                        <p class="empty-title">"No public repositories yet"</p>
                    </div>
                }.into_any()
            } else {
                view! { <HitList hits=view.hits.clone()/> }.into_any()
            }}
            <Pager page=view.page pages=view.pages label="Explore pages" link/>
        </section>
    }
}

/// Text with the parts a query matched in `<mark>`; every part is text, escaped when written.
fn marked(pieces: Vec<(String, bool)>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|(text, hit)| {
            if hit {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

#[component]
fn HitList(hits: Vec<SearchHit>) -> impl IntoView {
    view! {
        <ul class="repo-list">
            {hits.into_iter().map(|h| {
                let r = h.summary.clone();
                let href = format!("/r/{}", r.full_name);
                view! {
                    <li class="repo-item">
                        <div class="repo-item-head">
                            <a class="repo-name" href=href>{marked(h.namespace)} "/" {marked(h.name)}</a>
                            {r.is_official.then(|| view! { <OfficialBadge/> })}
                            {r.is_automated.then(|| view! { <AutomatedBadge/> })}
                            {r.is_private.then(|| view! { <VisibilityBadge private=true/> })}
                            <span class="repo-tags muted">{count(r.tag_count, "tag", "tags")}</span>
                        </div>
                        {(!r.description.is_empty()).then(|| view! { <p class="repo-desc">{marked(h.description)}</p> })}
                        <PushedAndPulls summary=r.clone()/>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
