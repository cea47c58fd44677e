//! Personal access tokens: what `docker login` and CI use instead of the account password. A
//! token has a permission level (Docker Hub's four), an optional expiry and, beyond Docker Hub,
//! an optional list of repositories or namespaces it is limited to. It is shown once; only its
//! SHA-256 is stored (it holds 256 random bits, so a fast hash is enough, and checking one costs
//! no argon2 work). Tokens start with `berth_pat_` so secret scanners can find leaked ones.

use super::{AccountError, FieldErrors, User};
use crate::{
    access::Action,
    activity::{self, Origin},
    clock::{self, DAY},
    hub::Hub,
    registry::names::{is_path_component, RepoName},
    store, tokens,
};

pub const PREFIX: &str = "berth_pat_";
pub const DESCRIPTION_MAX: usize = 100;
pub const LIMITS_MAX: usize = 20;
/// Tokens one account may hold (active or not).
pub const TOKENS_MAX: i64 = 100;
/// The longest a token may live.
pub const EXPIRY_MAX_DAYS: i64 = 366;

/// What a token may do, Docker Hub's levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Pull public repositories.
    PublicRead,
    /// Pull every repository the owner may pull.
    Read,
    /// Pull and push.
    ReadWrite,
    /// Pull, push, delete and manage repositories.
    ReadWriteDelete,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::PublicRead,
        Level::Read,
        Level::ReadWrite,
        Level::ReadWriteDelete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::PublicRead => "public_read",
            Level::Read => "read",
            Level::ReadWrite => "read_write",
            Level::ReadWriteDelete => "read_write_delete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::PublicRead => "Public read-only",
            Level::Read => "Read-only",
            Level::ReadWrite => "Read & write",
            Level::ReadWriteDelete => "Read, write & delete",
        }
    }

    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }

    fn permits(self, action: Action, is_private: bool) -> Result<(), &'static str> {
        match (self, action) {
            (Level::PublicRead, Action::Pull) if !is_private => Ok(()),
            (Level::PublicRead, _) => Err("this token can only pull public repositories"),
            (Level::Read, Action::Pull) => Ok(()),
            (Level::Read, _) => Err("this token is read-only"),
            (Level::ReadWrite, Action::Pull | Action::Push) => Ok(()),
            (Level::ReadWrite, _) => Err("this token can pull and push, but not delete or manage"),
            (Level::ReadWriteDelete, _) => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    pub id: i64,
    pub user_id: i64,
    pub description: String,
    pub level: Level,
    /// `NAMESPACE` or `NAMESPACE/NAME`; empty: every repository the owner reaches.
    pub limits: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub active: bool,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub last_used_agent: Option<String>,
}

impl From<store::access_tokens::AccessTokenRow> for AccessToken {
    fn from(r: store::access_tokens::AccessTokenRow) -> Self {
        AccessToken {
            id: r.id,
            user_id: r.user_id,
            description: r.description,
            level: Level::parse(&r.level).unwrap_or(Level::PublicRead),
            limits: r.limits.split_whitespace().map(str::to_string).collect(),
            created_at: r.created_at,
            expires_at: r.expires_at,
            active: r.active != 0,
            last_used_at: r.last_used_at,
            last_used_ip: r.last_used_ip,
            last_used_agent: r.last_used_agent,
        }
    }
}

impl AccessToken {
    /// Whether the token can be used at `now` (active, not expired).
    pub fn usable(&self, now: i64) -> Result<(), AccountError> {
        if !self.active {
            return Err(AccountError::TokenInactive);
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(AccountError::TokenExpired);
        }
        Ok(())
    }

    /// Whether the token's level and limits allow `action` on the repository `full_name`; the
    /// reason when not. (The owner's own rights are decided by [`crate::access`].)
    pub fn permits(&self, full_name: &str, is_private: bool, action: Action) -> Result<(), String> {
        self.level
            .permits(action, is_private)
            .map_err(str::to_string)?;
        if !self.limits.is_empty() && !self.limits.iter().any(|l| covers(l, full_name)) {
            return Err(format!(
                "this token is limited to {}",
                self.limits.join(", ")
            ));
        }
        Ok(())
    }
}

/// Whether the limit entry `limit` (a namespace, or a full name) covers `full_name`.
fn covers(limit: &str, full_name: &str) -> bool {
    limit == full_name
        || full_name
            .strip_prefix(limit)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A token as typed in the form.
pub struct NewToken<'a> {
    pub description: &'a str,
    /// A [`Level::name`].
    pub level: &'a str,
    /// `30`, `90`, `none`, or `date` with [`NewToken::expiry_date`].
    pub expiry: &'a str,
    /// `YYYY-MM-DD`, for a custom expiry.
    pub expiry_date: &'a str,
    /// Namespaces or repositories, separated by commas or spaces.
    pub limits: &'a str,
}

/// Creates a token; returns it and its secret, which is never shown again.
pub async fn create(
    hub: &Hub,
    user: &User,
    input: NewToken<'_>,
    origin: &Origin,
) -> Result<(AccessToken, String), AccountError> {
    let now = clock::now();
    let description = input.description.trim();
    let mut errors = FieldErrors::default();
    errors.check(
        "description",
        if description.is_empty() {
            Err("Describe what the token is for (a machine, a CI job).".into())
        } else if description.chars().count() > DESCRIPTION_MAX {
            Err(format!("At most {DESCRIPTION_MAX} characters."))
        } else {
            Ok(())
        },
    );
    let level = Level::parse(input.level);
    errors.check(
        "level",
        level
            .map(|_| ())
            .ok_or_else(|| "Choose a permission level.".to_string()),
    );
    let expires_at = match expiry(input.expiry, input.expiry_date, now) {
        Ok(e) => e,
        Err(msg) => {
            errors.0.push(("expiry", msg));
            None
        }
    };
    let limits = match parse_limits(input.limits) {
        Ok(l) => l,
        Err(msg) => {
            errors.0.push(("limits", msg));
            Vec::new()
        }
    };
    if !errors.0.is_empty() {
        return Err(AccountError::Invalid(errors));
    }
    let level = level.unwrap_or(Level::PublicRead);
    let (secret, _) = tokens::generate();
    let secret = format!("{PREFIX}{secret}");
    let id = store::access_tokens::insert(
        hub.db.pool(),
        store::access_tokens::NewAccessToken {
            user_id: user.id,
            description,
            token_hash: &tokens::hash(&secret),
            level: level.name(),
            limits: &limits.join(" "),
            created_at: now,
            expires_at,
        },
        TOKENS_MAX,
    )
    .await?
    .ok_or_else(|| {
        AccountError::Invalid(FieldErrors(vec![(
            "description",
            format!("You have {TOKENS_MAX} tokens, the most an account may hold. Delete one you no longer use."),
        )]))
    })?;
    activity::record(
        hub,
        user.id,
        activity::Kind::TokenCreated,
        &format!("{description} ({})", level.label()),
        origin,
    )
    .await?;
    let token = by_id(hub, id).await?.ok_or(AccountError::Internal(
        crate::error::CoreError::Unexpected("the new token vanished".into()),
    ))?;
    Ok((token, secret))
}

/// The expiry chosen in the form: 30 or 90 days, a date up to a year ahead, or none.
fn expiry(choice: &str, date: &str, now: i64) -> Result<Option<i64>, String> {
    match choice {
        "none" | "" => Ok(None),
        "30" => Ok(Some(now + 30 * DAY)),
        "90" => Ok(Some(now + 90 * DAY)),
        "date" => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let day = time::Date::parse(date.trim(), &format)
                .map_err(|_| "Enter a date as YYYY-MM-DD.".to_string())?;
            let at = day
                .with_hms(23, 59, 59)
                .map_err(|_| "Enter a date as YYYY-MM-DD.".to_string())?
                .assume_utc()
                .unix_timestamp();
            if at <= now {
                Err("Choose a date in the future.".into())
            } else if at > now + EXPIRY_MAX_DAYS * DAY {
                Err("A token lives at most a year.".into())
            } else {
                Ok(Some(at))
            }
        }
        _ => Err("Choose when the token expires.".into()),
    }
}

/// `acme/api, alice` → `["acme/api", "alice"]`, each a namespace or a repository name.
fn parse_limits(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for entry in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let entry = entry.to_lowercase();
        let valid = if entry.contains('/') {
            RepoName::parse(&entry).is_ok_and(|n| n.full == entry)
        } else {
            is_path_component(&entry)
        };
        if !valid {
            return Err(format!(
                "{entry:?} is neither a namespace (alice) nor a repository (alice/app)."
            ));
        }
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    if out.len() > LIMITS_MAX {
        return Err(format!("At most {LIMITS_MAX} repositories or namespaces."));
    }
    Ok(out)
}

pub async fn by_id(hub: &Hub, id: i64) -> Result<Option<AccessToken>, AccountError> {
    Ok(store::access_tokens::by_id(hub.db.pool(), id)
        .await?
        .map(AccessToken::from))
}

/// The tokens of an account, newest first.
pub async fn list(hub: &Hub, user: &User) -> Result<Vec<AccessToken>, AccountError> {
    Ok(store::access_tokens::of_user(hub.db.pool(), user.id)
        .await?
        .into_iter()
        .map(AccessToken::from)
        .collect())
}

/// Deactivates (or reactivates) one of `user`'s tokens. A deactivated token fails on the very
/// next registry request, whatever the client still holds.
pub async fn set_active(
    hub: &Hub,
    user: &User,
    id: i64,
    active: bool,
    origin: &Origin,
) -> Result<(), AccountError> {
    let token = by_id(hub, id)
        .await?
        .filter(|t| t.user_id == user.id)
        .ok_or(AccountError::NoSuchToken)?;
    store::access_tokens::set_active(hub.db.pool(), user.id, id, active).await?;
    let kind = if active {
        activity::Kind::TokenReactivated
    } else {
        activity::Kind::TokenDeactivated
    };
    activity::record(hub, user.id, kind, &token.description, origin).await?;
    Ok(())
}

pub async fn delete(hub: &Hub, user: &User, id: i64, origin: &Origin) -> Result<(), AccountError> {
    let token = by_id(hub, id)
        .await?
        .filter(|t| t.user_id == user.id)
        .ok_or(AccountError::NoSuchToken)?;
    store::access_tokens::delete(hub.db.pool(), user.id, id).await?;
    activity::record(
        hub,
        user.id,
        activity::Kind::TokenDeleted,
        &token.description,
        origin,
    )
    .await?;
    Ok(())
}

/// Whether `secret` looks like one of Berth's tokens (so a login can tell a token from a
/// password without trying both).
pub fn is_token(secret: &str) -> bool {
    secret.starts_with(PREFIX)
}

/// Checks a token given as the password of `login` (Berth ID or email): it must be the login's,
/// active and not expired. Records its use (time, address, client).
pub async fn authenticate(
    hub: &Hub,
    login: &str,
    secret: &str,
    origin: &Origin,
) -> Result<(User, AccessToken), AccountError> {
    let now = clock::now();
    let token = store::access_tokens::by_hash(hub.db.pool(), &tokens::hash(secret.trim()))
        .await?
        .map(AccessToken::from)
        .ok_or(AccountError::BadCredentials)?;
    let user = super::user_by_id(hub, token.user_id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    let login = login.trim();
    let named =
        login.eq_ignore_ascii_case(&user.username) || login.eq_ignore_ascii_case(&user.email);
    if !named {
        return Err(AccountError::BadCredentials);
    }
    token.usable(now)?;
    use_token(hub, &token, origin, now).await?;
    Ok((user, token))
}

/// Records that a token was used; the activity log notes it at most once an hour per token.
pub async fn use_token(
    hub: &Hub,
    token: &AccessToken,
    origin: &Origin,
    now: i64,
) -> Result<(), AccountError> {
    store::access_tokens::touch(
        hub.db.pool(),
        token.id,
        now,
        origin.ip.as_deref(),
        origin.agent.as_deref(),
    )
    .await?;
    if token.last_used_at.is_none_or(|t| now - t >= clock::HOUR) {
        activity::record(
            hub,
            token.user_id,
            activity::Kind::TokenUsed,
            &token.description,
            origin,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(level: Level, limits: &[&str]) -> AccessToken {
        AccessToken {
            id: 1,
            user_id: 1,
            description: "ci".into(),
            level,
            limits: limits.iter().map(|s| s.to_string()).collect(),
            created_at: 0,
            expires_at: None,
            active: true,
            last_used_at: None,
            last_used_ip: None,
            last_used_agent: None,
        }
    }

    #[test]
    fn levels_allow_what_docker_hub_s_do() {
        let public = token(Level::PublicRead, &[]);
        assert!(public.permits("a/b", false, Action::Pull).is_ok());
        assert!(public.permits("a/b", true, Action::Pull).is_err());
        let read = token(Level::Read, &[]);
        assert!(read.permits("a/b", true, Action::Pull).is_ok());
        assert_eq!(
            read.permits("a/b", false, Action::Push).unwrap_err(),
            "this token is read-only"
        );
        let write = token(Level::ReadWrite, &[]);
        assert!(write.permits("a/b", true, Action::Push).is_ok());
        assert!(write.permits("a/b", true, Action::Delete).is_err());
        let all = token(Level::ReadWriteDelete, &[]);
        assert!(all.permits("a/b", true, Action::Administer).is_ok());
    }

    #[test]
    fn limits_cover_repositories_and_whole_namespaces() {
        let t = token(Level::ReadWrite, &["acme/api", "alice"]);
        assert!(t.permits("acme/api", true, Action::Push).is_ok());
        assert!(t.permits("alice/app", true, Action::Push).is_ok());
        assert!(t.permits("alicex/app", false, Action::Pull).is_err());
        assert_eq!(
            t.permits("acme/web", false, Action::Pull).unwrap_err(),
            "this token is limited to acme/api, alice"
        );
    }

    #[test]
    fn limits_and_expiries_are_checked_as_typed() {
        assert_eq!(
            parse_limits(" acme/api,alice  Bob ").unwrap(),
            ["acme/api", "alice", "bob"]
        );
        assert!(parse_limits("a/b/c").is_err());
        assert!(parse_limits("-bad").is_err());
        let now = 1_800_000_000;
        assert_eq!(expiry("30", "", now).unwrap(), Some(now + 30 * DAY));
        assert_eq!(expiry("none", "", now).unwrap(), None);
        assert!(expiry("date", "2020-01-01", now).is_err());
        assert!(expiry("date", "not a date", now).is_err());
        assert!(expiry("forever", "", now).is_err());
    }
}
