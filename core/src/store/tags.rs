use sqlx::{Any, Executor};

use crate::{db::DbKind, repositories::TagOrder};

/// Points a tag at a manifest, creating or moving it. It becomes the repository's newest push
/// (`push_seq`); callers hold the repository's lock (`lifecycle::lock`), so two pushes never
/// draw the same number.
pub async fn upsert<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
    digest: &str,
    at: i64,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tags (repository_id, name, manifest_digest, pushed_at, pushed_by, push_seq)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT COALESCE(MAX(push_seq), 0) + 1 FROM tags WHERE repository_id = $1))
         ON CONFLICT (repository_id, name) DO UPDATE
           SET manifest_digest = excluded.manifest_digest, pushed_at = excluded.pushed_at,
               pushed_by = excluded.pushed_by, source_commit = NULL,
               push_seq = excluded.push_seq",
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

/// `latest` if the repository has it, else its most recently pushed tag: two index lookups in
/// one round trip (one ordered query would sort every tag of the repository).
pub async fn pull_tag<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(
            (SELECT name FROM tags WHERE repository_id = $1 AND name = 'latest'),
            (SELECT name FROM tags WHERE repository_id = $1
              ORDER BY pushed_at DESC, push_seq DESC, name LIMIT 1))",
    )
    .bind(repository_id)
    .fetch_one(ex)
    .await
}

/// The manifest a tag points at.
pub async fn digest_of<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT manifest_digest FROM tags WHERE repository_id = $1 AND name = $2")
        .bind(repository_id)
        .bind(name)
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
    pub pull_count: i64,
    pub last_pulled_at: Option<i64>,
}

/// `LIKE` that ignores case for tag names: SQLite's LIKE already does for ASCII (tag names are
/// ASCII), PostgreSQL needs ILIKE. Neither lowers every name on the way.
fn like(kind: DbKind) -> &'static str {
    match kind {
        DbKind::Sqlite => "LIKE",
        DbKind::Postgres => "ILIKE",
    }
}

/// One page of a repository's tags whose name contains `filter` (case-insensitively). The page's
/// tags are chosen from `tags` alone (its indexes serve both orders), and only those are joined
/// to their manifests and pushers: a deep page does not join every tag it skips.
pub async fn page<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: DbKind,
    repository_id: i64,
    filter: &str,
    order: TagOrder,
    offset: i64,
    limit: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    let order_by = |table: &str| match order {
        TagOrder::Name => format!("{table}.name"),
        TagOrder::Newest => format!("{table}.pushed_at DESC, {table}.push_seq DESC, {table}.name"),
    };
    let matching = if filter.is_empty() {
        String::new()
    } else {
        format!("AND name {} $4 ESCAPE '\\'", like(kind))
    };
    let sql = format!(
        "SELECT t.name, t.manifest_digest AS digest, m.media_type, m.total_size, m.platforms,
                t.pushed_at, u.username AS pushed_by, t.pull_count, t.last_pulled_at
         FROM (SELECT name, manifest_digest, pushed_at, pushed_by, repository_id, pull_count,
                      last_pulled_at, push_seq FROM tags
               WHERE repository_id = $1 {matching}
               ORDER BY {} LIMIT $2 OFFSET $3) t
         JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
         LEFT JOIN users u ON u.id = t.pushed_by
         ORDER BY {}",
        order_by("tags"),
        order_by("t")
    );
    let mut q = sqlx::query_as(&sql)
        .bind(repository_id)
        .bind(limit)
        .bind(offset);
    if !filter.is_empty() {
        q = q.bind(super::contains_pattern(filter));
    }
    q.fetch_all(ex).await
}

/// How many of a repository's tags contain `filter`.
pub async fn count<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: DbKind,
    repository_id: i64,
    filter: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM tags WHERE repository_id = $1 AND name {} $2 ESCAPE '\\'",
        like(kind)
    ))
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
                t.pushed_at, u.username AS pushed_by, t.pull_count, t.last_pulled_at
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

/// Tags pointing at a manifest.
pub async fn names_for_manifest<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM tags WHERE repository_id = $1 AND manifest_digest = $2 ORDER BY name",
    )
    .bind(repository_id)
    .bind(digest)
    .fetch_all(ex)
    .await
}
