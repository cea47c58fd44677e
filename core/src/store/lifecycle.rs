//! Blob references, garbage-collection marks, storage usage, tag rules and the retention log.

use sqlx::{Any, Executor, FromRow};

/// The id of a stored manifest.
pub async fn manifest_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2")
        .bind(repository_id)
        .bind(digest)
        .fetch_optional(ex)
        .await
}

/// Records that a manifest references `digests` (distinct). Fails with a foreign-key violation
/// if one of them is no longer stored.
pub async fn add_refs<'c>(
    ex: impl Executor<'c, Database = Any>,
    manifest_id: i64,
    digests: &[String],
) -> Result<(), sqlx::Error> {
    if digests.is_empty() {
        return Ok(());
    }
    let values = (0..digests.len())
        .map(|i| format!("($1, ${})", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO manifest_blobs (manifest_id, digest) VALUES {values}
         ON CONFLICT (manifest_id, digest) DO NOTHING"
    );
    let mut q = sqlx::query(&sql).bind(manifest_id);
    for d in digests {
        q = q.bind(d);
    }
    q.execute(ex).await?;
    Ok(())
}

/// Clears the collection mark of those of `digests` that carry one (they are referenced or in
/// use again).
pub async fn unmark<'c>(
    ex: impl Executor<'c, Database = Any>,
    digests: &[String],
) -> Result<(), sqlx::Error> {
    if digests.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE blobs SET unreferenced_since = NULL
         WHERE unreferenced_since IS NOT NULL AND digest IN ({})",
        super::placeholders(1, digests.len())
    );
    let mut q = sqlx::query(&sql);
    for d in digests {
        q = q.bind(d);
    }
    q.execute(ex).await?;
    Ok(())
}

/// Restarts the grace period of a marked blob (it was uploaded, mounted or read: a push may be
/// about to reference it); false if no marked row was there (collected, or referenced again).
pub async fn touch<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE blobs SET unreferenced_since = $1 WHERE digest = $2 AND unreferenced_since IS NOT NULL",
    )
    .bind(now)
    .bind(digest)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves every collection mark `secs` into the past (tests: what a day's wait would do).
pub async fn age_marks<'c>(
    ex: impl Executor<'c, Database = Any>,
    secs: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE blobs SET unreferenced_since = unreferenced_since - $1 WHERE unreferenced_since IS NOT NULL",
    )
    .bind(secs)
    .execute(ex)
    .await?;
    Ok(())
}

const UNREFERENCED: &str =
    "NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = blobs.digest)";

/// Marks every unreferenced blob that carries no mark yet; returns how many.
pub async fn mark_unreferenced<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE blobs SET unreferenced_since = $1 WHERE unreferenced_since IS NULL AND {UNREFERENCED}"
    ))
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// How many unreferenced blobs carry no mark yet (what marking would mark).
pub async fn count_unmarked<'c>(ex: impl Executor<'c, Database = Any>) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM blobs WHERE unreferenced_since IS NULL AND {UNREFERENCED}"
    ))
    .fetch_one(ex)
    .await?;
    Ok(n as u64)
}

/// Clears marks of blobs referenced again (a mark set while a reference was being written).
pub async fn unmark_referenced<'c>(
    ex: impl Executor<'c, Database = Any>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE blobs SET unreferenced_since = NULL WHERE unreferenced_since IS NOT NULL
         AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = blobs.digest)",
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// Unreferenced blobs marked before `cutoff`, at most `limit`, after `after` in digest order.
pub async fn collectable<'c>(
    ex: impl Executor<'c, Database = Any>,
    cutoff: i64,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT digest, size FROM blobs
         WHERE unreferenced_since IS NOT NULL AND unreferenced_since < $1 AND digest > $2
           AND {UNREFERENCED}
         ORDER BY digest LIMIT $3"
    ))
    .bind(cutoff)
    .bind(after)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Deletes a blob's row if it is still collectable (in the caller's transaction, which records
/// the deletion with [`begin_deletion`] before it commits); true if it did.
pub async fn delete_if_collectable<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    digest: &str,
    cutoff: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM repository_blobs WHERE digest = $1")
        .bind(digest)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query(&format!(
        "DELETE FROM blobs WHERE digest = $1 AND unreferenced_since IS NOT NULL
           AND unreferenced_since < $2 AND {UNREFERENCED}"
    ))
    .bind(digest)
    .bind(cutoff)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `digests` have a row.
pub async fn known<'c>(
    ex: impl Executor<'c, Database = Any>,
    digests: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT digest FROM blobs WHERE digest IN ({})",
        super::placeholders(1, digests.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_all(ex).await
}

/// Manifests (id, content) after `after_id` whose references were never recorded (stored
/// before references were kept), at most `limit`.
pub async fn unindexed_manifests<'c>(
    ex: impl Executor<'c, Database = Any>,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.content FROM manifests m
         WHERE m.id > $1 AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.manifest_id = m.id)
         ORDER BY m.id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The repository's stored bytes, as kept.
pub async fn repository_bytes<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<i64, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar("SELECT stored_bytes FROM repositories WHERE id = $1")
        .bind(repository_id)
        .fetch_optional(ex)
        .await?;
    Ok(n.unwrap_or(0))
}

/// Takes the repository's row lock (PostgreSQL; SQLite's write transaction already excludes
/// other writers), so that what its stored bytes change by is computed on committed references.
pub async fn lock_repository<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE repositories SET stored_bytes = stored_bytes WHERE id = $1")
        .bind(repository_id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn add_stored<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    delta: i64,
) -> Result<(), sqlx::Error> {
    if delta != 0 {
        sqlx::query("UPDATE repositories SET stored_bytes = stored_bytes + $1 WHERE id = $2")
            .bind(delta)
            .bind(repository_id)
            .execute(ex)
            .await?;
    }
    Ok(())
}

/// Whether references of the manifest are recorded already.
pub async fn has_refs<'c>(
    ex: impl Executor<'c, Database = Any>,
    manifest_id: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM manifest_blobs WHERE manifest_id = $1")
        .bind(manifest_id)
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

/// Bytes of the blobs this manifest references and no other manifest of its repository does.
pub async fn bytes_only_in<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    manifest_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM manifest_blobs mb
         JOIN blobs b ON b.digest = mb.digest
         WHERE mb.manifest_id = $2 AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs o JOIN manifests om ON om.id = o.manifest_id
            WHERE o.digest = mb.digest AND om.repository_id = $1 AND om.id <> $2)",
    )
    .bind(repository_id)
    .bind(manifest_id)
    .fetch_one(ex)
    .await
}

/// Counts every repository's stored bytes from scratch (once, after references were first
/// recorded).
pub async fn recount_all<'c>(ex: impl Executor<'c, Database = Any>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE repositories SET stored_bytes = (
            SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN (
                SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
                WHERE m.repository_id = repositories.id))",
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Bytes of the distinct blobs the repository's manifests reference, counted (tests compare it
/// with what is kept).
pub async fn count_repository_bytes<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN (
            SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
            WHERE m.repository_id = $1)",
    )
    .bind(repository_id)
    .fetch_one(ex)
    .await
}

/// Bytes of the distinct blobs the manifests of a namespace's repositories reference: a layer
/// shared by several of its repositories counts once.
pub async fn namespace_bytes<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN (
            SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
            JOIN repositories r ON r.id = m.repository_id WHERE r.owner_id = $1)",
    )
    .bind(owner_id)
    .fetch_one(ex)
    .await
}

/// Bytes of those of `digests` the namespace does not store yet (what a push would add).
pub async fn bytes_new_to_namespace<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
    digests: &[String],
) -> Result<i64, sqlx::Error> {
    if digests.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN ({}) AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
            JOIN repositories r ON r.id = m.repository_id
            WHERE r.owner_id = $1 AND mb.digest = b.digest)",
        super::placeholders(2, digests.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(owner_id);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_one(ex).await
}

/// Stored bytes of every namespace that stores any (the administrators' page), largest first
/// or by name.
/// Every namespace (people and organizations, those that store nothing yet included, so a limit
/// can be set in advance) with its stored bytes and limit.
pub async fn usage_by_namespace<'c>(
    ex: impl Executor<'c, Database = Any>,
    by_name: bool,
    limit: i64,
) -> Result<Vec<(String, i64, Option<i64>)>, sqlx::Error> {
    let order = if by_name {
        "u.username"
    } else {
        "bytes DESC, u.username"
    };
    sqlx::query_as(&format!(
        "SELECT u.username, CAST(COALESCE(SUM(b.size), 0) AS BIGINT) AS bytes, u.storage_limit
         FROM users u LEFT JOIN (
            SELECT DISTINCT r.owner_id, mb.digest FROM manifest_blobs mb
            JOIN manifests m ON m.id = mb.manifest_id JOIN repositories r ON r.id = m.repository_id
         ) x ON x.owner_id = u.id LEFT JOIN blobs b ON b.digest = x.digest
         GROUP BY u.username, u.storage_limit ORDER BY {order} LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Bytes of every blob with a row (what the storage holds, uploads aside).
pub async fn total_bytes<'c>(
    ex: impl Executor<'c, Database = Any>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs")
        .fetch_one(ex)
        .await
}

pub async fn storage_limit<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let limit: Option<Option<i64>> =
        sqlx::query_scalar("SELECT storage_limit FROM users WHERE id = $1")
            .bind(owner_id)
            .fetch_optional(ex)
            .await?;
    Ok(limit.flatten())
}

pub async fn set_storage_limit<'c>(
    ex: impl Executor<'c, Database = Any>,
    username: &str,
    limit: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET storage_limit = $1 WHERE username = $2")
        .bind(limit)
        .bind(username)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Clone, Debug, Default, FromRow)]
pub struct PolicyRow {
    pub immutable_tags: String,
    pub untagged_days: i64,
    pub keep_last: i64,
    pub keep_pattern: String,
    pub unpulled_days: i64,
}

pub async fn policy<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT immutable_tags, untagged_days, keep_last, keep_pattern, unpulled_days
         FROM repository_policies WHERE repository_id = $1",
    )
    .bind(repository_id)
    .fetch_optional(ex)
    .await
}

pub async fn set_policy<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    p: &PolicyRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO repository_policies
             (repository_id, immutable_tags, untagged_days, keep_last, keep_pattern, unpulled_days, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repository_id) DO UPDATE SET immutable_tags = $2, untagged_days = $3,
             keep_last = $4, keep_pattern = $5, unpulled_days = $6, updated_at = $7",
    )
    .bind(repository_id)
    .bind(&p.immutable_tags)
    .bind(p.untagged_days)
    .bind(p.keep_last)
    .bind(&p.keep_pattern)
    .bind(p.unpulled_days)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Repositories with a retention rule switched on.
pub async fn with_retention<'c>(
    ex: impl Executor<'c, Database = Any>,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT repository_id FROM repository_policies
         WHERE untagged_days > 0 OR keep_last > 0 OR unpulled_days > 0 ORDER BY repository_id",
    )
    .fetch_all(ex)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct TagRow {
    pub name: String,
    pub manifest_digest: String,
    pub pushed_at: i64,
    pub last_pulled_at: Option<i64>,
}

/// Every tag of a repository, newest push first.
pub async fn tags<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, manifest_digest, pushed_at, last_pulled_at FROM tags
         WHERE repository_id = $1 ORDER BY pushed_at DESC, push_seq DESC, name",
    )
    .bind(repository_id)
    .fetch_all(ex)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct ManifestInfo {
    pub digest: String,
    pub content: Vec<u8>,
    pub pushed_at: i64,
}

/// Every manifest of a repository.
pub async fn manifests<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<ManifestInfo>, sqlx::Error> {
    sqlx::query_as("SELECT digest, content, pushed_at FROM manifests WHERE repository_id = $1")
        .bind(repository_id)
        .fetch_all(ex)
        .await
}

/// Digest and size of the blobs that only the given manifests of the repository reference,
/// in the whole hub (what deleting them would let garbage collection free).
pub async fn freed_by<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    manifest_digests: &[String],
) -> Result<i64, sqlx::Error> {
    if manifest_digests.is_empty() {
        return Ok(0);
    }
    let list = super::placeholders(2, manifest_digests.len());
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN (
            SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
            WHERE m.repository_id = $1 AND m.digest IN ({list}))
          AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs o JOIN manifests om ON om.id = o.manifest_id
            WHERE o.digest = b.digest AND NOT (om.repository_id = $1 AND om.digest IN ({list})))"
    );
    let mut q = sqlx::query_scalar(&sql).bind(repository_id);
    for d in manifest_digests {
        q = q.bind(d);
    }
    q.fetch_one(ex).await
}

pub async fn log<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    at: i64,
    what: &str,
    rule: &str,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO retention_log (repository_id, at, what, rule, bytes) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(repository_id)
    .bind(at)
    .bind(what)
    .bind(rule)
    .bind(bytes)
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct LogRow {
    pub at: i64,
    pub what: String,
    pub rule: String,
    pub bytes: i64,
}

pub async fn log_of<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    limit: i64,
) -> Result<Vec<LogRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, what, rule, bytes FROM retention_log WHERE repository_id = $1
         ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(repository_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records, for a stray blob file (one no row knows), that its bytes are about to be deleted;
/// false if a row exists after all. The placeholder row inserted and deleted here makes an upload
/// of the same digest that is recording its row at this moment wait (PostgreSQL's unique index)
/// and then see the deletion, or makes this one see the upload's row.
pub async fn claim_stray(
    tx: &mut sqlx::Transaction<'_, Any>,
    digest: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO blobs (digest, size, created_at, unreferenced_since) VALUES ($1, 0, $2, 0)
         ON CONFLICT (digest) DO NOTHING",
    )
    .bind(digest)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM blobs WHERE digest = $1")
        .bind(digest)
        .execute(&mut **tx)
        .await?;
    begin_deletion(&mut **tx, digest, now).await
}

/// Records that the bytes of `digest` (whose row the same transaction deleted) are being
/// deleted; false if another deletion of it is recorded already.
pub async fn begin_deletion<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO blob_deletions (digest, started_at) VALUES ($1, $2)
         ON CONFLICT (digest) DO NOTHING",
    )
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When the deletion of `digest`'s bytes began, if one is recorded.
pub async fn deletion<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT started_at FROM blob_deletions WHERE digest = $1")
        .bind(digest)
        .fetch_optional(ex)
        .await
}

/// Deletions begun before `before` (interrupted ones: a crash, or an error from the store).
pub async fn stale_deletions<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT digest, started_at FROM blob_deletions WHERE started_at < $1 ORDER BY digest",
    )
    .bind(before)
    .fetch_all(ex)
    .await
}

/// Takes over an interrupted deletion that began at `started_at`: true if this caller now owns
/// it (nobody else took it over meanwhile).
pub async fn retake_deletion<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    started_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE blob_deletions SET started_at = $1 WHERE digest = $2 AND started_at = $3",
    )
    .bind(now)
    .bind(digest)
    .bind(started_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The bytes are gone: the deletion that began at `started_at` is over.
pub async fn end_deletion<'c>(
    ex: impl Executor<'c, Database = Any>,
    digest: &str,
    started_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM blob_deletions WHERE digest = $1 AND started_at = $2")
        .bind(digest)
        .bind(started_at)
        .execute(ex)
        .await?;
    Ok(())
}

/// Deletes a tag if it still points at `digest`.
pub async fn delete_tag_if<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    name: &str,
    digest: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM tags WHERE repository_id = $1 AND name = $2 AND manifest_digest = $3",
    )
    .bind(repository_id)
    .bind(name)
    .bind(digest)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a manifest if no tag points at it.
pub async fn delete_manifest_if_untagged<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM manifests WHERE repository_id = $1 AND digest = $2 AND NOT EXISTS (
            SELECT 1 FROM tags t WHERE t.repository_id = $1 AND t.manifest_digest = $2)",
    )
    .bind(repository_id)
    .bind(digest)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves every tag's and manifest's push time `secs` into the past (tests).
pub async fn age_pushes(pool: &sqlx::AnyPool, secs: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tags SET pushed_at = pushed_at - $1")
        .bind(secs)
        .execute(pool)
        .await?;
    sqlx::query("UPDATE manifests SET pushed_at = pushed_at - $1")
        .bind(secs)
        .execute(pool)
        .await?;
    Ok(())
}
