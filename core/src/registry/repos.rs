//! Repositories as the registry sees them: who may see and push them, and creation by push.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{names::RepoName, names::LIBRARY, RegistryError};
use crate::{
    accounts::{mask_email, User},
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

/// Users own the namespace of their Berth ID; admins also own `library`.
pub fn may_use_namespace(user: &User, namespace: &str) -> bool {
    namespace == user.username || (user.is_admin && namespace == LIBRARY)
}

/// Why `user` may not push to `name`, in words for the docker command line; `None` if they may.
pub fn push_refusal(hub: &Hub, user: &User, name: &RepoName) -> Option<String> {
    if !user.confirmed {
        return Some(format!(
            "confirm your email address before pushing: open the link Berth sent to {}",
            mask_email(&user.email)
        ));
    }
    if may_use_namespace(user, &name.namespace) {
        return None;
    }
    let host = hub.config.registry_host();
    let admin = if user.is_admin {
        " or library/NAME"
    } else {
        ""
    };
    Some(format!(
        "you can push only to {user}/NAME{admin}, and {full} is not in your namespace; \
         tag the image as {host}/{user}/{name} and push that",
        user = user.username,
        full = name.full,
        name = name.name,
    ))
}

pub async fn find(hub: &Hub, name: &RepoName) -> Result<Option<Repository>, RegistryError> {
    Ok(store::repositories::by_full_name(hub.db.pool(), &name.full)
        .await?
        .map(Repository::from))
}

/// The repository a push goes to, created on the first push into one's own namespace with the
/// pusher's default visibility (within their private-repository quota).
pub async fn ensure_for_push(
    hub: &Hub,
    name: &RepoName,
    user: &User,
) -> Result<Repository, RegistryError> {
    let existing = find(hub, name).await?;
    if let Some(repo) = &existing {
        // Collaborators push to repositories outside their namespace.
        if user.confirmed
            && repositories::role(hub, Some(user), repo)
                .await?
                .is_some_and(|r| r.may_push())
        {
            return Ok(repo.clone());
        }
    }
    if let Some(why) = push_refusal(hub, user, name) {
        return Err(RegistryError::Denied(why));
    }
    if let Some(repo) = existing {
        return Ok(repo);
    }
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

/// Repository names after `last` that `user` may see, at most `limit`.
pub async fn catalog(
    hub: &Hub,
    user: Option<&User>,
    last: &str,
    limit: i64,
) -> Result<Vec<String>, RegistryError> {
    Ok(store::repositories::visible_names(
        hub.db.pool(),
        user.map(|u| u.id),
        user.is_some_and(|u| u.is_admin),
        last,
        limit,
    )
    .await?)
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
