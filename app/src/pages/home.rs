use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::{
    components::{Auth, Notice},
    model::SessionUser,
    pages::ResendConfirmation,
};

/// `/`: the dashboard when logged in, the landing page otherwise.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <Dashboard user/> }.into_any(),
                    _ => view! { <Landing/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Landing() -> impl IntoView {
    view! {
        <Title text=""/>
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
        </section>
    }
}

#[component]
fn Dashboard(user: SessionUser) -> impl IntoView {
    let confirmed = user.confirmed;
    let query = use_query_map();
    let just_confirmed = move || confirmed && query.with(|q| q.get("confirmed").is_some());
    view! {
        <Title text="Dashboard"/>
        {move || just_confirmed().then(|| view! { <Notice text="Your email address is confirmed. Welcome aboard!"/> })}
        {(!confirmed).then(|| view! {
            <div class="alert alert-warning" role="status">
                <p>
                    <strong>"Confirm your email address. "</strong>
                    "We sent a link to " {user.email_masked.clone()}
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
                <div class="empty-state">
                    <p class="empty-title">"No repositories yet"</p>
                    <p>"Create a repository to share your container images."</p>
                </div>
            </section>
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
                </dl>
                <a href=format!("/u/{}", user.username)>"View public profile"</a>
            </aside>
        </div>
    }
}
