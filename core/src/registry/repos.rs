//! Repositories as the registry sees them: who may see and push them, and creation by push.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{names::RepoName, RegistryError};
use crate::{
    access::{self, Action, Refusal, Subject},
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
        }
    }
}

pub async fn find(hub: &Hub, name: &RepoName) -> Result<Option<Repository>, RegistryError> {
    Ok(store::repositories::by_full_name(hub.db.pool(), &name.full)
        .await?
        .map(Repository::from))
}

/// The access decision for a registry request: the repository `name` if `subject` may do
/// `action` to it; `None` when it does not exist yet and `subject` may create it by pushing.
pub async fn check(
    hub: &Hub,
    subject: &Subject,
    name: &RepoName,
    action: Action,
) -> Result<Result<Option<Repository>, Refusal>, RegistryError> {
    match find(hub, name).await? {
        Some(repo) => Ok(access::decide(hub, subject, &repo, action)
            .await?
            .map(|_| Some(repo))),
        None if action == Action::Push => {
            Ok(access::decide_create(hub, subject, name).map(|()| None))
        }
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
    let user = subject.user();
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
/// counts, so the totals stay right with several; a crash loses at most the last second's.
#[derive(Clone, Default)]
pub struct PullCounts {
    pending: Arc<Mutex<HashMap<i64, i64>>>,
    /// Held while a flush writes, so a second flush (at shutdown, or a test's) returns only
    /// once the counts taken by the first are in the database.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

/// Counts one pull (a manifest GET).
pub fn count_pull(hub: &Hub, repo: &Repository) {
    let mut counts = hub
        .registry
        .pulls
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *counts.entry(repo.id).or_default() += 1;
}

/// Writes the pulls counted since the last flush.
pub async fn flush_pulls(hub: &Hub) -> Result<(), RegistryError> {
    let _writing = hub.registry.pulls.flushing.lock().await;
    let counts: Vec<(i64, i64)> = {
        let mut map = hub
            .registry
            .pulls
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.drain().collect()
    };
    if counts.is_empty() {
        return Ok(());
    }
    let written = async {
        let mut tx = hub.db.begin_write().await?;
        for (id, n) in &counts {
            store::repositories::add_pulls(&mut *tx, *id, *n).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        // Keep the counts for the next attempt.
        let mut map = hub
            .registry
            .pulls
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (id, n) in counts {
            *map.entry(id).or_default() += n;
        }
        return Err(e.into());
    }
    Ok(())
}
