use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::ResendConfirmation as Resend,
    components::{action_error, Auth, FormError, LoginLink},
};

/// The "send the link again" button, shown wherever an unconfirmed user may need it.
#[component]
pub fn ResendConfirmation() -> impl IntoView {
    let action = ServerAction::<Resend>::new();
    let err = action_error(action);
    let pending = action.pending();
    view! {
        <ActionForm action attr:class="inline-form">
            <FormError error=err/>
            <button type="submit" class="button" disabled=move || pending.get()>
                "Resend confirmation email"
            </button>
        </ActionForm>
    }
}

/// Where a confirmation link that cannot be used lands (the handler chose the reason).
#[component]
pub fn ConfirmFailedPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let reason = move || query.with(|q| q.get("reason").unwrap_or_default());
    let (title, text) = match reason().as_str() {
        "expired" => (
            "This confirmation link has expired",
            "Confirmation links work for 24 hours.",
        ),
        "used" => (
            "This confirmation link has already been used",
            "Each link works once. If your address is confirmed, just log in.",
        ),
        _ => (
            "This confirmation link is not valid",
            "Check that you opened the whole link from the email.",
        ),
    };
    #[cfg(feature = "ssr")]
    crate::ssr::set_status(if reason() == "invalid" { 404 } else { 410 });
    view! {
        <Title text=title/>
        <section class="auth-card">
            <h1>{title}</h1>
            <p>{text}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(u)) if !u.confirmed => view! {
                            <p>"Ask for a new link, and we'll send it to " {u.email_masked.clone()} "."</p>
                            <ResendConfirmation/>
                        }
                        .into_any(),
                        Ok(Some(_)) => view! {
                            <p>"Your email address is confirmed."</p>
                            <a class="button button-primary" href="/">"Go to your dashboard"</a>
                        }
                        .into_any(),
                        _ => view! {
                            <p>"Log in to ask for a new confirmation link."</p>
                            <LoginLink/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
