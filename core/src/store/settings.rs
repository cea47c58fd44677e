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

/// Replaces `old` with `new`; false if the value was no longer `old` (another replica won).
pub async fn compare_and_set<'c>(
    ex: impl Executor<'c, Database = Any>,
    key: &str,
    old: &str,
    new: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3")
        .bind(new)
        .bind(key)
        .bind(old)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}
