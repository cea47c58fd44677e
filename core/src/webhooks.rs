//! Webhooks: a repository's managers name URLs that hear of its events (a tag pushed or deleted,
//! visibility changed). An event is recorded in the transaction of the change as one delivery
//! per subscribed webhook, and the job queue sends it: signed with the webhook's secret
//! (`X-Berth-Signature-256`, GitHub's convention), retried with backoff for about a day, every
//! attempt logged. A guard keeps webhooks off loopback, private, link-local and metadata
//! addresses (checked on the address each attempt connects to) unless the operator allows them.

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{
    access::{self, Action, Refusal, Subject},
    accounts::{FieldErrors, User},
    clock,
    error::CoreError,
    hub::Hub,
    jobs,
    registry::repos::Repository,
    repositories::{self, RepoError},
    store,
};

/// Webhooks one repository may have.
pub const PER_REPOSITORY: i64 = 20;
/// Deliveries kept in each webhook's log (with their attempts); older ones are pruned.
pub const DELIVERIES_KEPT: i64 = 50;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole attempt: connecting, sending, the response's head and the part of its body kept.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of a response body kept in the log (the rest is not read).
pub const RESPONSE_KEPT: usize = 4096;
pub const NAME_MAX: usize = 100;
pub const URL_MAX: usize = 2000;
pub const SECRET_MAX: usize = 200;

/// What a webhook can hear of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    TagPushed,
    TagDeleted,
    VisibilityChanged,
    /// "Send test event".
    Test,
}

impl Event {
    /// The events a webhook may subscribe to, in the form's order.
    pub const CHOICES: [Event; 3] = [
        Event::TagPushed,
        Event::TagDeleted,
        Event::VisibilityChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::TagPushed => "tag_pushed",
            Event::TagDeleted => "tag_deleted",
            Event::VisibilityChanged => "visibility_changed",
            Event::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::CHOICES.into_iter().find(|e| e.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Event::TagPushed => "Tag pushed",
            Event::TagDeleted => "Tag deleted",
            Event::VisibilityChanged => "Visibility changed",
            Event::Test => "Test",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("This webhook does not exist.")]
    NotFound,
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Internal(#[from] CoreError),
}

impl From<sqlx::Error> for WebhookError {
    fn from(e: sqlx::Error) -> Self {
        WebhookError::Internal(CoreError::Db(e))
    }
}

fn field(name: &'static str, message: impl Into<String>) -> WebhookError {
    WebhookError::Invalid(FieldErrors(vec![(name, message.into())]))
}

#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub events: Vec<Event>,
    pub has_secret: bool,
    pub active: bool,
    pub created_at: i64,
    /// Why Berth turned it off (its creator lost the right to manage the repository), if it did.
    pub disabled_reason: Option<String>,
    /// The newest delivery's state (`delivered`, `retrying`, …).
    pub last_state: Option<String>,
}

impl From<store::webhooks::WebhookRow> for Webhook {
    fn from(r: store::webhooks::WebhookRow) -> Self {
        Webhook {
            id: r.id,
            name: r.name,
            url: r.url,
            events: r.events.split(',').filter_map(Event::parse).collect(),
            has_secret: r.secret.is_some(),
            active: r.active != 0,
            created_at: r.created_at,
            disabled_reason: r.disabled_reason,
            last_state: r.last_state,
        }
    }
}

/// One event sent (or to be sent) to one webhook, with its attempts.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub row: i64,
    pub delivery_id: String,
    pub event: String,
    pub body: String,
    pub created_at: i64,
    pub state: String,
    pub last_status: Option<i64>,
    pub attempts: Vec<Attempt>,
}

#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: i64,
    pub duration_ms: i64,
    pub request_headers: String,
    pub status: Option<i64>,
    pub response_body: String,
    pub error: Option<String>,
}

/// A webhook as typed in the form.
pub struct Form<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a [String],
    /// Empty keeps the current secret (when editing) or sets none.
    pub secret: &'a str,
    pub remove_secret: bool,
    pub active: bool,
}

/// Opens a repository whose webhooks `user` may manage (its owners, editors, admin teams and
/// site administrators: the access rule's `Administer`).
async fn open_managed(hub: &Hub, user: &User, full_name: &str) -> Result<Repository, WebhookError> {
    let (namespace, name) = full_name.split_once('/').ok_or(RepoError::NotFound)?;
    let (repo, _) = repositories::open(hub, Some(user), namespace, name).await?;
    match access::decide(hub, &Subject::User(user.clone()), &repo, Action::Administer).await? {
        Ok(_) => Ok(repo),
        Err(Refusal::Denied(_)) => Err(RepoError::NotOwner.into()),
        Err(_) => Err(RepoError::NotFound.into()),
    }
}

async fn webhook_of(
    hub: &Hub,
    repo: &Repository,
    id: i64,
) -> Result<store::webhooks::WebhookRow, WebhookError> {
    store::webhooks::by_id(hub.db.pool(), id)
        .await?
        .filter(|w| w.repository_id == repo.id)
        .ok_or(WebhookError::NotFound)
}

/// The webhooks of a repository `user` manages.
pub async fn list(hub: &Hub, user: &User, full_name: &str) -> Result<Vec<Webhook>, WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    Ok(store::webhooks::of_repository(hub.db.pool(), repo.id)
        .await?
        .into_iter()
        .map(Webhook::from)
        .collect())
}

/// Checks a form; returns the events as stored.
async fn check_form(hub: &Hub, form: &Form<'_>) -> Result<String, WebhookError> {
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    errors.check(
        "name",
        if name.is_empty() {
            Err("Give the webhook a name.".into())
        } else {
            repositories::at_most(name, NAME_MAX)
        },
    );
    errors.check("url", check_url(hub, form.url.trim()).await.map(|_| ()));
    let mut events = Vec::new();
    for e in form.events {
        match Event::parse(e) {
            Some(ev) if !events.contains(&ev) => events.push(ev),
            Some(_) => {}
            None => {
                errors.check("events", Err(format!("{e:?} is not an event.")));
            }
        }
    }
    if events.is_empty() {
        errors.check("events", Err("Choose at least one event.".into()));
    }
    errors.check("secret", repositories::at_most(form.secret, SECRET_MAX));
    if !errors.0.is_empty() {
        return Err(WebhookError::Invalid(errors));
    }
    Ok(events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

pub async fn create(
    hub: &Hub,
    user: &User,
    full_name: &str,
    form: Form<'_>,
) -> Result<Webhook, WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let events = check_form(hub, &form).await?;
    if store::webhooks::count_of_repository(hub.db.pool(), repo.id).await? >= PER_REPOSITORY {
        return Err(field(
            "name",
            format!("A repository can have {PER_REPOSITORY} webhooks."),
        ));
    }
    let secret = Some(form.secret).filter(|s| !s.is_empty());
    let id = store::webhooks::insert(
        hub.db.pool(),
        store::webhooks::NewWebhook {
            repository_id: repo.id,
            name: form.name.trim(),
            url: form.url.trim(),
            events: &events,
            secret,
            created_by: user.id,
            at: clock::now(),
        },
    )
    .await?;
    tracing::info!(repository = %repo.full_name, webhook = id, user = %user.username, "webhook added");
    Ok(webhook_of(hub, &repo, id).await?.into())
}

pub async fn update(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
    form: Form<'_>,
) -> Result<(), WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let hook = webhook_of(hub, &repo, id).await?;
    let events = check_form(hub, &form).await?;
    let secret = if form.remove_secret {
        Some(None)
    } else if form.secret.is_empty() {
        None
    } else {
        Some(Some(form.secret))
    };
    store::webhooks::update(
        hub.db.pool(),
        hook.id,
        store::webhooks::Changes {
            name: form.name.trim(),
            url: form.url.trim(),
            events: &events,
            secret,
            active: form.active,
            by: user.id,
            at: clock::now(),
        },
    )
    .await?;
    Ok(())
}

pub async fn delete(hub: &Hub, user: &User, full_name: &str, id: i64) -> Result<(), WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let hook = webhook_of(hub, &repo, id).await?;
    store::webhooks::delete(hub.db.pool(), hook.id).await?;
    Ok(())
}

/// A webhook with its newest deliveries (newest first) and their attempts.
pub async fn log(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
) -> Result<(Webhook, Vec<Delivery>), WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let hook = webhook_of(hub, &repo, id).await?;
    let rows = store::webhooks::deliveries(hub.db.pool(), hook.id, DELIVERIES_KEPT).await?;
    let oldest = rows.last().map_or(0, |r| r.id);
    let mut attempts = store::webhooks::attempts(hub.db.pool(), hook.id, oldest).await?;
    let deliveries = rows
        .into_iter()
        .map(|r| Delivery {
            attempts: attempts
                .extract_if(.., |a| a.delivery_row == r.id)
                .map(|a| Attempt {
                    at: a.attempted_at,
                    duration_ms: a.duration_ms,
                    request_headers: a.request_headers,
                    status: a.status,
                    response_body: a.response_body,
                    error: a.error,
                })
                .collect(),
            row: r.id,
            delivery_id: r.delivery_id,
            event: r.event,
            body: r.body,
            created_at: r.created_at,
            state: r.state,
            last_status: r.last_status,
        })
        .collect();
    Ok((hook.into(), deliveries))
}

/// What happened, for an event's payload.
pub struct Change<'a> {
    pub event: Event,
    /// Who did it.
    pub actor: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub media_type: Option<&'a str>,
    /// JSON list of `{os, architecture, variant}`.
    pub platforms: Option<&'a str>,
}

/// Docker Hub's payload (`push_data`, `repository`), so existing receivers keep working, with
/// Berth's additions: `event`, `delivery_id`, `digest`, `media_type`, `platforms`.
fn payload(
    hub: &Hub,
    repo: &Repository,
    change: &Change<'_>,
    delivery_id: &str,
    at: i64,
) -> String {
    let platforms: Value = change
        .platforms
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Array(Vec::new()));
    json!({
        "event": change.event.as_str(),
        "delivery_id": delivery_id,
        "push_data": {
            "pushed_at": at,
            "pusher": change.actor,
            "tag": change.tag,
        },
        "repository": {
            "name": repo.name,
            "namespace": repo.namespace,
            "owner": repo.namespace,
            "repo_name": repo.full_name,
            "repo_url": format!("{}/r/{}", hub.config.public_url, repo.full_name),
            "description": repo.description,
            "is_private": repo.is_private,
            "is_official": repo.is_official(),
            "star_count": repo.star_count,
            "status": "Active",
            "date_created": repo.created_at,
        },
        "digest": change.digest,
        "media_type": change.media_type,
        "platforms": platforms,
    })
    .to_string()
}

fn new_delivery_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Records `change` for every active webhook of `repo` that wants it, in the caller's
/// transaction (so an event exists exactly when its change does), and queues their delivery.
/// Returns whether anything was queued (the caller wakes the queue after commit).
pub async fn record(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hub: &Hub,
    repo: &Repository,
    change: Change<'_>,
) -> Result<bool, CoreError> {
    let hooks = store::webhooks::of_repository(&mut **tx, repo.id).await?;
    let mut queued = false;
    let now = clock::now();
    for hook in hooks.into_iter().map(Webhook::from) {
        if !hook.active || !hook.events.contains(&change.event) {
            continue;
        }
        queue(tx, hub, repo, hook.id, &change, now).await?;
        queued = true;
    }
    Ok(queued)
}

async fn queue(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hub: &Hub,
    repo: &Repository,
    webhook_id: i64,
    change: &Change<'_>,
    now: i64,
) -> Result<i64, CoreError> {
    let delivery_id = new_delivery_id();
    let body = payload(hub, repo, change, &delivery_id, now);
    let row = store::webhooks::insert_delivery(
        &mut **tx,
        webhook_id,
        &delivery_id,
        change.event.as_str(),
        &body,
        now,
    )
    .await?;
    jobs::enqueue(&mut **tx, &jobs::Job::Webhook { delivery: row }).await?;
    store::webhooks::prune(&mut **tx, webhook_id, DELIVERIES_KEPT).await?;
    Ok(row)
}

/// "Send test event": a `test` event to this webhook, whatever it subscribes to.
pub async fn send_test(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
) -> Result<(), WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let hook = webhook_of(hub, &repo, id).await?;
    if hook.active == 0 {
        // Said, rather than queued only to be skipped.
        return Err(RepoError::Refused(
            "This webhook is turned off: tick Active and save it to send a test event.".into(),
        )
        .into());
    }
    let mut tx = hub.db.begin_write().await?;
    let change = Change {
        event: Event::Test,
        actor: &user.username,
        tag: None,
        digest: None,
        media_type: None,
        platforms: None,
    };
    queue(&mut tx, hub, &repo, hook.id, &change, clock::now()).await?;
    tx.commit().await?;
    hub.jobs.wake();
    Ok(())
}

/// Sends a delivery again: the same body and `delivery_id` (receivers may deduplicate), as a
/// new series of attempts.
pub async fn redeliver(
    hub: &Hub,
    user: &User,
    full_name: &str,
    id: i64,
    row: i64,
) -> Result<(), WebhookError> {
    let repo = open_managed(hub, user, full_name).await?;
    let hook = webhook_of(hub, &repo, id).await?;
    let delivery = store::webhooks::delivery(hub.db.pool(), row)
        .await?
        .filter(|d| d.webhook_id == hook.id)
        .ok_or(WebhookError::NotFound)?;
    let mut tx = hub.db.begin_write().await?;
    store::webhooks::set_delivery_state(&mut *tx, delivery.id, "pending", None).await?;
    // While it is still retrying, its scheduled retry runs now instead of a second send.
    jobs::enqueue_once(
        &mut tx,
        &jobs::Job::Webhook {
            delivery: delivery.id,
        },
    )
    .await?;
    tx.commit().await?;
    hub.jobs.wake();
    Ok(())
}

// The guard.

/// Whether the guard refuses `ip` by default: loopback, private, shared, link-local (the cloud
/// metadata address among them), unspecified, multicast, broadcast and documentation ranges,
/// and their IPv6 counterparts (IPv4-mapped addresses are judged as IPv4).
fn refused_by_default(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_by_default(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x64 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// Whether a webhook may connect to `ip` on this hub.
pub fn allowed(hub: &Hub, ip: IpAddr) -> bool {
    !refused_by_default(ip) || hub.config.webhook_allow.iter().any(|r| r.contains(ip))
}

/// Parses and checks a webhook URL at save time: http or https, a host, and (for an address
/// or a name that resolves now) an address the guard lets through. A name that does not
/// resolve yet is accepted; every attempt checks again.
pub async fn check_url(hub: &Hub, text: &str) -> Result<url::Url, String> {
    if text.is_empty() {
        return Err("Enter the URL to send events to.".into());
    }
    if text.len() > URL_MAX {
        return Err(format!("At most {URL_MAX} characters."));
    }
    let url = url::Url::parse(text)
        .map_err(|_| "Enter a whole URL, like https://ci.example.com/hooks/berth.".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Use an http or https URL.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put credentials in the secret, not in the URL.".into());
    }
    let addrs = resolve(&url).await.unwrap_or_default();
    if let Some(refused) = addrs.iter().find(|a| !allowed(hub, a.ip())) {
        return Err(format!(
            "{} is a loopback, private, link-local or otherwise internal address, which webhooks \
             may not reach (an operator can allow ranges with BERTH_WEBHOOK_ALLOW).",
            refused.ip()
        ));
    }
    Ok(url)
}

/// The addresses `url`'s host stands for (itself, for an address).
async fn resolve(url: &url::Url) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(name)) => {
            let found =
                tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((name, port)))
                    .await
                    .map_err(|_| format!("resolving {name} took too long"))?
                    .map_err(|e| format!("cannot resolve {name}: {e}"))?;
            Ok(found.collect())
        }
        None => Err("the URL has no host".into()),
    }
}

// Delivery.

/// HMAC-SHA256 of the body with the secret, as `X-Berth-Signature-256` carries it.
pub fn signature(secret: &str, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One attempt at delivering the delivery `row` (the job queue's `Webhook` job). An error asks
/// the queue to retry; `last` says this is its last attempt.
pub async fn deliver(hub: &Hub, row: i64, last: bool) -> Result<(), String> {
    let db = |e: sqlx::Error| e.to_string();
    let Some(delivery) = store::webhooks::delivery(hub.db.pool(), row)
        .await
        .map_err(db)?
    else {
        return Ok(()); // The webhook (and its log) was deleted.
    };
    let Some(hook) = store::webhooks::by_id(hub.db.pool(), delivery.webhook_id)
        .await
        .map_err(db)?
    else {
        return Ok(());
    };
    if hook.active != 0 {
        if let Some(reason) = creator_lost_access(hub, &hook)
            .await
            .map_err(|e| e.to_string())?
        {
            store::webhooks::disable(hub.db.pool(), hook.id, &reason)
                .await
                .map_err(db)?;
            tracing::warn!(webhook = hook.id, %reason, "webhook disabled");
            store::webhooks::set_delivery_state(hub.db.pool(), row, "skipped", None)
                .await
                .map_err(db)?;
            return Ok(());
        }
    }
    if hook.active == 0 {
        store::webhooks::set_delivery_state(hub.db.pool(), row, "skipped", None)
            .await
            .map_err(db)?;
        return Ok(());
    }
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".to_string(), "Berth-Webhooks".to_string()),
        ("X-Berth-Event".to_string(), delivery.event.clone()),
        ("X-Berth-Delivery".to_string(), delivery.delivery_id.clone()),
    ];
    if let Some(secret) = &hook.secret {
        headers.push((
            "X-Berth-Signature-256".to_string(),
            signature(secret, &delivery.body),
        ));
    }
    let shown_headers: String = headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    let started = Instant::now();
    let at = clock::now();
    let outcome = send(hub, &hook.url, &headers, &delivery.body).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status, body, error, state) = match &outcome {
        Sent::Answered { status, body } if (200..300).contains(status) => {
            (Some(*status), body.clone(), None, "delivered")
        }
        Sent::Answered { status, body } => (
            Some(*status),
            body.clone(),
            Some(format!("the receiver answered {status}")),
            if last { "failed" } else { "retrying" },
        ),
        Sent::Refused(why) => (None, String::new(), Some(why.clone()), "refused"),
        Sent::Failed(why) => (
            None,
            String::new(),
            Some(why.clone()),
            if last { "failed" } else { "retrying" },
        ),
    };
    let mut tx = hub.db.begin_write().await.map_err(|e| e.to_string())?;
    store::webhooks::insert_attempt(
        &mut *tx,
        store::webhooks::NewAttempt {
            delivery_row: row,
            attempted_at: at,
            duration_ms,
            request_headers: &shown_headers,
            status,
            response_body: &body,
            error: error.as_deref(),
        },
    )
    .await
    .map_err(db)?;
    store::webhooks::set_delivery_state(&mut *tx, row, state, status)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    match (state, error) {
        ("delivered", _) => {
            tracing::info!(webhook = hook.id, delivery = %delivery.delivery_id, status, duration_ms, "webhook delivered");
            Ok(())
        }
        ("refused", Some(why)) => {
            // Policy, not a passing failure: not retried.
            tracing::warn!(webhook = hook.id, url = %hook.url, %why, "webhook refused by the address guard");
            Ok(())
        }
        (_, why) => Err(why.unwrap_or_default()),
    }
}

/// Why a webhook must stop: the account that added or last saved it may no longer manage its
/// repository (removed from the organization, its team's admin permission taken away, deleted),
/// so its receiver must not keep getting the repository's events. `None` while it may.
async fn creator_lost_access(
    hub: &Hub,
    hook: &store::webhooks::WebhookRow,
) -> Result<Option<String>, CoreError> {
    let Some(creator) = hook.created_by else {
        return Ok(None);
    };
    let Some(repo) = store::repositories::by_id(hub.db.pool(), hook.repository_id).await? else {
        return Ok(None);
    };
    let repo = Repository::from(repo);
    let user = crate::accounts::user_by_id(hub, creator).await?;
    let may = match &user {
        Some(u) => access::decide(hub, &Subject::User(u.clone()), &repo, Action::Administer)
            .await?
            .is_ok(),
        None => false,
    };
    Ok((!may).then(|| {
        let who = user.map_or_else(|| "a deleted account".to_string(), |u| u.username);
        format!(
            "Turned off: it was set up by {who}, who may no longer manage {}. A manager can \
             check its URL and turn it on again (it then sends on their behalf).",
            repo.full_name
        )
    }))
}

enum Sent {
    Answered {
        status: i64,
        body: String,
    },
    /// The guard refused every address: nothing was sent.
    Refused(String),
    Failed(String),
}

/// Resolves the URL's host, keeps the addresses the guard allows, and sends to the first of
/// them (the connection goes to exactly the address checked, whatever DNS says a moment later).
/// No redirect is followed; the body is read up to [`RESPONSE_KEPT`] bytes.
async fn send(hub: &Hub, url: &str, headers: &[(String, String)], body: &str) -> Sent {
    let Ok(parsed) = url::Url::parse(url) else {
        return Sent::Refused(format!("{url:?} is not a URL"));
    };
    let addrs = match resolve(&parsed).await {
        Ok(a) => a,
        Err(e) => return Sent::Failed(e),
    };
    let Some(addr) = addrs.iter().copied().find(|a| allowed(hub, a.ip())) else {
        return Sent::Refused(format!(
            "{} resolves only to internal addresses ({}), which webhooks may not reach; nothing was sent",
            parsed.host_str().unwrap_or_default(),
            addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")
        ));
    };
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .no_proxy();
    if let Some(url::Host::Domain(name)) = parsed.host() {
        builder = builder.resolve(name, addr);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return Sent::Failed(format!("could not make a client: {e}")),
    };
    let mut request = client.post(parsed).body(body.to_string());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Sent::Failed(describe(&e)),
    };
    let status = i64::from(response.status().as_u16());
    let mut kept = Vec::new();
    while kept.len() < RESPONSE_KEPT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                kept.extend_from_slice(&chunk[..chunk.len().min(RESPONSE_KEPT - kept.len())])
            }
            Ok(None) | Err(_) => break,
        }
    }
    Sent::Answered {
        status,
        body: String::from_utf8_lossy(&kept).into_owned(),
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_refuses_internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(refused_by_default(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!refused_by_default(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn signatures_follow_githubs_convention() {
        // HMAC-SHA256("It's a Secret to Everybody", "Hello, World!") from GitHub's documentation.
        assert_eq!(
            signature("It's a Secret to Everybody", "Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
