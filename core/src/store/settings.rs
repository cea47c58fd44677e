use sqlx::{Any, Executor};

pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(ex)
        .await
}

/// Stores `value` unless the key already has one (the first replica to start wins).
pub async fn insert_if_absent<'c>(
    ex: impl Executor<'c, Database = Any>,
    key: &str,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(ex)
        .await?;
    Ok(())
}
