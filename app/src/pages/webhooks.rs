//! Webhooks: the list and the add form on a repository's Settings tab, and each webhook's page
//! with its settings, "Send test event" and the delivery log with "Redeliver". Plain forms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        get_webhook, CreateWebhook, DeleteWebhook, RedeliverWebhook, TestWebhook, UpdateWebhook,
    },
    components::{action_error, field_error, field_value, Confirm, Field, FormError, Notice},
    model::{WebhookItem, WebhookView},
    pages::load_failed,
};

const EVENTS: [(&str, &str); 3] = [
    ("tag_pushed", "Tag pushed"),
    ("tag_deleted", "Tag deleted"),
    ("visibility_changed", "Visibility changed"),
];

fn state_badge(state: Option<String>) -> impl IntoView {
    state.map(|s| {
        let class = match s.as_str() {
            "delivered" => "badge badge-ok",
            "pending" => "badge",
            _ => "badge badge-warn",
        };
        view! { <span class=class>{s}</span> }
    })
}

/// The Settings tab's section.
#[component]
pub fn WebhooksSection(full_name: String, hooks: Vec<WebhookItem>) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let err = action_error(create);
    let none = hooks.is_empty();
    let items = hooks
        .into_iter()
        .map(|h| {
            let href = format!("/r/{full_name}/webhooks/{}", h.id);
            let events = h
                .events
                .iter()
                .filter_map(|e| EVENTS.iter().find(|(k, _)| k == e).map(|(_, l)| *l))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <li class="repo-item">
                    <div class="repo-item-head">
                        <a class="repo-name" href=href>{h.name.clone()}</a>
                        {(!h.active).then(|| view! { <span class="badge badge-warn">"disabled"</span> })}
                        {state_badge(h.last_state.clone())}
                    </div>
                    <p class="repo-desc webhook-url"><code>{h.url.clone()}</code></p>
                    {h.disabled_reason.clone().map(|why| view! { <p class="alert alert-warning">{why}</p> })}
                    <p class="muted repo-meta">{events}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel" id="webhooks">
            <h2>"Webhooks"</h2>
            <p class="muted">"Each event is sent as a signed JSON POST (Docker Hub's payload, with the digest and platforms added). Open a webhook for its delivery log."</p>
            {if none {
                view! { <p>"No webhooks yet."</p> }.into_any()
            } else {
                view! { <ul class="repo-list">{items}</ul> }.into_any()
            }}
            <h3>"Add a webhook"</h3>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <input type="hidden" name="full_name" value=full_name.clone()/>
                <Field label="Webhook name" name="name" required=true error=field_error(err, "name") value=field_value(err, "name")/>
                <Field label="Destination URL" name="url" kind="url" hint="http or https. Internal addresses (loopback, private networks, link-local) are refused." required=true error=field_error(err, "url") value=field_value(err, "url")/>
                <EventChoices error=field_error(err, "events") chosen=vec!["tag_pushed".to_string()]/>
                <Field label="Secret (optional)" name="secret" kind="password" autocomplete="new-password" hint="Signs each body: X-Berth-Signature-256 is sha256= and the hex HMAC-SHA256 of the exact body with this secret." error=field_error(err, "secret")/>
                <button type="submit" class="button">"Add webhook"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn EventChoices(error: Signal<Option<String>>, chosen: Vec<String>) -> impl IntoView {
    view! {
        <fieldset class="field visibility" class:invalid=move || error.with(Option::is_some)>
            <legend>"Events"</legend>
            {EVENTS.iter().map(|(k, label)| {
                let checked = chosen.iter().any(|c| c == k);
                view! {
                    <label class="choice">
                        <input type="checkbox" name=*k value="on" checked=checked/>
                        <span>{*label}</span>
                    </label>
                }
            }).collect_view()}
            {move || error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </fieldset>
    }
}

/// `/r/NS/NAME/webhooks/ID`.
#[component]
pub fn WebhookPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0),
            query.with(|q| q.get("saved")),
        )
    };
    let hook = Resource::new(key, |(namespace, name, id, _)| {
        get_webhook(namespace, name, id)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match hook.await {
                    Ok(view) => view! { <Webhook view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Webhook(view: WebhookView) -> impl IntoView {
    let query = use_query_map();
    let saved = move || {
        query.with(|q| match q.get("saved").as_deref() {
            Some("created") => Some("Webhook added. Send a test event to check the receiver."),
            Some("settings") => Some("Webhook saved."),
            Some("test") => Some("Test event queued: it appears below once sent."),
            Some("redeliver") => Some("Delivery queued again."),
            _ => None,
        })
    };
    let update = ServerAction::<UpdateWebhook>::new();
    let err = action_error(update);
    let test = ServerAction::<TestWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let full_name = StoredValue::new(view.full_name.clone());
    let id = view.hook.id.to_string();
    let id = StoredValue::new(id);
    let h = view.hook.clone();
    let name = h.name.clone();
    let url = h.url.clone();
    let deliveries = view
        .deliveries
        .iter()
        .cloned()
        .map(|d| {
            let attempts = d
                .attempts
                .iter()
                .cloned()
                .enumerate()
                .map(|(n, a)| {
                    view! {
                        <li class="attempt">
                            <p>
                                <strong>"Attempt " {n + 1}</strong> " · " {a.when.clone()} " · " {a.duration_ms} " ms · "
                                {a.status.map_or_else(|| "no answer".to_string(), |s| format!("status {s}"))}
                            </p>
                            {a.error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
                            <p class="command-label">"Request headers"</p>
                            <pre class="log">{a.request_headers.clone()}</pre>
                            <p class="command-label">"Response body (first 4 KiB)"</p>
                            <pre class="log">{a.response_body.clone()}</pre>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li class="delivery">
                    <details>
                        <summary>
                            <span class="delivery-event">{d.event.clone()}</span>
                            {state_badge(Some(d.state.clone()))}
                            {d.status.map(|s| view! { <span class="muted">{format!("HTTP {s}")}</span> })}
                            <span class="muted delivery-when">{d.when.clone()}</span>
                        </summary>
                        <p class="muted">"Delivery " <code>{d.delivery_id.clone()}</code></p>
                        <p class="command-label">"Request body"</p>
                        <pre class="log">{d.body.clone()}</pre>
                        <ol class="attempts">{attempts}</ol>
                    </details>
                    <ActionForm action=redeliver attr:class="form-inline">
                        <input type="hidden" name="full_name" value=full_name.get_value()/>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="row" value=d.row.to_string()/>
                        <button type="submit" class="button button-small" aria-label=format!("Redeliver {}", d.delivery_id)>"Redeliver"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let none = view.deliveries.is_empty();
    view! {
        <Title text=format!("Webhook {}", h.name)/>
        <section class="repo-page">
            <p class="breadcrumbs"><a href=format!("/r/{}?tab=settings&section=webhooks", view.full_name)>{view.full_name.clone()} " · Settings"</a></p>
            <h1>"Webhook " {h.name.clone()} {(!h.active).then(|| view! { " " <span class="badge badge-warn">"disabled"</span> })}</h1>
            {move || saved().map(|t| view! { <Notice text=t/> })}
            <div class="settings">
                <section class="panel">
                    <h2>"Deliveries"</h2>
                    <p class="muted">"The newest " {view.kept} " deliveries, newest first, with every attempt. Failed deliveries are retried with growing pauses for about a day."</p>
                    <ActionForm action=test attr:class="form-inline">
                        <input type="hidden" name="full_name" value=full_name.get_value()/>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <button type="submit" class="button button-primary">"Send test event"</button>
                    </ActionForm>
                    {if none {
                        view! { <p>"Nothing delivered yet."</p> }.into_any()
                    } else {
                        view! { <ul class="deliveries">{deliveries}</ul> }.into_any()
                    }}
                </section>
                <section class="panel">
                    <h2>"Settings"</h2>
                    {h.disabled_reason.clone().map(|why| view! { <p class="alert alert-warning" role="status">{why}</p> })}
                    <ActionForm action=update attr:class="form" attr:novalidate=true>
                        <FormError error=err/>
                        <input type="hidden" name="full_name" value=full_name.get_value()/>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <Field label="Webhook name" name="name" required=true error=field_error(err, "name")
                            value=Signal::derive(move || field_value(err, "name").get().or(Some(name.clone())))/>
                        <Field label="Destination URL" name="url" kind="url" required=true error=field_error(err, "url")
                            value=Signal::derive(move || field_value(err, "url").get().or(Some(url.clone())))/>
                        <EventChoices error=field_error(err, "events") chosen=h.events.clone()/>
                        <Field label="New secret" name="secret" kind="password" autocomplete="new-password"
                            hint=if h.has_secret { "A secret is set. Leave empty to keep it." } else { "No secret is set: deliveries are not signed." }
                            error=field_error(err, "secret")/>
                        {h.has_secret.then(|| view! {
                            <label class="choice"><input type="checkbox" name="remove_secret" value="on"/><span>"Remove the secret"</span></label>
                        })}
                        <label class="choice"><input type="checkbox" name="active" value="on" checked=h.active/><span>"Active (a disabled webhook's pending deliveries are skipped)"</span></label>
                        <button type="submit" class="button">"Save"</button>
                    </ActionForm>
                </section>
                <section class="panel danger-zone">
                    <h2>"Delete webhook"</h2>
                    <Confirm key="delete-webhook" label="Delete webhook"
                        question=format!("Delete the webhook {} and its delivery log? Its receiver gets no more events.", h.name)>
                        <ActionForm action=delete attr:class="form-inline">
                            <input type="hidden" name="full_name" value=full_name.get_value()/>
                            <input type="hidden" name="id" value=id.get_value()/>
                            <button type="submit" class="button button-danger">"Delete the webhook"</button>
                        </ActionForm>
                    </Confirm>
                </section>
            </div>
        </section>
    }
}
