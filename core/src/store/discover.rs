//! Search and explore over repositories, stars, and pull statistics.

use sqlx::{Any, Executor};

use super::repositories::{r_list_columns, RepositoryRow, VISIBLE_TO_VIEWER};
use crate::db::DbKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Exact name first, then official images, then stars and pulls.
    BestMatch,
    Pulls,
    Stars,
    Updated,
}

/// What to look for. `words` are lowercase letters and digits only (the domain splits the
/// query), so they can be placed in a full-text query without escaping.
pub struct Search<'a> {
    pub words: &'a [String],
    /// Ranked first when a repository's name (or full name) is exactly this.
    pub exact: &'a str,
    pub official_only: bool,
    /// Whose private repositories may appear (`None`: public only).
    pub viewer_id: Option<i64>,
    pub viewer_is_admin: bool,
    /// Official images before everything else whatever the order (explore).
    pub official_first: bool,
    pub order: Order,
}

/// `WHERE` and `ORDER BY` of a search; `$1`, `$2` are the viewer, `$3` the exact name, `$4` the
/// full-text query when there are words.
fn clauses(kind: DbKind, s: &Search<'_>) -> (String, String) {
    let mut conditions = vec![VISIBLE_TO_VIEWER.to_string()];
    if s.words.is_empty() {
        // Every parameter is referenced, whether used or not.
        conditions.push("$4 = $4".into());
    } else {
        conditions.push(match kind {
            DbKind::Sqlite => {
                "r.id IN (SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH $4)"
                    .into()
            }
            DbKind::Postgres => "r.search @@ to_tsquery('simple', $4)".into(),
        });
    }
    if s.official_only {
        conditions.push("r.namespace = 'library'".into());
    }
    // Without words there is nothing to match best: official images, then the most starred,
    // the order an index keeps (as for explore).
    let (official_first, sort) = match (s.order, s.words.is_empty()) {
        (Order::BestMatch, true) => (true, Order::Stars),
        (o, _) => (s.official_first, o),
    };
    let mut order = Vec::new();
    if official_first {
        order.push("(r.namespace = 'library') DESC");
    }
    order.extend(match sort {
        Order::BestMatch => vec![
            "(r.name = $3 OR r.full_name = $3) DESC",
            "(r.namespace = 'library') DESC",
            "r.star_count DESC",
            "r.pull_count DESC",
        ],
        Order::Pulls => vec!["r.pull_count DESC"],
        Order::Stars => vec!["r.star_count DESC", "r.pull_count DESC"],
        Order::Updated => vec![
            "COALESCE(r.last_pushed_at, r.created_at) DESC",
            "r.push_seq DESC",
        ],
    });
    order.push("r.full_name");
    (conditions.join(" AND "), order.join(", "))
}

fn full_text_query(kind: DbKind, words: &[String]) -> String {
    match kind {
        // Each word as a prefix: `ngi` finds nginx.
        DbKind::Sqlite => words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND "),
        DbKind::Postgres => words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

/// One page of matching repositories. (A `COUNT(*) OVER ()` here would save the count query
/// but makes SQLite sort every match instead of keeping the top ones: slower, measured.)
pub async fn search<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: DbKind,
    s: &Search<'_>,
    offset: i64,
    limit: i64,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    let (conditions, order) = clauses(kind, s);
    let sql = format!(
        "SELECT {} FROM repositories r WHERE {conditions} ORDER BY {order} LIMIT $5 OFFSET $6",
        r_list_columns()
    );
    sqlx::query_as(&sql)
        .bind(s.viewer_id.unwrap_or(-1))
        .bind(i64::from(s.viewer_is_admin))
        .bind(s.exact)
        .bind(full_text_query(kind, s.words))
        .bind(limit)
        .bind(offset)
        .fetch_all(ex)
        .await
}

/// How many repositories match, on every page.
pub async fn count<'c>(
    ex: impl Executor<'c, Database = Any>,
    kind: DbKind,
    s: &Search<'_>,
) -> Result<i64, sqlx::Error> {
    let (conditions, _) = clauses(kind, s);
    // `$3` is bound so that the numbering matches the page query's.
    let sql = format!("SELECT COUNT(*) FROM repositories r WHERE {conditions} AND $3 = $3");
    sqlx::query_scalar(&sql)
        .bind(s.viewer_id.unwrap_or(-1))
        .bind(i64::from(s.viewer_is_admin))
        .bind(s.exact)
        .bind(full_text_query(kind, s.words))
        .fetch_one(ex)
        .await
}

/// Stars a repository; starring again changes nothing.
pub async fn star<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    repository_id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO stars (user_id, repository_id, starred_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, repository_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(repository_id)
    .bind(at)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn unstar<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    repository_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM stars WHERE user_id = $1 AND repository_id = $2")
        .bind(user_id)
        .bind(repository_id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn is_starred<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    repository_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM stars WHERE user_id = $1 AND repository_id = $2")
            .bind(user_id)
            .bind(repository_id)
            .fetch_optional(ex)
            .await?;
    Ok(found.is_some())
}

/// The repositories `user_id` starred that the viewer (`$1`, `$2`) may see, newest star first.
pub async fn starred_by<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    viewer_id: Option<i64>,
    viewer_is_admin: bool,
    limit: i64,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {} FROM stars s JOIN repositories r ON r.id = s.repository_id
         WHERE s.user_id = $3 AND {VISIBLE_TO_VIEWER}
         ORDER BY s.starred_at DESC, r.full_name LIMIT $4",
        r_list_columns()
    ))
    .bind(viewer_id.unwrap_or(-1))
    .bind(i64::from(viewer_is_admin))
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Adds pulls to a repository's day. Concurrent flushes from several replicas add up: the
/// insert or the increment happens under the row's lock.
pub async fn add_day_pulls<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    day: i64,
    pulls: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pull_days (repository_id, day, pulls) VALUES ($1, $2, $3)
         ON CONFLICT (repository_id, day) DO UPDATE SET pulls = pull_days.pulls + excluded.pulls",
    )
    .bind(repository_id)
    .bind(day)
    .bind(pulls)
    .execute(ex)
    .await?;
    Ok(())
}

/// Adds pulls to a tag and moves its last pull forward to `at` (never back: another replica
/// may have written a later one first).
pub async fn add_tag_pulls<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    tag: &str,
    pulls: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tags SET pull_count = pull_count + $1,
             last_pulled_at = CASE WHEN last_pulled_at IS NULL OR last_pulled_at < $2
                                   THEN $2 ELSE last_pulled_at END
         WHERE repository_id = $3 AND name = $4",
    )
    .bind(pulls)
    .bind(at)
    .bind(repository_id)
    .bind(tag)
    .execute(ex)
    .await?;
    Ok(())
}

/// Pulls per day from `first_day` on (days without pulls are absent).
pub async fn day_pulls<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
    first_day: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT day, pulls FROM pull_days WHERE repository_id = $1 AND day >= $2 ORDER BY day",
    )
    .bind(repository_id)
    .bind(first_day)
    .fetch_all(ex)
    .await
}
