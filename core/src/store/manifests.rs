use sqlx::{Any, Executor, FromRow};

/// A manifest as pushed, with what Berth derived from it at push time.
#[derive(Clone, Debug, FromRow)]
pub struct ManifestRow {
    pub digest: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub total_size: i64,
    pub platforms: String,
}

pub struct NewManifest<'a> {
    pub repository_id: i64,
    pub digest: &'a str,
    pub media_type: &'a str,
    pub content: &'a [u8],
    pub total_size: i64,
    pub platforms: &'a str,
    pub artifact_type: Option<&'a str>,
    pub subject_digest: Option<&'a str>,
    pub annotations: Option<&'a str>,
    pub pushed_at: i64,
    pub pushed_by: i64,
}

/// Stores a manifest; pushing the same bytes again keeps the first record.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    m: NewManifest<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO manifests (repository_id, digest, media_type, content, size, total_size, platforms,
                                artifact_type, subject_digest, annotations, pushed_at, pushed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (repository_id, digest) DO NOTHING",
    )
    .bind(m.repository_id)
    .bind(m.digest)
    .bind(m.media_type)
    .bind(m.content)
    .bind(m.content.len() as i64)
    .bind(m.total_size)
    .bind(m.platforms)
    .bind(m.artifact_type)
    .bind(m.subject_digest)
    .bind(m.annotations)
    .bind(m.pushed_at)
    .bind(m.pushed_by)
    .execute(ex)
    .await?;
    Ok(())
}

const COLUMNS: &str = "m.digest, m.media_type, m.content, m.total_size, m.platforms";

pub async fn by_digest<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Option<ManifestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM manifests m WHERE m.repository_id = $1 AND m.digest = $2"
    ))
    .bind(repository_id)
    .bind(digest)
    .fetch_optional(ex)
    .await
}

pub async fn by_tag<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    tag: &str,
) -> Result<Option<ManifestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tags t JOIN manifests m
           ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
         WHERE t.repository_id = $1 AND t.name = $2"
    ))
    .bind(repository_id)
    .bind(tag)
    .fetch_optional(ex)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct SummaryRow {
    pub digest: String,
    pub size: i64,
    pub total_size: i64,
    pub platforms: String,
}

/// Size, compressed size and platforms of those of `digests` stored in the repository (the
/// children of an index), in one query.
pub async fn summaries_of<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digests: &[String],
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT digest, size, total_size, platforms FROM manifests
         WHERE repository_id = $1 AND digest IN ({})",
        super::placeholders(2, digests.len())
    );
    let mut q = sqlx::query_as(&sql).bind(repository_id);
    for d in digests {
        q = q.bind(d);
    }
    q.fetch_all(ex).await
}

pub async fn delete<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM manifests WHERE repository_id = $1 AND digest = $2")
        .bind(repository_id)
        .bind(digest)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Clone, Debug, FromRow)]
pub struct ReferrerRow {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

pub async fn referrers<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    subject: &str,
) -> Result<Vec<ReferrerRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT digest, media_type, size, artifact_type, annotations FROM manifests
         WHERE repository_id = $1 AND subject_digest = $2 ORDER BY digest",
    )
    .bind(repository_id)
    .bind(subject)
    .fetch_all(ex)
    .await
}
