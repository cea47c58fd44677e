//! Repositories as people manage them: creating one (name rules, the private-repository quota),
//! who may see and change it (owner, collaborators, admins), descriptions, visibility, deletion,
//! collaborators, and the plan behind the quota. The registry's create-on-push goes through
//! [`create`] as well, so one set of rules holds for the browser and for `docker push`.

mod image;
mod plans;

pub use image::{
    instruction, tag_detail, BuildStep, Image, ImageConfig, Layer, Measure, TagDetail,
};
pub use plans::{
    plans_page, private_usage, set_default_private, set_plan, set_plan_as_admin, PlanPage,
    ACCOUNTS_PER_PAGE,
};

use crate::{
    access::{self, Action, Refusal, Subject},
    accounts::{self, FieldErrors, User},
    clock,
    db::is_unique_violation,
    error::CoreError,
    hub::Hub,
    registry::{
        manifests,
        names::{self, Reference, RepoName},
        repos::Repository,
        uploads, RegistryError,
    },
    store,
};

/// Docker Hub's limits: a short description of 100 characters, an overview of 25,000.
pub const DESCRIPTION_MAX: usize = 100;
pub const OVERVIEW_MAX: usize = 25_000;
pub const NAME_MIN: usize = 2;
/// Docker's limit on a whole image name, `HOST/NAMESPACE/NAME` (longer ones it will not push).
pub const IMAGE_NAME_MAX: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("Confirm your email address before creating repositories.")]
    Unconfirmed,
    #[error("{}", quota_message(*limit, *used))]
    QuotaExceeded { limit: i64, used: i64 },
    /// Also what someone who may not see a private repository hears.
    #[error("This repository does not exist.")]
    NotFound,
    #[error("Only the owner of this repository can do that.")]
    NotOwner,
    /// The repository was transferred; it is now at this full name.
    #[error("This repository moved to {0}.")]
    Moved(String),
    /// The name is taken (a field error in forms; a push that lost a race uses the winner's).
    #[error("{0} already exists.")]
    NameTaken(String),
    /// A request that cannot be carried out, with the reason (no such tag, not a collaborator).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Internal(#[from] CoreError),
}

impl From<sqlx::Error> for RepoError {
    fn from(e: sqlx::Error) -> Self {
        RepoError::Internal(CoreError::Db(e))
    }
}

impl RepoError {
    fn field(field: &'static str, message: impl Into<String>) -> Self {
        RepoError::Invalid(FieldErrors(vec![(field, message.into())]))
    }
}

/// The quota refusal, the same words in the form, in settings and on `docker push`.
pub fn quota_message(limit: i64, used: i64) -> String {
    let plural = |n: i64| if n == 1 { "repository" } else { "repositories" };
    format!(
        "Your plan allows {limit} private {} and you have {used}. Make one of them public or \
         delete it, or ask an administrator for a larger plan.",
        plural(limit)
    )
}

/// The longest repository name in `namespace` on a hub reached as `host`: what keeps
/// `HOST/NAMESPACE/NAME` within [`IMAGE_NAME_MAX`].
pub fn name_max(host: &str, namespace: &str) -> usize {
    IMAGE_NAME_MAX
        .saturating_sub(host.len() + namespace.len() + 2)
        .max(NAME_MIN)
}

/// Name rules: from 2 characters up to [`name_max`], lowercase letters and digits, with `.`, `_`,
/// `__` or dashes between them (the distribution spec's grammar), so that every name created
/// here can be pushed with docker. The web form and the registry ask this same rule.
pub fn validate_name(name: &str, max: usize) -> Result<(), String> {
    let len = name.chars().count();
    if !(NAME_MIN..=max).contains(&len) {
        return Err(format!(
            "Use {NAME_MIN} to {max} characters (this has {len}): the whole image name, \
             HOST/NAMESPACE/NAME, can be at most {IMAGE_NAME_MAX}."
        ));
    }
    if !names::is_path_component(name) {
        return Err(
            "Use lowercase letters and digits, with '-', '_' or '.' between them (not at the start or end, and not two in a row)."
                .into(),
        );
    }
    Ok(())
}

/// The length rule every free-text field shares.
pub(crate) fn at_most(text: &str, max: usize) -> Result<(), String> {
    let len = text.chars().count();
    if len > max {
        return Err(format!("At most {max} characters (this has {len})."));
    }
    Ok(())
}

pub fn validate_description(description: &str) -> Result<(), String> {
    at_most(description, DESCRIPTION_MAX)
}

pub fn validate_overview(overview: &str) -> Result<(), String> {
    at_most(overview, OVERVIEW_MAX)
}

pub use crate::access::{role, Role};

/// A new repository, as typed in the form.
pub struct NewRepo<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub private: bool,
}

/// Creates a repository in `user`'s namespace (admins also in `library`). A private one must fit
/// the owner's plan; the check and the insert run under a lock on the owner's account, so
/// simultaneous creations cannot exceed it.
pub async fn create(hub: &Hub, user: &User, input: NewRepo<'_>) -> Result<Repository, RepoError> {
    if !user.confirmed {
        return Err(RepoError::Unconfirmed);
    }
    let name = input.name.trim();
    let description = input.description.trim();
    let mut errors = FieldErrors::default();
    let owner_id = namespace_owner(hub, user, input.namespace).await?;
    errors.check(
        "namespace",
        match owner_id {
            Some(_) => Ok(()),
            None => Err(format!(
                "You can create repositories only in {} and in organizations where you are an \
                 editor or owner.",
                user.username
            )),
        },
    );
    let max = name_max(&hub.config.registry_host(), input.namespace);
    errors.check("name", validate_name(name, max));
    errors.check("description", validate_description(description));
    if !errors.0.is_empty() {
        return Err(RepoError::Invalid(errors));
    }
    let owner_id = owner_id.unwrap_or(user.id);
    let mut tx = hub.db.begin_write().await?;
    if input.private {
        check_quota(&mut tx, hub, owner_id).await?;
    }
    let inserted = store::repositories::insert(
        &mut *tx,
        store::repositories::NewRepository {
            namespace: input.namespace,
            name,
            owner_id,
            is_private: input.private,
            description,
            created_at: clock::now(),
        },
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(RepoError::NameTaken(format!("{}/{name}", input.namespace)))
        }
        Err(e) => return Err(e.into()),
    };
    // The name is in use again: a former name of a transferred repository stops redirecting.
    store::orgs::drop_redirect(&mut *tx, &format!("{}/{name}", input.namespace)).await?;
    tx.commit().await?;
    tracing::info!(repository = %format!("{}/{name}", input.namespace), user = %user.username, private = input.private, "repository created");
    by_id(hub, id).await
}

/// The account that owns repositories `user` creates in `namespace` (themselves, for their own
/// namespace and, as administrators, `library`; the organization, for one where they are an
/// editor or owner), or `None` if they may not create there.
async fn namespace_owner(
    hub: &Hub,
    user: &User,
    namespace: &str,
) -> Result<Option<i64>, CoreError> {
    if namespace == user.username || (user.is_admin && namespace == names::LIBRARY) {
        return Ok(Some(user.id));
    }
    if !access::may_use_namespace(hub, user, namespace).await? {
        return Ok(None);
    }
    Ok(store::users::by_username(hub.db.pool(), namespace)
        .await?
        .map(|o| o.id))
}

/// The namespaces `user` may create repositories in, their own first: the namespace chooser.
pub async fn namespaces_for(hub: &Hub, user: &User) -> Result<Vec<String>, CoreError> {
    let mut names = vec![user.username.clone()];
    if user.is_admin {
        names.push(names::LIBRARY.to_string());
    }
    for (org, role) in store::orgs::of_user(hub.db.pool(), user.id).await? {
        if access::OrgRole::parse(&role).is_some_and(|r| r >= access::OrgRole::Editor) {
            names.push(org.username);
        }
    }
    Ok(names)
}

/// The repository that had the name `full_name` before a transfer, if any.
pub async fn moved(hub: &Hub, full_name: &str) -> Result<Option<Repository>, CoreError> {
    let Some(id) = store::orgs::redirect_target(hub.db.pool(), full_name).await? else {
        return Ok(None);
    };
    Ok(store::repositories::by_id(hub.db.pool(), id)
        .await?
        .map(Repository::from))
}

/// Moves a repository `user` manages, from a namespace where they may create repositories into
/// another such namespace (theirs ↔ an organization's), with its tags, stars and pulls; `confirm`
/// repeats its name. The old name redirects on the web and keeps serving pulls until a
/// repository is created under it. A private repository must fit the new owner's plan.
/// Collaborators (personal repositories only) and team permissions (the old organization's)
/// do not move.
pub async fn transfer(
    hub: &Hub,
    user: &User,
    full_name: &str,
    namespace: &str,
    confirm: &str,
) -> Result<Repository, RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    // Between namespaces one manages: an admin team may change a repository but not take it
    // out of its organization.
    if namespace_owner(hub, user, &repo.namespace).await?.is_none() {
        return Err(RepoError::Refused(format!(
            "Only those who create repositories in {} (its owners and editors) can move its \
             repositories out.",
            repo.namespace
        )));
    }
    let namespace = namespace.trim();
    if namespace == repo.namespace {
        return Err(RepoError::field(
            "namespace",
            format!("{} is already in {namespace}.", repo.full_name),
        ));
    }
    let Some(owner_id) = namespace_owner(hub, user, namespace).await? else {
        return Err(RepoError::field(
            "namespace",
            format!("You cannot create repositories in {namespace}."),
        ));
    };
    check_confirmation(&repo, confirm)?;
    let max = name_max(&hub.config.registry_host(), namespace);
    if let Err(e) = validate_name(&repo.name, max) {
        return Err(RepoError::field("namespace", e));
    }
    let mut tx = hub.db.begin_write().await?;
    if repo.is_private {
        check_quota(&mut tx, hub, owner_id).await?;
    }
    let moved = store::orgs::transfer(
        &mut tx,
        repo.id,
        &repo.full_name,
        namespace,
        &repo.name,
        owner_id,
        clock::now(),
    )
    .await;
    match moved {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(RepoError::field(
                "namespace",
                format!("{namespace}/{} already exists.", repo.name),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    tracing::info!(from = %repo.full_name, to = %format!("{namespace}/{}", repo.name), user = %user.username, "repository transferred");
    by_id(hub, repo.id).await
}

/// Refuses one more private repository when the owner already has as many as the plan allows;
/// locks the owner's row for the rest of the transaction.
async fn check_quota(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hub: &Hub,
    owner_id: i64,
) -> Result<(), RepoError> {
    store::users::lock(&mut **tx, hub.db.kind(), owner_id).await?;
    let owner = store::users::by_id(&mut **tx, owner_id)
        .await?
        .ok_or(RepoError::NotFound)?;
    let used = store::repositories::count_private(&mut **tx, owner_id).await?;
    if used >= owner.private_repo_limit {
        return Err(RepoError::QuotaExceeded {
            limit: owner.private_repo_limit,
            used,
        });
    }
    Ok(())
}

async fn by_id(hub: &Hub, id: i64) -> Result<Repository, RepoError> {
    store::repositories::by_id(hub.db.pool(), id)
        .await?
        .map(Repository::from)
        .ok_or(RepoError::NotFound)
}

/// The repository `NAMESPACE/NAME` and `viewer`'s role on it; `NotFound` if it does not exist
/// or is private to others (the access rule's answer to pulling it).
pub async fn open(
    hub: &Hub,
    viewer: Option<&User>,
    namespace: &str,
    name: &str,
) -> Result<(Repository, Role), RepoError> {
    let full = format!("{namespace}/{name}");
    let subject = Subject::from_user(viewer.cloned());
    let Some(row) = store::repositories::by_full_name(hub.db.pool(), &full).await? else {
        // A former name sends those who may see the repository to its new one.
        if let Some(repo) = moved(hub, &full).await? {
            if access::decide(hub, &subject, &repo, Action::Pull)
                .await?
                .is_ok()
            {
                return Err(RepoError::Moved(repo.full_name));
            }
        }
        return Err(RepoError::NotFound);
    };
    let repo = Repository::from(row);
    match access::decide(hub, &subject, &repo, Action::Pull).await? {
        Ok(role) => Ok((repo, role)),
        Err(_) => Err(RepoError::NotFound),
    }
}

/// Opens a repository for a change only its owner (or an admin) may make.
pub(crate) async fn open_to_manage(
    hub: &Hub,
    user: &User,
    full_name: &str,
) -> Result<Repository, RepoError> {
    let (namespace, name) = full_name.split_once('/').ok_or(RepoError::NotFound)?;
    let (repo, _) = open(hub, Some(user), namespace, name).await?;
    let subject = Subject::User(user.clone());
    match access::decide(hub, &subject, &repo, Action::Administer).await? {
        Ok(_) => Ok(repo),
        Err(Refusal::Denied(_)) => Err(RepoError::NotOwner),
        Err(_) => Err(RepoError::NotFound),
    }
}

/// Makes a repository private (within the owner's plan) or public, once `confirm` repeats its
/// name (as on Docker Hub: a slip here publishes images or hides them from everyone who pulls).
pub async fn set_visibility(
    hub: &Hub,
    user: &User,
    full_name: &str,
    private: bool,
    confirm: &str,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    if repo.is_private == private {
        return Ok(());
    }
    check_confirmation(&repo, confirm)?;
    let mut tx = hub.db.begin_write().await?;
    if private {
        check_quota(&mut tx, hub, repo.owner_id).await?;
    }
    store::repositories::set_private(&mut *tx, repo.id, private).await?;
    let changed = Repository {
        is_private: private,
        ..repo
    };
    crate::webhooks::record(
        &mut tx,
        hub,
        &changed,
        crate::webhooks::Change {
            event: crate::webhooks::Event::VisibilityChanged,
            actor: &user.username,
            tag: None,
            digest: None,
            media_type: None,
            platforms: None,
        },
    )
    .await?;
    tx.commit().await?;
    hub.jobs.wake();
    Ok(())
}

/// Sets the short description and the Markdown overview.
pub async fn set_descriptions(
    hub: &Hub,
    user: &User,
    full_name: &str,
    description: &str,
    overview: &str,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    let description = description.trim();
    let mut errors = FieldErrors::default();
    errors.check("description", validate_description(description));
    errors.check("overview", validate_overview(overview));
    if !errors.0.is_empty() {
        return Err(RepoError::Invalid(errors));
    }
    store::repositories::set_descriptions(hub.db.pool(), repo.id, description, overview).await?;
    Ok(())
}

/// Deletes a repository, its tags, manifests and collaborators, once `confirm` repeats its name.
/// Blobs other repositories use stay.
pub async fn delete(
    hub: &Hub,
    user: &User,
    full_name: &str,
    confirm: &str,
    origin: &crate::activity::Origin,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    check_confirmation(&repo, confirm)?;
    // Uploads in flight go first with their bytes: the cascade would drop only their rows and
    // leave the bytes where the hourly sweep, which reads the rows, never finds them.
    uploads::discard_all(hub, &repo).await.map_err(internal)?;
    store::repositories::delete(hub.db.pool(), repo.id).await?;
    crate::activity::record(
        hub,
        user.id,
        crate::activity::Kind::Deleted,
        &repo.full_name,
        origin,
    )
    .await?;
    tracing::info!(repository = %repo.full_name, user = %user.username, "repository deleted");
    Ok(())
}

/// Cancels, with their bytes, the uploads in flight into `owner`'s repositories (before the
/// account and its repositories are deleted).
pub async fn discard_uploads_of_owner(hub: &Hub, owner: &User) -> Result<(), RepoError> {
    for row in store::repositories::of_owner(hub.db.pool(), owner.id).await? {
        uploads::discard_all(hub, &Repository::from(row))
            .await
            .map_err(internal)?;
    }
    Ok(())
}

/// A change that is hard to take back goes ahead only when `confirm` is the repository's name
/// (or its full name).
fn check_confirmation(repo: &Repository, confirm: &str) -> Result<(), RepoError> {
    let typed = confirm.trim();
    if typed == repo.name || typed == repo.full_name {
        Ok(())
    } else {
        Err(RepoError::field(
            "confirm",
            format!("Type {} to confirm.", repo.name),
        ))
    }
}

/// Removes a tag, as the registry's tag DELETE does (the manifest stays, reachable by digest).
pub async fn delete_tag(
    hub: &Hub,
    user: &User,
    full_name: &str,
    tag: &str,
    origin: &crate::activity::Origin,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    let reference = Reference::Tag(tag.to_string());
    match manifests::delete(hub, &repo, &reference, Some(user), origin).await {
        Ok(()) => Ok(()),
        Err(RegistryError::ManifestUnknown) => {
            Err(RepoError::Refused(format!("There is no tag {tag}.")))
        }
        Err(RegistryError::Denied(why)) => Err(RepoError::Refused(capitalized(&why))),
        Err(e) => Err(internal(e)),
    }
}

/// A registry failure met while managing a repository is an internal one.
fn internal(e: RegistryError) -> RepoError {
    match e {
        RegistryError::Internal(e) => RepoError::Internal(e),
        other => RepoError::Internal(CoreError::Unexpected(other.to_string())),
    }
}

/// Collaborators of a repository opened with [`open`] (Berth ID, added at), for those who may
/// manage it.
pub async fn collaborators(
    hub: &Hub,
    repo: &Repository,
    role: Role,
) -> Result<Vec<(String, i64)>, RepoError> {
    if !role.may_manage() {
        return Err(RepoError::NotOwner);
    }
    Ok(store::collaborators::list(hub.db.pool(), repo.id).await?)
}

/// Lets another account push and pull a repository.
pub async fn add_collaborator(
    hub: &Hub,
    user: &User,
    full_name: &str,
    username: &str,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    if repo_is_org(hub, &repo).await? {
        return Err(RepoError::Refused(
            "Repositories of an organization give access through its teams, not collaborators."
                .into(),
        ));
    }
    let username = username.trim();
    let Some(other) = accounts::user_by_name(hub, username)
        .await?
        .filter(|u| !u.is_org)
    else {
        return Err(RepoError::field(
            "username",
            format!("No account has the Berth ID {username:?}."),
        ));
    };
    if other.id == repo.owner_id {
        return Err(RepoError::field(
            "username",
            format!("{username} owns this repository."),
        ));
    }
    if !store::collaborators::add(hub.db.pool(), repo.id, other.id, clock::now()).await? {
        return Err(RepoError::field(
            "username",
            format!("{username} is already a collaborator."),
        ));
    }
    Ok(())
}

pub async fn remove_collaborator(
    hub: &Hub,
    user: &User,
    full_name: &str,
    username: &str,
) -> Result<(), RepoError> {
    let repo = open_to_manage(hub, user, full_name).await?;
    let removed = match accounts::user_by_name(hub, username.trim()).await? {
        Some(other) => store::collaborators::remove(hub.db.pool(), repo.id, other.id).await?,
        None => false,
    };
    if !removed {
        return Err(RepoError::Refused(format!(
            "{} is not a collaborator.",
            username.trim()
        )));
    }
    Ok(())
}

/// Whether `repo` belongs to an organization.
pub async fn repo_is_org(hub: &Hub, repo: &Repository) -> Result<bool, CoreError> {
    Ok(store::users::by_id(hub.db.pool(), repo.owner_id)
        .await?
        .is_some_and(|o| o.is_org != 0))
}

/// The repositories of `owner` that `viewer` may see (an organization's page shows its members
/// the private ones their role and teams give them), most recently pushed first.
pub async fn visible_of(
    hub: &Hub,
    viewer: Option<&User>,
    owner: &User,
) -> Result<Vec<Repository>, RepoError> {
    Ok(store::repositories::visible_of_owner(
        hub.db.pool(),
        owner.id,
        viewer.map_or(-1, |v| v.id),
        viewer.is_some_and(|v| v.is_admin),
    )
    .await?
    .into_iter()
    .map(Repository::from)
    .collect())
}

/// Repositories `user` owns or collaborates on, most recently pushed first.
pub async fn of_member(hub: &Hub, user: &User) -> Result<Vec<Repository>, RepoError> {
    Ok(store::repositories::of_member(hub.db.pool(), user.id)
        .await?
        .into_iter()
        .map(Repository::from)
        .collect())
}

/// What the dashboard lists: the namespaces `user` can switch between (their own, then every
/// organization they belong to, by name) and the repositories of the chosen one.
pub struct Dashboard {
    pub namespaces: Vec<String>,
    /// The namespace shown: `user`'s own (with what they collaborate on), or an organization's.
    pub namespace: String,
    pub repositories: Vec<Repository>,
}

/// The dashboard of `user`: their own repositories and those they collaborate on, or, with
/// `namespace` naming an organization they belong to, the organization's repositories they may
/// see (the one visibility rule); most recently pushed first, or by name. An organization they
/// are not in is answered with their own namespace.
pub async fn dashboard(
    hub: &Hub,
    user: &User,
    namespace: Option<&str>,
    by_name: bool,
) -> Result<Dashboard, RepoError> {
    let mut orgs: Vec<User> = store::orgs::of_user(hub.db.pool(), user.id)
        .await?
        .into_iter()
        .map(|(org, _)| User::from(org))
        .collect();
    orgs.sort_by(|a, b| a.username.cmp(&b.username));
    let chosen = namespace.and_then(|n| orgs.iter().find(|o| o.username == n));
    let (namespace, mut repositories) = match chosen {
        Some(org) => (
            org.username.clone(),
            visible_of(hub, Some(user), org).await?,
        ),
        None => (user.username.clone(), of_member(hub, user).await?),
    };
    if by_name {
        repositories.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    }
    let mut namespaces = vec![user.username.clone()];
    namespaces.extend(orgs.into_iter().map(|o| o.username));
    Ok(Dashboard {
        namespaces,
        namespace,
        repositories,
    })
}

/// The public repositories of `owner` (private ones are never listed on profiles, even to their
/// owner, as a profile is what others see).
pub async fn public_of(hub: &Hub, owner: &User) -> Result<Vec<Repository>, RepoError> {
    Ok(
        store::repositories::public_of_owner(hub.db.pool(), owner.id)
            .await?
            .into_iter()
            .map(Repository::from)
            .collect(),
    )
}

/// Creates the repository a first push goes to, with the pusher's default visibility; used by
/// the registry. A private default beyond the quota is refused, never made public silently.
pub async fn create_for_push(
    hub: &Hub,
    user: &User,
    name: &RepoName,
) -> Result<Repository, RepoError> {
    let created = create(
        hub,
        user,
        NewRepo {
            namespace: &name.namespace,
            name: &name.name,
            description: "",
            private: user.default_private,
        },
    )
    .await;
    match created {
        // Another request created it at the same moment.
        Err(RepoError::NameTaken(_)) => {
            match store::repositories::by_full_name(hub.db.pool(), &name.full).await? {
                Some(row) => Ok(Repository::from(row)),
                None => Err(RepoError::NotFound),
            }
        }
        other => other,
    }
}

/// The orders of the Tags tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagOrder {
    Name,
    /// Most recently pushed first.
    Newest,
}

/// A tag as the pages show it: what its manifest recorded at push, and its pulls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub digest: String,
    pub media_type: String,
    pub total_size: i64,
    /// JSON list of `{os, architecture, variant}`.
    pub platforms: String,
    pub pushed_at: i64,
    pub pushed_by: Option<String>,
    pub pull_count: i64,
    pub last_pulled_at: Option<i64>,
}

impl From<store::tags::TagRow> for Tag {
    fn from(r: store::tags::TagRow) -> Self {
        Tag {
            name: r.name,
            digest: r.digest,
            media_type: r.media_type,
            total_size: r.total_size,
            platforms: r.platforms,
            pushed_at: r.pushed_at,
            pushed_by: r.pushed_by,
            pull_count: r.pull_count,
            last_pulled_at: r.last_pulled_at,
        }
    }
}

/// Tags shown per page of the tags tab.
pub const TAGS_PER_PAGE: i64 = 25;

/// One page of the tags tab.
#[derive(Default)]
pub struct TagPage {
    pub tags: Vec<Tag>,
    /// Tags matching the filter, on every page.
    pub total: i64,
    /// 1-based, clipped to the pages that exist.
    pub page: i64,
    /// At least 1, even with no tags.
    pub pages: i64,
}

/// The tag a pull command should name: `latest` if the repository has it, otherwise the most
/// recently pushed tag; `None` while it has no tags.
pub async fn pull_tag(hub: &Hub, repo: &Repository) -> Result<Option<String>, RepoError> {
    if repo.tag_count == 0 {
        return Ok(None);
    }
    Ok(store::tags::pull_tag(hub.db.pool(), repo.id).await?)
}

/// Tags of a repository the caller opened (see [`open`]) whose name contains `filter`.
pub async fn tag_page(
    hub: &Hub,
    repo: &Repository,
    filter: &str,
    order: TagOrder,
    page: i64,
) -> Result<TagPage, RepoError> {
    let filter = filter.trim();
    let total = if filter.is_empty() {
        repo.tag_count
    } else {
        store::tags::count(hub.db.pool(), hub.db.kind(), repo.id, filter).await?
    };
    let (page, pages, offset) = page_window(total, page, TAGS_PER_PAGE);
    let tags = store::tags::page(
        hub.db.pool(),
        hub.db.kind(),
        repo.id,
        filter,
        order,
        offset,
        TAGS_PER_PAGE,
    )
    .await?;
    Ok(TagPage {
        tags: tags.into_iter().map(Tag::from).collect(),
        total,
        page,
        pages,
    })
}

/// For `total` items shown `per_page` at a time: the asked-for 1-based page clipped to those that
/// exist, how many pages there are (at least 1), and the offset of the page's first item.
fn page_window(total: i64, page: i64, per_page: i64) -> (i64, i64, i64) {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = page.clamp(1, pages);
    (page, pages, (page - 1) * per_page)
}

/// A registry refusal as a sentence on a page ("tag v1 … is immutable" → "Tag v1 …").
fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => format!(
            "{}{}.",
            c.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_are_clipped_to_those_that_exist() {
        assert_eq!(super::page_window(0, 5, 25), (1, 1, 0));
        assert_eq!(super::page_window(26, 2, 25), (2, 2, 25));
        assert_eq!(super::page_window(50, 9, 25), (2, 2, 25));
        assert_eq!(super::page_window(10_001, -3, 25), (1, 401, 0));
    }
}
