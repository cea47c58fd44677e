//! Webhooks, their deliveries and each delivery's attempts.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub repository_id: i64,
    pub name: String,
    pub url: String,
    pub events: String,
    pub secret: Option<String>,
    pub active: i64,
    pub created_at: i64,
    /// Who added or last saved it (NULL before this was kept).
    pub created_by: Option<i64>,
    /// Why Berth turned it off, if it did.
    pub disabled_reason: Option<String>,
    /// State of the newest delivery, if any.
    pub last_state: Option<String>,
}

const WEBHOOK_SELECT: &str = "SELECT w.id, w.repository_id, w.name, w.url, w.events, w.secret,
        w.active, w.created_at, w.created_by, w.disabled_reason,
        (SELECT d.state FROM webhook_deliveries d WHERE d.webhook_id = w.id
         ORDER BY d.id DESC LIMIT 1) AS last_state
    FROM webhooks w";

pub struct NewWebhook<'a> {
    pub repository_id: i64,
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a str,
    pub secret: Option<&'a str>,
    pub created_by: i64,
    pub at: i64,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    w: NewWebhook<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhooks (repository_id, name, url, events, secret, active, created_at, updated_at, created_by)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7) RETURNING id",
    )
    .bind(w.repository_id)
    .bind(w.name)
    .bind(w.url)
    .bind(w.events)
    .bind(w.secret)
    .bind(w.at)
    .bind(w.created_by)
    .fetch_one(ex)
    .await
}

pub struct Changes<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a str,
    /// `None` keeps the secret; `Some(None)` removes it.
    pub secret: Option<Option<&'a str>>,
    pub active: bool,
    /// Who saves it: it delivers on their rights from now on.
    pub by: i64,
    pub at: i64,
}

/// Saves a webhook's settings; saving it clears a reason Berth had for turning it off.
pub async fn update<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    c: Changes<'_>,
) -> Result<(), sqlx::Error> {
    let (replace, secret) = match c.secret {
        None => (0i64, None),
        Some(s) => (1, s),
    };
    sqlx::query(
        "UPDATE webhooks SET name = $1, url = $2, events = $3, active = $4, updated_at = $5,
                secret = CASE WHEN $6 = 1 THEN $7 ELSE secret END, created_by = $9,
                disabled_reason = NULL
         WHERE id = $8",
    )
    .bind(c.name)
    .bind(c.url)
    .bind(c.events)
    .bind(i64::from(c.active))
    .bind(c.at)
    .bind(replace)
    .bind(secret)
    .bind(id)
    .bind(c.by)
    .execute(ex)
    .await?;
    Ok(())
}

/// Turns a webhook off, saying why.
pub async fn disable<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhooks SET active = 0, disabled_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete<'c>(ex: impl Executor<'c, Database = Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<WebhookRow>, sqlx::Error> {
    sqlx::query_as(&format!("{WEBHOOK_SELECT} WHERE w.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn of_repository<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{WEBHOOK_SELECT} WHERE w.repository_id = $1 ORDER BY w.id"
    ))
    .bind(repository_id)
    .fetch_all(ex)
    .await
}

pub async fn count_of_repository<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE repository_id = $1")
        .bind(repository_id)
        .fetch_one(ex)
        .await
}

/// Records one event for one webhook; returns the delivery's row id.
pub async fn insert_delivery<'c>(
    ex: impl Executor<'c, Database = Any>,
    webhook_id: i64,
    delivery_id: &str,
    event: &str,
    body: &str,
    at: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, body, created_at, state)
         VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
    )
    .bind(webhook_id)
    .bind(delivery_id)
    .bind(event)
    .bind(body)
    .bind(at)
    .fetch_one(ex)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub delivery_id: String,
    pub event: String,
    pub body: String,
    pub created_at: i64,
    pub state: String,
    pub last_status: Option<i64>,
}

const DELIVERY_COLUMNS: &str =
    "id, webhook_id, delivery_id, event, body, created_at, state, last_status";

pub async fn delivery<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The newest deliveries of a webhook, newest first.
pub async fn deliveries<'c>(
    ex: impl Executor<'c, Database = Any>,
    webhook_id: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1
         ORDER BY id DESC LIMIT $2"
    ))
    .bind(webhook_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn set_delivery_state<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    state: &str,
    status: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, last_status = COALESCE($2, last_status) WHERE id = $3",
    )
    .bind(state)
    .bind(status)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

pub struct NewAttempt<'a> {
    pub delivery_row: i64,
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub request_headers: &'a str,
    pub status: Option<i64>,
    pub response_body: &'a str,
    pub error: Option<&'a str>,
}

pub async fn insert_attempt<'c>(
    ex: impl Executor<'c, Database = Any>,
    a: NewAttempt<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_row, attempted_at, duration_ms, request_headers, status, response_body, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.delivery_row)
    .bind(a.attempted_at)
    .bind(a.duration_ms)
    .bind(a.request_headers)
    .bind(a.status)
    .bind(a.response_body)
    .bind(a.error)
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub delivery_row: i64,
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub request_headers: String,
    pub status: Option<i64>,
    pub response_body: String,
    pub error: Option<String>,
}

/// The attempts of a webhook's newest deliveries (those after `from_row`), oldest first.
pub async fn attempts<'c>(
    ex: impl Executor<'c, Database = Any>,
    webhook_id: i64,
    from_row: i64,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.delivery_row, a.attempted_at, a.duration_ms, a.request_headers, a.status,
                a.response_body, a.error
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_row
         WHERE d.webhook_id = $1 AND d.id >= $2 ORDER BY a.id",
    )
    .bind(webhook_id)
    .bind(from_row)
    .fetch_all(ex)
    .await
}

/// Keeps only the newest `keep` deliveries of a webhook (their attempts go with them).
pub async fn prune<'c>(
    ex: impl Executor<'c, Database = Any>,
    webhook_id: i64,
    keep: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND id < COALESCE(
            (SELECT MIN(id) FROM (SELECT id FROM webhook_deliveries WHERE webhook_id = $1
                                  ORDER BY id DESC LIMIT $2) newest), 0)",
    )
    .bind(webhook_id)
    .bind(keep)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}
