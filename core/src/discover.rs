//! Finding repositories: search (the web's and `docker search`'s), explore, stars, and pull
//! statistics. What matches a query and how it is ranked is decided here once; lists show only
//! what [`crate::access`] lets the viewer see.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
    access::{self, Subject},
    accounts::User,
    clock,
    db::DbKind,
    error::CoreError,
    hub::Hub,
    registry::repos::Repository,
    repositories::{self, RepoError},
    store::{
        self,
        discover::{Order, Search},
    },
};

/// Searches one process runs at once, per database: each holds two connections (page and
/// count), and a flood of searches must leave the pool to pulls, pushes and pages.
pub fn searches_at_once(kind: DbKind) -> usize {
    match kind {
        DbKind::Sqlite => 2,
        DbKind::Postgres => 4,
    }
}
/// How long a search waits for its turn before the caller hears "busy".
pub const SEARCH_WAIT: Duration = Duration::from_secs(2);

/// The turns of [`searches_at_once`].
#[derive(Clone)]
pub struct Gate {
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Gate {
    pub fn new(at_once: usize, wait: Duration) -> Gate {
        Gate {
            turns: Arc::new(Semaphore::new(at_once)),
            wait,
        }
    }

    /// A turn, or [`CoreError::Busy`] after the wait.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, CoreError> {
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(CoreError::Busy),
        }
    }
}

/// Results per page on the web, and `docker search`'s default.
pub const PER_PAGE: i64 = 25;
/// The most results one request may ask for (Docker Hub's limit for `docker search`).
pub const PER_PAGE_MAX: i64 = 100;
/// Words of a query beyond these are ignored; so are letters past [`WORD_MAX`] in a word.
const WORDS_MAX: usize = 8;
const WORD_MAX: usize = 64;
/// The highest page number read as asked; beyond, the last page is shown.
const PAGE_MAX: i64 = 1_000_000;
/// Days in the repository page's pull chart.
pub const CHART_DAYS: i64 = 30;
/// Starred repositories shown on a profile.
pub const STARRED_MAX: i64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    BestMatch,
    Pulls,
    Stars,
    Updated,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::BestMatch, Sort::Pulls, Sort::Stars, Sort::Updated];

    /// The query-string value (`?sort=pulls`).
    pub fn key(self) -> &'static str {
        match self {
            Sort::BestMatch => "best",
            Sort::Pulls => "pulls",
            Sort::Stars => "stars",
            Sort::Updated => "updated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::BestMatch => "Best match",
            Sort::Pulls => "Most pulls",
            Sort::Stars => "Most stars",
            Sort::Updated => "Recently updated",
        }
    }

    /// Unknown values fall back to the default.
    pub fn parse(key: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.key() == key)
            .unwrap_or_default()
    }

    fn order(self) -> Order {
        match self {
            Sort::BestMatch => Order::BestMatch,
            Sort::Pulls => Order::Pulls,
            Sort::Stars => Order::Stars,
            Sort::Updated => Order::Updated,
        }
    }
}

/// The words of a query, lowercase: runs of letters and digits (`my-app_v2` is `my`, `app`,
/// `v2`), as the full-text index splits names and descriptions. Each finds the words it begins.
pub fn words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(WORDS_MAX)
        .map(|w| {
            w.chars()
                .take(WORD_MAX)
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect()
}

/// `text` cut into pieces, each marked when it is the beginning of a word that a query word
/// matches: the parts of a result a page highlights. The pieces put together are `text`.
pub fn highlight(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut push = |piece: &str, marked: bool| {
        if piece.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some((last, m)) if *m == marked => last.push_str(piece),
            _ => pieces.push((piece.to_string(), marked)),
        }
    };
    let mut rest = text;
    while !rest.is_empty() {
        let word_start = rest.find(char::is_alphanumeric).unwrap_or(rest.len());
        push(&rest[..word_start], false);
        rest = &rest[word_start..];
        let word_end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..word_end];
        // The longest query word this text word begins with, in bytes of the text.
        let matched = words
            .iter()
            .filter_map(|w| prefix_len(word, w))
            .max()
            .unwrap_or(0);
        push(&word[..matched], true);
        push(&word[matched..], false);
        rest = &rest[word_end..];
    }
    pieces
}

/// Bytes of `word` that `prefix` (lowercase) matches at its start, ignoring case.
fn prefix_len(word: &str, prefix: &str) -> Option<usize> {
    let mut wanted = prefix.chars();
    let mut end = 0;
    for (i, c) in word.char_indices() {
        let mut lower = c.to_lowercase();
        for l in lower.by_ref() {
            match wanted.next() {
                Some(w) if w == l => {}
                Some(_) => return None,
                None => return (end > 0).then_some(end),
            }
        }
        end = i + c.len_utf8();
        if wanted.as_str().is_empty() {
            return Some(end);
        }
    }
    None
}

/// What someone looks for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub text: String,
    pub official_only: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: i64,
    /// 1 to [`PER_PAGE_MAX`].
    pub per_page: i64,
}

/// One page of results.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub repositories: Vec<Repository>,
    /// Matches on every page.
    pub total: i64,
    /// 1-based, clipped to the pages that exist.
    pub page: i64,
    /// At least 1.
    pub pages: i64,
    pub per_page: i64,
    pub words: Vec<String>,
}

/// Repositories matching `query` that `subject` may see: on namespace, name and short
/// description, every word as a prefix. An empty query matches every repository.
pub async fn search(hub: &Hub, subject: &Subject, query: &Query) -> Result<Results, CoreError> {
    let viewer = access::lists_private_of(subject);
    let words = words(&query.text);
    // Compared with whole names, which are at most 255 characters.
    let exact: String = query
        .text
        .trim()
        .chars()
        .take(255)
        .collect::<String>()
        .to_lowercase();
    let s = Search {
        words: &words,
        exact: exact.strip_prefix("library/").unwrap_or(&exact),
        official_only: query.official_only,
        viewer_id: viewer.map(|u| u.id),
        viewer_is_admin: viewer.is_some_and(|u| u.is_admin),
        official_first: false,
        order: query.sort.order(),
    };
    run(hub, &s, query, words.clone()).await
}

/// The explore page: public repositories, official images first, then in `sort`'s order
/// (most pulled by default).
pub async fn explore(hub: &Hub, sort: Sort, page: i64) -> Result<Results, CoreError> {
    let sort = if sort == Sort::BestMatch {
        Sort::Pulls
    } else {
        sort
    };
    let s = Search {
        words: &[],
        exact: "",
        official_only: false,
        viewer_id: None,
        viewer_is_admin: false,
        official_first: true,
        order: sort.order(),
    };
    let query = Query {
        page,
        per_page: PER_PAGE,
        ..Query::default()
    };
    run(hub, &s, &query, Vec::new()).await
}

async fn run(
    hub: &Hub,
    s: &Search<'_>,
    query: &Query,
    words: Vec<String>,
) -> Result<Results, CoreError> {
    let _turn = hub.searches.turn().await?;
    let kind = hub.db.kind();
    let pool = hub.db.pool();
    let per_page = query.per_page.clamp(1, PER_PAGE_MAX);
    // Clipped before it multiplies (an absurd page from a URL cannot overflow the offset); past
    // the last page is answered below.
    let mut page = query.page.clamp(1, PAGE_MAX);
    // The page and the count on two connections at once: each does the full-text match.
    let (mut rows, total) = tokio::try_join!(
        store::discover::search(pool, kind, s, (page - 1) * per_page, per_page),
        store::discover::count(pool, kind, s),
    )?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    if page > pages {
        // Past the end (an old link): the last page instead.
        page = pages;
        rows = store::discover::search(pool, kind, s, (page - 1) * per_page, per_page).await?;
    }
    Ok(Results {
        repositories: rows.into_iter().map(Repository::from).collect(),
        total,
        page,
        pages,
        per_page,
        words,
    })
}

/// Stars (`on`) or unstars a repository `user` can see. Idempotent; returns the new count.
pub async fn set_star(
    hub: &Hub,
    user: &User,
    namespace: &str,
    name: &str,
    on: bool,
) -> Result<(Repository, bool), RepoError> {
    let (repo, _) = repositories::open(hub, Some(user), namespace, name).await?;
    if !user.confirmed {
        return Err(RepoError::Refused(
            "Confirm your email address before starring repositories.".into(),
        ));
    }
    let mut tx = hub.db.begin_write().await?;
    if on {
        store::discover::star(&mut *tx, user.id, repo.id, clock::now()).await?;
    } else {
        store::discover::unstar(&mut *tx, user.id, repo.id).await?;
    }
    let row = store::repositories::by_id(&mut *tx, repo.id).await?;
    tx.commit().await?;
    let repo = row.map(Repository::from).ok_or(RepoError::NotFound)?;
    Ok((repo, on))
}

/// Whether `user` starred `repo`.
pub async fn is_starred(hub: &Hub, user: &User, repo: &Repository) -> Result<bool, CoreError> {
    Ok(store::discover::is_starred(hub.db.pool(), user.id, repo.id).await?)
}

/// The repositories `owner` starred that `viewer` may see, most recent star first.
pub async fn starred(
    hub: &Hub,
    viewer: Option<&User>,
    owner: &User,
) -> Result<Vec<Repository>, CoreError> {
    let rows = store::discover::starred_by(
        hub.db.pool(),
        owner.id,
        viewer.map(|u| u.id),
        viewer.is_some_and(|u| u.is_admin),
        STARRED_MAX,
    )
    .await?;
    Ok(rows.into_iter().map(Repository::from).collect())
}

/// Pulls of each of the last `days` days, oldest first, ending today (UTC): `(day, pulls)`.
pub async fn daily_pulls(
    hub: &Hub,
    repo: &Repository,
    days: i64,
) -> Result<Vec<(i64, i64)>, CoreError> {
    let today = clock::day(clock::now());
    let first = today - days + 1;
    let counted = store::discover::day_pulls(hub.db.pool(), repo.id, first).await?;
    Ok((first..=today)
        .map(|day| {
            let pulls = counted
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n);
            (day, pulls)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_the_index() {
        assert_eq!(words("  My-App_v2 / nginx "), ["my", "app", "v2", "nginx"]);
        assert!(words("<script>").iter().all(|w| w == "script"));
        assert!(words("-- ** //").is_empty());
        assert_eq!(words(&"a b ".repeat(20)).len(), WORDS_MAX);
    }

    #[test]
    fn highlight_marks_word_beginnings_and_keeps_the_text() {
        let w = words("ngi web");
        let pieces = highlight("acme/nginx-web_proxy engine", &w);
        let text: String = pieces.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(text, "acme/nginx-web_proxy engine");
        let marked: Vec<&str> = pieces
            .iter()
            .filter(|(_, m)| *m)
            .map(|(p, _)| p.as_str())
            .collect();
        // `engine` contains "ngi" but does not begin with it.
        assert_eq!(marked, ["ngi", "web"]);
        let upper = highlight("NGINX", &w);
        assert_eq!(
            upper,
            [("NGI".to_string(), true), ("NX".to_string(), false)]
        );
        assert_eq!(highlight("", &w), []);
    }
}
