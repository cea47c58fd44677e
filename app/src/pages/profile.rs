use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::get_profile,
    error::AppError,
    model::Profile,
    pages::{OrgProfile, RepoList},
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let params = use_params_map();
    let query = leptos_router::hooks::use_query_map();
    let key = move || {
        (
            params.with(|p| p.get("name").unwrap_or_default()),
            query.with(|q| q.get("tab")),
            query.with(|q| q.get("team")),
            // Every action ends in a redirect to a new query: the page loads again.
            query.with(|q| q.get("saved")),
        )
    };
    let profile = Resource::new(key, |(name, tab, team, _)| get_profile(name, tab, team));
    let starred_tab = move || query.with(|q| q.get("tab").as_deref() == Some("starred"));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(Profile { org: Some(org), .. }) => view! { <OrgProfile org/> }.into_any(),
                    Ok(p) => view! {
                        <Title text=p.username.clone()/>
                        <section class="profile">
                            <div class="profile-head">
                                <span class="avatar avatar-large" aria-hidden="true">
                                    {p.username.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?')}
                                </span>
                                <div>
                                    <h1>{p.username.clone()}</h1>
                                    <p class="muted">"Joined " {p.joined.clone()}</p>
                                </div>
                            </div>
                            <nav class="tabs" aria-label="Profile">
                                <a class="tab" class:active=!starred_tab() aria-current=(!starred_tab()).then_some("page")
                                    href=format!("/u/{}", p.username)>"Repositories (" {p.repositories.len()} ")"</a>
                                <a class="tab" class:active=starred_tab() aria-current=starred_tab().then_some("page")
                                    href=format!("/u/{}?tab=starred", p.username)>"Starred (" {p.starred.len()} ")"</a>
                            </nav>
                            {if starred_tab() {
                                view! {
                                    <section class="panel">
                                        <h2>"Starred"</h2>
                                        {if p.starred.is_empty() {
                                            view! {
                                                <div class="empty-state">
                                                    <p class="empty-title">"No starred repositories"</p>
                                                    {p.is_me.then(|| view! { <p>"Star a repository from its page to find it here."</p> })}
                                                </div>
                                            }
                                            .into_any()
                                        } else {
                                            view! { <RepoList repos=p.starred.clone()/> }.into_any()
                                        }}
                                    </section>
                                }
                                .into_any()
                            } else { view! {
                            <section class="panel">
                                <h2>"Repositories"</h2>
                                {if p.repositories.is_empty() {
                                    view! {
                                        <div class="empty-state">
                                            <p class="empty-title">"No public repositories"</p>
                                            {p.is_me.then(|| view! { <p>"Repositories you make public appear here."</p> })}
                                        </div>
                                    }
                                    .into_any()
                                } else {
                                    view! { <RepoList repos=p.repositories.clone()/> }.into_any()
                                }}
                            </section>
                            }.into_any() }}
                        </section>
                    }
                    .into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_status(404);
    view! {
        <Title text="Page not found"/>
        <section class="auth-card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address, or you do not have access to it."</p>
            <form class="list-filter" method="get" action="/search" role="search">
                <label for="not-found-search" class="visually-hidden">"Search repositories"</label>
                <input id="not-found-search" type="search" name="q" placeholder="Search repositories"/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <p><a class="button button-primary" href="/">"Go home"</a> " " <a class="button" href="/explore">"Explore"</a></p>
        </section>
    }
}

/// What a page shows when its data could not be loaded: the 404 page for something that does
/// not exist (or is private to the viewer), otherwise the error.
pub fn load_failed(e: AppError) -> AnyView {
    match e {
        AppError::NotFound => view! { <NotFoundPage/> }.into_any(),
        AppError::Moved(full) => view! {
            <p class="alert">"This repository moved to " <a href=format!("/r/{full}")>{full.clone()}</a> "."</p>
        }
        .into_any(),
        e => {
            // The page says what failed; its status says so too (503 with `Retry-After` when busy).
            #[cfg(feature = "ssr")]
            crate::ssr::page_error_status(&e);
            view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any()
        }
    }
}
