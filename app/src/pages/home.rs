use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::{
    api::{explore_repositories, my_orgs, my_repositories},
    components::{Auth, Notice},
    error::AppError,
    model::{DashboardOrgs, DashboardRepos, SearchView, SessionUser},
    pages::{load_failed, OrgsPanel, RepoList, ResendConfirmation},
};

/// `/`: the dashboard when logged in, the landing page otherwise.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    // Created here, not inside the dashboard that a Suspend builds: a resource made in there
    // is fetched again while hydrating, and the page it renders no longer matches the server's.
    let query = use_query_map();
    let repos = Resource::new(
        move || {
            (
                auth.user
                    .get()
                    .map(|u| u.ok().flatten().map(|u| u.username)),
                query.with(|q| q.get("q")),
                query.with(|q| q.get("ns")),
                query.with(|q| q.get("sort")),
            )
        },
        |(_, filter, ns, sort)| my_repositories(filter, ns, sort),
    );
    let orgs = Resource::new(
        move || {
            auth.user
                .get()
                .map(|u| u.ok().flatten().map(|u| u.username))
        },
        |_| my_orgs(),
    );
    // The landing page's most pulled public images (what the hub holds, as Docker Hub's front
    // page shows it).
    let popular = Resource::new(|| (), |_| explore_repositories("pulls".into(), 1));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <Dashboard user repos orgs/> }.into_any(),
                    _ => view! { <Landing popular/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Landing(popular: Resource<Result<SearchView, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let account_deleted = move || query.with(|q| q.get("account_deleted").is_some());
    view! {
        <Title text=""/>
        {move || account_deleted().then(|| view! { <Notice text="Your account was deleted, with its repositories and tokens. Its Berth ID can never be taken again."/> })}
        <section class="hero">
            <h1>"Your own container hub"</h1>
            <p class="lead">
                "Berth stores and serves your container images. Sign up, push with the "
                <code>"docker"</code>
                " command you already use, and share public or private repositories — on a machine you control."
            </p>
            <div class="hero-actions">
                <a class="button button-primary" href="/signup">"Sign up"</a>
                <a class="button" href="/login">"Log in"</a>
            </div>
        </section>
        <section class="features" aria-label="What Berth does">
            <div class="card">
                <h2>"Push and pull with docker"</h2>
                <p>"A standard registry API: " <code>"docker login"</code> ", " <code>"docker push"</code> ", " <code>"docker pull"</code> " work unchanged."</p>
            </div>
            <div class="card">
                <h2>"Public and private"</h2>
                <p>"Share images with everyone, or keep a repository to yourself and your collaborators."</p>
            </div>
            <div class="card">
                <h2>"Runs anywhere"</h2>
                <p>"One binary with SQLite and a data folder. Grow to PostgreSQL and object storage when you need to."</p>
            </div>
            <div class="card">
                <h2>"Search and explore"</h2>
                <p>"Find images by name and description, star them, and see what is pulled most; " <code>"docker search"</code> " works too."</p>
            </div>
            <div class="card">
                <h2>"Organizations and teams"</h2>
                <p>"Share a namespace with your team: roles, teams with read, write or admin permissions, invitations by mail."</p>
            </div>
            <div class="card">
                <h2>"Automated builds and webhooks"</h2>
                <p>"Build images from a git repository on every push, and tell your CI when a tag is pushed, with signed webhooks."</p>
            </div>
        </section>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let hits = popular.await.map(|v| v.hits).unwrap_or_default();
                (!hits.is_empty()).then(|| {
                    let repos = hits.into_iter().take(6).map(|h| h.summary).collect::<Vec<_>>();
                    view! {
                        <section class="panel landing-popular">
                            <div class="panel-head">
                                <h2>"Popular images"</h2>
                                <a href="/explore">"Explore all"</a>
                            </div>
                            <RepoList repos/>
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

/// Chips for the namespaces the dashboard can show (the viewer's own, each organization they
/// belong to) and for its two orders; plain links, so they work without JavaScript.
#[component]
fn NamespaceSwitcher(namespaces: Vec<String>, chosen: String, by_name: bool) -> impl IntoView {
    let own = namespaces.first().cloned().unwrap_or_default();
    let sort_q = if by_name { "&sort=name" } else { "" };
    let chips = namespaces
        .into_iter()
        .map(|ns| {
            let href = format!("/?ns={ns}{sort_q}");
            let active = ns == chosen;
            let label = if ns == own { format!("{ns} (you)") } else { ns };
            view! {
                <a class="chip" class:active=active href=href aria-current=active.then_some("true")>{label}</a>
            }
        })
        .collect_view();
    let order = |label: &'static str, name: bool| {
        let href = if name {
            format!("/?ns={chosen}&sort=name")
        } else {
            format!("/?ns={chosen}")
        };
        view! { <a class="chip" class:active=name == by_name href=href aria-current=(name == by_name).then_some("true")>{label}</a> }
    };
    view! {
        <nav class="chips" aria-label="Whose repositories">{chips}</nav>
        <nav class="chips" aria-label="Order">{order("Last pushed", false)} {order("Name", true)}</nav>
    }
}

#[component]
fn Dashboard(
    user: SessionUser,
    repos: Resource<Result<DashboardRepos, AppError>>,
    orgs: Resource<Result<DashboardOrgs, AppError>>,
) -> impl IntoView {
    let confirmed = user.confirmed;
    let query = use_query_map();
    let just_confirmed = move || confirmed && query.with(|q| q.get("confirmed").is_some());
    // Which repository went; only a repository name's characters are repeated back (the
    // address is anyone's to craft).
    let deleted = move || {
        query.with(|q| q.get("deleted")).map(|name| {
            let plain = !name.is_empty()
                && name.len() <= 255
                && name
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/'));
            if plain {
                format!("Repository {name} deleted.")
            } else {
                "Repository deleted.".to_string()
            }
        })
    };
    let notice = move || {
        query.with(|q| {
            if let Some(left) = q.get("recovery_left").and_then(|n| n.parse::<u32>().ok()) {
                Some(format!(
                    "You logged in with a recovery code: {left} of 10 left. Make new ones under Account settings → Security."
                ))
            } else if q.get("left").is_some() {
                Some("You left the organization.".to_string())
            } else if q.get("org_deleted").is_some() {
                Some("Organization deleted.".to_string())
            } else if q.get("declined").is_some() {
                Some("Invitation declined.".to_string())
            } else {
                None
            }
        })
    };
    let push_hint = format!("{}/{}/NAME", user.registry_host, user.username);
    let filter = query.with_untracked(|q| q.get("q")).unwrap_or_default();
    let filtering = !filter.is_empty();
    view! {
        <Title text="Dashboard"/>
        {move || just_confirmed().then(|| view! { <Notice text="Your email address is confirmed. Welcome aboard!"/> })}
        {move || deleted().map(|text| view! { <Notice text=text/> })}
        {move || notice().map(|text| view! { <Notice text=text/> })}
        {(!confirmed).then(|| view! {
            <div class="alert alert-warning" role="status">
                <p>
                    <strong>"Confirm your email address. "</strong>
                    "We sent a link to " {user.email.clone()}
                    ". Until you confirm it you can browse and pull, but not create repositories or push images."
                </p>
                <ResendConfirmation/>
            </div>
        })}
        <div class="dashboard">
            <section class="panel">
                <div class="panel-head">
                    <h1>"Repositories"</h1>
                    <a
                        class="button button-primary"
                        class:disabled=!confirmed
                        href="/repositories/new"
                        aria-disabled=(!confirmed).then_some("true")
                    >
                        "Create repository"
                    </a>
                </div>
                <Suspense fallback=|| ()>
                    {move || {
                        let (push_hint, filter) = (push_hint.clone(), filter.clone());
                        Suspend::new(async move {
                        let data = repos.await;
                        let switcher = data.as_ref().ok().map(|d| view! {
                            <NamespaceSwitcher namespaces=d.namespaces.clone() chosen=d.namespace.clone()
                                by_name=query.with_untracked(|q| q.get("sort")).as_deref() == Some("name")/>
                        });
                        let ns = data.as_ref().ok().map(|d| d.namespace.clone()).unwrap_or_default();
                        let sort = query.with_untracked(|q| q.get("sort")).unwrap_or_default();
                        let form = view! {
                            <form method="get" action="/" class="list-filter" role="search">
                                <label for="repo-filter" class="visually-hidden">"Filter the repositories"</label>
                                <input type="hidden" name="ns" value=ns/>
                                <input type="hidden" name="sort" value=sort/>
                                <input id="repo-filter" type="search" name="q" value=filter placeholder="Filter by name"/>
                                <button type="submit" class="button">"Filter"</button>
                            </form>
                        };
                        let list = match data {
                            Ok(d) if !d.repos.is_empty() => view! { <RepoList repos=d.repos/> }.into_any(),
                            Ok(_) if filtering => view! {
                                <div class="empty-state">
                                    <p class="empty-title">"No repositories match"</p>
                                    <p><a href="/">"Show all"</a></p>
                                </div>
                            }
                            .into_any(),
                            Ok(_) => view! {
                                <div class="empty-state">
                                    <p class="empty-title">"No repositories yet"</p>
                                    <p>"Create a repository, or push an image to " <code>{push_hint.clone()}</code> "."</p>
                                </div>
                            }
                            .into_any(),
                            Err(e) => load_failed(e),
                        };
                        view! { {switcher} {form} {list} }
                        })
                    }}
                </Suspense>
            </section>
            <div class="dashboard-side">
            <aside class="panel account-card" aria-label="Your account">
                <h2>{user.username.clone()}</h2>
                <dl>
                    <dt>"Email"</dt>
                    <dd>{user.email.clone()}</dd>
                    <dt>"Status"</dt>
                    <dd>
                        {if confirmed {
                            view! { <span class="badge badge-ok">"Email confirmed"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-warn">"Email not confirmed"</span> }.into_any()
                        }}
                    </dd>
                    <dt>"Member since"</dt>
                    <dd>{user.joined.clone()}</dd>
                    <dt>"Storage"</dt>
                    <dd class="storage-usage">
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                orgs.await.map(|d| d.storage_usage).unwrap_or_default()
                            })}
                        </Suspense>
                    </dd>
                </dl>
                <a href=format!("/u/{}", user.username)>"View public profile"</a>
            </aside>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(data) => view! { <OrgsPanel data confirmed/> }.into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Suspense>
            </div>
        </div>
    }
}
