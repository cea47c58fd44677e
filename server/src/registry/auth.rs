//! Who is calling the registry (from the bearer token) and whether they may do what they ask.

use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use berth_core::{
    accounts::{self, User},
    registry::{
        access::{self, Access, Claims},
        names::RepoName,
        repos, RegistryError,
    },
    Hub,
};

use super::errors::ApiError;

/// The caller of one registry request.
pub struct Caller {
    /// `None` when the request carried no token.
    pub claims: Option<Claims>,
}

impl Caller {
    /// Reads `Authorization: Bearer`. A token that is expired, forged or for another service is
    /// answered with a challenge, so the client fetches a fresh one.
    pub fn from_headers(hub: &Hub, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(Caller { claims: None });
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

    /// The logged-in user behind the token, if any.
    pub async fn user(&self, hub: &Hub) -> Result<Option<User>, ApiError> {
        match self.claims.as_ref().and_then(|c| c.uid) {
            Some(id) => Ok(accounts::user_by_id(hub, id)
                .await
                .map_err(RegistryError::from)?),
            None => Ok(None),
        }
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

/// Checks that the caller holds `actions` on a repository. When they do not, the answer depends
/// on why: anonymous callers are challenged; a token that merely lacks the scope is challenged
/// again (clients then ask for it); a repository the user may not see does not exist for them;
/// a push they may not make is refused with the reason.
pub async fn authorize(
    hub: &Hub,
    caller: &Caller,
    name: &RepoName,
    actions: &[&str],
) -> Result<(), ApiError> {
    if actions
        .iter()
        .all(|a| caller.allows("repository", &name.raw, a))
    {
        return Ok(());
    }
    let scope = format!("repository:{}:{}", name.raw, actions.join(","));
    let Some(user) = caller.user(hub).await? else {
        return Err(challenge(
            hub,
            Some(&scope),
            None,
            "authentication required",
        ));
    };
    let wanted = Access {
        kind: "repository".into(),
        name: name.raw.clone(),
        actions: actions.iter().map(|a| a.to_string()).collect(),
    };
    let granted = access::grant(hub, Some(&user), &wanted).await?;
    if actions.iter().all(|a| granted.iter().any(|g| g == a)) {
        return Err(challenge(
            hub,
            Some(&scope),
            Some("insufficient_scope"),
            "authentication required: the token does not cover this repository",
        ));
    }
    // A push outside one's namespace is refused with the reason, whether or not the repository
    // exists, so the answer tells nothing about other people's repositories.
    if actions.contains(&"push") && !granted.iter().any(|g| g == "push") {
        let why = repos::push_refusal(hub, &user, name)
            .unwrap_or_else(|| format!("you cannot push to {}", name.full));
        return Err(RegistryError::Denied(why).into());
    }
    let visible = if actions.contains(&"pull") {
        granted.iter().any(|g| g == "pull")
    } else {
        let pull = Access {
            actions: vec!["pull".into()],
            ..wanted
        };
        !access::grant(hub, Some(&user), &pull).await?.is_empty()
    };
    if !visible {
        return Err(RegistryError::NameUnknown.into());
    }
    Err(RegistryError::Denied(format!(
        "only the owner of {} can delete from it",
        name.full
    ))
    .into())
}
