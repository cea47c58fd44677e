//! Who is calling the registry (from the bearer token), and the one way handlers open a
//! repository: name, caller and action in, the repository or the spec's error out.

use axum::http::{header, HeaderName, StatusCode};
use berth_core::{
    access::{Action, Refusal, Subject},
    registry::{
        access::{self, Claims},
        names::RepoName,
        repos::{self, Repository},
        RegistryError,
    },
    Hub,
};

use super::{errors::ApiError, repo_name};

/// The caller of one registry request.
pub struct Caller {
    /// `None` when the request carried no token.
    pub claims: Option<Claims>,
    /// Where the request comes from, for the activity log.
    pub origin: berth_core::activity::Origin,
}

impl Caller {
    /// Reads `Authorization: Bearer`. A token that is expired, forged or for another service is
    /// answered with a challenge, so the client fetches a fresh one.
    pub fn from_request(hub: &Hub, req: &axum::extract::Request) -> Result<Caller, ApiError> {
        let origin = req
            .extensions()
            .get::<berth_core::activity::Origin>()
            .cloned()
            .unwrap_or_default();
        let headers = req.headers();
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(Caller {
                claims: None,
                origin,
            });
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token.map(|t| hub.registry.keys.verify(t)) {
            Some(Ok(claims)) => Ok(Caller {
                claims: Some(claims),
                origin,
            }),
            _ => Err(challenge(
                hub,
                None,
                Some("invalid_token"),
                "authentication required: the token is invalid or expired",
            )),
        }
    }

    pub fn allows(&self, kind: &str, name: &str, action: &str) -> bool {
        self.claims
            .as_ref()
            .is_some_and(|c| c.allows(kind, name, action))
    }

    /// Who the caller is now. A token whose login has since been revoked (password changed,
    /// access token deactivated or deleted) is refused with a challenge, so docker logs in
    /// again and hears why if it cannot.
    pub async fn subject(&self, hub: &Hub) -> Result<Subject, ApiError> {
        let Some(claims) = &self.claims else {
            return Ok(Subject::Anonymous);
        };
        access::subject_of(hub, claims).await.map_err(|e| match e {
            RegistryError::Unauthorized(why) => challenge(hub, None, Some("invalid_token"), &why),
            other => other.into(),
        })
    }
}

/// `401` with the `WWW-Authenticate` challenge pointing at the token endpoint.
pub fn challenge(hub: &Hub, scope: Option<&str>, error: Option<&str>, message: &str) -> ApiError {
    let mut value = format!(
        "Bearer realm=\"{}/token\",service=\"{}\"",
        hub.config.public_url, hub.registry.keys.service
    );
    if let Some(s) = scope {
        value.push_str(&format!(",scope=\"{s}\""));
    }
    if let Some(e) = error {
        value.push_str(&format!(",error=\"{e}\""));
    }
    ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
        .with_header(HeaderName::from_static("www-authenticate"), value)
}

/// `error` with `scope` added to its challenge's scopes (a challenge names several, space
/// separated); any other error as it is.
pub fn also_challenge(mut error: ApiError, scope: &str) -> ApiError {
    for (name, value) in error.headers.iter_mut() {
        if name.as_str() == "www-authenticate" {
            if let Some(at) = value.find("scope=\"") {
                let start = at + "scope=\"".len();
                if let Some(len) = value[start..].find('"') {
                    value.insert_str(start + len, &format!(" {scope}"));
                }
            }
        }
    }
    error
}

/// A repository opened for one request.
pub struct Opened {
    pub name: RepoName,
    pub repo: Repository,
    pub subject: Subject,
}

/// Opens the repository `raw` for `action` by the caller, as every registry handler does: the
/// access rule decides on the state of this moment (so a revoked right fails now, whatever the
/// token says), and the token must also carry the action. A push to a repository that does not
/// exist yet creates it. Refusals are the spec's errors: anonymous callers are challenged, a
/// repository the caller may not see does not exist, anything else is `DENIED` with the reason,
/// and a right the caller holds but the token lacks is a challenge for a new token.
pub async fn open(
    hub: &Hub,
    caller: &Caller,
    raw: &str,
    action: Action,
) -> Result<Opened, ApiError> {
    let name = repo_name(raw)?;
    let subject = caller.subject(hub).await?;
    let scope = format!("repository:{}:{}", name.raw, scope_actions(action));
    let decided = repos::check(hub, &subject, &name, action).await?;
    let existing = match decided {
        Ok(repo) => repo,
        Err(Refusal::AuthenticationRequired) => {
            return Err(challenge(
                hub,
                Some(&scope),
                None,
                "authentication required",
            ))
        }
        Err(Refusal::NotFound) => return Err(RegistryError::NameUnknown.into()),
        Err(Refusal::Denied(why)) => return Err(RegistryError::Denied(why).into()),
    };
    if !caller.allows("repository", &name.raw, action.scope_name()) {
        return Err(challenge(
            hub,
            Some(&scope),
            Some("insufficient_scope"),
            "authentication required: the token does not cover this repository",
        ));
    }
    let repo = match existing {
        Some(repo) => repo,
        None => repos::create_for_push(hub, &subject, &name).await?,
    };
    Ok(Opened {
        name,
        repo,
        subject,
    })
}

/// The actions a client asks for when it needs `action` (docker asks pull with push).
fn scope_actions(action: Action) -> &'static str {
    match action {
        Action::Pull => "pull",
        Action::Push => "pull,push",
        Action::Delete | Action::Administer => "delete",
    }
}
