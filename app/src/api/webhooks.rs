//! Server functions of webhooks: each parses its form, calls one `berth_core::webhooks`
//! function and redirects, so plain HTML forms work.
// A plain form's fields are a server function's arguments, one each: the settings form has ten.
// (An attribute on the function does not reach the code `#[server]` generates for the browser.)
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::{error::AppError, model::WebhookView};

#[cfg(feature = "ssr")]
use crate::{model::WebhookItem, ssr::*};

#[cfg(feature = "ssr")]
pub(super) fn item(w: &berth_core::webhooks::Webhook) -> WebhookItem {
    WebhookItem {
        id: w.id,
        name: w.name.clone(),
        url: w.url.clone(),
        events: w.events.iter().map(|e| e.as_str().to_string()).collect(),
        has_secret: w.has_secret,
        active: w.active,
        disabled_reason: w.disabled_reason.clone(),
        last_state: w.last_state.clone(),
    }
}

/// "Tag pushed: v1.2" — the event in words, with the tag the payload names.
#[cfg(feature = "ssr")]
fn delivery_title(event: &str, body: &str) -> String {
    let label = berth_core::webhooks::Event::parse(event).map_or(event, |e| e.label());
    let tag = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/push_data/tag")?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty());
    match tag {
        Some(t) => format!("{label}: {t}"),
        None => label.to_string(),
    }
}

#[cfg(feature = "ssr")]
fn webhook_error(e: berth_core::webhooks::WebhookError, values: &[(&str, &str)]) -> AppError {
    use berth_core::webhooks::WebhookError;
    match e {
        WebhookError::Repo(e) => repo_error(e, values),
        WebhookError::Invalid(f) => {
            repo_error(berth_core::repositories::RepoError::Invalid(f), values)
        }
        WebhookError::NotFound => repo_error(berth_core::repositories::RepoError::NotFound, values),
        WebhookError::Internal(e) => core_error(e),
    }
}

/// The ticked event boxes of a form.
#[cfg(feature = "ssr")]
fn events(
    tag_pushed: &Option<String>,
    tag_deleted: &Option<String>,
    visibility_changed: &Option<String>,
) -> Vec<String> {
    [
        ("tag_pushed", tag_pushed),
        ("tag_deleted", tag_deleted),
        ("visibility_changed", visibility_changed),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| k.to_string())
    .collect()
}

#[cfg(feature = "ssr")]
fn page(full_name: &str, id: i64, query: &str) -> String {
    format!("/r/{full_name}/webhooks/{id}{query}")
}

#[server(endpoint = "webhooks/create")]
pub async fn create_webhook(
    full_name: String,
    name: String,
    url: String,
    secret: String,
    tag_pushed: Option<String>,
    tag_deleted: Option<String>,
    visibility_changed: Option<String>,
) -> Result<(), AppError> {
    use berth_core::webhooks::{self, Form};
    let user = require_user().await?;
    let events = events(&tag_pushed, &tag_deleted, &visibility_changed);
    let hook = webhooks::create(
        &hub()?,
        &user,
        &full_name,
        Form {
            name: &name,
            url: &url,
            events: &events,
            secret: &secret,
            remove_secret: false,
            active: true,
        },
    )
    .await
    .map_err(|e| webhook_error(e, &[("name", &name), ("url", &url)]))?;
    leptos_axum::redirect(&page(&full_name, hook.id, "?saved=created"));
    Ok(())
}

#[server(endpoint = "webhooks/update")]
pub async fn update_webhook(
    full_name: String,
    id: i64,
    name: String,
    url: String,
    secret: String,
    remove_secret: Option<String>,
    active: Option<String>,
    tag_pushed: Option<String>,
    tag_deleted: Option<String>,
    visibility_changed: Option<String>,
) -> Result<(), AppError> {
    use berth_core::webhooks::{self, Form};
    let user = require_user().await?;
    let events = events(&tag_pushed, &tag_deleted, &visibility_changed);
    webhooks::update(
        &hub()?,
        &user,
        &full_name,
        id,
        Form {
            name: &name,
            url: &url,
            events: &events,
            secret: &secret,
            remove_secret: remove_secret.is_some(),
            active: active.is_some(),
        },
    )
    .await
    .map_err(|e| webhook_error(e, &[("name", &name), ("url", &url)]))?;
    leptos_axum::redirect(&page(&full_name, id, "?saved=settings"));
    Ok(())
}

#[server(endpoint = "webhooks/delete")]
pub async fn delete_webhook(full_name: String, id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::webhooks::delete(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| webhook_error(e, &[]))?;
    leptos_axum::redirect(&format!(
        "/r/{full_name}?tab=settings&section=webhooks&saved=webhooks"
    ));
    Ok(())
}

#[server(endpoint = "webhooks/test")]
pub async fn test_webhook(full_name: String, id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::webhooks::send_test(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| webhook_error(e, &[]))?;
    leptos_axum::redirect(&page(&full_name, id, "?saved=test"));
    Ok(())
}

#[server(endpoint = "webhooks/redeliver")]
pub async fn redeliver_webhook(full_name: String, id: i64, row: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::webhooks::redeliver(&hub()?, &user, &full_name, id, row)
        .await
        .map_err(|e| webhook_error(e, &[]))?;
    leptos_axum::redirect(&page(&full_name, id, "?saved=redeliver"));
    Ok(())
}

/// A webhook's page: settings and the delivery log.
#[server(endpoint = "webhooks/get")]
pub async fn get_webhook(
    namespace: String,
    name: String,
    id: i64,
) -> Result<WebhookView, AppError> {
    use berth_core::{clock, webhooks};
    let user = require_user().await?;
    let full_name = format!("{namespace}/{name}");
    let (hook, deliveries) = webhooks::log(&hub()?, &user, &full_name, id)
        .await
        .map_err(|e| webhook_error(e, &[]))?;
    Ok(WebhookView {
        full_name,
        hook: item(&hook),
        choices: webhooks::Event::CHOICES
            .iter()
            .map(|e| (e.as_str().to_string(), e.label().to_string()))
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|d| crate::model::DeliveryItem {
                row: d.row,
                delivery_id: d.delivery_id,
                event: delivery_title(&d.event, &d.body),
                state: d.state,
                status: d.last_status,
                when: clock::format_time(d.created_at),
                body: serde_json::from_str::<serde_json::Value>(&d.body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(d.body),
                attempts: d
                    .attempts
                    .into_iter()
                    .map(|a| crate::model::AttemptItem {
                        when: clock::format_time(a.at),
                        duration_ms: a.duration_ms,
                        status: a.status,
                        error: a.error,
                        request_headers: a.request_headers,
                        response_body: a.response_body,
                    })
                    .collect(),
            })
            .collect(),
        kept: webhooks::DELIVERIES_KEPT,
    })
}
