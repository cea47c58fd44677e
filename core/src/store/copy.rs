//! Table-by-table copying from one database to another (`berth migrate-data`). The target's
//! column types drive decoding, so one routine serves every table; the schema holds only
//! BIGINT, TEXT and BYTEA columns.

use futures_util::TryStreamExt;
use sqlx::{Any, AnyConnection, Row};

/// The tables `migrate-data` copies, parents before children.
pub const TABLES: &[&str] = &[
    "users",
    "access_tokens",
    "user_tokens",
    "recovery_codes",
    "retired_names",
    "activity",
    "jobs",
    "repositories",
    "collaborators",
    "org_members",
    "org_invitations",
    "teams",
    "team_members",
    "team_repositories",
    "repository_redirects",
    "webhooks",
    "webhook_deliveries",
    "webhook_attempts",
    "stars",
    "pull_days",
    "blobs",
    "repository_blobs",
    "manifests",
    "manifest_blobs",
    "tags",
    "repository_policies",
    "retention_log",
    "build_sources",
    "build_rules",
    "builds",
    "settings",
];

/// The tables it leaves behind, and why: the bytes of uploads in flight stay in the old store
/// (clients start those again); rate-limit counts are minutes old at most; the search index is
/// SQLite's own (PostgreSQL's is a generated column); a blob deletion under way names bytes no
/// row knows, which are not copied. A test holds every table of the schema to one of the two
/// lists.
pub const NOT_COPIED: &[&str] = &[
    "uploads",
    "rate_counts",
    "repositories_fts",
    "blob_deletions",
];

/// Tables whose `id` comes from a sequence on PostgreSQL.
const SERIAL_TABLES: &[&str] = &[
    "users",
    "access_tokens",
    "user_tokens",
    "activity",
    "jobs",
    "repositories",
    "manifests",
    "org_invitations",
    "teams",
    "webhooks",
    "webhook_deliveries",
    "webhook_attempts",
    "retention_log",
    "build_rules",
    "builds",
];

/// Every table of the schema the connection sees (SQLite), besides sqlx's own bookkeeping, the
/// full-text index's shadow tables and the server's login sessions (not carried over: users log
/// in again).
pub async fn schema_tables(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'
         AND name NOT LIKE 'repositories_fts_%' AND name <> 'tower_sessions' ORDER BY name",
    )
    .fetch_all(conn)
    .await
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// Column names and kinds of `table` on a PostgreSQL target, in declaration order; generated
/// columns (the search vector) compute themselves.
async fn target_columns(
    pg: &mut AnyConnection,
    table: &str,
) -> Result<Vec<(String, Kind)>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *pg)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, ty)| {
            let kind = match ty.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Int,
                "bytea" => Kind::Bytes,
                _ => Kind::Text,
            };
            (name, kind)
        })
        .collect())
}

pub async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await
}

/// Copies every row of `table` from `from` (SQLite) into `to` (PostgreSQL) and returns how
/// many were inserted. Both connections are expected inside transactions.
pub async fn copy_table(
    from: &mut AnyConnection,
    to: &mut AnyConnection,
    table: &str,
) -> Result<i64, sqlx::Error> {
    let columns = target_columns(to, table).await?;
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let select = format!("SELECT {} FROM {table}", names.join(", "));
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        placeholders.join(", ")
    );
    let mut rows = sqlx::query(&select).fetch(from);
    let mut copied = 0;
    while let Some(row) = rows.try_next().await? {
        let mut q = sqlx::query::<Any>(&insert);
        for (i, (_, kind)) in columns.iter().enumerate() {
            q = match kind {
                Kind::Int => q.bind(row.try_get::<Option<i64>, _>(i)?),
                Kind::Text => q.bind(row.try_get::<Option<String>, _>(i)?),
                Kind::Bytes => q.bind(row.try_get::<Option<Vec<u8>>, _>(i)?),
            };
        }
        q.execute(&mut *to).await?;
        copied += 1;
    }
    Ok(copied)
}

/// Sets the counts that triggers keep (tags and stars per repository) from the copied rows: the
/// repositories arrive with their counts, and the triggers then add every copied tag and star
/// once more.
pub async fn recount(to: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE repositories SET
            tag_count = (SELECT COUNT(*) FROM tags WHERE tags.repository_id = repositories.id),
            star_count = (SELECT COUNT(*) FROM stars WHERE stars.repository_id = repositories.id)",
    )
    .execute(to)
    .await?;
    Ok(())
}

/// Moves PostgreSQL's id sequence of `table` past the copied ids.
pub async fn reset_sequence(to: &mut AnyConnection, table: &str) -> Result<(), sqlx::Error> {
    if SERIAL_TABLES.contains(&table) {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)::BIGINT FROM {table}"
        ))
        .fetch_one(to)
        .await?;
    }
    Ok(())
}

/// Digests and sizes of every stored blob.
pub async fn blob_list(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT digest, size FROM blobs ORDER BY digest")
        .fetch_all(conn)
        .await
}

#[cfg(test)]
mod tests {
    /// A table added by a migration and forgotten here would be lost by `migrate-data`.
    #[tokio::test]
    async fn every_table_is_copied_or_left_behind_on_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = crate::db::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let mut listed: Vec<&str> = super::TABLES
            .iter()
            .chain(super::NOT_COPIED)
            .copied()
            .collect();
        listed.sort_unstable();
        assert_eq!(super::schema_tables(&mut conn).await.unwrap(), listed);
    }
}
