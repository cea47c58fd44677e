//! Server functions: thin wrappers that parse the form, call one domain function and answer.
//! Each has a fixed endpoint under `/api/`, so plain HTML forms post to stable URLs.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{LinkState, Profile, SessionUser},
};

#[cfg(feature = "ssr")]
use crate::ssr::*;

#[server(endpoint = "signup")]
pub async fn signup(username: String, email: String, password: String) -> Result<(), AppError> {
    use berth_core::accounts::{self, NewAccount};
    let input = NewAccount {
        username: &username,
        email: &email,
        password: &password,
    };
    let done = accounts::signup(&hub()?, input, &origin())
        .await
        .map_err(|e| account_error(e, &[("username", &username), ("email", &email)]))?;
    // Not logged in yet (the mailed link does that): the same answer whether or not the
    // address already had an account.
    remember_signup(&done).await?;
    leptos_axum::redirect("/welcome");
    Ok(())
}

/// The sign-up this browser just made (Berth ID, masked address), for the welcome page.
#[server(endpoint = "signup-notice")]
pub async fn signup_notice() -> Result<Option<(String, String)>, AppError> {
    recent_signup().await
}

/// Logs in; returns to `next` (a path of this site, see [`crate::model::return_path`]) or the
/// dashboard.
#[server(endpoint = "login")]
pub async fn login(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use berth_core::accounts::security::{self, LogIn};
    let next = next.as_deref().and_then(crate::model::return_path);
    let outcome = security::log_in(&hub()?, &login, &password, &origin())
        .await
        .map_err(|e| account_error(e, &[("login", &login)]))?;
    match outcome {
        LogIn::Done(user) => {
            log_in(&user).await?;
            leptos_axum::redirect(next.unwrap_or("/"));
        }
        LogIn::SecondFactor(user) => {
            begin_second_factor(&user).await?;
            leptos_axum::redirect(&match next {
                Some(n) => format!(
                    "/login/code?{}",
                    crate::model::login_href(n).trim_start_matches("/login?")
                ),
                None => "/login/code".into(),
            });
        }
    }
    Ok(())
}

/// The second step of a log-in with two-factor authentication: a code from the authenticator
/// app, or a recovery code.
#[server(endpoint = "login-code")]
pub async fn login_code(code: String, next: Option<String>) -> Result<(), AppError> {
    let next = next.as_deref().and_then(crate::model::return_path);
    let done = finish_second_factor(&code).await?;
    log_in(&done.user).await?;
    match done.recovery_codes_left {
        // Said on the dashboard, where it cannot be missed: make new ones before they run out.
        Some(left) => leptos_axum::redirect(&format!("/?recovery_left={left}")),
        None => leptos_axum::redirect(next.unwrap_or("/")),
    }
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    log_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "resend-confirmation")]
pub async fn resend_confirmation() -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::accounts::resend_confirmation(&hub()?, user.id, &origin())
        .await
        .map_err(|e| account_error(e, &[]))?;
    leptos_axum::redirect("/welcome?resent=1");
    Ok(())
}

#[server(endpoint = "forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    berth_core::accounts::request_password_reset(&hub()?, &email, &origin())
        .await
        .map_err(|e| account_error(e, &[("email", &email)]))?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(endpoint = "reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    berth_core::accounts::reset_password(&hub()?, &token, &password)
        .await
        .map_err(|e| account_error(e, &[]))?;
    // Every session ended with the reset, this one too: the user logs in with the new password.
    log_out().await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

#[server(endpoint = "reset-link")]
pub async fn reset_link_state(token: String) -> Result<LinkState, AppError> {
    match berth_core::accounts::check_reset_token(&hub()?, &token).await {
        Ok(()) => Ok(LinkState::Valid),
        Err(berth_core::accounts::AccountError::Internal(e)) => Err(failure(e)),
        Err(e) => Ok(LinkState::Invalid(e.to_string())),
    }
}

#[server(endpoint = "me")]
pub async fn get_session_user() -> Result<Option<SessionUser>, AppError> {
    let hub = hub()?;
    Ok(current_user()
        .await?
        .as_ref()
        .map(|u| session_user(&hub, u)))
}

#[server(endpoint = "profile")]
pub async fn get_profile(
    name: String,
    tab: Option<String>,
    team: Option<String>,
) -> Result<Profile, AppError> {
    let hub = hub()?;
    let user = berth_core::accounts::user_by_name(&hub, &name)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            set_error_status(&AppError::NotFound);
            AppError::NotFound
        })?;
    let me = current_user().await?;
    if user.is_org {
        let org = berth_core::orgs::open(&hub, me.as_ref(), &user.username)
            .await
            .map_err(|e| org_error(e, &[]))?;
        let view = orgs::org_view(&hub, me.as_ref(), org, tab, team).await?;
        return Ok(Profile {
            repositories: Vec::new(),
            starred: Vec::new(),
            joined: berth_core::clock::format_date(user.created_at),
            is_me: false,
            username: user.username,
            org: Some(view),
        });
    }
    let repositories = berth_core::repositories::public_of(&hub, &user)
        .await
        .map_err(|e| repo_error(e, &[]))?
        .iter()
        .map(repositories::summary)
        .collect();
    let starred = berth_core::discover::starred(&hub, me.as_ref(), &user)
        .await
        .map_err(internal)?
        .iter()
        .map(repositories::summary)
        .collect();
    Ok(Profile {
        repositories,
        starred,
        joined: berth_core::clock::format_date(user.created_at),
        is_me: me.is_some_and(|m| m.id == user.id),
        username: user.username,
        org: None,
    })
}
pub(crate) mod builds;
pub(crate) mod discover;
pub(crate) mod lifecycle;
pub(crate) mod orgs;
pub(crate) mod repositories;
pub(crate) mod security;
pub(crate) mod settings;
pub(crate) mod webhooks;
pub use builds::*;
pub use discover::*;
pub use lifecycle::*;
pub use orgs::*;
pub use repositories::*;
pub use security::*;
pub use settings::*;
pub use webhooks::*;
