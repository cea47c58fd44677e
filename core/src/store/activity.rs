use sqlx::{Any, Executor};

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    at: i64,
    kind: &str,
    detail: &str,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO activity (user_id, at, kind, detail, ip) VALUES ($1, $2, $3, $4, $5)")
        .bind(user_id)
        .bind(at)
        .bind(kind)
        .bind(detail)
        .bind(ip)
        .execute(ex)
        .await?;
    Ok(())
}

/// (at, kind, detail, ip), newest first.
pub async fn recent<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, kind, detail, ip FROM activity WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn prune<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM activity WHERE at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Whether the account logged in to the web from `ip` (with any second step) in the kept log.
pub async fn logged_in_from<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    ip: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM activity WHERE user_id = $1 AND ip = $2
           AND kind IN ('login', 'login_2fa', 'login_recovery') LIMIT 1",
    )
    .bind(user_id)
    .bind(ip)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}
