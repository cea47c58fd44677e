use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// For a refresh token made with a personal access token: that token.
    pub access_token_id: Option<i64>,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    purpose: &str,
    token_hash: &str,
    created_at: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(token_hash)
    .bind(created_at)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn find<'c>(
    ex: impl Executor<'c, Database = Any>,
    purpose: &str,
    token_hash: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, user_id, expires_at, used_at, access_token_id FROM user_tokens WHERE purpose = $1 AND token_hash = $2")
        .bind(purpose)
        .bind(token_hash)
        .fetch_optional(ex)
        .await
}

/// A token that carries data (the new address of an email change), or a refresh token made with
/// a personal access token (`access_token_id`).
#[allow(clippy::too_many_arguments)]
pub async fn insert_with_data<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    purpose: &str,
    token_hash: &str,
    created_at: i64,
    expires_at: i64,
    data: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at, data)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(token_hash)
    .bind(created_at)
    .bind(expires_at)
    .bind(data)
    .execute(ex)
    .await?;
    Ok(())
}

/// A refresh token made with a personal access token: it acts with that token's rights, and
/// goes when the access token does.
pub async fn insert_for_access_token<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    purpose: &str,
    token_hash: &str,
    created_at: i64,
    expires_at: i64,
    access_token_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at, access_token_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(token_hash)
    .bind(created_at)
    .bind(expires_at)
    .bind(access_token_id)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn data<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT data FROM user_tokens WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
        .map(Option::flatten)
}

/// Marks a token used; false when another request used it first (single use under races).
pub async fn consume<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every other outstanding token of this purpose, so an older link cannot be replayed.
pub async fn consume_all<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    purpose: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(at)
        .bind(user_id)
        .bind(purpose)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn latest_created<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    purpose: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MAX(created_at) FROM user_tokens WHERE user_id = $1 AND purpose = $2",
    )
    .bind(user_id)
    .bind(purpose)
    .fetch_one(ex)
    .await
}
