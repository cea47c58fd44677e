//! Server functions of organizations: each parses its form, calls one `berth_core::orgs` (or
//! `repositories`) function and redirects, so plain HTML forms work.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{DashboardOrgs, InvitationView},
};

#[cfg(feature = "ssr")]
use crate::{
    model::{InvitationItem, OrgView},
    ssr::*,
};

#[cfg(feature = "ssr")]
fn org_page(org: &str, query: &str) -> String {
    format!("/u/{org}{query}")
}

#[cfg(feature = "ssr")]
fn invitation_item(i: &berth_core::orgs::Invitation) -> InvitationItem {
    use berth_core::clock;
    InvitationItem {
        id: i.id,
        org: i.org.clone(),
        who: i.invitee.clone().unwrap_or_else(|| i.email.clone()),
        role: i.role.as_str().to_string(),
        invited_by: i.invited_by.clone().unwrap_or_default(),
        expires: clock::format_date(i.expires_at),
    }
}

/// The organization part of `/u/NAME` (see `get_profile`): repositories for everyone, the
/// asked-for tab for members.
#[cfg(feature = "ssr")]
pub(super) async fn org_view(
    hub: &berth_core::Hub,
    viewer: Option<&berth_core::accounts::User>,
    org: berth_core::orgs::Org,
    tab: Option<String>,
    team: Option<String>,
) -> Result<OrgView, AppError> {
    use berth_core::{access::OrgRole, clock, orgs, repositories};
    let can_see_members = org.role.is_some() || viewer.is_some_and(|v| v.is_admin);
    let is_owner = org.role == Some(OrgRole::Owner);
    let tab = match tab.as_deref() {
        Some(t @ ("members" | "teams")) if can_see_members => t,
        Some("settings") if is_owner => "settings",
        _ => "repositories",
    }
    .to_string();
    let repositories = repositories::visible_of(hub, viewer, &org.account)
        .await
        .map_err(|e| repo_error(e, &[]))?
        .iter()
        .map(super::repositories::summary)
        .collect();
    let mut view = OrgView {
        name: org.name().to_string(),
        display_name: org.account.display_name.clone(),
        role: org.role.map(|r| r.as_str().to_string()),
        is_owner,
        can_create: org.role.is_some_and(|r| r >= OrgRole::Editor),
        can_see_members,
        tab: tab.clone(),
        repositories,
        members: Vec::new(),
        invitations: Vec::new(),
        teams: Vec::new(),
        team: None,
        email: String::new(),
        private_usage: None,
        storage_usage: None,
    };
    let Some(viewer) = viewer else {
        return Ok(view);
    };
    match tab.as_str() {
        "members" => {
            view.members = orgs::members(hub, viewer, &org)
                .await
                .map_err(|e| org_error(e, &[]))?
                .into_iter()
                .map(|m| crate::model::MemberItem {
                    username: m.username,
                    role: m.role.as_str().to_string(),
                    joined: clock::format_date(m.joined_at),
                })
                .collect();
            if is_owner {
                view.invitations = orgs::invitations(hub, &org)
                    .await
                    .map_err(|e| org_error(e, &[]))?
                    .iter()
                    .map(invitation_item)
                    .collect();
            }
        }
        "teams" => {
            view.teams = orgs::teams(hub, viewer, &org)
                .await
                .map_err(|e| org_error(e, &[]))?
                .into_iter()
                .map(|t| crate::model::TeamItem {
                    name: t.name,
                    description: t.description,
                    members: t.members,
                    repositories: t.repositories,
                })
                .collect();
            if let Some(team) = team.filter(|t| !t.is_empty()) {
                let d = orgs::team(hub, viewer, &org, &team)
                    .await
                    .map_err(|e| org_error(e, &[]))?;
                view.team = Some(crate::model::TeamDetailView {
                    name: d.team.name,
                    description: d.team.description,
                    members: d.members,
                    repositories: d
                        .repositories
                        .into_iter()
                        .map(|(r, p)| (r, p.label().to_string()))
                        .collect(),
                });
            }
        }
        "settings" => {
            view.email = org.account.email.clone();
            let (used, limit) = repositories::private_usage(hub, &org.account)
                .await
                .map_err(|e| repo_error(e, &[]))?;
            view.private_usage = Some(crate::format::private_usage(used, limit));
            let (bytes, limit) = berth_core::lifecycle::namespace_usage(hub, org.account.id)
                .await
                .map_err(internal)?;
            view.storage_usage = Some(super::lifecycle::usage_line(org.name(), bytes, limit));
        }
        _ => {}
    }
    Ok(view)
}

#[server(endpoint = "orgs/create")]
pub async fn create_org(name: String, display_name: String, email: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let values = [
        ("name", name.as_str()),
        ("display_name", display_name.as_str()),
        ("email", email.as_str()),
    ];
    let org = berth_core::orgs::create(&hub()?, &user, &name, &display_name, &email)
        .await
        .map_err(|e| org_error(e, &values))?;
    leptos_axum::redirect(&org_page(org.name(), "?created=1"));
    Ok(())
}

/// The dashboard's organizations and pending invitations; empty when logged out.
#[server(endpoint = "orgs/mine")]
pub async fn my_orgs() -> Result<DashboardOrgs, AppError> {
    use berth_core::orgs;
    let Some(user) = current_user().await? else {
        return Ok(DashboardOrgs::default());
    };
    let hub = hub()?;
    let list = orgs::of_user(&hub, &user)
        .await
        .map_err(|e| org_error(e, &[]))?;
    let invitations = orgs::invitations_for(&hub, &user)
        .await
        .map_err(|e| org_error(e, &[]))?;
    Ok(DashboardOrgs {
        orgs: list
            .iter()
            .map(|o| {
                (
                    o.name().to_string(),
                    o.account.display_name.clone(),
                    o.role.map(|r| r.as_str()).unwrap_or("member").to_string(),
                )
            })
            .collect(),
        invitations: invitations.iter().map(invitation_item).collect(),
        storage_usage: {
            let (bytes, limit) = berth_core::lifecycle::namespace_usage(&hub, user.id)
                .await
                .map_err(internal)?;
            super::lifecycle::usage_line(&user.username, bytes, limit)
        },
    })
}

#[server(endpoint = "orgs/invite")]
pub async fn invite_member(org: String, who: String, role: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::invite(&hub()?, &user, &org, &who, &role)
        .await
        .map_err(|e| org_error(e, &[("who", &who), ("role", &role)]))?;
    leptos_axum::redirect(&org_page(&org, "?tab=members&saved=invite"));
    Ok(())
}

#[server(endpoint = "orgs/revoke-invitation")]
pub async fn revoke_invitation(org: String, id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::revoke_invitation(&hub()?, &user, &org, id)
        .await
        .map_err(|e| org_error(e, &[]))?;
    leptos_axum::redirect(&org_page(&org, "?tab=members&saved=revoked"));
    Ok(())
}

#[server(endpoint = "orgs/role")]
pub async fn set_member_role(org: String, member: String, role: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::set_role(&hub()?, &user, &org, &member, &role)
        .await
        .map_err(|e| org_error(e, &[]))?;
    leptos_axum::redirect(&org_page(&org, "?tab=members&saved=role"));
    Ok(())
}

/// Removes a member, or (naming oneself) leaves the organization.
#[server(endpoint = "orgs/remove-member")]
pub async fn remove_member(org: String, member: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::remove_member(&hub()?, &user, &org, &member)
        .await
        .map_err(|e| org_error(e, &[]))?;
    if member.trim().eq_ignore_ascii_case(&user.username) {
        leptos_axum::redirect("/?left=1");
    } else {
        leptos_axum::redirect(&org_page(&org, "?tab=members&saved=removed"));
    }
    Ok(())
}

#[server(endpoint = "orgs/settings")]
pub async fn save_org_settings(
    org: String,
    display_name: String,
    email: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::update(&hub()?, &user, &org, &display_name, &email)
        .await
        .map_err(|e| org_error(e, &[("display_name", &display_name), ("email", &email)]))?;
    leptos_axum::redirect(&org_page(&org, "?tab=settings&saved=settings"));
    Ok(())
}

#[server(endpoint = "orgs/delete")]
pub async fn delete_org(org: String, confirm: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::delete(&hub()?, &user, &org, &confirm)
        .await
        .map_err(|e| org_error(e, &[]))?;
    leptos_axum::redirect("/?org_deleted=1");
    Ok(())
}

#[server(endpoint = "orgs/create-team")]
pub async fn create_team(org: String, name: String, description: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let team = berth_core::orgs::create_team(&hub()?, &user, &org, &name, &description)
        .await
        .map_err(|e| org_error(e, &[("name", &name), ("description", &description)]))?;
    leptos_axum::redirect(&org_page(
        &org,
        &format!("?tab=teams&team={}", crate::url::query_value(&team)),
    ));
    Ok(())
}

#[server(endpoint = "orgs/delete-team")]
pub async fn delete_team(org: String, team: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::delete_team(&hub()?, &user, &org, &team)
        .await
        .map_err(|e| org_error(e, &[]))?;
    leptos_axum::redirect(&org_page(&org, "?tab=teams&saved=team-deleted"));
    Ok(())
}

#[server(endpoint = "orgs/add-team-member")]
pub async fn add_team_member(org: String, team: String, username: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::add_team_member(&hub()?, &user, &org, &team, &username)
        .await
        .map_err(|e| org_error(e, &[("username", &username)]))?;
    leptos_axum::redirect(&org_page(
        &org,
        &format!(
            "?tab=teams&team={}&saved=members",
            crate::url::query_value(&team)
        ),
    ));
    Ok(())
}

#[server(endpoint = "orgs/remove-team-member")]
pub async fn remove_team_member(
    org: String,
    team: String,
    username: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::remove_team_member(&hub()?, &user, &org, &team, &username)
        .await
        .map_err(|e| org_error(e, &[]))?;
    leptos_axum::redirect(&org_page(
        &org,
        &format!(
            "?tab=teams&team={}&saved=members",
            crate::url::query_value(&team)
        ),
    ));
    Ok(())
}

/// Gives a team a permission on an organization's repository (`none` takes it away).
#[server(endpoint = "repositories/team-permission")]
pub async fn set_team_permission(
    full_name: String,
    team: String,
    permission: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::orgs::set_team_permission(&hub()?, &user, &full_name, &team, &permission)
        .await
        .map_err(|e| org_error(e, &[("team", &team), ("permission", &permission)]))?;
    leptos_axum::redirect(&format!(
        "/r/{full_name}?tab=settings&section=access&saved=teams"
    ));
    Ok(())
}

/// Moves a repository to another namespace the user manages.
#[server(endpoint = "repositories/transfer")]
pub async fn transfer_repository(
    full_name: String,
    namespace: String,
    confirm: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let repo = berth_core::repositories::transfer(&hub()?, &user, &full_name, &namespace, &confirm)
        .await
        .map_err(|e| repo_error(e, &[("namespace", &namespace)]))?;
    leptos_axum::redirect(&format!(
        "/r/{}?tab=settings&section=danger&saved=transfer",
        repo.full_name
    ));
    Ok(())
}

/// The invitation behind a mailed link, for its page.
#[server(endpoint = "orgs/invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    use berth_core::clock;
    let hub = hub()?;
    let invitation = berth_core::orgs::invitation(&hub, &token)
        .await
        .map_err(|e| {
            // Like the other mailed links: a bogus one is 404, a used-up or late one 410.
            use berth_core::orgs::OrgError;
            match e {
                OrgError::InvitationInvalid => set_status(404),
                OrgError::InvitationExpired(_) => set_status(410),
                _ => {}
            }
            org_error(e, &[])
        })?;
    let viewer = current_user().await?;
    Ok(InvitationView {
        org: invitation.org,
        role: invitation.role.as_str().to_string(),
        invited_by: invitation.invited_by.unwrap_or_default(),
        expires: clock::format_date(invitation.expires_at),
        viewer: viewer.map(|v| v.username),
    })
}

/// Accepts (`answer=accept`) or declines the invitation behind a link (`token`) or listed on
/// the dashboard (`id`).
#[server(endpoint = "orgs/answer-invitation")]
pub async fn answer_invitation(
    token: Option<String>,
    id: Option<i64>,
    answer: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let hub = hub()?;
    let accept = answer == "accept";
    let org = match (token, id) {
        (Some(token), _) => berth_core::orgs::respond(&hub, &user, &token, accept).await,
        (None, Some(id)) => berth_core::orgs::respond_by_id(&hub, &user, id, accept).await,
        (None, None) => Err(berth_core::orgs::OrgError::InvitationInvalid),
    }
    .map_err(|e| org_error(e, &[]))?;
    if accept {
        leptos_axum::redirect(&org_page(&org, "?joined=1"));
    } else {
        leptos_axum::redirect("/?declined=1");
    }
    Ok(())
}
