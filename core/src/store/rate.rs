use sqlx::{Any, Executor};

pub async fn count<'c>(
    ex: impl Executor<'c, Database = Any>,
    bucket: &str,
    window_start: i64,
) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT count FROM rate_counts WHERE bucket = $1 AND window_start = $2",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_optional(ex)
    .await?
    .unwrap_or(0))
}

/// Adds one to the bucket's window and returns the new count (one statement, so replicas
/// counting at once do not lose a count).
pub async fn increment<'c>(
    ex: impl Executor<'c, Database = Any>,
    bucket: &str,
    window_start: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO rate_counts (bucket, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counts.count + 1
         RETURNING count",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(ex)
    .await
}

/// Takes one from the bucket's window, if it holds any.
pub async fn decrement<'c>(
    ex: impl Executor<'c, Database = Any>,
    bucket: &str,
    window_start: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE rate_counts SET count = count - 1
         WHERE bucket = $1 AND window_start = $2 AND count > 0",
    )
    .bind(bucket)
    .bind(window_start)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn prune<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM rate_counts WHERE window_start < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
