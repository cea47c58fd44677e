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
    pub overview: String,
    pub pull_count: i64,
    pub created_at: i64,
    pub last_pushed_at: Option<i64>,
    pub tag_count: i64,
    pub star_count: i64,
    pub stored_bytes: i64,
    pub is_automated: i64,
}

pub(super) const COLUMNS: &str = "id, namespace, name, full_name, owner_id, is_private, description, overview, pull_count, created_at, last_pushed_at, tag_count, star_count, stored_bytes, is_automated";

/// [`COLUMNS`] of the table aliased `r`.
pub(super) fn r_columns() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`r_columns`] for lists, which never show the overview: it is left empty, not read (it can
/// be 25,000 characters, and a search reads every match before keeping a page).
pub(super) fn r_list_columns() -> String {
    r_columns().replace("r.overview", "'' AS overview")
}

/// Whether the viewer bound as `$1` (an account id, or -1) with admin flag `$2` (0 or 1) may see
/// the repository `r`: public ones, their own, those they collaborate on, those of
/// organizations where they are an editor or owner, those their teams have a permission on,
/// all for an admin. The SQL side of [`crate::access::role`], for lists that cannot ask it
/// row by row.
pub(super) const VISIBLE_TO_VIEWER: &str = "(r.is_private = 0 OR r.owner_id = $1 OR $2 = 1
    OR r.id IN (SELECT repository_id FROM collaborators WHERE user_id = $1)
    OR r.owner_id IN (SELECT org_id FROM org_members WHERE user_id = $1 AND role <> 'member')
    OR r.id IN (SELECT tr.repository_id FROM team_repositories tr
                JOIN team_members tm ON tm.team_id = tr.team_id WHERE tm.user_id = $1))";

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

pub struct NewRepository<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub owner_id: i64,
    pub is_private: bool,
    pub description: &'a str,
    pub created_at: i64,
}

pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    r: NewRepository<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO repositories (namespace, name, full_name, owner_id, is_private, description, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(r.namespace)
    .bind(r.name)
    .bind(format!("{}/{}", r.namespace, r.name))
    .bind(r.owner_id)
    .bind(i64::from(r.is_private))
    .bind(r.description)
    .bind(r.created_at)
    .fetch_one(ex)
    .await
}

/// Records a push: its time, and the hub's newest push order (`push_seq`), so repositories
/// pushed in the same second still list in the order they were pushed.
pub async fn touch_pushed<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE repositories SET last_pushed_at = $1,
                push_seq = (SELECT COALESCE(MAX(push_seq), 0) + 1 FROM repositories)
         WHERE id = $2",
    )
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

/// Full names after `last`, in byte order, that a viewer may see: public ones, their own, those
/// they collaborate on, or all for an admin.
pub async fn visible_names<'c>(
    ex: impl Executor<'c, Database = Any>,
    viewer_id: Option<i64>,
    viewer_is_admin: bool,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT r.full_name FROM repositories r
         WHERE {VISIBLE_TO_VIEWER} AND r.full_name > $3
         ORDER BY r.full_name LIMIT $4"
    ))
    .bind(viewer_id.unwrap_or(-1))
    .bind(i64::from(viewer_is_admin))
    .bind(last)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM repositories WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// How many private repositories an account owns.
pub async fn count_private<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE owner_id = $1 AND is_private = 1")
        .bind(owner_id)
        .fetch_one(ex)
        .await
}

pub async fn set_private<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    private: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE repositories SET is_private = $1 WHERE id = $2")
        .bind(i64::from(private))
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_descriptions<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
    description: &str,
    overview: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE repositories SET description = $1, overview = $2 WHERE id = $3")
        .bind(description)
        .bind(overview)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Deletes a repository with its tags, manifests, blob links, uploads and collaborators (the
/// foreign keys cascade); the blobs themselves stay for the repositories that share them.
pub async fn delete<'c>(ex: impl Executor<'c, Database = Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM repositories WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Repositories an account owns or collaborates on, most recently pushed (or created) first.
pub async fn of_member<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM repositories
         WHERE owner_id = $1 OR id IN (SELECT repository_id FROM collaborators WHERE user_id = $1)
         ORDER BY COALESCE(last_pushed_at, created_at) DESC, push_seq DESC, full_name"
    ))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// An account's public repositories, most recently pushed first.
pub async fn public_of_owner<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM repositories WHERE owner_id = $1 AND is_private = 0
         ORDER BY COALESCE(last_pushed_at, created_at) DESC, push_seq DESC, full_name"
    ))
    .bind(owner_id)
    .fetch_all(ex)
    .await
}

/// The repositories of `owner_id` that a viewer (see [`VISIBLE_TO_VIEWER`]) may see, most
/// recently pushed first.
pub async fn visible_of_owner<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
    viewer_id: i64,
    viewer_is_admin: bool,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {} FROM repositories r WHERE r.owner_id = $3 AND {VISIBLE_TO_VIEWER}
         ORDER BY COALESCE(r.last_pushed_at, r.created_at) DESC, r.push_seq DESC, r.full_name",
        r_list_columns()
    ))
    .bind(viewer_id)
    .bind(i64::from(viewer_is_admin))
    .bind(owner_id)
    .fetch_all(ex)
    .await
}

/// Every repository an account owns.
pub async fn of_owner<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM repositories WHERE owner_id = $1"
    ))
    .bind(owner_id)
    .fetch_all(ex)
    .await
}
