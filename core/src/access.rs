//! The one place that decides who may do what to a repository. The registry's token endpoint and
//! every registry request, every page and every server function ask [`decide`] (or
//! [`decide_create`] for a repository that does not exist yet); nothing else decides.
//!
//! Decisions are taken on the state of the database at the moment of the request, so taking a
//! right away (a token deactivated, a collaborator removed, a repository made private, a
//! password reset) is felt by the very next request, whatever the caller still holds.

use crate::{
    accounts::{access_tokens::AccessToken, mask_email, User},
    error::CoreError,
    hub::Hub,
    registry::{names::RepoName, names::LIBRARY, repos::Repository},
    store,
};

/// What someone wants to do with a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Pull,
    Push,
    Delete,
    /// Settings, descriptions, visibility, collaborators, deleting the repository.
    Administer,
}

impl Action {
    /// The registry's name for the action (`pull`, `push`, `delete`); `Administer` has none.
    pub fn scope_name(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
            Action::Administer => "*",
        }
    }

    pub fn from_scope_name(name: &str) -> Option<Action> {
        match name {
            "pull" => Some(Action::Pull),
            "push" => Some(Action::Push),
            "delete" => Some(Action::Delete),
            _ => None,
        }
    }
}

/// Who is asking.
#[derive(Clone, Debug)]
pub enum Subject {
    Anonymous,
    /// A user acting with their session or password.
    User(User),
    /// A user acting with one of their personal access tokens, which may allow less.
    Token(User, AccessToken),
}

impl Subject {
    pub fn user(&self) -> Option<&User> {
        match self {
            Subject::Anonymous => None,
            Subject::User(u) | Subject::Token(u, _) => Some(u),
        }
    }

    pub fn token(&self) -> Option<&AccessToken> {
        match self {
            Subject::Token(_, t) => Some(t),
            _ => None,
        }
    }

    pub fn from_user(user: Option<User>) -> Subject {
        user.map_or(Subject::Anonymous, Subject::User)
    }
}

/// Why the answer is no.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The repository does not exist for the asker (it may exist, private to others).
    #[error("This repository does not exist.")]
    NotFound,
    /// Anonymous askers are told to log in, without learning whether the repository exists.
    #[error("authentication required")]
    AuthenticationRequired,
    /// The asker sees the repository but may not do this, for the reason given.
    #[error("{0}")]
    Denied(String),
}

/// What a person is to a repository they can see, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The person whose namespace it is, or an owner of the organization whose it is.
    Owner,
    /// An editor of the owning organization: creates, changes and deletes its repositories.
    Editor,
    /// A member whose team has admin permission on the repository.
    TeamAdmin,
    /// An administrator acting on someone else's repository: everything the owner may do
    /// (pushing only where they could create a repository).
    Admin,
    /// A member whose team may read and write the repository.
    TeamWriter,
    Collaborator,
    /// A member whose team may only read the repository (private or not).
    TeamReader,
    /// Anyone, for a public repository.
    Reader,
}

impl Role {
    pub fn may_push(self) -> bool {
        !matches!(self, Role::Reader | Role::TeamReader)
    }
    /// Settings, descriptions, visibility, deleting tags and the repository, who else has access.
    pub fn may_manage(self) -> bool {
        matches!(
            self,
            Role::Owner | Role::Editor | Role::TeamAdmin | Role::Admin
        )
    }
}

/// What a member may do in an organization (Docker Hub's roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrgRole {
    /// Sees the organization, its members and teams; pulls what their teams may.
    Member,
    /// Also creates, changes and deletes the organization's repositories and sets team
    /// permissions on them.
    Editor,
    /// Everything, including members, teams, the plan and deleting the organization.
    Owner,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Editor => "editor",
            OrgRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<OrgRole> {
        match s {
            "member" => Some(OrgRole::Member),
            "editor" => Some(OrgRole::Editor),
            "owner" => Some(OrgRole::Owner),
            _ => None,
        }
    }
}

/// A team's permission on a repository; each includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamPermission {
    Read = 1,
    Write = 2,
    Admin = 3,
}

impl TeamPermission {
    pub fn level(self) -> i64 {
        self as i64
    }

    pub fn from_level(level: i64) -> Option<TeamPermission> {
        match level {
            1 => Some(TeamPermission::Read),
            2 => Some(TeamPermission::Write),
            3 => Some(TeamPermission::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TeamPermission::Read => "read",
            TeamPermission::Write => "write",
            TeamPermission::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<TeamPermission> {
        match s {
            "read" => Some(TeamPermission::Read),
            "write" => Some(TeamPermission::Write),
            "admin" => Some(TeamPermission::Admin),
            _ => None,
        }
    }

    /// As Docker Hub words it.
    pub fn label(self) -> &'static str {
        match self {
            TeamPermission::Read => "Read-only",
            TeamPermission::Write => "Read & Write",
            TeamPermission::Admin => "Admin",
        }
    }
}

/// `user`'s role on `repo`, or `None` when the repository must not exist for them. The union of
/// everything they are to it: owner, organization role, their teams' permissions, collaborator,
/// site administrator, reader of a public repository; the strongest wins.
pub async fn role(
    hub: &Hub,
    user: Option<&User>,
    repo: &Repository,
) -> Result<Option<Role>, CoreError> {
    let Some(u) = user else {
        return Ok((!repo.is_private).then_some(Role::Reader));
    };
    if u.id == repo.owner_id {
        return Ok(Some(Role::Owner));
    }
    let (org_role, team, collaborator) =
        store::orgs::standing(hub.db.pool(), repo.owner_id, repo.id, u.id).await?;
    let org_role = org_role.as_deref().and_then(OrgRole::parse);
    let team = TeamPermission::from_level(team);
    let role = match (org_role, team) {
        (Some(OrgRole::Owner), _) => Role::Owner,
        (Some(OrgRole::Editor), _) => Role::Editor,
        (_, Some(TeamPermission::Admin)) => Role::TeamAdmin,
        _ if u.is_admin => Role::Admin,
        (_, Some(TeamPermission::Write)) => Role::TeamWriter,
        _ if collaborator > 0 => Role::Collaborator,
        (_, Some(TeamPermission::Read)) => Role::TeamReader,
        _ if !repo.is_private => Role::Reader,
        _ => return Ok(None),
    };
    Ok(Some(role))
}

/// Whether an administrator would push to `repo` as anyone else could: through a team with
/// write permission or as a collaborator (their `Admin` role covers everything else).
async fn writes_without_admin(
    hub: &Hub,
    user: &User,
    repo: &Repository,
) -> Result<bool, CoreError> {
    let (_, team, collaborator) =
        store::orgs::standing(hub.db.pool(), repo.owner_id, repo.id, user.id).await?;
    Ok(team >= TeamPermission::Write.level() || collaborator > 0)
}

/// What `user` is in the organization `org_id` (none for non-members, and for a person's own
/// namespace).
pub async fn org_role(hub: &Hub, org_id: i64, user: &User) -> Result<Option<OrgRole>, CoreError> {
    Ok(store::orgs::member_role(hub.db.pool(), org_id, user.id)
        .await?
        .as_deref()
        .and_then(OrgRole::parse))
}

/// Whether `subject` acts with a public-only access token, which sees exactly what an
/// anonymous caller sees: a private repository does not exist for it.
fn public_only(subject: &Subject) -> bool {
    use crate::accounts::access_tokens::Level;
    matches!(subject, Subject::Token(_, t) if t.level == Level::PublicRead)
}

/// Whose rights a listing filtered afterwards by the token's own limits (the catalog) is drawn
/// with: the user's, except for a public-only token, which lists what anyone may see.
pub fn lists_as(subject: &Subject) -> Option<&User> {
    if public_only(subject) {
        None
    } else {
        subject.user()
    }
}

/// Whose private repositories lists (search, starred) may show `subject`: every one the user
/// may see, unless they act with an access token that is public-only or limited to some
/// repositories, which lists public ones only (anyone may see those).
pub fn lists_private_of(subject: &Subject) -> Option<&User> {
    match subject {
        Subject::Token(_, t) if !t.limits.is_empty() => None,
        _ => lists_as(subject),
    }
}

/// May `user` create repositories in `namespace`? Their own Berth ID's, `library` for
/// administrators, and those of organizations where they are an editor or an owner.
pub async fn may_use_namespace(hub: &Hub, user: &User, namespace: &str) -> Result<bool, CoreError> {
    if namespace == user.username || (user.is_admin && namespace == LIBRARY) {
        return Ok(true);
    }
    let Some(org) = store::users::by_username(hub.db.pool(), namespace).await? else {
        return Ok(false);
    };
    if org.is_org == 0 {
        return Ok(false);
    }
    Ok(store::orgs::member_role(hub.db.pool(), org.id, user.id)
        .await?
        .as_deref()
        .and_then(OrgRole::parse)
        .is_some_and(|r| r >= OrgRole::Editor))
}

/// May `subject` do `action` to `repo`? On yes, their role.
pub async fn decide(
    hub: &Hub,
    subject: &Subject,
    repo: &Repository,
    action: Action,
) -> Result<Result<Role, Refusal>, CoreError> {
    if repo.is_private && public_only(subject) {
        return Ok(Err(Refusal::NotFound));
    }
    let Some(role) = role(hub, subject.user(), repo).await? else {
        return Ok(Err(match (subject, action) {
            (Subject::Anonymous, _) => Refusal::AuthenticationRequired,
            // A push into someone else's namespace is refused the same way whether or not a
            // private repository is there, so the refusal tells nothing.
            (Subject::User(u) | Subject::Token(u, _), Action::Push)
                if !may_use_namespace(hub, u, &repo.namespace).await? =>
            {
                Refusal::Denied(namespace_refusal(hub, u, &repo.full_name))
            }
            _ => Refusal::NotFound,
        }));
    };
    let allowed = match action {
        Action::Pull => Ok(()),
        Action::Push => match (subject.user(), role) {
            (None, _) => Err(Refusal::AuthenticationRequired),
            (Some(u), _) if !u.confirmed => Err(unconfirmed(u)),
            // Administrators manage every repository but push only where they could create
            // one: their namespace and `library`.
            (Some(u), Role::Admin)
                if may_use_namespace(hub, u, &repo.namespace).await?
                    || writes_without_admin(hub, u, repo).await? =>
            {
                Ok(())
            }
            (Some(_), r) if r.may_push() && r != Role::Admin => Ok(()),
            (Some(_), Role::TeamReader) => Err(Refusal::Denied(format!(
                "your teams may only pull {}: ask an owner or editor of {} for read & write",
                repo.full_name, repo.namespace
            ))),
            (Some(u), _) => Err(Refusal::Denied(namespace_refusal(hub, u, &repo.full_name))),
        },
        Action::Delete | Action::Administer => match (subject.user(), role) {
            (None, _) => Err(Refusal::AuthenticationRequired),
            (Some(_), r) if r.may_manage() => Ok(()),
            (Some(_), _) => Err(Refusal::Denied(format!(
                "only the owner of {} (in an organization: its owners, editors and admin teams) \
                 can delete from it or change it",
                repo.full_name
            ))),
        },
    };
    if let Err(refusal) = allowed {
        return Ok(Err(refusal));
    }
    if let Some(token) = subject.token() {
        if let Err(why) = token.permits(&repo.full_name, repo.is_private, action) {
            return Ok(Err(Refusal::Denied(why)));
        }
    }
    Ok(Ok(role))
}

/// May `subject` create the repository `name` (by pushing to it)?
pub async fn decide_create(
    hub: &Hub,
    subject: &Subject,
    name: &RepoName,
) -> Result<Result<(), Refusal>, CoreError> {
    let Some(user) = subject.user() else {
        return Ok(Err(Refusal::AuthenticationRequired));
    };
    if !user.confirmed {
        return Ok(Err(unconfirmed(user)));
    }
    if !may_use_namespace(hub, user, &name.namespace).await? {
        return Ok(Err(Refusal::Denied(namespace_refusal(
            hub, user, &name.full,
        ))));
    }
    if let Some(token) = subject.token() {
        if let Err(why) = token.permits(&name.full, user.default_private, Action::Push) {
            return Ok(Err(Refusal::Denied(why)));
        }
    }
    Ok(Ok(()))
}

fn unconfirmed(user: &User) -> Refusal {
    Refusal::Denied(format!(
        "confirm your email address before pushing: open the link Berth sent to {}",
        mask_email(&user.email)
    ))
}

/// Why `user` may not push to `full` (not their namespace), with where they may, in words for
/// the docker command line.
fn namespace_refusal(hub: &Hub, user: &User, full: &str) -> String {
    let host = hub.config.registry_host();
    let admin = if user.is_admin {
        " or library/NAME"
    } else {
        ""
    };
    let name = full.rsplit('/').next().unwrap_or(full);
    format!(
        "you can push only to {u}/NAME{admin}, to organizations where you are an editor or owner, \
         and to repositories you collaborate on or your teams may write, and {full} is none of \
         these; tag the image as {host}/{u}/{name} and push that",
        u = user.username,
    )
}
