//! The activity log of an account, shown on its Security page: logins (with the address and
//! whether a second factor was used), failed logins, access tokens created, used, deactivated
//! and deleted, password and email changes, two-factor changes, pushes and deletions. Kept for
//! [`KEEP_DAYS`] days.

use crate::{clock, error::CoreError, hub::Hub, store};

pub const KEEP_DAYS: i64 = 90;
/// Entries shown on the Security page.
pub const SHOWN: i64 = 100;

/// Where a request came from, as recorded with what it did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub agent: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Login,
    LoginWithSecondFactor,
    LoginWithRecoveryCode,
    LoginFailed,
    TokenCreated,
    TokenUsed,
    TokenDeactivated,
    TokenReactivated,
    TokenDeleted,
    PasswordChanged,
    PasswordReset,
    EmailChangeRequested,
    EmailChanged,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRenewed,
    Pushed,
    Deleted,
}

impl Kind {
    const ALL: [Kind; 18] = [
        Kind::Login,
        Kind::LoginWithSecondFactor,
        Kind::LoginWithRecoveryCode,
        Kind::LoginFailed,
        Kind::TokenCreated,
        Kind::TokenUsed,
        Kind::TokenDeactivated,
        Kind::TokenReactivated,
        Kind::TokenDeleted,
        Kind::PasswordChanged,
        Kind::PasswordReset,
        Kind::EmailChangeRequested,
        Kind::EmailChanged,
        Kind::TwoFactorEnabled,
        Kind::TwoFactorDisabled,
        Kind::RecoveryCodesRenewed,
        Kind::Pushed,
        Kind::Deleted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::LoginWithSecondFactor => "login_2fa",
            Kind::LoginWithRecoveryCode => "login_recovery",
            Kind::LoginFailed => "login_failed",
            Kind::TokenCreated => "token_created",
            Kind::TokenUsed => "token_used",
            Kind::TokenDeactivated => "token_deactivated",
            Kind::TokenReactivated => "token_reactivated",
            Kind::TokenDeleted => "token_deleted",
            Kind::PasswordChanged => "password_changed",
            Kind::PasswordReset => "password_reset",
            Kind::EmailChangeRequested => "email_change_requested",
            Kind::EmailChanged => "email_changed",
            Kind::TwoFactorEnabled => "2fa_enabled",
            Kind::TwoFactorDisabled => "2fa_disabled",
            Kind::RecoveryCodesRenewed => "recovery_codes_renewed",
            Kind::Pushed => "pushed",
            Kind::Deleted => "deleted",
        }
    }

    /// How the Security page says it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Login => "Logged in",
            Kind::LoginWithSecondFactor => "Logged in with a two-factor code",
            Kind::LoginWithRecoveryCode => "Logged in with a recovery code",
            Kind::LoginFailed => "Failed login",
            Kind::TokenCreated => "Access token created",
            Kind::TokenUsed => "Access token used",
            Kind::TokenDeactivated => "Access token deactivated",
            Kind::TokenReactivated => "Access token reactivated",
            Kind::TokenDeleted => "Access token deleted",
            Kind::PasswordChanged => "Password changed",
            Kind::PasswordReset => "Password reset by mail",
            Kind::EmailChangeRequested => "Email change requested",
            Kind::EmailChanged => "Email address changed",
            Kind::TwoFactorEnabled => "Two-factor authentication turned on",
            Kind::TwoFactorDisabled => "Two-factor authentication turned off",
            Kind::RecoveryCodesRenewed => "New recovery codes made (the old ones stopped working)",
            Kind::Pushed => "Pushed",
            Kind::Deleted => "Deleted",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub kind: Kind,
    pub detail: String,
    pub ip: Option<String>,
}

pub async fn record(
    hub: &Hub,
    user_id: i64,
    kind: Kind,
    detail: &str,
    origin: &Origin,
) -> Result<(), CoreError> {
    store::activity::insert(
        hub.db.pool(),
        user_id,
        clock::now(),
        kind.name(),
        detail,
        origin.ip.as_deref(),
    )
    .await?;
    Ok(())
}

/// The newest entries of an account's log.
pub async fn recent(hub: &Hub, user_id: i64) -> Result<Vec<Entry>, CoreError> {
    Ok(store::activity::recent(hub.db.pool(), user_id, SHOWN)
        .await?
        .into_iter()
        .filter_map(|(at, kind, detail, ip)| {
            Some(Entry {
                at,
                kind: Kind::parse(&kind)?,
                detail,
                ip,
            })
        })
        .collect())
}

/// Whether the account logged in to the web from `ip` within the kept log ([`KEEP_DAYS`]).
pub async fn logged_in_from(hub: &Hub, user_id: i64, ip: &str) -> Result<bool, CoreError> {
    Ok(store::activity::logged_in_from(hub.db.pool(), user_id, ip).await?)
}

/// Forgets entries older than [`KEEP_DAYS`]; returns how many.
pub async fn prune(hub: &Hub) -> Result<u64, CoreError> {
    Ok(store::activity::prune(hub.db.pool(), clock::now() - KEEP_DAYS * clock::DAY).await?)
}
