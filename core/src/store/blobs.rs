use sqlx::{Any, Executor};

/// Records a stored blob; a second record of the same digest is a no-op.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    size: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (digest) DO NOTHING",
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

/// Digests and sizes of those of `digests` linked to the repository, in one query.
pub async fn linked_sizes<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digests: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT b.digest, b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
         WHERE rb.repository_id = $1 AND rb.digest IN ({})",
        super::placeholders(2, digests.len())
    );
    let mut q = sqlx::query_as(&sql).bind(repository_id);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_all(ex).await
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
