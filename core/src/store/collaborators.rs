use sqlx::{Any, Executor};

/// Adds a collaborator; false if they already were one.
pub async fn add<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    user_id: i64,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO collaborators (repository_id, user_id, added_at) VALUES ($1, $2, $3)
         ON CONFLICT (repository_id, user_id) DO NOTHING",
    )
    .bind(repository_id)
    .bind(user_id)
    .bind(at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM collaborators WHERE repository_id = $1 AND user_id = $2")
        .bind(repository_id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Berth IDs of a repository's collaborators and when they were added, by name.
pub async fn list<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.username, c.added_at FROM collaborators c JOIN users u ON u.id = c.user_id
         WHERE c.repository_id = $1 ORDER BY u.username",
    )
    .bind(repository_id)
    .fetch_all(ex)
    .await
}
