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

/// `latest` if the repository has it, else its most recently pushed tag.
pub async fn pull_tag<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM tags WHERE repository_id = $1
         ORDER BY CASE WHEN name = 'latest' THEN 0 ELSE 1 END, pushed_at DESC, name LIMIT 1",
    )
    .bind(repository_id)
    .fetch_optional(ex)
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

/// A tag as the repository's tags page lists it, with what its manifest recorded at push.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TagRow {
    pub name: String,
    pub digest: String,
    pub media_type: String,
    pub total_size: i64,
    pub platforms: String,
    pub pushed_at: i64,
    pub pushed_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagOrder {
    Name,
    Newest,
}

/// One page of a repository's tags whose name contains `filter` (case-insensitively).
pub async fn page<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    filter: &str,
    order: TagOrder,
    offset: i64,
    limit: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    let order_by = match order {
        TagOrder::Name => "t.name",
        TagOrder::Newest => "t.pushed_at DESC, t.name",
    };
    sqlx::query_as(&format!(
        "SELECT t.name, t.manifest_digest AS digest, m.media_type, m.total_size, m.platforms,
                t.pushed_at, u.username AS pushed_by
         FROM tags t
         JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
         LEFT JOIN users u ON u.id = t.pushed_by
         WHERE t.repository_id = $1 AND LOWER(t.name) LIKE $2 ESCAPE '\\'
         ORDER BY {order_by} LIMIT $3 OFFSET $4"
    ))
    .bind(repository_id)
    .bind(super::contains_pattern(filter))
    .bind(limit)
    .bind(offset)
    .fetch_all(ex)
    .await
}

/// How many of a repository's tags contain `filter`.
pub async fn count<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    filter: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM tags WHERE repository_id = $1 AND LOWER(name) LIKE $2 ESCAPE '\\'",
    )
    .bind(repository_id)
    .bind(super::contains_pattern(filter))
    .fetch_one(ex)
    .await
}

/// One tag with its manifest.
pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
) -> Result<Option<TagRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.name, t.manifest_digest AS digest, m.media_type, m.total_size, m.platforms,
                t.pushed_at, u.username AS pushed_by
         FROM tags t
         JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
         LEFT JOIN users u ON u.id = t.pushed_by
         WHERE t.repository_id = $1 AND t.name = $2",
    )
    .bind(repository_id)
    .bind(name)
    .fetch_optional(ex)
    .await
}
