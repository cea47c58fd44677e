//! Organizations: shared namespaces with members in roles (member, editor, owner), invitations
//! by mail, and teams with permissions per repository. What each role and permission allows
//! on a repository is decided in [`crate::access`]; this module decides who may change the
//! organization itself (owners, and editors for team permissions on repositories).

use crate::{
    access::{self, Action, OrgRole, Refusal, Subject, TeamPermission},
    accounts::{self, mails, validate, FieldErrors, User},
    clock::{self, DAY},
    db::is_unique_violation,
    error::CoreError,
    hub::Hub,
    jobs,
    registry::repos::Repository,
    repositories::{self, at_most, RepoError},
    store, tokens,
};

/// An invitation's link works once, for this long.
pub const INVITATION_TTL: i64 = 7 * DAY;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const TEAM_DESCRIPTION_MAX: usize = 100;
pub const TEAM_NAME_MAX: usize = 30;
/// Pending invitations one organization may have at once (each sends a mail).
pub const PENDING_INVITATIONS_MAX: usize = 100;
/// Organizations one person may own (each is a name taken for good).
pub const OWNED_MAX: usize = 20;
/// Teams one organization may have.
pub const TEAMS_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("Confirm your email address before creating or joining organizations.")]
    Unconfirmed,
    /// Also what a non-member hears about a team, or anyone about something that does not exist.
    #[error("This organization or team does not exist.")]
    NotFound,
    #[error("{0}")]
    Denied(String),
    #[error("This invitation is not valid: it was accepted, declined or revoked, or the link is incomplete.")]
    InvitationInvalid,
    #[error("This invitation has expired. Ask an owner of {0} to invite you again.")]
    InvitationExpired(String),
    #[error(transparent)]
    Internal(#[from] CoreError),
}

impl From<sqlx::Error> for OrgError {
    fn from(e: sqlx::Error) -> Self {
        OrgError::Internal(CoreError::Db(e))
    }
}

impl From<RepoError> for OrgError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound | RepoError::Moved(_) => OrgError::NotFound,
            RepoError::Invalid(f) => OrgError::Invalid(f),
            RepoError::Internal(e) => OrgError::Internal(e),
            other => OrgError::Denied(other.to_string()),
        }
    }
}

fn field(name: &'static str, message: impl Into<String>) -> OrgError {
    OrgError::Invalid(FieldErrors(vec![(name, message.into())]))
}

fn owners_only() -> OrgError {
    OrgError::Denied("Only owners of the organization can do that.".into())
}

/// An organization and what the viewer is in it.
#[derive(Clone, Debug)]
pub struct Org {
    /// The organization's account row, as a namespace (never a person who logs in).
    pub account: User,
    /// The viewer's role, if they are a member.
    pub role: Option<OrgRole>,
}

impl Org {
    pub fn name(&self) -> &str {
        &self.account.username
    }

    fn require(&self, at_least: OrgRole) -> Result<(), OrgError> {
        match self.role {
            Some(r) if r >= at_least => Ok(()),
            Some(_) if at_least == OrgRole::Owner => Err(owners_only()),
            Some(_) => Err(OrgError::Denied(
                "Only editors and owners of the organization can do that.".into(),
            )),
            None => Err(OrgError::NotFound),
        }
    }
}

/// A member as the members tab lists them.
#[derive(Clone, Debug)]
pub struct Member {
    pub username: String,
    pub role: OrgRole,
    pub joined_at: i64,
}

/// A pending invitation.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: i64,
    pub org: String,
    /// The Berth ID invited, when invited by one (or when the address is an account's).
    pub invitee: Option<String>,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<store::orgs::InvitationRow> for Invitation {
    fn from(r: store::orgs::InvitationRow) -> Self {
        Invitation {
            id: r.id,
            org: r.org_name,
            invitee: r.invitee,
            email: r.email,
            role: OrgRole::parse(&r.role).unwrap_or(OrgRole::Member),
            invited_by: r.invited_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Team {
    pub name: String,
    pub description: String,
    pub members: i64,
    pub repositories: i64,
}

impl From<store::orgs::TeamRow> for Team {
    fn from(r: store::orgs::TeamRow) -> Self {
        Team {
            name: r.name,
            description: r.description,
            members: r.members,
            repositories: r.repositories,
        }
    }
}

/// A team with its members and its repositories' permissions.
#[derive(Clone, Debug)]
pub struct TeamDetail {
    pub team: Team,
    pub members: Vec<String>,
    pub repositories: Vec<(String, TeamPermission)>,
}

/// The organization `name` as `viewer` sees it; `NotFound` for a person's namespace or nothing.
pub async fn open(hub: &Hub, viewer: Option<&User>, name: &str) -> Result<Org, OrgError> {
    let account = store::users::by_username(hub.db.pool(), name)
        .await?
        .map(User::from)
        .filter(|a| a.is_org)
        .ok_or(OrgError::NotFound)?;
    let role = match viewer {
        Some(v) => access::org_role(hub, account.id, v).await?,
        None => None,
    };
    Ok(Org { account, role })
}

/// The organization `name`, for a change that needs `at_least` the role given.
async fn open_as(hub: &Hub, user: &User, name: &str, at_least: OrgRole) -> Result<Org, OrgError> {
    let org = open(hub, Some(user), name.trim()).await?;
    org.require(at_least)?;
    Ok(org)
}

/// Creates an organization; its creator becomes its owner. The name follows the Berth ID rules
/// and shares their one name space. Its private-repository quota starts at the free plan's.
pub async fn create(
    hub: &Hub,
    user: &User,
    name: &str,
    display_name: &str,
    email: &str,
) -> Result<Org, OrgError> {
    if !user.confirmed {
        return Err(OrgError::Unconfirmed);
    }
    let name = name.trim().to_lowercase();
    let display_name = display_name.trim();
    let email = email.trim();
    let mut errors = FieldErrors::default();
    if errors.check(
        "name",
        validate::namespace_name(&name, validate::NameOf::Organization),
    ) {
        let taken = store::users::username_taken(hub.db.pool(), &name).await?;
        errors.check(
            "name",
            if taken {
                Err(format!("The name “{name}” is already taken."))
            } else {
                Ok(())
            },
        );
    }
    errors.check("display_name", at_most(display_name, DISPLAY_NAME_MAX));
    errors.check("email", validate::email(email));
    if !errors.0.is_empty() {
        return Err(OrgError::Invalid(errors));
    }
    let owned = store::orgs::of_user(hub.db.pool(), user.id)
        .await?
        .iter()
        .filter(|(_, role)| role == OrgRole::Owner.as_str())
        .count();
    if owned >= OWNED_MAX {
        return Err(field(
            "name",
            format!("You own {owned} organizations, the most one person may."),
        ));
    }
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let inserted = store::orgs::insert(
        &mut *tx,
        store::orgs::NewOrg {
            name: &name,
            display_name,
            email,
            private_repo_limit: 1,
            created_at: now,
        },
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(field(
                "name",
                format!("The name “{name}” is already taken."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    store::orgs::add_member(&mut *tx, id, user.id, OrgRole::Owner.as_str(), now).await?;
    tx.commit().await?;
    tracing::info!(org = %name, owner = %user.username, "organization created");
    open(hub, Some(user), &name).await
}

/// The organizations `user` belongs to, by name, with their role.
pub async fn of_user(hub: &Hub, user: &User) -> Result<Vec<Org>, OrgError> {
    Ok(store::orgs::of_user(hub.db.pool(), user.id)
        .await?
        .into_iter()
        .map(|(row, role)| Org {
            account: User::from(row),
            role: OrgRole::parse(&role),
        })
        .collect())
}

/// The members of an organization, for its members (and site administrators).
pub async fn members(hub: &Hub, viewer: &User, org: &Org) -> Result<Vec<Member>, OrgError> {
    if org.role.is_none() && !viewer.is_admin {
        return Err(OrgError::NotFound);
    }
    Ok(store::orgs::members(hub.db.pool(), org.account.id)
        .await?
        .into_iter()
        .map(|m| Member {
            username: m.username,
            role: OrgRole::parse(&m.role).unwrap_or(OrgRole::Member),
            joined_at: m.joined_at,
        })
        .collect())
}

/// Pending invitations of an organization, for its owners.
pub async fn invitations(hub: &Hub, org: &Org) -> Result<Vec<Invitation>, OrgError> {
    org.require(OrgRole::Owner)?;
    Ok(
        store::orgs::invitations_of_org(hub.db.pool(), org.account.id, clock::now())
            .await?
            .into_iter()
            .map(Invitation::from)
            .collect(),
    )
}

/// Invites someone, by Berth ID or email address, to join with `role`: a mail with a link that
/// works once within [`INVITATION_TTL`]. Inviting the same address again replaces the
/// invitation (the older link stops working).
pub async fn invite(
    hub: &Hub,
    user: &User,
    org_name: &str,
    who: &str,
    role: &str,
) -> Result<Invitation, OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let who = who.trim();
    if who.is_empty() {
        return Err(field("who", "Enter a Berth ID or an email address."));
    }
    let role = OrgRole::parse(role.trim())
        .ok_or_else(|| field("role", "Choose member, editor or owner."))?;
    // The invitee's account when invited by Berth ID, and the address the mail goes to. An
    // invitation by address names no account (whose address it is stays private); it is for
    // whoever follows the mailed link, and is listed for the account with that confirmed
    // address.
    let (invitee, email) = if who.contains('@') {
        validate::email(who).map_err(|e| field("who", e))?;
        if let Some(account) = store::users::by_email(hub.db.pool(), who).await? {
            if store::orgs::member_role(hub.db.pool(), org.account.id, account.id)
                .await?
                .is_some()
            {
                return Err(field("who", "This address is already a member's."));
            }
        }
        (None, who.to_string())
    } else {
        let account = accounts::user_by_name(hub, &who.to_lowercase())
            .await?
            .filter(|u| !u.is_org)
            .ok_or_else(|| field("who", format!("No account has the Berth ID “{who}”.")))?;
        let email = account.email.clone();
        (Some(account), email)
    };
    if let Some(invitee) = &invitee {
        if access::org_role(hub, org.account.id, invitee)
            .await?
            .is_some()
        {
            return Err(field(
                "who",
                format!("{} is already a member.", invitee.username),
            ));
        }
    }
    let now = clock::now();
    let pending = store::orgs::invitations_of_org(hub.db.pool(), org.account.id, now).await?;
    if pending.len() >= PENDING_INVITATIONS_MAX {
        return Err(field(
            "who",
            format!(
                "{} invitations are pending; revoke some before sending more.",
                pending.len()
            ),
        ));
    }
    // Each invitation is a mail: an organization sends a bounded number an hour.
    if let Err(limited) =
        crate::rate::hit(hub, crate::rate::INVITATIONS_PER_ORG, org.name()).await?
    {
        return Err(field(
            "who",
            format!(
                "{} sent {} invitations in the last hour. Try again in {}.",
                org.name(),
                crate::rate::INVITATIONS_PER_ORG.max,
                clock::duration_words(limited.retry_after)
            ),
        ));
    }
    let (plain, hash) = tokens::generate();
    let mut tx = hub.db.begin_write().await?;
    let id = store::orgs::insert_invitation(
        &mut tx,
        store::orgs::NewInvitation {
            org_id: org.account.id,
            user_id: invitee.as_ref().map(|u| u.id),
            email: &email,
            role: role.as_str(),
            token_hash: &hash,
            invited_by: user.id,
            created_at: now,
            expires_at: now + INVITATION_TTL,
        },
    )
    .await?;
    let link = format!("{}/invitations/{plain}", hub.config.public_url);
    let mail = mails::invitation(
        invitee.as_ref().map(|u| u.username.as_str()),
        &user.username,
        org.name(),
        role.as_str(),
        &link,
    )
    .to(&email);
    jobs::enqueue(&mut *tx, &jobs::Job::Mail(mail)).await?;
    tx.commit().await?;
    hub.jobs.wake();
    if hub.mailer.is_outbox() {
        tracing::info!(org = %org.name(), %link, "invitation link (mail written to the outbox)");
    }
    tracing::info!(org = %org.name(), by = %user.username, role = role.as_str(), "invitation sent");
    let row = store::orgs::invitation_by_id(hub.db.pool(), id)
        .await?
        .ok_or(OrgError::InvitationInvalid)?;
    Ok(row.into())
}

/// The invitation behind a link, for its page.
pub async fn invitation(hub: &Hub, token: &str) -> Result<Invitation, OrgError> {
    let row = store::orgs::invitation_by_token(hub.db.pool(), &tokens::hash(token.trim()))
        .await?
        .ok_or(OrgError::InvitationInvalid)?;
    if row.expires_at <= clock::now() {
        return Err(OrgError::InvitationExpired(row.org_name));
    }
    Ok(row.into())
}

/// Accepts or declines the invitation behind a link, as `user`. An invitation to a Berth ID is
/// for that account only; one to an address is for whoever holds the link the mail carried.
pub async fn respond(
    hub: &Hub,
    user: &User,
    token: &str,
    accept: bool,
) -> Result<String, OrgError> {
    let invitation = invitation(hub, token).await?;
    respond_to(hub, user, invitation, accept).await
}

/// Accepts or declines an invitation listed on `user`'s dashboard (addressed to their Berth ID
/// or to their confirmed address).
pub async fn respond_by_id(
    hub: &Hub,
    user: &User,
    id: i64,
    accept: bool,
) -> Result<String, OrgError> {
    let listed = invitations_for(hub, user).await?;
    let invitation = listed
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(OrgError::InvitationInvalid)?;
    respond_to(hub, user, invitation, accept).await
}

async fn respond_to(
    hub: &Hub,
    user: &User,
    invitation: Invitation,
    accept: bool,
) -> Result<String, OrgError> {
    if invitation
        .invitee
        .as_deref()
        .is_some_and(|name| name != user.username)
    {
        return Err(OrgError::Denied(format!(
            "This invitation is for another Berth ID. Log out and log in as the account it was \
             sent to ({}).",
            accounts::mask_email(&invitation.email)
        )));
    }
    if accept && !user.confirmed {
        return Err(OrgError::Unconfirmed);
    }
    let org = store::users::by_username(hub.db.pool(), &invitation.org)
        .await?
        .ok_or(OrgError::InvitationInvalid)?;
    let mut tx = hub.db.begin_write().await?;
    // Deleting first makes the link single-use even when two answers race.
    if !store::orgs::delete_invitation(&mut *tx, invitation.id).await? {
        return Err(OrgError::InvitationInvalid);
    }
    if accept {
        store::orgs::add_member(
            &mut *tx,
            org.id,
            user.id,
            invitation.role.as_str(),
            clock::now(),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(org = %invitation.org, user = %user.username, accept, "invitation answered");
    Ok(invitation.org)
}

/// Pending invitations addressed to `user`: to their Berth ID, or to their address once it is
/// confirmed.
pub async fn invitations_for(hub: &Hub, user: &User) -> Result<Vec<Invitation>, OrgError> {
    let email = if user.confirmed {
        user.email.as_str()
    } else {
        ""
    };
    Ok(
        store::orgs::invitations_for_user(hub.db.pool(), user.id, email, clock::now())
            .await?
            .into_iter()
            .map(Invitation::from)
            .collect(),
    )
}

pub async fn revoke_invitation(
    hub: &Hub,
    user: &User,
    org_name: &str,
    id: i64,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let row = store::orgs::invitation_by_id(hub.db.pool(), id)
        .await?
        .filter(|r| r.org_id == org.account.id)
        .ok_or(OrgError::InvitationInvalid)?;
    store::orgs::delete_invitation(hub.db.pool(), row.id).await?;
    Ok(())
}

/// Changes a member's role. The last owner stays an owner.
pub async fn set_role(
    hub: &Hub,
    user: &User,
    org_name: &str,
    member: &str,
    role: &str,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let role = OrgRole::parse(role.trim())
        .ok_or_else(|| field("role", "Choose member, editor or owner."))?;
    let target = member_account(hub, &org, member).await?;
    let mut tx = hub.db.begin_write().await?;
    store::users::lock(&mut *tx, hub.db.kind(), org.account.id).await?;
    let current = store::orgs::member_role(&mut *tx, org.account.id, target.id)
        .await?
        .as_deref()
        .and_then(OrgRole::parse)
        .ok_or(OrgError::NotFound)?;
    if current == OrgRole::Owner
        && role != OrgRole::Owner
        && store::orgs::count_owners(&mut *tx, org.account.id).await? <= 1
    {
        return Err(last_owner(&org));
    }
    store::orgs::set_member_role(&mut *tx, org.account.id, target.id, role.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

fn last_owner(org: &Org) -> OrgError {
    OrgError::Denied(format!(
        "{} needs an owner: make another member an owner first (or delete the organization).",
        org.name()
    ))
}

async fn member_account(hub: &Hub, org: &Org, member: &str) -> Result<User, OrgError> {
    let account = accounts::user_by_name(hub, &member.trim().to_lowercase())
        .await?
        .filter(|u| !u.is_org)
        .ok_or_else(|| OrgError::Denied(format!("{} is not a member.", member.trim())))?;
    if access::org_role(hub, org.account.id, &account)
        .await?
        .is_none()
    {
        return Err(OrgError::Denied(format!(
            "{} is not a member.",
            account.username
        )));
    }
    Ok(account)
}

/// Removes a member (owners), or lets a member leave. Their access ends with the next request,
/// whatever registry token they hold. The last owner can neither leave nor be removed.
pub async fn remove_member(
    hub: &Hub,
    user: &User,
    org_name: &str,
    member: &str,
) -> Result<(), OrgError> {
    let leaving = member.trim().eq_ignore_ascii_case(&user.username);
    let org = open_as(
        hub,
        user,
        org_name,
        if leaving {
            OrgRole::Member
        } else {
            OrgRole::Owner
        },
    )
    .await?;
    let target = member_account(hub, &org, member).await?;
    let mut tx = hub.db.begin_write().await?;
    store::users::lock(&mut *tx, hub.db.kind(), org.account.id).await?;
    let role = store::orgs::member_role(&mut *tx, org.account.id, target.id).await?;
    if role.as_deref() == Some(OrgRole::Owner.as_str())
        && store::orgs::count_owners(&mut *tx, org.account.id).await? <= 1
    {
        return Err(last_owner(&org));
    }
    store::orgs::remove_member(&mut tx, org.account.id, target.id).await?;
    tx.commit().await?;
    tracing::info!(org = %org.name(), member = %target.username, by = %user.username, "member removed");
    Ok(())
}

/// Whether `user` is the only owner of some organization (their account cannot be deleted
/// before it has another owner or is deleted). Asked inside the transaction that deletes the
/// account: each organization they own is locked first (in id order, as every change of an
/// organization's owners locks it), so two owners deleting their accounts at once, or one
/// leaving while the other deletes, cannot both succeed.
pub(crate) async fn sole_owner_locked(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    kind: crate::db::DbKind,
    user: &User,
) -> Result<Option<String>, CoreError> {
    let mut owned: Vec<(i64, String)> = store::orgs::of_user(&mut **tx, user.id)
        .await?
        .into_iter()
        .filter(|(_, role)| role == OrgRole::Owner.as_str())
        .map(|(org, _)| (org.id, org.username))
        .collect();
    owned.sort();
    for (id, name) in owned {
        store::users::lock(&mut **tx, kind, id).await?;
        if store::orgs::count_owners(&mut **tx, id).await? <= 1 {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Changes the display name and the notice address.
pub async fn update(
    hub: &Hub,
    user: &User,
    org_name: &str,
    display_name: &str,
    email: &str,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let (display_name, email) = (display_name.trim(), email.trim());
    let mut errors = FieldErrors::default();
    errors.check("display_name", at_most(display_name, DISPLAY_NAME_MAX));
    errors.check("email", validate::email(email));
    if !errors.0.is_empty() {
        return Err(OrgError::Invalid(errors));
    }
    store::orgs::set_profile(hub.db.pool(), org.account.id, display_name, email).await?;
    Ok(())
}

/// Deletes the organization with its repositories, teams and invitations, once `confirm`
/// repeats its name; the name stays retired.
pub async fn delete(hub: &Hub, user: &User, org_name: &str, confirm: &str) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    if confirm.trim() != org.name() {
        return Err(field("confirm", format!("Type {} to confirm.", org.name())));
    }
    repositories::discard_uploads_of_owner(hub, &org.account).await?;
    // Repositories, members, teams and invitations cascade. The name is retired like a deleted
    // person's: nobody else can take it and publish images under names people pulled from it.
    let mut tx = hub.db.begin_write().await?;
    store::users::delete(&mut tx, org.account.id, org.name(), clock::now()).await?;
    tx.commit().await?;
    tracing::info!(org = %org.name(), by = %user.username, "organization deleted");
    Ok(())
}

// Teams.

/// The teams of an organization, for its members.
pub async fn teams(hub: &Hub, viewer: &User, org: &Org) -> Result<Vec<Team>, OrgError> {
    if org.role.is_none() && !viewer.is_admin {
        return Err(OrgError::NotFound);
    }
    Ok(
        store::orgs::teams_seen_by(hub.db.pool(), org.account.id, viewer.id, viewer.is_admin)
            .await?
            .into_iter()
            .map(Team::from)
            .collect(),
    )
}

async fn team_row(hub: &Hub, org: &Org, team: &str) -> Result<store::orgs::TeamRow, OrgError> {
    store::orgs::team_by_name(hub.db.pool(), org.account.id, team.trim())
        .await?
        .ok_or(OrgError::NotFound)
}

/// A team with its members and permissions, for members of its organization.
pub async fn team(hub: &Hub, viewer: &User, org: &Org, team: &str) -> Result<TeamDetail, OrgError> {
    if org.role.is_none() && !viewer.is_admin {
        return Err(OrgError::NotFound);
    }
    let row = team_row(hub, org, team).await?;
    let members = store::orgs::team_members(hub.db.pool(), row.id).await?;
    // Only what the viewer may see: a member who is in no team with a private repository does
    // not learn its name here either.
    let repositories: Vec<(String, TeamPermission)> =
        store::orgs::team_repositories(hub.db.pool(), row.id, viewer.id, viewer.is_admin)
            .await?
            .into_iter()
            .filter_map(|(name, p)| TeamPermission::from_level(p).map(|p| (name, p)))
            .collect();
    let mut team: Team = row.into();
    team.repositories = repositories.len() as i64;
    Ok(TeamDetail {
        team,
        members,
        repositories,
    })
}

/// A team's name: 2 to [`TEAM_NAME_MAX`] lowercase letters and digits, with single `-`, `_` or
/// `.` between them.
fn team_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(2..=TEAM_NAME_MAX).contains(&len) {
        return Err(format!(
            "Use 2 to {TEAM_NAME_MAX} characters for a team name (this has {len})."
        ));
    }
    if !crate::registry::names::is_path_component(name) {
        return Err(
            "Use lowercase letters and digits, with '-', '_' or '.' between them (not at the start or end, and not two in a row)."
                .into(),
        );
    }
    Ok(())
}

pub async fn create_team(
    hub: &Hub,
    user: &User,
    org_name: &str,
    name: &str,
    description: &str,
) -> Result<String, OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let name = name.trim().to_lowercase();
    let description = description.trim();
    let mut errors = FieldErrors::default();
    errors.check("name", team_name(&name));
    errors.check("description", at_most(description, TEAM_DESCRIPTION_MAX));
    if !errors.0.is_empty() {
        return Err(OrgError::Invalid(errors));
    }
    if store::orgs::teams_of(hub.db.pool(), org.account.id)
        .await?
        .len()
        >= TEAMS_MAX
    {
        return Err(field(
            "name",
            format!(
                "{} has {TEAMS_MAX} teams, the most an organization may.",
                org.name()
            ),
        ));
    }
    match store::orgs::insert_team(
        hub.db.pool(),
        org.account.id,
        &name,
        description,
        clock::now(),
    )
    .await
    {
        Ok(_) => Ok(name),
        Err(e) if is_unique_violation(&e) => Err(field(
            "name",
            format!("{} already has a team {name}.", org.name()),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_team(
    hub: &Hub,
    user: &User,
    org_name: &str,
    team: &str,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let row = team_row(hub, &org, team).await?;
    store::orgs::delete_team(hub.db.pool(), row.id).await?;
    Ok(())
}

/// Adds a member of the organization to one of its teams.
pub async fn add_team_member(
    hub: &Hub,
    user: &User,
    org_name: &str,
    team: &str,
    member: &str,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let row = team_row(hub, &org, team).await?;
    let account = member_account(hub, &org, member).await.map_err(|_| {
        field(
            "username",
            format!(
                "{} is not a member of {}: invite them first.",
                member.trim(),
                org.name()
            ),
        )
    })?;
    if !store::orgs::add_team_member(hub.db.pool(), row.id, account.id).await? {
        return Err(field(
            "username",
            format!("{} is already in {}.", account.username, row.name),
        ));
    }
    Ok(())
}

pub async fn remove_team_member(
    hub: &Hub,
    user: &User,
    org_name: &str,
    team: &str,
    member: &str,
) -> Result<(), OrgError> {
    let org = open_as(hub, user, org_name, OrgRole::Owner).await?;
    let row = team_row(hub, &org, team).await?;
    let removed = match accounts::user_by_name(hub, &member.trim().to_lowercase()).await? {
        Some(account) => store::orgs::remove_team_member(hub.db.pool(), row.id, account.id).await?,
        None => false,
    };
    if !removed {
        return Err(OrgError::Denied(format!(
            "{} is not in {}.",
            member.trim(),
            row.name
        )));
    }
    Ok(())
}

/// The teams of the organization owning `repo` with their permission on it, and the names of
/// all its teams (for the grant form); for those who may manage the repository.
pub async fn repository_teams(
    hub: &Hub,
    user: &User,
    repo: &Repository,
) -> Result<(Vec<(String, TeamPermission)>, Vec<String>), OrgError> {
    let subject = Subject::User(user.clone());
    if access::decide(hub, &subject, repo, Action::Administer)
        .await?
        .is_err()
    {
        return Err(OrgError::Denied(
            "Only those who manage this repository can see its teams.".into(),
        ));
    }
    let granted = store::orgs::repository_teams(hub.db.pool(), repo.id)
        .await?
        .into_iter()
        .filter_map(|(name, p)| TeamPermission::from_level(p).map(|p| (name, p)))
        .collect();
    let all = store::orgs::teams_of(hub.db.pool(), repo.owner_id)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    Ok((granted, all))
}

/// Gives a team `permission` (`read`, `write`, `admin`, or `none` to take it away) on a
/// repository of its organization. Who may manage the repository (owners, editors, admin
/// teams) may do this.
pub async fn set_team_permission(
    hub: &Hub,
    user: &User,
    full_name: &str,
    team: &str,
    permission: &str,
) -> Result<(), OrgError> {
    let (namespace, name) = full_name.split_once('/').ok_or(OrgError::NotFound)?;
    let (repo, _) = repositories::open(hub, Some(user), namespace, name).await?;
    let subject = Subject::User(user.clone());
    match access::decide(hub, &subject, &repo, Action::Administer).await? {
        Ok(_) => {}
        Err(Refusal::Denied(why)) => return Err(OrgError::Denied(why)),
        Err(_) => return Err(OrgError::NotFound),
    }
    let org = open(hub, Some(user), &repo.namespace)
        .await
        .map_err(|_| OrgError::Denied("Only repositories of an organization have teams.".into()))?;
    let level = match permission.trim() {
        "none" => 0,
        p => TeamPermission::parse(p)
            .ok_or_else(|| field("permission", "Choose read, write or admin."))?
            .level(),
    };
    let row = store::orgs::team_by_name(hub.db.pool(), org.account.id, team.trim())
        .await?
        .ok_or_else(|| {
            field(
                "team",
                format!("{} has no team {}.", org.name(), team.trim()),
            )
        })?;
    store::orgs::set_team_permission(hub.db.pool(), row.id, repo.id, level).await?;
    tracing::info!(repository = %repo.full_name, team = %row.name, level, by = %user.username, "team permission set");
    Ok(())
}
