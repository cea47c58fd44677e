use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub email_confirmed_at: Option<i64>,
    pub is_admin: i64,
    pub session_generation: i64,
    pub created_at: i64,
    pub private_repo_limit: i64,
    pub default_private: i64,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    pub is_org: i64,
    pub display_name: String,
}

pub(super) const COLUMNS: &str = "id, username, email, password_hash, email_confirmed_at, is_admin, session_generation, created_at, private_repo_limit, default_private, totp_secret, totp_pending, totp_last_step, is_org, display_name";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub confirmed_at: Option<i64>,
    pub is_admin: bool,
    pub created_at: i64,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    u: NewUser<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (username, email, email_lower, password_hash, email_confirmed_at, is_admin, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(u.username)
    .bind(u.email)
    .bind(u.email.to_lowercase())
    .bind(u.password_hash)
    .bind(u.confirmed_at)
    .bind(i64::from(u.is_admin))
    .bind(u.created_at)
    .fetch_one(ex)
    .await
}

pub async fn by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn by_username<'c>(
    ex: impl Executor<'c, Database = Any>,
    username: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(ex)
        .await
}

pub async fn by_email<'c>(
    ex: impl Executor<'c, Database = Any>,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE email_lower = $1"
    ))
    .bind(email.to_lowercase())
    .fetch_optional(ex)
    .await
}

/// Whether an account has the name, or had it (names of deleted accounts are never reused).
pub async fn username_taken<'c>(
    ex: impl Executor<'c, Database = Any>,
    username: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE username = $1)
              + (SELECT COUNT(*) FROM retired_names WHERE name = $1)",
    )
    .bind(username)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

pub async fn email_taken<'c>(
    ex: impl Executor<'c, Database = Any>,
    email: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_lower = $1")
        .bind(email.to_lowercase())
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

pub async fn set_confirmed<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email_confirmed_at = $1 WHERE id = $2 AND email_confirmed_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Sets a new password and bumps the session generation, which ends every existing session.
pub async fn set_password<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, session_generation = session_generation + 1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Locks an account's row until the transaction ends, so that checks of what the account owns
/// (the private-repository quota) and the writes they allow happen one at a time. SQLite needs
/// nothing: a write transaction (`BEGIN IMMEDIATE`) already excludes every other writer.
pub async fn lock<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: crate::db::DbKind,
    id: i64,
) -> Result<(), sqlx::Error> {
    if kind == crate::db::DbKind::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(ex)
            .await?;
    }
    Ok(())
}

pub async fn set_private_repo_limit<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    limit: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET private_repo_limit = $1 WHERE id = $2")
        .bind(limit)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_default_private<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    private: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET default_private = $1 WHERE id = $2")
        .bind(i64::from(private))
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// An account with its private-repository count, as the plans page lists it.
#[derive(Clone, Debug, FromRow)]
pub struct PlanRow {
    pub username: String,
    pub email: String,
    pub email_confirmed_at: Option<i64>,
    pub is_admin: i64,
    pub created_at: i64,
    pub private_repo_limit: i64,
    pub private_used: i64,
}

const MATCHING: &str =
    "(LOWER(u.username) LIKE $1 ESCAPE '\\' OR LOWER(u.email) LIKE $1 ESCAPE '\\')";

/// Accounts whose Berth ID or email contains `filter` (case-insensitively), by Berth ID.
pub async fn plans_page<'c>(
    ex: impl Executor<'c, Database = Any>,
    filter: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<PlanRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT u.username, u.email, u.email_confirmed_at, u.is_admin, u.created_at, u.private_repo_limit,
                (SELECT COUNT(*) FROM repositories r WHERE r.owner_id = u.id AND r.is_private = 1) AS private_used
         FROM users u WHERE {MATCHING} ORDER BY u.username LIMIT $2 OFFSET $3"
    ))
    .bind(super::contains_pattern(filter))
    .bind(limit)
    .bind(offset)
    .fetch_all(ex)
    .await
}

pub async fn count_matching<'c>(
    ex: impl Executor<'c, Database = Any>,
    filter: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE {MATCHING}"))
        .bind(super::contains_pattern(filter))
        .fetch_one(ex)
        .await
}

pub async fn set_email<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    email: &str,
    confirmed_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $1, email_lower = $2, email_confirmed_at = $3 WHERE id = $4",
    )
    .bind(email)
    .bind(email.to_lowercase())
    .bind(confirmed_at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn set_totp_pending<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    secret: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Turns two-factor authentication on with `secret` (or off with `None`).
pub async fn set_totp<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    secret: Option<&str>,
    step: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2 WHERE id = $3",
    )
    .bind(secret)
    .bind(step)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Records the time step of an accepted code, if it is newer than the last one; false if the
/// code's step was already used (a replayed code).
pub async fn advance_totp_step<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account with everything that cascades from it, and keeps its name out of use.
pub async fn delete<'c>(
    ex: &mut sqlx::Transaction<'c, Any>,
    id: i64,
    username: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO retired_names (name, retired_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(username)
        .bind(at)
        .execute(&mut **ex)
        .await?;
    // Invitations a deleted account sent go with it (they would otherwise outlive their sender).
    sqlx::query("DELETE FROM org_invitations WHERE invited_by = $1")
        .bind(id)
        .execute(&mut **ex)
        .await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut **ex)
        .await?;
    Ok(())
}

pub async fn insert_recovery_codes<'c>(
    ex: &mut sqlx::Transaction<'c, Any>,
    user_id: i64,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **ex)
        .await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(h)
            .execute(&mut **ex)
            .await?;
    }
    Ok(())
}

/// Uses a recovery code: true if it was the account's and unused (and is now used).
pub async fn use_recovery_code<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    hash: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .bind(hash)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `hash` is one of the account's recovery codes that was used.
pub async fn recovery_code_used<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NOT NULL",
    )
    .bind(user_id)
    .bind(hash)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}

pub async fn unused_recovery_codes<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(ex)
        .await
}

pub async fn delete_recovery_codes<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(())
}
