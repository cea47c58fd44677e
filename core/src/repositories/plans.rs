//! Plans: how many private repositories an account may have, who may change that (operators on
//! the command line, administrators in the browser), and the account's default visibility for
//! repositories created by `docker push`.

use super::RepoError;
use crate::{accounts::User, hub::Hub, store};

/// Accounts per page of the administrators' plans page.
pub const ACCOUNTS_PER_PAGE: i64 = 50;

/// The largest private-repository limit one can set; beyond it a typo is more likely than intent.
const PRIVATE_REPOS_MAX: i64 = 100_000;

/// Private repositories used and allowed.
pub async fn private_usage(hub: &Hub, user: &User) -> Result<(i64, i64), RepoError> {
    let used = store::repositories::count_private(hub.db.pool(), user.id).await?;
    Ok((used, user.private_repo_limit))
}

/// Sets how many private repositories an account may have (the operator's command line).
/// Lowering it below what the account has keeps those repositories private; it only stops
/// new ones, as a downgraded plan does on Docker Hub.
pub async fn set_plan(hub: &Hub, username: &str, private_repos: i64) -> Result<(), RepoError> {
    if !(0..=PRIVATE_REPOS_MAX).contains(&private_repos) {
        return Err(RepoError::field(
            "private_repos",
            format!("Use a number from 0 to {PRIVATE_REPOS_MAX}."),
        ));
    }
    let user = crate::accounts::user_by_name(hub, username)
        .await?
        .ok_or_else(|| RepoError::field("username", format!("No account {username:?}.")))?;
    store::users::set_private_repo_limit(hub.db.pool(), user.id, private_repos).await?;
    tracing::info!(account = %username, private_repos, "plan changed");
    Ok(())
}

/// [`set_plan`] from the plans page: only administrators, with the number as typed.
pub async fn set_plan_as_admin(
    hub: &Hub,
    admin: &User,
    username: &str,
    private_repos: &str,
) -> Result<(), RepoError> {
    require_admin(admin)?;
    let n = private_repos.trim().parse::<i64>().map_err(|_| {
        RepoError::field(
            "private_repos",
            format!("Enter a whole number from 0 to {PRIVATE_REPOS_MAX}."),
        )
    })?;
    set_plan(hub, username, n).await
}

/// Whether repositories `user` creates by pushing start private.
pub async fn set_default_private(hub: &Hub, user: &User, private: bool) -> Result<(), RepoError> {
    store::users::set_default_private(hub.db.pool(), user.id, private).await?;
    Ok(())
}

/// One page of accounts with their plans, for administrators.
pub struct PlanPage {
    pub accounts: Vec<store::users::PlanRow>,
    /// Accounts matching the filter, on every page.
    pub total: i64,
    /// 1-based, clipped to the pages that exist.
    pub page: i64,
    pub pages: i64,
}

/// Accounts whose Berth ID or email contains `filter`, by Berth ID. To anyone but an
/// administrator the page does not exist.
pub async fn plans_page(
    hub: &Hub,
    admin: &User,
    filter: &str,
    page: i64,
) -> Result<PlanPage, RepoError> {
    require_admin(admin)?;
    let filter = filter.trim();
    let total = store::users::count_matching(hub.db.pool(), filter).await?;
    let (page, pages, offset) = super::page_window(total, page, ACCOUNTS_PER_PAGE);
    let accounts =
        store::users::plans_page(hub.db.pool(), filter, offset, ACCOUNTS_PER_PAGE).await?;
    Ok(PlanPage {
        accounts,
        total,
        page,
        pages,
    })
}

fn require_admin(user: &User) -> Result<(), RepoError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(RepoError::NotFound)
    }
}
