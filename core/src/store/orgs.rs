//! Organizations (rows of `users` marked `is_org`), their members, invitations and teams, and the
//! names repositories had before a transfer.

use sqlx::{Any, Executor, FromRow};

use super::repositories::VISIBLE_TO_VIEWER;

use super::users::{UserRow, COLUMNS as USER_COLUMNS};

pub struct NewOrg<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub private_repo_limit: i64,
    pub created_at: i64,
}

/// Inserts the organization's account row: no password (nothing verifies against an empty
/// hash), and a login address no typed address can equal, so it can never log in.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    o: NewOrg<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (username, email, email_lower, password_hash, email_confirmed_at,
                            is_admin, created_at, private_repo_limit, is_org, display_name)
         VALUES ($1, $2, $3, '', $4, 0, $4, $5, 1, $6) RETURNING id",
    )
    .bind(o.name)
    .bind(o.email)
    .bind(format!("org:{}", o.name))
    .bind(o.created_at)
    .bind(o.private_repo_limit)
    .bind(o.display_name)
    .fetch_one(ex)
    .await
}

pub async fn set_profile<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    display_name: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET display_name = $1, email = $2 WHERE id = $3 AND is_org = 1")
        .bind(display_name)
        .bind(email)
        .bind(org_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Adds a member; false if they already were one.
pub async fn add_member<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    user_id: i64,
    role: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role)
    .bind(at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn member_role<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

pub async fn set_member_role<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE org_members SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role)
        .bind(org_id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a member and their places in the organization's teams; false if they were none.
pub async fn remove_member(
    tx: &mut sqlx::Transaction<'static, Any>,
    org_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "DELETE FROM team_members WHERE user_id = $1
         AND team_id IN (SELECT id FROM teams WHERE org_id = $2)",
    )
    .bind(user_id)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    // What they invited others to goes with them: an invitation must not bring someone in on
    // the word of a member the organization no longer has.
    sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND invited_by = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn count_owners<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id)
        .fetch_one(ex)
        .await
}

#[derive(Clone, Debug, FromRow)]
pub struct MemberRow {
    pub username: String,
    pub role: String,
    pub joined_at: i64,
}

pub async fn members<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.username, m.role, m.joined_at FROM org_members m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 ORDER BY u.username",
    )
    .bind(org_id)
    .fetch_all(ex)
    .await
}

/// The organizations `user_id` belongs to, by name, with their role in each.
pub async fn of_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
) -> Result<Vec<(UserRow, String)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        org: UserRow,
        member_role: String,
    }
    let cols = USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {cols}, m.role AS member_role FROM org_members m JOIN users u ON u.id = m.org_id
         WHERE m.user_id = $1 ORDER BY u.username"
    ))
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|r| (r.org, r.member_role)).collect())
}

/// What `user_id` is to repository `repository_id` of owner `owner_id` beyond owning it: their
/// role in the owning organization (if it is one), the highest permission their teams have on
/// the repository (0 for none), and whether they collaborate on it. One query, asked by every
/// access decision.
pub async fn standing<'c>(
    ex: impl Executor<'c, Database = Any>,
    owner_id: i64,
    repository_id: i64,
    user_id: i64,
) -> Result<(Option<String>, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT role FROM org_members WHERE org_id = $1 AND user_id = $3),
                CAST(COALESCE((SELECT MAX(tr.permission) FROM team_repositories tr
                      JOIN team_members tm ON tm.team_id = tr.team_id
                      WHERE tr.repository_id = $2 AND tm.user_id = $3), 0) AS BIGINT),
                (SELECT COUNT(*) FROM collaborators WHERE repository_id = $2 AND user_id = $3)",
    )
    .bind(owner_id)
    .bind(repository_id)
    .bind(user_id)
    .fetch_one(ex)
    .await
}

// Invitations.

pub struct NewInvitation<'a> {
    pub org_id: i64,
    pub user_id: Option<i64>,
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Inserts an invitation, replacing a pending one to the same address (the older link stops
/// working).
pub async fn insert_invitation(
    tx: &mut sqlx::Transaction<'static, Any>,
    i: NewInvitation<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND LOWER(email) = LOWER($2)")
        .bind(i.org_id)
        .bind(i.email)
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar(
        "INSERT INTO org_invitations (org_id, user_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(i.org_id)
    .bind(i.user_id)
    .bind(i.email)
    .bind(i.role)
    .bind(i.token_hash)
    .bind(i.invited_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub user_id: Option<i64>,
    pub invitee: Option<String>,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

const INVITATION_SELECT: &str = "SELECT i.id, i.org_id, o.username AS org_name, i.user_id,
        u.username AS invitee, i.email, i.role, b.username AS invited_by, i.created_at, i.expires_at
    FROM org_invitations i JOIN users o ON o.id = i.org_id
    LEFT JOIN users u ON u.id = i.user_id LEFT JOIN users b ON b.id = i.invited_by";

pub async fn invitation_by_token<'c>(
    ex: impl Executor<'c, Database = Any>,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(ex)
        .await
}

pub async fn invitation_by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Pending (unexpired) invitations of an organization, newest first.
pub async fn invitations_of_org<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    now: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{INVITATION_SELECT} WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC"
    ))
    .bind(org_id)
    .bind(now)
    .fetch_all(ex)
    .await
}

/// Pending invitations addressed to an account (by Berth ID, or to its address).
pub async fn invitations_for_user<'c>(
    ex: impl Executor<'c, Database = Any>,
    user_id: i64,
    email: &str,
    now: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{INVITATION_SELECT} WHERE (i.user_id = $1 OR LOWER(i.email) = LOWER($2)) AND i.expires_at > $3
         ORDER BY i.created_at DESC, i.id DESC"
    ))
    .bind(user_id)
    .bind(email)
    .bind(now)
    .fetch_all(ex)
    .await
}

/// Deletes an invitation; false if it was already gone (used, declined or revoked).
pub async fn delete_invitation<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM org_invitations WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

// Teams.

#[derive(Clone, Debug, FromRow)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: i64,
    pub repositories: i64,
}

const TEAM_SELECT: &str = "SELECT t.id, t.name, t.description,
        (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id) AS members,
        (SELECT COUNT(*) FROM team_repositories tr WHERE tr.team_id = t.id) AS repositories
    FROM teams t";

pub async fn insert_team<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    name: &str,
    description: &str,
    at: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO teams (org_id, name, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(description)
    .bind(at)
    .fetch_one(ex)
    .await
}

pub async fn teams_of<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
) -> Result<Vec<TeamRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{TEAM_SELECT} WHERE t.org_id = $1 ORDER BY t.name"
    ))
    .bind(org_id)
    .fetch_all(ex)
    .await
}

pub async fn team_by_name<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    name: &str,
) -> Result<Option<TeamRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{TEAM_SELECT} WHERE t.org_id = $1 AND t.name = $2"
    ))
    .bind(org_id)
    .bind(name)
    .fetch_optional(ex)
    .await
}

pub async fn delete_team<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM teams WHERE id = $1")
        .bind(team_id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn add_team_member<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)
         ON CONFLICT (team_id, user_id) DO NOTHING",
    )
    .bind(team_id)
    .bind(user_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove_team_member<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn team_members<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.username FROM team_members tm JOIN users u ON u.id = tm.user_id
         WHERE tm.team_id = $1 ORDER BY u.username",
    )
    .bind(team_id)
    .fetch_all(ex)
    .await
}

/// The repositories a team has a permission on: (repository name, permission), by name.
/// A team's repositories that the viewer may see, with the team's permission on each.
pub async fn team_repositories<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
    viewer_id: i64,
    viewer_is_admin: bool,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT r.name, tp.permission FROM team_repositories tp
         JOIN repositories r ON r.id = tp.repository_id
         WHERE tp.team_id = $3 AND {VISIBLE_TO_VIEWER} ORDER BY r.name"
    ))
    .bind(viewer_id)
    .bind(i64::from(viewer_is_admin))
    .bind(team_id)
    .fetch_all(ex)
    .await
}

/// The teams of an organization as a member sees them: the repository counts take only the
/// repositories the viewer may see.
pub async fn teams_seen_by<'c>(
    ex: impl Executor<'c, Database = Any>,
    org_id: i64,
    viewer_id: i64,
    viewer_is_admin: bool,
) -> Result<Vec<TeamRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT t.id, t.name, t.description,
            (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id) AS members,
            (SELECT COUNT(*) FROM team_repositories tp JOIN repositories r ON r.id = tp.repository_id
              WHERE tp.team_id = t.id AND {VISIBLE_TO_VIEWER}) AS repositories
         FROM teams t WHERE t.org_id = $3 ORDER BY t.name"
    ))
    .bind(viewer_id)
    .bind(i64::from(viewer_is_admin))
    .bind(org_id)
    .fetch_all(ex)
    .await
}

/// The teams with a permission on a repository: (team name, permission), by name.
pub async fn repository_teams<'c>(
    ex: impl Executor<'c, Database = Any>,
    repository_id: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.name, tr.permission FROM team_repositories tr JOIN teams t ON t.id = tr.team_id
         WHERE tr.repository_id = $1 ORDER BY t.name",
    )
    .bind(repository_id)
    .fetch_all(ex)
    .await
}

/// Sets a team's permission on a repository (0 removes it).
pub async fn set_team_permission<'c>(
    ex: impl Executor<'c, Database = Any>,
    team_id: i64,
    repository_id: i64,
    permission: i64,
) -> Result<(), sqlx::Error> {
    if permission == 0 {
        sqlx::query("DELETE FROM team_repositories WHERE team_id = $1 AND repository_id = $2")
            .bind(team_id)
            .bind(repository_id)
            .execute(ex)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO team_repositories (team_id, repository_id, permission) VALUES ($1, $2, $3)
             ON CONFLICT (team_id, repository_id) DO UPDATE SET permission = excluded.permission",
        )
        .bind(team_id)
        .bind(repository_id)
        .bind(permission)
        .execute(ex)
        .await?;
    }
    Ok(())
}

// Transfers.

/// Moves a repository to another namespace and owner. Grants that belonged to the old owner go:
/// collaborators (personal repositories only have them) and team permissions (teams belong to
/// an organization). The old name redirects to the repository; a redirect that held the new
/// name is dropped (the name is in use again).
pub async fn transfer(
    tx: &mut sqlx::Transaction<'static, Any>,
    repository_id: i64,
    old_full_name: &str,
    namespace: &str,
    name: &str,
    owner_id: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    let full = format!("{namespace}/{name}");
    sqlx::query(
        "UPDATE repositories SET namespace = $1, full_name = $2, owner_id = $3 WHERE id = $4",
    )
    .bind(namespace)
    .bind(&full)
    .bind(owner_id)
    .bind(repository_id)
    .execute(&mut **tx)
    .await?;
    for table in ["collaborators", "team_repositories"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE repository_id = $1"))
            .bind(repository_id)
            .execute(&mut **tx)
            .await?;
    }
    drop_redirect(&mut **tx, &full).await?;
    sqlx::query(
        "INSERT INTO repository_redirects (full_name, repository_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (full_name) DO UPDATE SET repository_id = excluded.repository_id, created_at = excluded.created_at",
    )
    .bind(old_full_name)
    .bind(repository_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The repository a former name now points to.
pub async fn redirect_target<'c>(
    ex: impl Executor<'c, Database = Any>,
    full_name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT repository_id FROM repository_redirects WHERE full_name = $1")
        .bind(full_name)
        .fetch_optional(ex)
        .await
}

pub async fn drop_redirect<'c>(
    ex: impl Executor<'c, Database = Any>,
    full_name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM repository_redirects WHERE full_name = $1")
        .bind(full_name)
        .execute(ex)
        .await?;
    Ok(())
}
