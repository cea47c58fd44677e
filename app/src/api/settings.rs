//! Server functions of the account settings page and the administrators' plans page.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{AccountSettings, PlanList},
};

#[cfg(feature = "ssr")]
use crate::ssr::*;

#[server(endpoint = "settings/get")]
pub async fn get_account_settings() -> Result<AccountSettings, AppError> {
    let user = require_user().await?;
    let (private_used, private_limit) = berth_core::repositories::private_usage(&hub()?, &user)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    let (bytes, limit) = berth_core::lifecycle::namespace_usage(&hub()?, user.id)
        .await
        .map_err(internal)?;
    Ok(AccountSettings {
        storage_usage: super::lifecycle::usage_line(&user.username, bytes, limit),
        joined: berth_core::clock::format_date(user.created_at),
        default_private: user.default_private,
        private_usage: crate::format::private_usage(private_used, private_limit),
        username: user.username,
        email: user.email,
    })
}

/// The visibility of repositories created by `docker push`.
#[server(endpoint = "settings/default-visibility")]
pub async fn set_default_visibility(visibility: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let private = match visibility.as_str() {
        "public" => false,
        "private" => true,
        _ => {
            let error = field_refusal("visibility", "Choose public or private.", &[]);
            set_error_status(&error);
            return Err(error);
        }
    };
    berth_core::repositories::set_default_private(&hub()?, &user, private)
        .await
        .map_err(|e| repo_error(e, &[]))?;
    leptos_axum::redirect("/settings?saved=1");
    Ok(())
}

/// Accounts with their plans; to anyone but an administrator the page does not exist.
#[server(endpoint = "admin/plans")]
pub async fn get_plans(filter: Option<String>, page: Option<i64>) -> Result<PlanList, AppError> {
    use berth_core::clock;
    let user = require_user().await?;
    let filter = filter.unwrap_or_default();
    let found = berth_core::repositories::plans_page(&hub()?, &user, &filter, page.unwrap_or(1))
        .await
        .map_err(|e| repo_error(e, &[]))?;
    Ok(PlanList {
        accounts: found
            .accounts
            .into_iter()
            .map(|a| crate::model::PlanItem {
                confirmed: a.email_confirmed_at.is_some(),
                is_admin: a.is_admin != 0,
                joined: clock::format_date(a.created_at),
                private_used: a.private_used,
                private_limit: a.private_repo_limit,
                username: a.username,
                email: a.email,
            })
            .collect(),
        total: found.total,
        page: found.page,
        pages: found.pages,
        filter,
    })
}

#[server(endpoint = "admin/set-plan")]
pub async fn set_plan(
    username: String,
    private_repos: String,
    filter: String,
) -> Result<(), AppError> {
    let admin = require_user().await?;
    berth_core::repositories::set_plan_as_admin(&hub()?, &admin, &username, &private_repos)
        .await
        .map_err(|e| {
            repo_error(
                e,
                &[
                    ("username", &username),
                    ("private_repos", &private_repos),
                    ("filter", &filter),
                ],
            )
        })?;
    let mut to = format!("/admin/plans?saved={username}");
    if !filter.is_empty() {
        to.push_str("&q=");
        to.push_str(&crate::url::query_value(&filter));
    }
    leptos_axum::redirect(&to);
    Ok(())
}
