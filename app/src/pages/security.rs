//! `/settings/security`: personal access tokens, two-factor authentication, the password, the
//! email address, the activity log and deleting the account; and `/login/code`, the second step
//! of a log-in with two-factor authentication.

use leptos::prelude::*;

use crate::components::Confirm;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        code_pending, get_security, BeginTwoFactor, ChangeEmail, ChangePassword, ChangeToken,
        CreateToken, DeleteAccount, DisableTwoFactor, EnableTwoFactor, LoginCode,
        RenewRecoveryCodes,
    },
    components::{
        action_error, field_error, field_value, CopyButton, Copyable, Field, FormError, LoginLink,
        Notice, SubmitButton,
    },
    error::AppError,
    model::{SecurityView, TokenItem},
    pages::load_failed,
};

#[component]
pub fn SecurityPage() -> impl IntoView {
    let view = Resource::new(|| (), |_| get_security());
    view! {
        <Title text="Security"/>
        <section class="settings-page">
            <nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/settings">"Account settings"</a> " / Security"</nav>
            <h1>"Security"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view.await {
                        Ok(v) => view! { <Security v/> }.into_any(),
                        Err(AppError::LoginRequired) => view! {
                            <p>"Log in to manage your account's security."</p>
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

/// "Saved." beside the section whose form saved (`?saved=KEY`).
#[component]
fn Saved(key: &'static str, text: &'static str) -> impl IntoView {
    let query = use_query_map();
    move || {
        query
            .with(|q| q.get("saved").as_deref() == Some(key))
            .then(|| view! { <Notice text=text/> })
    }
}

#[component]
fn Security(v: SecurityView) -> impl IntoView {
    view! {
        <Tokens v=v.clone()/>
        <TwoFactor v=v.clone()/>
        <Password/>
        <Email email=v.email.clone()/>
        <Activity v=v.clone()/>
        <DeleteAccountPanel username=v.username.clone()/>
    }
}

#[component]
fn Tokens(v: SecurityView) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let err = action_error(create);
    let level = move || {
        field_value(err, "level")
            .get()
            .unwrap_or_else(|| "read".into())
    };
    let expiry = move || {
        field_value(err, "expiry")
            .get()
            .unwrap_or_else(|| "90".into())
    };
    let no_tokens = v.tokens.is_empty();
    let login_line = format!(
        "docker login {} -u {} --password-stdin",
        v.registry_host, v.username
    );
    let levels = [
        (
            "public_read",
            "Public read-only",
            "Pull public repositories.",
        ),
        ("read", "Read-only", "Pull every repository you can pull."),
        (
            "read_write",
            "Read & write",
            "Pull, and push to repositories you can push to.",
        ),
        (
            "read_write_delete",
            "Read, write & delete",
            "Also delete images and manage repositories.",
        ),
    ];
    view! {
        <section class="panel" id="tokens" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Personal access tokens"</h2>
            <p class="muted">
                "Use a token instead of your password with " <code>"docker login"</code>
                " and in CI. A token can do only what its permission allows, only in the repositories it is limited to, and you can deactivate it at any time: the next request made with it fails."
            </p>
            <Saved key="tokens" text="Token updated."/>
            {v.new_token.clone().map(|(description, secret)| view! {
                <div class="new-token" id="new-token" role="status">
                    <p><strong>{format!("Your new token “{description}”. ")}</strong> "Copy it now: Berth keeps only a fingerprint and cannot show it again."</p>
                    <Copyable text=secret label="Copy the token"/>
                    <p>"Log in with it (paste the token when asked, or pipe it in):"</p>
                    <Copyable text=login_line.clone() label="Copy the docker login command"/>
                </div>
            })}
            // Folded once there are tokens, unless the last attempt needs fixing.
            <details class="generate-token" open=move || no_tokens || err.with(Option::is_some)>
            <summary class="button">"Generate a token"</summary>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <Field
                    label="Description"
                    name="description"
                    hint="What the token is for: a machine, a CI pipeline. At most 100 characters."
                    required=true
                    error=field_error(err, "description")
                    value=field_value(err, "description")
                />
                <fieldset class="field visibility" class:invalid=move || field_error(err, "level").with(Option::is_some)>
                    <legend>"Access permissions"</legend>
                    {levels.into_iter().map(|(value, label, help)| view! {
                        <label class="choice">
                            <input type="radio" name="level" value=value checked=move || level() == value/>
                            <span><strong>{label}</strong> " — " {help}</span>
                        </label>
                    }).collect_view()}
                    {move || field_error(err, "level").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <div class="field" class:invalid=move || field_error(err, "expiry").with(Option::is_some)>
                    <label for="field-expiry">"Expiration"</label>
                    <select id="field-expiry" name="expiry">
                        <option value="30" selected=move || expiry() == "30">"30 days"</option>
                        <option value="90" selected=move || expiry() == "90">"90 days"</option>
                        <option value="date" selected=move || expiry() == "date">"On a date (below)"</option>
                        <option value="none" selected=move || expiry() == "none">"No expiration"</option>
                    </select>
                    <label for="field-expiry_date" class="sub-label">"Expiry date, if chosen (within a year)"</label>
                    <input id="field-expiry_date" name="expiry_date" type="date" value=move || field_value(err, "expiry_date").get()/>
                    {move || field_error(err, "expiry").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <Field
                    label="Limit to repositories or namespaces (optional)"
                    name="limits"
                    hint="For example acme/api, alice: the token then works only there. Empty: everywhere you have access."
                    error=field_error(err, "limits")
                    value=field_value(err, "limits")
                />
                <SubmitButton action=create label="Generate" busy="Generating…"/>
            </ActionForm>
            </details>
            <h3>{format!("Your tokens ({})", v.tokens.len())}</h3>
            {if v.tokens.is_empty() {
                view! { <p class="muted">"No tokens yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="token-list">
                        {v.tokens.clone().into_iter().map(|t| view! { <TokenCard t/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TokenCard(t: TokenItem) -> impl IntoView {
    let change = ServerAction::<ChangeToken>::new();
    let status = if !t.active {
        "Inactive"
    } else if !t.usable {
        "Expired"
    } else {
        "Active"
    };
    let toggle = if t.active { "deactivate" } else { "activate" };
    let toggle_label = if t.active { "Deactivate" } else { "Activate" };
    let toggle_aria = format!("{toggle_label} token {}", t.description);
    let delete_aria = format!("Delete token {}", t.description);
    view! {
        <li class="token-card">
            <div class="token-card-head">
                <strong class="token-name">{t.description.clone()}</strong>
                <span class="badge" class:badge-private=status != "Active">{status}</span>
            </div>
            <dl class="facts">
                <dt>"Permissions"</dt> <dd>{t.level.clone()}</dd>
                <dt>"Limited to"</dt> <dd>{t.limits.clone()}</dd>
                <dt>"Created"</dt> <dd>{t.created.clone()}</dd>
                <dt>"Expires"</dt> <dd>{t.expires.clone()}</dd>
                <dt>"Last used"</dt> <dd>{t.last_used.clone().unwrap_or_else(|| "never".into())}</dd>
            </dl>
            <div class="form-actions">
                <ActionForm action=change>
                    <input type="hidden" name="id" value=t.id/>
                    <input type="hidden" name="change" value=toggle/>
                    <button type="submit" class="button button-small" aria-label=toggle_aria>{toggle_label}</button>
                </ActionForm>
                <Confirm key=format!("delete-token-{}", t.id) label="Delete" aria=delete_aria
                    question=format!("Delete the token {}? Every login that uses it stops working at once.", t.description)>
                    <ActionForm action=change>
                        <input type="hidden" name="id" value=t.id/>
                        <input type="hidden" name="change" value="delete"/>
                        <button type="submit" class="button button-small button-danger">"Delete the token"</button>
                    </ActionForm>
                </Confirm>
            </div>
        </li>
    }
}

#[component]
fn TwoFactor(v: SecurityView) -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let enable = ServerAction::<EnableTwoFactor>::new();
    let enable_err = action_error(enable);
    let disable = ServerAction::<DisableTwoFactor>::new();
    let disable_err = action_error(disable);
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let renew_err = action_error(renew);
    let body = if v.two_factor {
        view! {
            <p><span class="badge badge-ok">"On"</span> " Logging in asks for a code from your authenticator app. "
                {format!("{} of 10 recovery codes left.", v.recovery_codes_left)}</p>
            <p class="muted">"The registry takes access tokens only, not your password: " <code>"docker login"</code> " with a token."</p>
            {(!v.new_recovery_codes.is_empty()).then(|| {
                let all = v.new_recovery_codes.join("\n");
                view! {
                    <div class="new-token" role="status">
                        <p><strong>"Your recovery codes. "</strong> "Keep them somewhere safe: each logs you in once if you lose your device. They are not shown again."</p>
                        <ul class="recovery-codes">
                            {v.new_recovery_codes.clone().into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                        </ul>
                        // Shown once above; the button copies them all.
                        <p><CopyButton text=all label="Copy the recovery codes"/></p>
                    </div>
                }
            })}
            <details class="push-help">
                <summary>"Make new recovery codes"</summary>
                <p class="muted">"Ten new codes in place of the ones you have (they stop working at once)."</p>
                <ActionForm action=renew attr:class="form" attr:novalidate=true>
                    <FormError error=renew_err/>
                    <Field label="Password" name="password" form="renew" kind="password" autocomplete="current-password" hint="Needed to make new recovery codes." error=field_error(renew_err, "password")/>
                    <button type="submit" class="button">"Make new recovery codes"</button>
                </ActionForm>
            </details>
            <ActionForm action=disable attr:class="form" attr:novalidate=true>
                <FormError error=disable_err/>
                <Field label="Password" name="password" form="disable" kind="password" autocomplete="current-password" hint="Needed to turn two-factor authentication off." error=field_error(disable_err, "password")/>
                <button type="submit" class="button button-danger-quiet">"Turn off two-factor authentication"</button>
            </ActionForm>
        }
        .into_any()
    } else if let Some((secret, svg)) = v.setup.clone() {
        view! {
            <ol class="setup-steps">
                <li>"Scan this code with an authenticator app (any app that supports TOTP)."
                    // inner_html: an SVG drawn by the qrcode crate on the server from Berth's own
                    // otpauth:// URL; no user text reaches it but the Berth ID, encoded as modules.
                    <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=svg></div>
                    <p class="muted">"Or type this key into the app: " <code class="setup-secret">{secret}</code></p>
                </li>
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <ActionForm action=enable attr:class="form" attr:novalidate=true>
                <FormError error=enable_err/>
                <Field label="Code from the app" name="code" autocomplete="one-time-code" required=true error=field_error(enable_err, "code")/>
                <SubmitButton action=enable label="Turn on" busy="Checking…"/>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p>"Off. With two-factor authentication, logging in also asks for a code from an app on your phone."</p>
            <ActionForm action=begin>
                <button type="submit" class="button button-primary">"Set up two-factor authentication"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="panel" id="two-factor" aria-labelledby="two-factor-title">
            <h2 id="two-factor-title">"Two-factor authentication"</h2>
            <Saved key="2fa" text="Two-factor authentication is on."/>
            <Saved key="2fa-off" text="Two-factor authentication is off."/>
            <Saved key="recovery" text="New recovery codes: the old ones no longer work."/>
            {body}
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let err = action_error(change);
    view! {
        <section class="panel" id="password" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <Saved key="password" text="Password changed. Every other session and saved docker login was ended."/>
            <ActionForm action=change attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true error=field_error(err, "current_password")/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 9 characters. Every other session and saved docker login ends." required=true error=field_error(err, "new_password")/>
                <SubmitButton action=change label="Change password" busy="Changing…"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Email(email: String) -> impl IntoView {
    let change = ServerAction::<ChangeEmail>::new();
    let err = action_error(change);
    view! {
        <section class="panel" id="email" aria-labelledby="email-title">
            <h2 id="email-title">"Email address"</h2>
            <Saved key="email-changed" text="Your email address is changed."/>
            <Saved key="email" text="We sent a confirmation link to the new address, and a notice to this one. The address changes when the link is opened."/>
            <p>"Now: " <strong>{email}</strong></p>
            <ActionForm action=change attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <Field label="New email address" name="email" kind="email" autocomplete="email" required=true error=field_error(err, "email") value=field_value(err, "email")/>
                <SubmitButton action=change label="Change email" busy="Sending…"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Activity(v: SecurityView) -> impl IntoView {
    view! {
        <section class="panel" id="activity" aria-labelledby="activity-title">
            <h2 id="activity-title">"Activity"</h2>
            <p class="muted">"Logins, tokens, password and email changes, two-factor changes, pushes and deletions of the last 90 days."</p>
            {if v.activity.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="activity">
                        {v.activity.clone().into_iter().map(|a| view! {
                            <li>
                                <span class="activity-what">{a.what}</span>
                                {(!a.detail.is_empty()).then(|| view! { <span class="activity-detail">{a.detail}</span> })}
                                <span class="muted activity-when"><span title=a.at>{a.ago}</span>{(!a.ip.is_empty()).then(|| format!(" · {}", a.ip))}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn DeleteAccountPanel(username: String) -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    let err = action_error(delete);
    view! {
        <section class="panel danger-zone" id="delete" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete account"</h2>
            <p>"Deleting " <strong>{username.clone()}</strong> " removes your repositories with their images, your tokens and your sessions, for good. The Berth ID can never be used again. Type " <code>{username}</code> " to confirm."</p>
            <ActionForm action=delete attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <Field label="Berth ID" name="confirm" required=true error=field_error(err, "confirm")/>
                <button type="submit" class="button button-danger">"Delete my account"</button>
            </ActionForm>
        </section>
    }
}

/// `/login/code`: the code from the authenticator app (or a recovery code), after the password.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let login = ServerAction::<LoginCode>::new();
    let err = action_error(login);
    let pending = Resource::new(|| (), |_| code_pending());
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    view! {
        <Title text="Two-factor authentication"/>
        <section class="auth-card">
            <h1>"Enter your code"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(true) => view! {
                            <p class="muted">"Open your authenticator app and enter the 6-digit code for Berth. Lost your device? Enter one of your recovery codes instead."</p>
                            <ActionForm action=login attr:class="form" attr:novalidate=true>
                                <FormError error=err/>
                                <input type="hidden" name="next" value=next/>
                                <Field label="Authentication code" name="code" autocomplete="one-time-code" required=true error=field_error(err, "code")/>
                                <SubmitButton action=login label="Log in" busy="Checking…"/>
                            </ActionForm>
                        }
                        .into_any(),
                        _ => view! {
                            <FormError error=err/>
                            <p>"Log in with your password first."</p>
                            <LoginLink/>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
