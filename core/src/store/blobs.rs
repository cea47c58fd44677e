use sqlx::{Any, Executor};

/// Records a blob about to be stored, before its bytes are moved into place: a new row starts
/// unreferenced (collectable after the grace period unless a manifest references it); an
/// existing one marked for collection has its grace period restarted. Waits for a collection
/// deleting the same row, which then no longer finds it collectable; the caller then checks, in
/// the same transaction, that no deletion of the digest's bytes is under way.
pub async fn claim<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    size: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO blobs (digest, size, created_at, unreferenced_since) VALUES ($1, $2, $3, $3)
         ON CONFLICT (digest) DO UPDATE SET unreferenced_since =
             CASE WHEN blobs.unreferenced_since IS NULL THEN NULL ELSE $3 END",
    )
    .bind(digest)
    .bind(size)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn link<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (repository_id, digest) DO NOTHING",
    )
    .bind(repository_id)
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// The size of a blob as seen through a repository, if it was pushed or mounted there.
pub async fn linked_size<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
         WHERE rb.repository_id = $1 AND rb.digest = $2",
    )
    .bind(repository_id)
    .bind(digest)
    .fetch_optional(ex)
    .await
}

/// The size of a blob as seen through a repository, and whether it carries a collection mark.
pub async fn linked<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT b.size, b.unreferenced_since FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
         WHERE rb.repository_id = $1 AND rb.digest = $2",
    )
    .bind(repository_id)
    .bind(digest)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(size, since)| (size, since.is_some())))
}

/// Digests, sizes and collection marks of those of `digests` linked to the repository, in one
/// query.
pub async fn linked_sizes<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digests: &[String],
) -> Result<Vec<(String, i64, bool)>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT b.digest, b.size, b.unreferenced_since FROM repository_blobs rb
         JOIN blobs b ON b.digest = rb.digest
         WHERE rb.repository_id = $1 AND rb.digest IN ({})",
        super::placeholders(2, digests.len())
    );
    let mut q = sqlx::query_as(&sql).bind(repository_id);
    for d in digests {
        q = q.bind(d);
    }
    let rows: Vec<(String, i64, Option<i64>)> = q.fetch_all(ex).await?;
    Ok(rows
        .into_iter()
        .map(|(d, size, since)| (d, size, since.is_some()))
        .collect())
}

pub async fn unlink<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2")
        .bind(repository_id)
        .bind(digest)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The stored size of a blob.
pub async fn size<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT size FROM blobs WHERE digest = $1")
        .bind(digest)
        .fetch_optional(ex)
        .await
}

/// Those of `digests` whose uncompressed size is not known yet.
pub async fn unmeasured<'c>(
    ex: impl Executor<'c, Database = Any>,
    digests: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT digest FROM blobs WHERE uncompressed_size IS NULL AND digest IN ({})",
        super::placeholders(1, digests.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_all(ex).await
}

pub async fn set_uncompressed<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    size: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE blobs SET uncompressed_size = $1 WHERE digest = $2")
        .bind(size)
        .bind(digest)
        .execute(ex)
        .await?;
    Ok(())
}

/// Uncompressed sizes of those of `digests` that were measured.
pub async fn uncompressed_sizes<'c>(
    ex: impl Executor<'c, Database = Any>,
    digests: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT digest, uncompressed_size FROM blobs
         WHERE uncompressed_size IS NOT NULL AND digest IN ({})",
        super::placeholders(1, digests.len())
    );
    let mut q = sqlx::query_as(&sql);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_all(ex).await
}
