use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
}

pub async fn enqueue<'c>(
    ex: impl Executor<'c, Database = Any>,
    recipient: &str,
    subject: &str,
    body_text: &str,
    body_html: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO mail_queue (recipient, subject, body_text, body_html, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(recipient)
    .bind(subject)
    .bind(body_text)
    .bind(body_html)
    .bind(now)
    .fetch_one(ex)
    .await
}

pub async fn due_ids<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM mail_queue WHERE sent_at IS NULL AND next_attempt_at <= $1 AND locked_until <= $1
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Leases one mail to this process until `until`; false if another worker holds it.
pub async fn lease<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE mail_queue SET locked_until = $1 WHERE id = $2 AND sent_at IS NULL AND locked_until <= $3",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<QueuedMail>, sqlx::Error> {
    sqlx::query_as("SELECT id, recipient, subject, body_text, body_html, attempts FROM mail_queue WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn mark_sent<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, locked_until = 0 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn mark_failed<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    error: &str,
    next_attempt_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, locked_until = 0
         WHERE id = $3",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn pending_count<'c>(ex: impl Executor<'c, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NULL")
        .fetch_one(ex)
        .await
}
