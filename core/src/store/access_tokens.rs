use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct AccessTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub description: String,
    pub level: String,
    pub limits: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub active: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub last_used_agent: Option<String>,
}

const COLUMNS: &str = "id, user_id, description, level, limits, created_at, expires_at, active, \
                       last_used_at, last_used_ip, last_used_agent";

pub struct NewAccessToken<'a> {
    pub user_id: i64,
    pub description: &'a str,
    pub token_hash: &'a str,
    pub level: &'a str,
    pub limits: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Inserts a token unless `user_id` already has `max`; the new id, or `None` at the limit.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    t: NewAccessToken<'_>,
    max: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO access_tokens (user_id, description, token_hash, level, limits, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM access_tokens WHERE user_id = $1) < $8
         RETURNING id",
    )
    .bind(t.user_id)
    .bind(t.description)
    .bind(t.token_hash)
    .bind(t.level)
    .bind(t.limits)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(max)
    .fetch_optional(ex)
    .await
}

pub async fn by_hash<'c>(
    ex: impl Executor<'c, Database = Any>,
    hash: &str,
) -> Result<Option<AccessTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM access_tokens WHERE token_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(ex)
    .await
}

pub async fn by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<AccessTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM access_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await
}

pub async fn of_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
) -> Result<Vec<AccessTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM access_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Sets a token of `user_id` active or not; false if they have no such token.
pub async fn set_active<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    id: i64,
    active: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE access_tokens SET active = $1 WHERE id = $2 AND user_id = $3")
        .bind(i64::from(active))
        .bind(id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM access_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
    ip: Option<&str>,
    agent: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE access_tokens SET last_used_at = $1, last_used_ip = $2, last_used_agent = $3 WHERE id = $4",
    )
    .bind(at)
    .bind(ip)
    .bind(agent)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}
