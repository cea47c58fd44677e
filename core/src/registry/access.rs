//! Docker token authentication: scopes asked for, actions granted, and the short-lived signed
//! tokens (JWT, HS256) that carry them. Any replica holding the same key verifies any token.

use base64::Engine;
use jsonwebtoken::{Algorithm as JwtAlgorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::{names::RepoName, repos, RegistryError};
use crate::{
    access::{self, Action, Subject},
    accounts::{self, access_tokens, security, AccountError, User},
    activity::Origin,
    clock::{self, DAY},
    config::Config,
    db::Db,
    error::CoreError,
    hub::Hub,
    store, tokens,
};

/// Lifetime of an access token. Clients fetch a new one per operation; five minutes covers a
/// push of many layers, and a grant taken away (a repository made private) lapses soon.
pub const TOKEN_TTL: i64 = 300;
/// Refresh tokens stand in for the password on a machine that ran `docker login`.
pub const REFRESH_PURPOSE: &str = "registry_refresh";
pub const REFRESH_TTL: i64 = 180 * DAY;
const ISSUER: &str = "berth";
/// Seconds of clock difference tolerated when checking a token's times.
const LEEWAY: i64 = 30;
const SECRET_SETTING: &str = "registry_token_secret";

/// One resource and the actions granted on it, as in the `access` claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

/// `type:name:actions` as sent in the `scope` parameter.
pub type Scope = Access;

/// Parses `scope` values, each holding one or more space-separated scopes. Malformed scopes are
/// skipped: they grant nothing.
pub fn parse_scopes<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Scope> {
    values
        .into_iter()
        .flat_map(str::split_whitespace)
        .filter_map(|s| {
            // The name may hold a `host:port`: the type ends at the first colon, actions start
            // after the last.
            let (kind, rest) = s.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            let kind = kind.split('(').next().unwrap_or(kind);
            Some(Access {
                kind: kind.to_string(),
                name: name.to_string(),
                actions: actions
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// Berth ID, empty for anonymous callers.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    pub access: Vec<Access>,
    /// The caller's user id, so handlers need not look the name up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
    /// The user's session generation when the token was issued: a password change or reset
    /// since makes the token fail on the next request.
    #[serde(default)]
    pub gen: i64,
    /// The personal access token the caller logged in with, checked on every request (a
    /// deactivated one fails at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tok: Option<i64>,
}

impl Claims {
    pub fn allows(&self, kind: &str, name: &str, action: &str) -> bool {
        self.access.iter().any(|a| {
            a.kind == kind && a.name == name && a.actions.iter().any(|x| x == action || x == "*")
        })
    }
}

/// The signing key and the service name tokens are issued for.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: Arc<EncodingKey>,
    decoding: Arc<DecodingKey>,
    pub service: String,
}

impl TokenKeys {
    /// Uses `BERTH_TOKEN_SECRET`, or the secret stored in the database (created by the first
    /// process to start), so that replicas sharing a database share the key.
    pub async fn load(config: &Config, db: &Db) -> Result<Self, CoreError> {
        let secret = match &config.token_secret {
            Some(s) => s.clone(),
            None => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let fresh = base64::engine::general_purpose::STANDARD.encode(bytes);
                store::settings::insert_if_absent(db.pool(), SECRET_SETTING, &fresh).await?;
                store::settings::get(db.pool(), SECRET_SETTING)
                    .await?
                    .ok_or_else(|| CoreError::Config("token secret missing".into()))?
            }
        };
        Ok(TokenKeys {
            encoding: Arc::new(EncodingKey::from_secret(secret.as_bytes())),
            decoding: Arc::new(DecodingKey::from_secret(secret.as_bytes())),
            service: config.registry_host(),
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, CoreError> {
        jsonwebtoken::encode(&Header::new(JwtAlgorithm::HS256), claims, &self.encoding)
            .map_err(|e| CoreError::Config(format!("cannot sign token: {e}")))
    }

    /// Checks signature, issuer, audience and lifetime: not expired, not before its `nbf`, and
    /// not issued in the future (each with [`LEEWAY`] for clocks of replicas that disagree).
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut v = Validation::new(JwtAlgorithm::HS256);
        v.set_audience(&[&self.service]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud"]);
        v.validate_nbf = true;
        v.leeway = LEEWAY as u64;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)?.claims;
        if claims.iat > clock::now() + LEEWAY || claims.iat > claims.exp {
            return Err(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into());
        }
        Ok(claims)
    }
}

/// What the caller presented to the token endpoint.
pub enum Credentials<'a> {
    Anonymous,
    /// The account password, or a personal access token in its place.
    Password {
        login: &'a str,
        password: &'a str,
    },
    Refresh(&'a str),
}

/// A token endpoint answer.
#[derive(Clone, Debug)]
pub struct Issued {
    pub token: String,
    pub expires_in: i64,
    pub issued_at: i64,
    pub refresh_token: Option<String>,
    /// Granted scopes, space-separated (the OAuth2 `scope` field).
    pub scope: String,
    pub user: Option<User>,
}

/// How a refused log-in reads on the docker command line.
fn refused_login(e: AccountError) -> RegistryError {
    match e {
        AccountError::BadCredentials => {
            RegistryError::Unauthorized("incorrect Berth ID, email or password".into())
        }
        AccountError::TooManyAttempts { retry_after } => RegistryError::TooManyRequests(format!(
            "too many failed logins; try again in {}",
            clock::duration_words(retry_after)
        )),
        AccountError::Busy => RegistryError::TooManyRequests(
            "Berth is busy checking passwords; try again in a moment".into(),
        ),
        AccountError::Internal(e) => e.into(),
        other => RegistryError::Unauthorized(other.to_string()),
    }
}

/// Who logs in with `login` and `password` (the account password, or an access token), as
/// for `docker login`; with the same rate limits and refusals.
pub async fn subject_for_password(
    hub: &Hub,
    login: &str,
    password: &str,
    origin: &Origin,
) -> Result<Subject, RegistryError> {
    match security::registry_log_in(hub, login, password, origin).await {
        Ok((user, Some(token))) => Ok(Subject::Token(user, token)),
        Ok((user, None)) => Ok(Subject::User(user)),
        Err(e) => Err(refused_login(e)),
    }
}

/// Authenticates the caller and issues a token with the intersection of the scopes asked for
/// and the actions the caller holds. Missing rights are not an error here: the registry refuses
/// the request later, with a message. A name Berth cannot hold is refused here, as `DENIED`,
/// which clients do not retry (an empty grant would have docker retry each layer for a minute).
pub async fn issue(
    hub: &Hub,
    credentials: Credentials<'_>,
    scopes: &[Scope],
    want_refresh: bool,
    origin: &Origin,
) -> Result<Issued, RegistryError> {
    for scope in scopes.iter().filter(|s| s.kind == "repository") {
        if let Err(RegistryError::NameInvalid(why)) = RepoName::parse(&scope.name) {
            return Err(RegistryError::Denied(format!(
                "{} is not a repository name Berth can hold: {why}",
                scope.name
            )));
        }
    }
    let subject = match &credentials {
        Credentials::Anonymous => Subject::Anonymous,
        Credentials::Password { login, password } => {
            subject_for_password(hub, login, password, origin).await?
        }
        Credentials::Refresh(token) => subject_for_refresh(hub, token, origin).await?,
    };
    let mut access = Vec::new();
    for scope in scopes {
        let actions = grant(hub, &subject, scope).await?;
        if !actions.is_empty() {
            access.push(Access {
                kind: scope.kind.clone(),
                name: scope.name.clone(),
                actions,
            });
        }
    }
    let now = clock::now();
    let user = subject.user().cloned();
    let claims = Claims {
        iss: ISSUER.into(),
        sub: user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default(),
        aud: hub.registry.keys.service.clone(),
        exp: now + TOKEN_TTL,
        nbf: now - 1,
        iat: now,
        jti: tokens::generate().1[..24].to_string(),
        access,
        uid: user.as_ref().map(|u| u.id),
        gen: user.as_ref().map_or(0, |u| u.session_generation),
        tok: subject.token().map(|t| t.id),
    };
    let token = hub.registry.keys.sign(&claims)?;
    let refresh_token = match (&subject, want_refresh, &credentials) {
        (Subject::User(u), true, Credentials::Password { .. }) => {
            Some(new_refresh_token(hub, u.id, None, now).await?)
        }
        (Subject::Token(u, t), true, Credentials::Password { .. }) => {
            Some(new_refresh_token(hub, u.id, Some(t.id), now).await?)
        }
        _ => None,
    };
    let scope = claims
        .access
        .iter()
        .map(|a| format!("{}:{}:{}", a.kind, a.name, a.actions.join(",")))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Issued {
        token,
        expires_in: TOKEN_TTL,
        issued_at: now,
        refresh_token,
        scope,
        user,
    })
}

async fn new_refresh_token(
    hub: &Hub,
    user_id: i64,
    access_token_id: Option<i64>,
    now: i64,
) -> Result<String, CoreError> {
    let (plain, hash) = tokens::generate();
    match access_token_id {
        Some(id) => {
            store::tokens::insert_for_access_token(
                hub.db.pool(),
                user_id,
                REFRESH_PURPOSE,
                &hash,
                now,
                now + REFRESH_TTL,
                id,
            )
            .await?
        }
        None => {
            store::tokens::insert(
                hub.db.pool(),
                user_id,
                REFRESH_PURPOSE,
                &hash,
                now,
                now + REFRESH_TTL,
            )
            .await?
        }
    }
    Ok(plain)
}

/// Who a refresh token (a saved `docker login`) stands for: the user, with the access token
/// it was made with, which must still be usable.
async fn subject_for_refresh(
    hub: &Hub,
    token: &str,
    origin: &Origin,
) -> Result<Subject, RegistryError> {
    let refused = || {
        RegistryError::Unauthorized(
            "the saved login is no longer valid: run docker login again".into(),
        )
    };
    let row = store::tokens::find(hub.db.pool(), REFRESH_PURPOSE, &tokens::hash(token.trim()))
        .await?
        .ok_or_else(refused)?;
    let now = clock::now();
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(refused());
    }
    let user = accounts::user_by_id(hub, row.user_id)
        .await?
        .ok_or_else(refused)?;
    match row.access_token_id {
        None => Ok(Subject::User(user)),
        Some(id) => {
            let token = access_tokens::by_id(hub, id)
                .await
                .map_err(refused_login)?
                .ok_or_else(refused)?;
            token.usable(now).map_err(refused_login)?;
            access_tokens::use_token(hub, &token, origin, now)
                .await
                .map_err(refused_login)?;
            Ok(Subject::Token(user, token))
        }
    }
}

/// The actions of `scope` that `subject` holds now.
pub async fn grant(
    hub: &Hub,
    subject: &Subject,
    scope: &Scope,
) -> Result<Vec<String>, RegistryError> {
    let wanted = |a: &str| scope.actions.iter().any(|x| x == a || x == "*");
    match scope.kind.as_str() {
        // Everyone may list the catalog; it shows each caller only what they may see.
        "registry" if scope.name == "catalog" => Ok(vec!["*".into()]),
        "repository" => {
            let Ok(name) = RepoName::parse(&scope.name) else {
                return Ok(vec![]);
            };
            let mut granted = Vec::new();
            for action in [Action::Pull, Action::Push, Action::Delete] {
                if !wanted(action.scope_name()) {
                    continue;
                }
                let allowed = match repos::find_for(hub, &name, action).await? {
                    Some(r) => access::decide(hub, subject, &r, action).await?.is_ok(),
                    // Nothing to pull yet; granting the creator pull lets them hear "not found".
                    None => {
                        matches!(action, Action::Pull | Action::Push)
                            && access::decide_create(hub, subject, &name).await?.is_ok()
                    }
                };
                if allowed {
                    granted.push(action.scope_name().to_string());
                }
            }
            Ok(granted)
        }
        _ => Ok(vec![]),
    }
}

/// Who the bearer of `claims` is now: the token's user, as they are at this moment. A token
/// issued before a password change, or with an access token since deactivated, deleted or
/// expired, is no longer honoured.
pub async fn subject_of(hub: &Hub, claims: &Claims) -> Result<Subject, RegistryError> {
    let Some(uid) = claims.uid else {
        return Ok(Subject::Anonymous);
    };
    let gone = || RegistryError::Unauthorized("the login is no longer valid: log in again".into());
    let user = accounts::user_by_id(hub, uid).await?.ok_or_else(gone)?;
    match claims.tok {
        Some(id) => {
            let token = access_tokens::by_id(hub, id)
                .await
                .map_err(refused_login)?
                .filter(|t| t.user_id == user.id)
                .ok_or_else(|| {
                    RegistryError::Unauthorized("this access token was deleted".into())
                })?;
            token.usable(clock::now()).map_err(refused_login)?;
            Ok(Subject::Token(user, token))
        }
        None if user.session_generation != claims.gen => Err(RegistryError::Unauthorized(
            "the password of this account changed: log in again".into(),
        )),
        None => Ok(Subject::User(user)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_repeated_and_space_separated() {
        let s = parse_scopes([
            "repository:alice/app:push,pull",
            "repository:localhost:5000/x/y:pull registry:catalog:*",
            "garbage",
        ]);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "alice/app");
        assert_eq!(s[0].actions, ["push", "pull"]);
        assert_eq!(s[1].name, "localhost:5000/x/y");
        assert_eq!(s[2].kind, "registry");
        assert_eq!(s[2].actions, ["*"]);
    }
}
