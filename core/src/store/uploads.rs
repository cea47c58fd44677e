use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct UploadRow {
    pub id: String,
    pub repository_id: i64,
    pub size: i64,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
    repository_id: i64,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO uploads (id, repository_id, user_id, size, created_at, updated_at)
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(id)
    .bind(repository_id)
    .bind(user_id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
) -> Result<Option<UploadRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, repository_id, size FROM uploads WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Moves the acknowledged size from `from` to `to`; false if another request moved it first.
pub async fn advance<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
    from: i64,
    to: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3 AND size = $4")
            .bind(to)
            .bind(now)
            .bind(id)
            .bind(from)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Uploads untouched since `before`.
pub async fn stale_ids<'c>(
    ex: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM uploads WHERE updated_at < $1")
        .bind(before)
        .fetch_all(ex)
        .await
}

/// Uploads in progress into one repository.
pub async fn ids_of_repository<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM uploads WHERE repository_id = $1")
        .bind(repository_id)
        .fetch_all(ex)
        .await
}

/// Every upload in progress.
pub async fn all_ids<'c>(
    ex: impl Executor<'c, Database = Any>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_all(ex)
        .await
}
