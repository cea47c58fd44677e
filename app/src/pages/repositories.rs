use leptos::prelude::*;
use leptos_meta::Title;

use crate::{components::Auth, pages::ResendConfirmation};

/// `/repositories/new`. Creating repositories arrives with the repositories release; until then
/// this page says so, and tells unconfirmed users why they could not create one anyway.
#[component]
pub fn NewRepositoryPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
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
                        Ok(Some(_)) => view! {
                            <p>"Creating repositories from the browser is not available in this version of Berth yet."</p>
                            <a class="button" href="/">"Back to your dashboard"</a>
                        }
                        .into_any(),
                        _ => view! {
                            <p>"Log in to create a repository."</p>
                            <a class="button button-primary" href="/login">"Log in"</a>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
