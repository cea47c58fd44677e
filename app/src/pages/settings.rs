//! `/settings`: the account, its plan, and the visibility of repositories created by `docker push`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::{
    api::{get_account_settings, SetDefaultVisibility},
    components::{action_error, field_error, FormError, LoginLink, Notice},
    error::AppError,
    model::AccountSettings,
    pages::load_failed,
};

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    // Saving ends in a redirect to `?saved=1`; the new query string fetches the settings again.
    let search = use_location().search;
    let settings = Resource::new(move || search.get(), |_| get_account_settings());
    view! {
        <Title text="Account settings"/>
        <section class="settings-page">
            <h1>"Account settings"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! { <Settings s/> }.into_any(),
                        Err(AppError::LoginRequired) => view! {
                            <p>"Log in to see your account settings."</p>
                            <LoginLink/>
                        }
                        .into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Settings(s: AccountSettings) -> impl IntoView {
    let query = use_query_map();
    let saved = move || query.with(|q| q.get("saved").is_some());
    let save = ServerAction::<SetDefaultVisibility>::new();
    let err = action_error(save);
    let visibility_error = field_error(err, "visibility");
    view! {
        <section class="panel">
            <h2>"Account"</h2>
            <dl class="facts">
                <dt>"Berth ID"</dt> <dd>{s.username.clone()}</dd>
                <dt>"Email"</dt> <dd>{s.email.clone()}</dd>
                <dt>"Joined"</dt> <dd>{s.joined.clone()}</dd>
            </dl>
            <p><a href="/settings/security">"Security: access tokens, two-factor authentication, password, email, activity"</a></p>
        </section>
        <section class="panel">
            <h2>"Plan"</h2>
            <p class="plan-usage">{s.private_usage.clone()}</p>
            <p class="storage-usage">{s.storage_usage.clone()}</p>
            <p class="muted">"Public repositories are unlimited. For more private repositories, ask an administrator of this hub."</p>
        </section>
        <section class="panel">
            <h2>"Default repository privacy"</h2>
            <p class="muted">
                "The visibility of a repository created by pushing to a new name with "
                <code>"docker push"</code>
                ". A private default beyond your plan refuses the push; it never makes the repository public."
            </p>
            {move || saved().then(|| view! { <Notice text="Saved."/> })}
            <ActionForm action=save attr:class="form">
                <FormError error=err/>
                <fieldset class="field visibility" class:invalid=move || visibility_error.with(Option::is_some)>
                    <legend>"New repositories are"</legend>
                    <label class="choice">
                        <input type="radio" name="visibility" value="public" checked=!s.default_private/>
                        <span><strong>"Public"</strong> " — anyone can see and pull them."</span>
                    </label>
                    <label class="choice">
                        <input type="radio" name="visibility" value="private" checked=s.default_private/>
                        <span><strong>"Private"</strong> " — only you, your collaborators and administrators."</span>
                    </label>
                    {move || visibility_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <button type="submit" class="button button-primary">"Save default"</button>
            </ActionForm>
        </section>
    }
}
