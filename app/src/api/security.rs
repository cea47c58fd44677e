//! Server functions of the Security page (`/settings/security`) and of the email-change link.

use leptos::prelude::*;

use crate::{error::AppError, model::SecurityView};

#[cfg(feature = "ssr")]
use crate::ssr::*;

#[server(endpoint = "security/get")]
pub async fn get_security() -> Result<SecurityView, AppError> {
    use crate::model::{ActivityItem, TokenItem};
    use berth_core::{accounts::security, clock};
    let hub = hub()?;
    let user = require_user().await?;
    let now = clock::now();
    let overview = security::overview(&hub, &user)
        .await
        .map_err(|e| account_error(e, &[]))?;
    let tokens = overview
        .tokens
        .into_iter()
        .map(|t| TokenItem {
            id: t.id,
            usable: t.usable(now).is_ok(),
            description: t.description,
            level: t.level.label().to_string(),
            limits: if t.limits.is_empty() {
                "all repositories".into()
            } else {
                t.limits.join(", ")
            },
            created: clock::format_date(t.created_at),
            expires: match t.expires_at {
                None => "never".into(),
                Some(at) if at <= now => format!("{} (expired)", clock::format_date(at)),
                Some(at) => clock::format_date(at),
            },
            last_used: t.last_used_at.map(|at| {
                let mut s = clock::ago(at, now);
                if let Some(ip) = &t.last_used_ip {
                    s.push_str(&format!(" from {ip}"));
                }
                if let Some(agent) = t.last_used_agent.as_deref().filter(|a| !a.is_empty()) {
                    s.push_str(&format!(" with {}", crate::format::client(agent)));
                }
                s
            }),
            active: t.active,
        })
        .collect();
    let shown = take_shown_once().await?;
    let activity = overview
        .activity
        .into_iter()
        .map(|e| ActivityItem {
            at: clock::format_time(e.at),
            ago: clock::ago(e.at, now),
            what: e.kind.label().to_string(),
            detail: e.detail,
            ip: e.ip.unwrap_or_default(),
        })
        .collect();
    Ok(SecurityView {
        recovery_codes_left: overview.recovery_codes_left,
        registry_host: hub.config.registry_host(),
        username: user.username.clone(),
        email: user.email.clone(),
        tokens,
        new_token: shown.token,
        two_factor: user.two_factor,
        new_recovery_codes: shown.recovery_codes,
        setup: overview.setup.map(|s| (s.secret, s.qr_svg)),
        activity,
    })
}

#[server(endpoint = "security/tokens/create")]
pub async fn create_token(
    description: String,
    level: String,
    expiry: String,
    expiry_date: Option<String>,
    limits: Option<String>,
) -> Result<(), AppError> {
    use berth_core::accounts::access_tokens::{self, NewToken};
    let user = require_user().await?;
    let expiry_date = expiry_date.unwrap_or_default();
    let limits = limits.unwrap_or_default();
    let values = [
        ("description", description.as_str()),
        ("level", level.as_str()),
        ("expiry", expiry.as_str()),
        ("expiry_date", expiry_date.as_str()),
        ("limits", limits.as_str()),
    ];
    let (token, secret) = access_tokens::create(
        &hub()?,
        &user,
        NewToken {
            description: &description,
            level: &level,
            expiry: &expiry,
            expiry_date: &expiry_date,
            limits: &limits,
        },
        &origin(),
    )
    .await
    .map_err(|e| account_error(e, &values))?;
    show_once(ShownOnce {
        token: Some((token.description, secret)),
        ..Default::default()
    })
    .await?;
    leptos_axum::redirect("/settings/security#new-token");
    Ok(())
}

/// Deactivates, reactivates or deletes one of the user's tokens.
#[server(endpoint = "security/tokens/change")]
pub async fn change_token(id: i64, change: String) -> Result<(), AppError> {
    use berth_core::accounts::access_tokens;
    let user = require_user().await?;
    let hub = hub()?;
    let origin = origin();
    let done = match change.as_str() {
        "deactivate" => access_tokens::set_active(&hub, &user, id, false, &origin).await,
        "activate" => access_tokens::set_active(&hub, &user, id, true, &origin).await,
        "delete" => access_tokens::delete(&hub, &user, id, &origin).await,
        _ => {
            let error = AppError::NotFound;
            set_error_status(&error);
            return Err(error);
        }
    };
    done.map_err(|e| account_error(e, &[]))?;
    leptos_axum::redirect("/settings/security?saved=tokens#tokens");
    Ok(())
}

#[server(endpoint = "security/2fa/begin")]
pub async fn begin_two_factor() -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::accounts::security::begin_two_factor(&hub()?, &user)
        .await
        .map_err(|e| account_error(e, &[]))?;
    leptos_axum::redirect("/settings/security#two-factor");
    Ok(())
}

#[server(endpoint = "security/2fa/enable")]
pub async fn enable_two_factor(code: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let codes = berth_core::accounts::security::enable_two_factor(&hub()?, &user, &code, &origin())
        .await
        .map_err(|e| account_error(e, &[]))?;
    show_recovery_codes(codes, "2fa").await
}

/// Shows new recovery codes once, on the Security page's two-factor part.
#[cfg(feature = "ssr")]
async fn show_recovery_codes(codes: Vec<String>, saved: &str) -> Result<(), AppError> {
    show_once(ShownOnce {
        recovery_codes: codes,
        ..Default::default()
    })
    .await?;
    leptos_axum::redirect(&format!("/settings/security?saved={saved}#two-factor"));
    Ok(())
}

/// New recovery codes in place of the old ones (shown once, like the first ones).
#[server(endpoint = "security/2fa/recovery-codes")]
pub async fn renew_recovery_codes(password: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let codes =
        berth_core::accounts::security::renew_recovery_codes(&hub()?, &user, &password, &origin())
            .await
            .map_err(|e| account_error(e, &[]))?;
    show_recovery_codes(codes, "recovery").await
}

#[server(endpoint = "security/2fa/disable")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::accounts::security::disable_two_factor(&hub()?, &user, &password, &origin())
        .await
        .map_err(|e| account_error(e, &[]))?;
    leptos_axum::redirect("/settings/security?saved=2fa-off#two-factor");
    Ok(())
}

/// Changes the password; this session goes on, every other one ends.
#[server(endpoint = "security/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let user = berth_core::accounts::security::change_password(
        &hub()?,
        &user,
        &current_password,
        &new_password,
        &origin(),
    )
    .await
    .map_err(|e| account_error(e, &[]))?;
    log_in(&user).await?;
    leptos_axum::redirect("/settings/security?saved=password#password");
    Ok(())
}

#[server(endpoint = "security/email")]
pub async fn change_email(email: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::accounts::security::request_email_change(&hub()?, &user, &email, &origin())
        .await
        .map_err(|e| account_error(e, &[("email", &email)]))?;
    leptos_axum::redirect("/settings/security?saved=email#email");
    Ok(())
}

#[server(endpoint = "security/delete-account")]
pub async fn delete_account(confirm: String) -> Result<(), AppError> {
    let user = require_user().await?;
    berth_core::accounts::security::delete_account(&hub()?, &user, &confirm)
        .await
        .map_err(|e| account_error(e, &[]))?;
    log_out().await?;
    leptos_axum::redirect("/?account_deleted=1");
    Ok(())
}

/// Whether this session waits for a second-factor code (the code page asks).
#[server(endpoint = "login-code/pending")]
pub async fn code_pending() -> Result<bool, AppError> {
    second_factor_pending().await
}
