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

/// What a person is to a repository they can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Owner,
    /// An administrator acting on someone else's repository: everything the owner may do.
    Admin,
    Collaborator,
    /// Anyone, for a public repository.
    Reader,
}

impl Role {
    pub fn may_push(self) -> bool {
        self != Role::Reader
    }
    /// Settings, descriptions, visibility, deleting tags and the repository, collaborators.
    pub fn may_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// `user`'s role on `repo`, or `None` when the repository must not exist for them.
pub async fn role(
    hub: &Hub,
    user: Option<&User>,
    repo: &Repository,
) -> Result<Option<Role>, CoreError> {
    let role = match user {
        Some(u) if u.id == repo.owner_id => Some(Role::Owner),
        Some(u) if u.is_admin => Some(Role::Admin),
        Some(u) if store::collaborators::is_collaborator(hub.db.pool(), repo.id, u.id).await? => {
            Some(Role::Collaborator)
        }
        _ if !repo.is_private => Some(Role::Reader),
        _ => None,
    };
    Ok(role)
}

/// Whose private repositories lists (search, starred) may show `subject`: every one the user
/// may see, unless they act with an access token that is public-only or limited to some
/// repositories, which lists public ones only (anyone may see those).
pub fn lists_private_of(subject: &Subject) -> Option<&User> {
    use crate::accounts::access_tokens::Level;
    match subject {
        Subject::Anonymous => None,
        Subject::User(u) => Some(u),
        Subject::Token(u, t) if t.level != Level::PublicRead && t.limits.is_empty() => Some(u),
        Subject::Token(..) => None,
    }
}

/// Users own the namespace of their Berth ID; admins also own `library`.
pub fn may_use_namespace(user: &User, namespace: &str) -> bool {
    namespace == user.username || (user.is_admin && namespace == LIBRARY)
}

/// May `subject` do `action` to `repo`? On yes, their role.
pub async fn decide(
    hub: &Hub,
    subject: &Subject,
    repo: &Repository,
    action: Action,
) -> Result<Result<Role, Refusal>, CoreError> {
    let Some(role) = role(hub, subject.user(), repo).await? else {
        return Ok(Err(match (subject, action) {
            (Subject::Anonymous, _) => Refusal::AuthenticationRequired,
            // A push into someone else's namespace is refused the same way whether or not a
            // private repository is there, so the refusal tells nothing.
            (Subject::User(u) | Subject::Token(u, _), Action::Push)
                if !may_use_namespace(u, &repo.namespace) =>
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
            (Some(u), Role::Admin) if may_use_namespace(u, &repo.namespace) => Ok(()),
            (Some(_), Role::Owner | Role::Collaborator) => Ok(()),
            (Some(u), _) => Err(Refusal::Denied(namespace_refusal(hub, u, &repo.full_name))),
        },
        Action::Delete | Action::Administer => match (subject.user(), role) {
            (None, _) => Err(Refusal::AuthenticationRequired),
            (Some(_), r) if r.may_manage() => Ok(()),
            (Some(_), _) => Err(Refusal::Denied(format!(
                "only the owner of {} can delete from it or change it",
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
pub fn decide_create(hub: &Hub, subject: &Subject, name: &RepoName) -> Result<(), Refusal> {
    let Some(user) = subject.user() else {
        return Err(Refusal::AuthenticationRequired);
    };
    if !user.confirmed {
        return Err(unconfirmed(user));
    }
    if !may_use_namespace(user, &name.namespace) {
        return Err(Refusal::Denied(namespace_refusal(hub, user, &name.full)));
    }
    if let Some(token) = subject.token() {
        token
            .permits(&name.full, user.default_private, Action::Push)
            .map_err(Refusal::Denied)?;
    }
    Ok(())
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
        "you can push only to {u}/NAME{admin} and to repositories you collaborate on, and {full} \
         is neither; tag the image as {host}/{u}/{name} and push that",
        u = user.username,
    )
}
