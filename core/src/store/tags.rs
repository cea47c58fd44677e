use sqlx::{Any, Executor};

/// Points a tag at a manifest, creating or moving it.
pub async fn upsert<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
    digest: &str,
    at: i64,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tags (repository_id, name, manifest_digest, pushed_at, pushed_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (repository_id, name) DO UPDATE
           SET manifest_digest = excluded.manifest_digest, pushed_at = excluded.pushed_at,
               pushed_by = excluded.pushed_by",
    )
    .bind(repository_id)
    .bind(name)
    .bind(digest)
    .bind(at)
    .bind(by)
    .execute(ex)
    .await?;
    Ok(())
}

/// Tag names after `last` in byte order, at most `limit`.
pub async fn names<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3",
    )
    .bind(repository_id)
    .bind(last)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn delete<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM tags WHERE repository_id = $1 AND name = $2")
        .bind(repository_id)
        .bind(name)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes every tag pointing at a manifest.
pub async fn delete_for_manifest<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM tags WHERE repository_id = $1 AND manifest_digest = $2")
        .bind(repository_id)
        .bind(digest)
        .execute(ex)
        .await?;
    Ok(())
}
