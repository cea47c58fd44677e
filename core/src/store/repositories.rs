use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, FromRow)]
pub struct RepositoryRow {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub full_name: String,
    pub owner_id: i64,
    pub is_private: i64,
    pub description: String,
    pub pull_count: i64,
    pub created_at: i64,
    pub last_pushed_at: Option<i64>,
}

const COLUMNS: &str = "id, namespace, name, full_name, owner_id, is_private, description, pull_count, created_at, last_pushed_at";

pub async fn by_full_name<'c>(
    ex: impl Executor<'c, Database = Any>,
    full_name: &str,
) -> Result<Option<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM repositories WHERE full_name = $1"
    ))
    .bind(full_name)
    .fetch_optional(ex)
    .await
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    namespace: &str,
    name: &str,
    owner_id: i64,
    is_private: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO repositories (namespace, name, full_name, owner_id, is_private, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(namespace)
    .bind(name)
    .bind(format!("{namespace}/{name}"))
    .bind(owner_id)
    .bind(i64::from(is_private))
    .bind(now)
    .fetch_one(ex)
    .await
}

pub async fn touch_pushed<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE repositories SET last_pushed_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn add_pulls<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    pulls: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE repositories SET pull_count = pull_count + $1 WHERE id = $2")
        .bind(pulls)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Full names after `last`, in byte order, that a viewer may see: public ones, their own, or all
/// for an admin.
pub async fn visible_names<'c>(
    ex: impl Executor<'c, Database = Any>,
    viewer_id: Option<i64>,
    viewer_is_admin: bool,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT full_name FROM repositories
         WHERE (is_private = 0 OR owner_id = $1 OR $2 = 1) AND full_name > $3
         ORDER BY full_name LIMIT $4",
    )
    .bind(viewer_id.unwrap_or(-1))
    .bind(i64::from(viewer_is_admin))
    .bind(last)
    .bind(limit)
    .fetch_all(ex)
    .await
}
