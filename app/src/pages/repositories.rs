use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{my_namespaces, CreateRepository},
    components::{
        action_error, count, field_error, field_value, Auth, AutomatedBadge, Field, FormError,
        LoginLink, OfficialBadge, PushedAndPulls, SubmitButton, VisibilityBadge,
    },
    model::{RepoSummary, SessionUser},
    pages::ResendConfirmation,
};

/// `/repositories/new`: namespace, name, short description, visibility.
#[component]
pub fn NewRepositoryPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    // Made here, not inside the Suspend below (see the dashboard): the namespaces one may
    // create in, theirs first, then `library` for administrators and their organizations.
    let namespaces = Resource::new(|| (), |_| my_namespaces());
    view! {
        <Title text="Create repository"/>
        <section class="auth-card">
            <h1>"Create repository"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(u)) if !u.confirmed => view! {
                            <div class="alert alert-warning" role="status">
                                "Confirm your email address before creating repositories. We sent a link to "
                                {u.email_masked.clone()} "."
                            </div>
                            <ResendConfirmation/>
                        }
                        .into_any(),
                        Ok(Some(u)) => {
                            let namespaces = namespaces.await.unwrap_or_else(|_| vec![u.username.clone()]);
                            view! { <CreateForm user=u namespaces/> }.into_any()
                        }
                        _ => view! {
                            <p>"Log in to create a repository."</p>
                            <LoginLink/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CreateForm(user: SessionUser, namespaces: Vec<String>) -> impl IntoView {
    let create = ServerAction::<CreateRepository>::new();
    let err = action_error(create);
    let namespace_error = field_error(err, "namespace");
    let private_chosen = move || field_value(err, "visibility").get().as_deref() == Some("private");
    // `?namespace=ORG` (from an organization's page) chooses it; after a refusal, what was sent.
    let asked = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("namespace"));
    let chosen = move |n: &str| {
        field_value(err, "namespace")
            .get()
            .or_else(|| asked.clone())
            .is_some_and(|c| c == n)
    };
    let name_hint = format!(
        "2 to {} characters: lowercase letters and digits, with - _ or . between them (the whole image name, {}/{}/NAME, can be at most 255). Names cannot be changed later.",
        user.repo_name_max, user.registry_host, user.username
    );
    view! {
        <ActionForm action=create attr:novalidate=true attr:class="form">
            <FormError error=err/>
            <div class="field" class:invalid=move || namespace_error.with(Option::is_some)>
                <label for="field-namespace">"Namespace"</label>
                <select id="field-namespace" name="namespace">
                    {namespaces.into_iter().map(|n| {
                        let selected = { let n = n.clone(); let chosen = chosen.clone(); move || chosen(&n) };
                        view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                    }).collect_view()}
                </select>
                {move || namespace_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
            <Field
                label="Repository name"
                name="name"
                hint=name_hint
                required=true
                error=field_error(err, "name")
                value=field_value(err, "name")
            />
            <Field
                label="Short description"
                name="description"
                hint="Optional, at most 100 characters. Shown in lists and search."
                error=field_error(err, "description")
                value=field_value(err, "description")
            />
            <fieldset class="field visibility">
                <legend>"Visibility"</legend>
                <label class="choice">
                    <input type="radio" name="visibility" value="public" checked=move || !private_chosen()/>
                    <span><strong>"Public"</strong> " — anyone can see and pull it."</span>
                </label>
                <label class="choice">
                    <input type="radio" name="visibility" value="private" checked=private_chosen/>
                    <span><strong>"Private"</strong> " — only you and those you give access (collaborators; in an organization, its editors and teams). The free plan includes one."</span>
                </label>
            </fieldset>
            <SubmitButton action=create label="Create" busy="Creating…"/>
        </ActionForm>
    }
}

/// Repositories as a list of cards: name, description, visibility, last pushed, pulls.
#[component]
pub fn RepoList(repos: Vec<RepoSummary>) -> impl IntoView {
    view! {
        <ul class="repo-list">
            {repos
                .into_iter()
                .map(|r| {
                    let href = format!("/r/{}", r.full_name);
                    view! {
                        <li class="repo-item">
                            <div class="repo-item-head">
                                <a class="repo-name" href=href>{r.full_name.clone()}</a>
                                {r.is_official.then(|| view! { <OfficialBadge/> })}
                                {r.is_automated.then(|| view! { <AutomatedBadge/> })}
                                <VisibilityBadge private=r.is_private/>
                                {r.shared.then(|| view! { <span class="badge badge-shared" title="Someone else's repository you collaborate on">"Shared with you"</span> })}
                                <span class="repo-tags muted">{count(r.tag_count, "tag", "tags")}</span>
                            </div>
                            {(!r.description.is_empty()).then(|| view! { <p class="repo-desc">{r.description.clone()}</p> })}
                            <PushedAndPulls summary=r.clone()/>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
