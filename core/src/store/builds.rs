//! Automated builds: a repository's linked source, its build rules and its builds.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct SourceRow {
    pub repository_id: i64,
    pub git_url: String,
    pub token_sealed: Option<String>,
    pub trigger_token: String,
    pub hook_secret: Option<String>,
    pub notify: String,
    pub readme: i64,
    pub linked_by: i64,
    pub created_at: i64,
}

const SOURCE_COLUMNS: &str = "repository_id, git_url, token_sealed, trigger_token, hook_secret, notify, readme, linked_by, created_at";

pub async fn source<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Option<SourceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SOURCE_COLUMNS} FROM build_sources WHERE repository_id = $1"
    ))
    .bind(repository_id)
    .fetch_optional(ex)
    .await
}

pub async fn source_by_trigger<'c>(
    ex: impl Executor<'c, Database = Any>,
    token: &str,
) -> Result<Option<SourceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SOURCE_COLUMNS} FROM build_sources WHERE trigger_token = $1"
    ))
    .bind(token)
    .fetch_optional(ex)
    .await
}

/// Links (or relinks) a repository's source and flags the repository as automated.
pub async fn link(tx: &mut sqlx::Transaction<'_, Any>, s: &SourceRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO build_sources (repository_id, git_url, token_sealed, trigger_token,
             hook_secret, notify, readme, linked_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (repository_id) DO UPDATE
           SET git_url = excluded.git_url, token_sealed = excluded.token_sealed,
               hook_secret = excluded.hook_secret, notify = excluded.notify,
               readme = excluded.readme, linked_by = excluded.linked_by",
    )
    .bind(s.repository_id)
    .bind(&s.git_url)
    .bind(&s.token_sealed)
    .bind(&s.trigger_token)
    .bind(&s.hook_secret)
    .bind(&s.notify)
    .bind(s.readme)
    .bind(s.linked_by)
    .bind(s.created_at)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE repositories SET is_automated = 1 WHERE id = $1")
        .bind(s.repository_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Unlinks the source, deletes its rules and clears the repository's flag. Builds stay (history).
pub async fn unlink(
    tx: &mut sqlx::Transaction<'_, Any>,
    repository_id: i64,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM build_sources WHERE repository_id = $1",
        "DELETE FROM build_rules WHERE repository_id = $1",
        "UPDATE repositories SET is_automated = 0 WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(repository_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn set_trigger_token<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE build_sources SET trigger_token = $1 WHERE repository_id = $2")
        .bind(token)
        .bind(repository_id)
        .execute(ex)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub repository_id: i64,
    pub source_type: String,
    pub source: String,
    pub is_regex: i64,
    pub docker_tag: String,
    pub dockerfile: String,
    pub context: String,
    pub build_args: String,
    pub enabled: i64,
    pub created_at: i64,
}

const RULE_COLUMNS: &str = "id, repository_id, source_type, source, is_regex, docker_tag, dockerfile, context, build_args, enabled, created_at";

pub async fn rules<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<RuleRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM build_rules WHERE repository_id = $1 ORDER BY id"
    ))
    .bind(repository_id)
    .fetch_all(ex)
    .await
}

/// Inserts a rule (`id` 0) or updates the repository's rule `id`; returns its id (`None`: no
/// such rule).
pub async fn save_rule<'c>(
    ex: impl Executor<'c, Database = Any>,
    r: &RuleRow,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = if r.id == 0 {
        "INSERT INTO build_rules (source_type, source, is_regex, docker_tag, dockerfile, context,
             build_args, enabled, repository_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    } else {
        "UPDATE build_rules SET source_type = $1, source = $2, is_regex = $3, docker_tag = $4,
             dockerfile = $5, context = $6, build_args = $7, enabled = $8
         WHERE repository_id = $9 AND id = $10 RETURNING id"
    };
    sqlx::query_scalar(sql)
        .bind(&r.source_type)
        .bind(&r.source)
        .bind(r.is_regex)
        .bind(&r.docker_tag)
        .bind(&r.dockerfile)
        .bind(&r.context)
        .bind(&r.build_args)
        .bind(r.enabled)
        .bind(r.repository_id)
        .bind(if r.id == 0 { r.created_at } else { r.id })
        .fetch_optional(ex)
        .await
}

pub async fn delete_rule<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM build_rules WHERE repository_id = $1 AND id = $2")
        .bind(repository_id)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Clone, Debug, FromRow)]
pub struct BuildRow {
    pub id: i64,
    pub repository_id: i64,
    pub rule_id: Option<i64>,
    pub source_ref: String,
    pub docker_tag: String,
    pub dockerfile: String,
    pub context: String,
    pub build_args: String,
    pub cause: String,
    pub requested_by: Option<i64>,
    pub want_commit: Option<String>,
    pub commit_sha: Option<String>,
    pub commit_message: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub cancel_requested: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const BUILD_COLUMNS: &str = "id, repository_id, rule_id, source_ref, docker_tag, dockerfile, context, build_args, cause, requested_by, want_commit, commit_sha, commit_message, status, error, digest, cancel_requested, created_at, started_at, finished_at";

pub struct NewBuild<'a> {
    pub repository_id: i64,
    pub rule: &'a RuleRow,
    pub source_ref: &'a str,
    pub docker_tag: &'a str,
    pub cause: &'a str,
    pub requested_by: Option<i64>,
    pub want_commit: Option<&'a str>,
    pub at: i64,
}

pub async fn insert_build<'c>(
    ex: impl Executor<'c, Database = Any>,
    b: NewBuild<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO builds (repository_id, rule_id, source_ref, docker_tag, dockerfile, context,
             build_args, cause, requested_by, want_commit, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $11) RETURNING id",
    )
    .bind(b.repository_id)
    .bind(b.rule.id)
    .bind(b.source_ref)
    .bind(b.docker_tag)
    .bind(&b.rule.dockerfile)
    .bind(&b.rule.context)
    .bind(&b.rule.build_args)
    .bind(b.cause)
    .bind(b.requested_by)
    .bind(b.want_commit)
    .bind(b.at)
    .fetch_one(ex)
    .await
}

pub async fn build<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<BuildRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {BUILD_COLUMNS} FROM builds WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// A repository's builds, newest first: all (`""`), those of one status, or `running` ones
/// (cloning, building or pushing).
pub async fn builds<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<BuildRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {BUILD_COLUMNS} FROM builds WHERE repository_id = $1
           AND ($2 = '' OR status = $2
                OR ($2 = 'running' AND status IN ('cloning', 'building', 'pushing')))
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(repository_id)
    .bind(status.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The log from byte `from` on, and the status (one read, so a follower sees both agree).
pub async fn log_since<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    from: i64,
) -> Result<Option<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT substr(log, CAST($2 AS INTEGER)), status, CAST(length(log) AS BIGINT)
         FROM builds WHERE id = $1",
    )
    .bind(id)
    .bind(from + 1)
    .fetch_optional(ex)
    .await
}

/// Moves a build that is not finished to `status` (the first move stamps `started_at`);
/// false if it already finished (cancelled meanwhile).
pub async fn advance<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    status: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE builds SET status = $1, started_at = COALESCE(started_at, $2)
         WHERE id = $3 AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .bind(status)
    .bind(at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_commit<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    sha: &str,
    message: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE builds SET commit_sha = $1, commit_message = $2 WHERE id = $3")
        .bind(sha)
        .bind(message)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Appends to the log while it is under `cap` bytes.
pub async fn append_log<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    text: &str,
    cap: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE builds SET log = log || $1 WHERE id = $2 AND length(log) < $3")
        .bind(text)
        .bind(id)
        .bind(cap)
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends a build that has not ended yet; false if it already had.
pub async fn finish<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    status: &str,
    error: Option<&str>,
    digest: Option<&str>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE builds SET status = $1, error = $2, digest = $3, finished_at = $4
         WHERE id = $5 AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .bind(status)
    .bind(error)
    .bind(digest)
    .bind(at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Cancels a queued build at once; asks a running one to stop. False if it had ended.
pub async fn cancel<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE builds SET
             status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
             finished_at = CASE WHEN status = 'queued' THEN $1 ELSE finished_at END,
             cancel_requested = 1
         WHERE id = $2 AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .bind(at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn cancel_requested<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar("SELECT cancel_requested FROM builds WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(n.is_none_or(|n| n != 0))
}

/// Records the commit a tag was built from.
pub async fn set_tag_commit<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    tag: &str,
    digest: &str,
    commit: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tags SET source_commit = $1
         WHERE repository_id = $2 AND name = $3 AND manifest_digest = $4",
    )
    .bind(commit)
    .bind(repository_id)
    .bind(tag)
    .bind(digest)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn tag_commit<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    tag: &str,
) -> Result<Option<String>, sqlx::Error> {
    let c: Option<Option<String>> =
        sqlx::query_scalar("SELECT source_commit FROM tags WHERE repository_id = $1 AND name = $2")
            .bind(repository_id)
            .bind(tag)
            .fetch_optional(ex)
            .await?;
    Ok(c.flatten())
}

/// The newest successful build of the repository that pushed `digest`.
pub async fn succeeded_with_digest<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    digest: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM builds WHERE repository_id = $1 AND digest = $2 AND status = 'succeeded'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(repository_id)
    .bind(digest)
    .fetch_optional(ex)
    .await
}

/// Builds of a repository not finished yet.
pub async fn pending<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM builds WHERE repository_id = $1
           AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .bind(repository_id)
    .fetch_one(ex)
    .await
}
