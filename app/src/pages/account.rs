use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{Login, Signup},
    components::{
        action_error, field_error, field_value, registry_host, Auth, Field, FormError, LoginLink,
        Notice, SubmitButton,
    },
    pages::ResendConfirmation,
};

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let err = action_error(signup);
    let hint = format!(
        "4 to 30 lowercase letters and digits. It is your namespace: {}/yourid/image.",
        registry_host()
    );
    view! {
        <Title text="Sign up"/>
        <section class="auth-card">
            <h1>"Create your Berth account"</h1>
            <p class="muted">"Already have an account? " <a href="/login">"Log in"</a></p>
            <ActionForm action=signup attr:novalidate=true attr:class="form">
                <FormError error=err/>
                <Field
                    label="Berth ID"
                    name="username"
                    autocomplete="username"
                    hint=hint
                    required=true
                    error=field_error(err, "username")
                    value=field_value(err, "username")
                />
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    error=field_error(err, "email")
                    value=field_value(err, "email")
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 9 characters."
                    required=true
                    error=field_error(err, "password")
                />
                <SubmitButton action=signup label="Sign up" busy="Creating your account…"/>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let err = action_error(login);
    let query = use_query_map();
    let reset_done = move || query.with(|q| q.get("reset").is_some());
    // Where to go back to afterwards (checked again by the server function).
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    view! {
        <Title text="Log in"/>
        <section class="auth-card">
            <h1>"Log in to Berth"</h1>
            <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
            {move || reset_done().then(|| view! {
                <Notice text="Your password was changed and every session was logged out. Log in with your new password."/>
            })}
            <ActionForm action=login attr:novalidate=true attr:class="form">
                <FormError error=err/>
                <input type="hidden" name="next" value=next/>
                <Field
                    label="Berth ID or email"
                    name="login"
                    autocomplete="username"
                    required=true
                    error=field_error(err, "login")
                    value=field_value(err, "login")
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=field_error(err, "password")
                />
                <SubmitButton action=login label="Log in" busy="Logging in…"/>
            </ActionForm>
            <p class="form-footer"><a href="/forgot-password">"Forgot password?"</a></p>
        </section>
    }
}

/// After sign-up: where the confirmation mail went, and a way to have it sent again.
#[component]
pub fn WelcomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let resent = move || query.with(|q| q.get("resent").is_some());
    let signed_up = Resource::new(|| (), |_| crate::api::signup_notice());
    view! {
        <Title text="Check your email"/>
        <section class="auth-card">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) if user.confirmed => view! {
                            <h1>"Your email is confirmed"</h1>
                            <p>"You're all set. Create a repository and push your first image."</p>
                            <a class="button button-primary" href="/">"Go to your dashboard"</a>
                        }
                        .into_any(),
                        Ok(Some(user)) => view! {
                            <h1>"Welcome to Berth, " {user.username.clone()} "!"</h1>
                            {move || resent().then(|| view! { <Notice text="We sent you a new confirmation link."/> })}
                            <p class="lead">"Check your email to confirm your address."</p>
                            <p>
                                "We sent a message to " <strong>{user.email_masked.clone()}</strong>
                                " with a " <em>"Confirm your email"</em>
                                " link. It works once and expires in 24 hours."
                            </p>
                            <p class="muted">
                                "Until you confirm, you can browse and pull images, but not create repositories or push."
                            </p>
                            <ResendConfirmation/>
                            <p class="form-footer"><a href="/">"Continue to your dashboard"</a></p>
                        }
                        .into_any(),
                        _ => match signed_up.await.ok().flatten() {
                            Some((name, masked)) => view! {
                                <h1>"Welcome to Berth, " {name} "!"</h1>
                                <p class="lead">"Check your email to confirm your address."</p>
                                <p>
                                    "We sent a message to " <strong>{masked}</strong>
                                    " with a " <em>"Confirm your email"</em>
                                    " link. It works once, expires in 24 hours, and logs you in."
                                </p>
                                <p class="muted">"No message? Look in your spam folder, or log in to have it sent again."</p>
                                <LoginLink label="Log in"/>
                            }
                            .into_any(),
                            None => view! {
                                <h1>"Check your email"</h1>
                                <p>"Open the confirmation link we sent you. To have it sent again, log in first."</p>
                                <LoginLink/>
                            }
                            .into_any(),
                        },
                    }
                })}
            </Transition>
        </section>
    }
}
