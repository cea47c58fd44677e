use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: &str,
    payload: &str,
    now: i64,
    run_at: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, created_at, run_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(now)
    .bind(run_at)
    .fetch_one(ex)
    .await
}

/// Makes the queued, unfinished job of `kind` with exactly `payload` due now; how many it found.
pub async fn make_due<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET run_at = $1
         WHERE kind = $2 AND payload = $3 AND finished_at IS NULL AND failed_at IS NULL",
    )
    .bind(now)
    .bind(kind)
    .bind(payload)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// Ids of jobs due now and not leased by anyone, oldest first: builds, or every other kind.
pub async fn due_ids<'c>(
    ex: impl Executor<'c, Database = Any>,
    now: i64,
    limit: i64,
    builds: bool,
) -> Result<Vec<i64>, sqlx::Error> {
    let kind = if builds {
        "kind = 'build'"
    } else {
        "kind <> 'build'"
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM jobs WHERE finished_at IS NULL AND run_at <= $1 AND locked_until <= $1
           AND {kind}
         ORDER BY run_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Leases a job to this worker until `until` and counts the attempt; `None` if another worker
/// holds it or it finished meanwhile.
pub async fn lease<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    now: i64,
    until: i64,
) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE jobs SET locked_until = $1, attempts = attempts + 1
         WHERE id = $2 AND finished_at IS NULL AND locked_until <= $3
         RETURNING id, kind, payload, created_at, attempts",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Keeps holding a leased job (a build longer than the lease).
pub async fn extend<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND finished_at IS NULL")
        .bind(until)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn finish<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET finished_at = $1, locked_until = 0, last_error = NULL WHERE id = $2",
    )
    .bind(at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Records a failed attempt: due again at `run_at`, or given up (`run_at` is `None`).
pub async fn fail<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    error: &str,
    now: i64,
    run_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    match run_at {
        Some(at) => sqlx::query(
            "UPDATE jobs SET last_error = $1, run_at = $2, locked_until = 0 WHERE id = $3",
        )
        .bind(error)
        .bind(at)
        .bind(id),
        None => sqlx::query(
            "UPDATE jobs SET last_error = $1, finished_at = $2, failed_at = $2, locked_until = 0
             WHERE id = $3",
        )
        .bind(error)
        .bind(now)
        .bind(id),
    }
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes jobs that finished (or were given up) before `before`; returns how many.
pub async fn prune<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Jobs of `kind` not yet finished.
pub async fn pending_count<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND finished_at IS NULL")
        .bind(kind)
        .fetch_one(ex)
        .await
}
