//! Repositories as the registry sees them: who may see and push them, and creation by push.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use super::{
    names::{Reference, RepoName},
    RegistryError,
};
use crate::{
    access::{self, Action, Refusal, Subject},
    clock,
    hub::Hub,
    repositories::{self, RepoError},
    store::{self, repositories::RepositoryRow},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub full_name: String,
    pub owner_id: i64,
    pub is_private: bool,
    pub description: String,
    pub overview: String,
    pub pull_count: i64,
    pub created_at: i64,
    pub last_pushed_at: Option<i64>,
    pub tag_count: i64,
    pub star_count: i64,
    /// Bytes of the distinct blobs its manifests reference, as of when it was read.
    pub stored_bytes: i64,
    /// Linked to a git repository that builds its images (automated builds).
    pub is_automated: bool,
}

impl Repository {
    /// Official images live in the `library` namespace.
    pub fn is_official(&self) -> bool {
        self.namespace == super::names::LIBRARY
    }

    /// The name as docker users type it: `alpine` for `library/alpine`.
    pub fn short_name(&self) -> &str {
        if self.is_official() {
            &self.name
        } else {
            &self.full_name
        }
    }
}

impl From<RepositoryRow> for Repository {
    fn from(r: RepositoryRow) -> Self {
        Repository {
            id: r.id,
            namespace: r.namespace,
            name: r.name,
            full_name: r.full_name,
            owner_id: r.owner_id,
            is_private: r.is_private != 0,
            description: r.description,
            overview: r.overview,
            pull_count: r.pull_count,
            created_at: r.created_at,
            last_pushed_at: r.last_pushed_at,
            tag_count: r.tag_count,
            star_count: r.star_count,
            stored_bytes: r.stored_bytes,
            is_automated: r.is_automated != 0,
        }
    }
}

pub async fn find(hub: &Hub, name: &RepoName) -> Result<Option<Repository>, RegistryError> {
    Ok(store::repositories::by_full_name(hub.db.pool(), &name.full)
        .await?
        .map(Repository::from))
}

/// The repository `name` for `action`: by its name, or for a pull by a name it had before a
/// transfer (pulls keep working under the old name until someone creates a repository there;
/// pushes to the old name create that repository).
pub async fn find_for(
    hub: &Hub,
    name: &RepoName,
    action: Action,
) -> Result<Option<Repository>, RegistryError> {
    if let Some(repo) = find(hub, name).await? {
        return Ok(Some(repo));
    }
    if action != Action::Pull {
        return Ok(None);
    }
    Ok(crate::repositories::moved(hub, &name.full).await?)
}

/// The access decision for a registry request: the repository `name` if `subject` may do
/// `action` to it; `None` when it does not exist yet and `subject` may create it by pushing.
pub async fn check(
    hub: &Hub,
    subject: &Subject,
    name: &RepoName,
    action: Action,
) -> Result<Result<Option<Repository>, Refusal>, RegistryError> {
    match find_for(hub, name, action).await? {
        Some(repo) => Ok(access::decide(hub, subject, &repo, action)
            .await?
            .map(|_| Some(repo))),
        None if action == Action::Push => Ok(access::decide_create(hub, subject, name)
            .await?
            .map(|()| None)),
        None => Ok(Err(match subject {
            Subject::Anonymous => Refusal::AuthenticationRequired,
            _ => Refusal::NotFound,
        })),
    }
}

/// Creates the repository a first push goes to (after [`check`] allowed it), with the pusher's
/// default visibility, within their private-repository quota.
pub async fn create_for_push(
    hub: &Hub,
    subject: &Subject,
    name: &RepoName,
) -> Result<Repository, RegistryError> {
    let user = subject
        .user()
        .ok_or_else(|| RegistryError::Unauthorized("authentication required".into()))?;
    match repositories::create_for_push(hub, user, name).await {
        Ok(repo) => {
            tracing::info!(repository = %name.full, user = %user.username, private = repo.is_private, "repository created by push");
            Ok(repo)
        }
        Err(RepoError::Internal(e)) => Err(e.into()),
        Err(RepoError::Invalid(e)) => Err(RegistryError::NameInvalid(
            e.0.first().map(|(_, m)| m.clone()).unwrap_or_default(),
        )),
        Err(e) => Err(RegistryError::Denied(e.to_string())),
    }
}

/// Repository names after `last` that `subject` may see, at most `limit` (an access token
/// limited to some repositories sees only those).
pub async fn catalog(
    hub: &Hub,
    subject: &Subject,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, RegistryError> {
    let user = crate::access::lists_as(subject);
    let names = store::repositories::visible_names(
        hub.db.pool(),
        user.map(|u| u.id),
        user.is_some_and(|u| u.is_admin),
        last,
        limit,
    )
    .await?;
    Ok(match subject.token() {
        Some(t) if !t.limits.is_empty() => names
            .into_iter()
            .filter(|n| t.permits(n, false, Action::Pull).is_ok())
            .collect(),
        _ => names,
    })
}

/// Pulls counted in memory and added to the database about once a second: a write per
/// manifest GET would queue every pull behind SQLite's single writer. Each replica adds its own
/// counts with increments (never by writing totals), so the totals stay right with several; a
/// crash loses at most the last second's.
#[derive(Clone, Default)]
pub struct PullCounts {
    pending: Arc<Mutex<Pending>>,
    /// What each client resolved lately, to count a pull once and for its tag (see
    /// [`count_manifest_request`]).
    resolved: Resolved,
    /// Held while a flush writes, so a second flush (at shutdown, or a test's) returns only
    /// once the counts taken by the first are in the database.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

/// Pulls since the last flush: per repository and day, and per tag with the last pull's time.
#[derive(Default)]
struct Pending {
    days: BTreeMap<(i64, i64), i64>,
    tags: BTreeMap<(i64, String), (i64, i64)>,
}

impl Pending {
    fn add(&mut self, other: Pending) {
        for (k, n) in other.days {
            *self.days.entry(k).or_default() += n;
        }
        for (k, (n, at)) in other.tags {
            let e = self.tags.entry(k).or_default();
            e.0 += n;
            e.1 = e.1.max(at);
        }
    }
}

/// How long a client's resolution of a manifest is remembered.
const RESOLVED_FOR: i64 = 5 * clock::MINUTE;
/// Resolutions remembered at most (per process).
const RESOLVED_KEPT: usize = 20_000;

/// (repository, client, digest) → the tag the client reached it by, whether its pull was
/// counted already, and when.
type ResolvedKey = (i64, String, String);
type ResolvedValue = (Option<String>, bool, i64);

#[derive(Clone)]
struct Resolved(Arc<Mutex<lru::LruCache<ResolvedKey, ResolvedValue>>>);

impl Default for Resolved {
    fn default() -> Self {
        Resolved(Arc::new(Mutex::new(lru::LruCache::new(
            std::num::NonZeroUsize::new(RESOLVED_KEPT).unwrap_or(std::num::NonZeroUsize::MIN),
        ))))
    }
}

/// Counts a manifest request as pull statistics count pulls (the one rule of what a pull is).
/// `client` names who asks (address, account, program). Clients resolve a tag in different
/// ways, and each pull of `repo:tag` counts once, for the tag, whatever the way:
/// - a GET by tag is a pull of the tag;
/// - a HEAD by tag (docker and containerd resolve tags so) is the tag's last pull at once (so a
///   "not pulled for N days" rule never deletes a tag that is pulled, on whichever replica) and
///   the client's next GET of that digest counts as the tag's pull;
/// - a GET by digest counts for the repository, unless this client's pull of it was counted;
/// - the platform manifests of an index the client just pulled are part of that pull.
///
/// Resolutions are remembered in this process for [`RESOLVED_FOR`]: behind a load balancer that
/// sends the HEAD and the GET to different replicas, the pull counts for the repository only
/// (the tag's last-pulled time is still set by the HEAD).
pub(crate) fn count_manifest_request(
    hub: &Hub,
    repo: &Repository,
    reference: &Reference,
    digest: &str,
    children: impl FnOnce() -> Vec<String>,
    client: &str,
    is_get: bool,
) {
    let now = clock::now();
    let pulls = &hub.registry.pulls;
    let key = |digest: &str| (repo.id, client.to_string(), digest.to_string());
    let mut resolved = pulls.resolved.0.lock().unwrap_or_else(|e| e.into_inner());
    let counted_tag = match (reference, is_get) {
        (Reference::Tag(tag), false) => {
            resolved.put(key(digest), (Some(tag.clone()), false, now));
            drop(resolved);
            add_pull(hub, repo.id, now, None, Some(tag));
            return;
        }
        (Reference::Digest(_), false) => return,
        (Reference::Tag(tag), true) => Some(tag.clone()),
        (Reference::Digest(_), true) => match resolved.get_mut(&key(digest)) {
            Some(entry) if now - entry.2 <= RESOLVED_FOR => {
                if entry.1 {
                    return;
                }
                entry.1 = true;
                entry.2 = now;
                entry.0.clone()
            }
            _ => None,
        },
    };
    for child in children() {
        resolved.put(key(&child), (counted_tag.clone(), true, now));
    }
    drop(resolved);
    add_pull(hub, repo.id, now, Some(1), counted_tag.as_deref());
}

/// Counts one pull of `repo` already attributed (to `tag`, when it was one's).
pub fn count_pull(hub: &Hub, repo: &Repository, tag: Option<&str>) {
    add_pull(hub, repo.id, clock::now(), Some(1), tag);
}

/// Adds to the pending counts: `pulls` of the repository today (none for a tag's touch), and the
/// tag's pull (counted, or only its time when `pulls` is `None`).
fn add_pull(hub: &Hub, repository_id: i64, now: i64, pulls: Option<i64>, tag: Option<&str>) {
    let mut pending = hub
        .registry
        .pulls
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = pulls {
        *pending
            .days
            .entry((repository_id, clock::day(now)))
            .or_default() += n;
    }
    if let Some(tag) = tag {
        let e = pending
            .tags
            .entry((repository_id, tag.to_string()))
            .or_default();
        e.0 += pulls.unwrap_or(0);
        e.1 = now;
    }
}

/// Writes the pulls counted since the last flush, in one transaction. Rows are written in key
/// order (repositories, then days, then tags), the same on every replica, so two replicas
/// flushing at once wait for each other instead of deadlocking.
pub async fn flush_pulls(hub: &Hub) -> Result<(), RegistryError> {
    let _writing = hub.registry.pulls.flushing.lock().await;
    let pending = std::mem::take(
        &mut *hub
            .registry
            .pulls
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if pending.days.is_empty() && pending.tags.is_empty() {
        return Ok(());
    }
    let mut per_repo: BTreeMap<i64, i64> = BTreeMap::new();
    for ((id, _), n) in &pending.days {
        *per_repo.entry(*id).or_default() += n;
    }
    let written = async {
        let mut tx = hub.db.begin_write().await?;
        for (id, n) in &per_repo {
            store::repositories::add_pulls(&mut *tx, *id, *n).await?;
        }
        for ((id, day), n) in &pending.days {
            store::discover::add_day_pulls(&mut *tx, *id, *day, *n).await?;
        }
        for ((id, tag), (n, at)) in &pending.tags {
            store::discover::add_tag_pulls(&mut *tx, *id, tag, *n, *at).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        // Keep the counts for the next attempt.
        hub.registry
            .pulls
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(pending);
        return Err(e.into());
    }
    Ok(())
}
