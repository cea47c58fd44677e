use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{reset_link_state, ForgotPassword, ResetPassword},
    components::{action_error, field_error, field_value, Field, FormError, Notice, SubmitButton},
    model::LinkState,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let err = action_error(action);
    let query = use_query_map();
    let sent = move || query.with(|q| q.get("sent").is_some());
    view! {
        <Title text="Forgot password"/>
        <section class="auth-card">
            <h1>"Reset your password"</h1>
            {move || if sent() {
                view! {
                    <Notice text="If an account uses that address, we've sent it a link to reset the password. The link works for 1 hour."/>
                    <p class="form-footer"><a href="/login">"Back to log in"</a></p>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">"Enter the email address of your account and we'll send you a link to choose a new password."</p>
                    <ActionForm action attr:novalidate=true attr:class="form">
                        <FormError error=err/>
                        <Field
                            label="Email"
                            name="email"
                            kind="email"
                            autocomplete="email"
                            required=true
                            error=field_error(err, "email")
                            value=field_value(err, "email")
                        />
                        <SubmitButton action label="Send reset link" busy="Sending…"/>
                    </ActionForm>
                    <p class="form-footer"><a href="/login">"Back to log in"</a></p>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let err = action_error(action);
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let state = Resource::new(token, reset_link_state);
    view! {
        <Title text="Choose a new password"/>
        <section class="auth-card">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok(LinkState::Valid) => view! {
                            <h1>"Choose a new password"</h1>
                            <p class="muted">"After the change, you are logged out everywhere."</p>
                            <ActionForm action attr:novalidate=true attr:class="form">
                                <FormError error=err/>
                                <input type="hidden" name="token" value=token()/>
                                <Field
                                    label="New password"
                                    name="password"
                                    kind="password"
                                    autocomplete="new-password"
                                    hint="At least 9 characters."
                                    required=true
                                    error=field_error(err, "password")
                                />
                                <SubmitButton action label="Change password" busy="Saving…"/>
                            </ActionForm>
                        }
                        .into_any(),
                        Ok(LinkState::Invalid(msg)) => {
                            #[cfg(feature = "ssr")]
                            crate::ssr::set_status(410);
                            view! {
                                <h1>"This reset link cannot be used"</h1>
                                <div class="alert alert-error" role="alert">{msg}</div>
                                <p>"Reset links work once, for 1 hour."</p>
                                <a class="button button-primary" href="/forgot-password">"Send a new link"</a>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
