//! Accounts: sign-up, email confirmation, log-in, password reset.
//!
//! Callers pass raw form input; every rule is checked here, so the web form, the JSON API and the
//! command line cannot disagree.

pub mod access_tokens;
pub mod mails;
pub mod password;
pub mod security;
pub mod validate;

use crate::{
    clock::{self, DAY, HOUR, MINUTE},
    db::is_unique_violation,
    error::CoreError,
    hub::Hub,
    jobs,
    store::{self, users::UserRow},
    tokens,
};

pub const CONFIRM_PURPOSE: &str = "confirm_email";
pub const RESET_PURPOSE: &str = "password_reset";
pub const CONFIRM_TTL: i64 = DAY;
pub const RESET_TTL: i64 = HOUR;
/// Minimum time between two mails of one kind to one account.
pub const RESEND_INTERVAL: i64 = MINUTE;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub confirmed: bool,
    pub is_admin: bool,
    pub session_generation: i64,
    pub created_at: i64,
    /// How many private repositories the account's plan allows (the free plan: 1).
    pub private_repo_limit: i64,
    /// Whether repositories created by `docker push` start private.
    pub default_private: bool,
    /// Whether logging in needs a code from an authenticator app (TOTP).
    pub two_factor: bool,
    /// An organization: a namespace with members, never logged in to.
    pub is_org: bool,
    /// The organization's display name (empty for people).
    pub display_name: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            email: r.email,
            confirmed: r.email_confirmed_at.is_some(),
            is_admin: r.is_admin != 0,
            session_generation: r.session_generation,
            created_at: r.created_at,
            private_repo_limit: r.private_repo_limit,
            default_private: r.default_private != 0,
            two_factor: r.totp_secret.is_some(),
            is_org: r.is_org != 0,
            display_name: r.display_name,
        }
    }
}

/// Messages per form field, in field order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub(crate) fn check(&mut self, field: &'static str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => true,
            Err(msg) => {
                self.0.push((field, msg));
                false
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn into_result(self) -> Result<(), AccountError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AccountError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("Incorrect Berth ID, email or password.")]
    BadCredentials,
    #[error("This link is not valid. Check that you opened the whole link from the email.")]
    LinkInvalid,
    #[error("This link has expired.")]
    LinkExpired,
    #[error("This link has already been used.")]
    LinkUsed,
    #[error("Your email address is already confirmed.")]
    AlreadyConfirmed,
    #[error(
        "We sent you an email less than a minute ago. Please wait a moment before asking again."
    )]
    TooSoon,
    /// Too many password checks are waiting; the request was refused without doing one.
    #[error("Berth is busy checking passwords. Please try again in a moment.")]
    Busy,
    #[error("Too many attempts. Try again in {}.", crate::clock::duration_words(*retry_after))]
    TooManyAttempts { retry_after: i64 },
    #[error("This access token was deactivated.")]
    TokenInactive,
    #[error("This access token has expired.")]
    TokenExpired,
    #[error("There is no such access token.")]
    NoSuchToken,
    /// The registry refuses the account password once two-factor authentication is on.
    #[error("two-factor authentication is on for this account: use a personal access token as the password (Account settings → Security)")]
    TokenRequired,
    #[error("That code is not right. Enter the 6-digit code from your authenticator app, or one of your recovery codes.")]
    CodeInvalid,
    #[error("That recovery code was used already: each works once. Enter another one, or the code from your authenticator app.")]
    RecoveryCodeUsed,
    /// The second step of a log-in was not started or took too long.
    #[error("Log in again: the code has to be entered within five minutes.")]
    SecondFactorExpired,
    #[error(transparent)]
    Internal(CoreError),
}

impl From<CoreError> for AccountError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Busy => AccountError::Busy,
            other => AccountError::Internal(other),
        }
    }
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Internal(CoreError::Db(e))
    }
}

/// Input of a new account, as typed.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// What a sign-up answers: the same for a new address and for one that has an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedUp {
    pub username: String,
    /// The address as typed, masked (`a•••@example.com`).
    pub email_masked: String,
}

/// Sign-up from the web: creates an unconfirmed account and queues the confirmation mail.
/// An address that already has an account is answered exactly as a new one (the password is
/// hashed all the same) and its owner is mailed instead, so the form tells nobody which
/// addresses have accounts; Berth IDs are public and a taken one is said. Sign-ups from one
/// address are rate-limited ([`crate::rate::SIGNUPS_PER_ADDRESS`]).
pub async fn signup(
    hub: &Hub,
    input: NewAccount<'_>,
    origin: &crate::activity::Origin,
) -> Result<SignedUp, AccountError> {
    crate::rate::hit(
        hub,
        crate::rate::SIGNUPS_PER_ADDRESS,
        origin.ip.as_deref().unwrap_or("unknown"),
    )
    .await??;
    let answer = SignedUp {
        username: input.username.trim().to_string(),
        email_masked: mask_email(input.email.trim()),
    };
    let password = input.password;
    let email = input.email.trim();
    match register(hub, input, false, false).await {
        Ok(_) => Ok(answer),
        Err(AccountError::Invalid(mut errors))
            if errors.get("email") == Some(taken_email().as_str()) =>
        {
            errors.0.retain(|(f, _)| *f != "email");
            if !errors.0.is_empty() {
                return Err(AccountError::Invalid(errors));
            }
            // The work a new account costs, so the answer takes as long.
            hub.passwords.hash(password).await?;
            notify_owner_of_signup(hub, email).await?;
            Ok(answer)
        }
        Err(e) => Err(e),
    }
}

/// Mails the owner of `email` that someone tried to sign up with it.
async fn notify_owner_of_signup(hub: &Hub, email: &str) -> Result<(), AccountError> {
    let Some(owner) = store::users::by_email(hub.db.pool(), email).await? else {
        return Ok(());
    };
    let link = format!("{}/login", hub.config.public_url);
    let mail = mails::signup_attempt(&owner.username, &link).to(&owner.email);
    jobs::enqueue(hub.db.pool(), &jobs::Job::Mail(mail)).await?;
    hub.jobs.wake();
    tracing::info!(user = %owner.username, "sign-up attempted with an address that has an account; its owner was told");
    Ok(())
}

/// Creates an account (sign-up or operator command). Unconfirmed accounts get a confirmation mail
/// queued in the same transaction, so a failing mail server never loses a sign-up.
pub async fn register(
    hub: &Hub,
    input: NewAccount<'_>,
    confirmed: bool,
    admin: bool,
) -> Result<User, AccountError> {
    let username = input.username.trim();
    let email = input.email.trim();
    let mut errors = FieldErrors::default();
    let pool = hub.db.pool();
    if errors.check("username", validate::username(username))
        && store::users::username_taken(pool, username).await?
    {
        errors.0.push(("username", taken_username(username)));
    }
    if errors.check("email", validate::email(email))
        && store::users::email_taken(pool, email).await?
    {
        errors.0.push(("email", taken_email()));
    }
    errors.check("password", validate::password(input.password));
    errors.into_result()?;

    let hash = hub.passwords.hash(input.password).await?;
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let inserted = store::users::insert(
        &mut *tx,
        store::users::NewUser {
            username,
            email,
            password_hash: &hash,
            confirmed_at: confirmed.then_some(now),
            is_admin: admin,
            created_at: now,
        },
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        // A concurrent sign-up took the name or address between the check and the insert.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let mut errors = FieldErrors::default();
            if store::users::username_taken(pool, username).await? {
                errors.0.push(("username", taken_username(username)));
            } else {
                errors.0.push(("email", taken_email()));
            }
            return Err(AccountError::Invalid(errors));
        }
        Err(e) => return Err(e.into()),
    };
    if !confirmed {
        queue_confirmation(hub, &mut tx, id, username, email, now).await?;
    }
    tx.commit().await?;
    hub.jobs.wake();
    tracing::info!(user = username, confirmed, admin, "account created");
    let user = store::users::by_id(pool, id)
        .await?
        .ok_or(CoreError::Db(sqlx::Error::RowNotFound))?;
    Ok(user.into())
}

fn taken_username(name: &str) -> String {
    format!("The Berth ID “{name}” is already taken.")
}

fn taken_email() -> String {
    "An account with this email address already exists. Log in, or reset your password.".into()
}

async fn queue_confirmation(
    hub: &Hub,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    username: &str,
    email: &str,
    now: i64,
) -> Result<(), AccountError> {
    let (plain, hash) = tokens::generate();
    store::tokens::insert(
        &mut **tx,
        user_id,
        CONFIRM_PURPOSE,
        &hash,
        now,
        now + CONFIRM_TTL,
    )
    .await?;
    let link = format!("{}/confirm-email?token={plain}", hub.config.public_url);
    let mail = mails::confirmation(username, &link).to(email);
    jobs::enqueue(&mut **tx, &jobs::Job::Mail(mail)).await?;
    if hub.mailer.is_outbox() {
        tracing::info!(user = username, %link, "confirmation link (mail written to the outbox)");
    }
    Ok(())
}

/// Checks a log-in by Berth ID or email address. One error for every failure, so it tells
/// nothing about which accounts exist.
pub async fn authenticate(
    hub: &Hub,
    login: &str,
    password_typed: &str,
) -> Result<User, AccountError> {
    let login = login.trim();
    let row = if login.contains('@') {
        store::users::by_email(hub.db.pool(), login).await?
    } else {
        store::users::by_username(hub.db.pool(), &login.to_lowercase()).await?
    };
    // Organizations have no password: their names log in as unknown ones.
    let row = row.filter(|r| r.is_org == 0);
    // An unknown login is checked against a decoy: both answers take one verification.
    let stored = row.as_ref().map(|r| r.password_hash.as_str());
    let ok = hub.passwords.verify(password_typed, stored).await?;
    match row {
        Some(r) if ok => Ok(r.into()),
        _ => Err(AccountError::BadCredentials),
    }
}

/// Loads a still-valid token of this purpose and marks it used, in the given transaction.
async fn consume_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    purpose: &str,
    plain: &str,
    now: i64,
) -> Result<i64, AccountError> {
    let row = store::tokens::find(&mut **tx, purpose, &tokens::hash(plain.trim()))
        .await?
        .ok_or(AccountError::LinkInvalid)?;
    if row.used_at.is_some() {
        return Err(AccountError::LinkUsed);
    }
    if row.expires_at <= now {
        return Err(AccountError::LinkExpired);
    }
    if !store::tokens::consume(&mut **tx, row.id, now).await? {
        return Err(AccountError::LinkUsed);
    }
    Ok(row.user_id)
}

/// Confirms the address behind a confirmation link; the link and its siblings stop working.
/// The link also logs in (the activity log says so).
pub async fn confirm_email(
    hub: &Hub,
    token: &str,
    origin: &crate::activity::Origin,
) -> Result<User, AccountError> {
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let user_id = consume_token(&mut tx, CONFIRM_PURPOSE, token, now).await?;
    store::users::set_confirmed(&mut *tx, user_id, now).await?;
    store::tokens::consume_all(&mut *tx, user_id, CONFIRM_PURPOSE, now).await?;
    tx.commit().await?;
    let user = load(hub, user_id).await?;
    crate::activity::record(
        hub,
        user.id,
        crate::activity::Kind::Login,
        "with the confirmation link",
        origin,
    )
    .await?;
    tracing::info!(user = %user.username, "email confirmed");
    Ok(user)
}

/// Sends a new confirmation link to a logged-in, unconfirmed account.
pub async fn resend_confirmation(
    hub: &Hub,
    user_id: i64,
    origin: &crate::activity::Origin,
) -> Result<(), AccountError> {
    crate::rate::hit(
        hub,
        crate::rate::RESENDS_PER_ADDRESS,
        origin.ip.as_deref().unwrap_or("unknown"),
    )
    .await??;
    let user = load(hub, user_id).await?;
    if user.confirmed {
        return Err(AccountError::AlreadyConfirmed);
    }
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let last = store::tokens::latest_created(&mut *tx, user_id, CONFIRM_PURPOSE).await?;
    if last.is_some_and(|t| now - t < RESEND_INTERVAL) {
        return Err(AccountError::TooSoon);
    }
    queue_confirmation(hub, &mut tx, user.id, &user.username, &user.email, now).await?;
    tx.commit().await?;
    hub.jobs.wake();
    Ok(())
}

/// Asks for a reset link for an address. Only a malformed address is refused; the rest happens
/// in the job queue ([`send_reset_link`]), so the answer is the same, and takes as long, whether
/// or not an account uses the address.
pub async fn request_password_reset(
    hub: &Hub,
    email: &str,
    origin: &crate::activity::Origin,
) -> Result<(), AccountError> {
    crate::rate::hit(
        hub,
        crate::rate::RESETS_PER_ADDRESS,
        origin.ip.as_deref().unwrap_or("unknown"),
    )
    .await??;
    let email = email.trim();
    let mut errors = FieldErrors::default();
    errors.check("email", validate::email(email));
    errors.into_result()?;
    jobs::enqueue(
        hub.db.pool(),
        &jobs::Job::PasswordReset {
            email: email.to_string(),
        },
    )
    .await?;
    hub.jobs.wake();
    Ok(())
}

/// Mails a reset link if an account uses `email` (at most one a minute). Only the newest link
/// works: older unused ones are spent when a new one is made.
pub async fn send_reset_link(hub: &Hub, email: &str) -> Result<(), AccountError> {
    let Some(user) = store::users::by_email(hub.db.pool(), email).await? else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let last = store::tokens::latest_created(&mut *tx, user.id, RESET_PURPOSE).await?;
    if last.is_some_and(|t| now - t < RESEND_INTERVAL) {
        // Silently: telling the caller would reveal that the account exists.
        return Ok(());
    }
    store::tokens::consume_all(&mut *tx, user.id, RESET_PURPOSE, now).await?;
    let (plain, hash) = tokens::generate();
    store::tokens::insert(
        &mut *tx,
        user.id,
        RESET_PURPOSE,
        &hash,
        now,
        now + RESET_TTL,
    )
    .await?;
    let link = format!("{}/reset-password?token={plain}", hub.config.public_url);
    let mail = mails::password_reset(&user.username, &link).to(&user.email);
    jobs::enqueue(&mut *tx, &jobs::Job::Mail(mail)).await?;
    tx.commit().await?;
    hub.jobs.wake();
    if hub.mailer.is_outbox() {
        tracing::info!(user = %user.username, %link, "password reset link (mail written to the outbox)");
    }
    Ok(())
}

/// Tells whether a reset link can still be used, without using it (to render the form or an error).
pub async fn check_reset_token(hub: &Hub, token: &str) -> Result<(), AccountError> {
    let row = store::tokens::find(hub.db.pool(), RESET_PURPOSE, &tokens::hash(token.trim()))
        .await?
        .ok_or(AccountError::LinkInvalid)?;
    if row.used_at.is_some() {
        Err(AccountError::LinkUsed)
    } else if row.expires_at <= clock::now() {
        Err(AccountError::LinkExpired)
    } else {
        Ok(())
    }
}

/// Sets a new password through a reset link. Every session of the account ends, and an
/// unconfirmed address counts as confirmed: the link proved the mailbox is theirs.
pub async fn reset_password(
    hub: &Hub,
    token: &str,
    new_password: &str,
) -> Result<User, AccountError> {
    let mut errors = FieldErrors::default();
    errors.check("password", validate::password(new_password));
    // Refuse a bad link before the password so that the page says what matters.
    check_reset_token(hub, token).await?;
    errors.into_result()?;
    let hash = hub.passwords.hash(new_password).await?;
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    let user_id = consume_token(&mut tx, RESET_PURPOSE, token, now).await?;
    store::users::set_password(&mut *tx, user_id, &hash).await?;
    store::users::set_confirmed(&mut *tx, user_id, now).await?;
    store::tokens::consume_all(&mut *tx, user_id, RESET_PURPOSE, now).await?;
    // Machines that ran `docker login` with the old password must log in again.
    store::tokens::consume_all(
        &mut *tx,
        user_id,
        crate::registry::access::REFRESH_PURPOSE,
        now,
    )
    .await?;
    tx.commit().await?;
    let user = load(hub, user_id).await?;
    crate::activity::record(
        hub,
        user.id,
        crate::activity::Kind::PasswordReset,
        "",
        &crate::activity::Origin::default(),
    )
    .await?;
    tracing::info!(user = %user.username, "password reset; all sessions ended");
    Ok(user)
}

pub async fn user_by_id(hub: &Hub, id: i64) -> Result<Option<User>, CoreError> {
    Ok(store::users::by_id(hub.db.pool(), id)
        .await?
        .map(User::from))
}

pub async fn user_by_name(hub: &Hub, username: &str) -> Result<Option<User>, CoreError> {
    Ok(store::users::by_username(hub.db.pool(), username)
        .await?
        .map(User::from))
}

/// The user a session belongs to, if the session is still valid (no password reset since).
pub async fn session_user(
    hub: &Hub,
    user_id: i64,
    generation: i64,
) -> Result<Option<User>, CoreError> {
    Ok(user_by_id(hub, user_id)
        .await?
        .filter(|u| u.session_generation == generation && !u.is_org))
}

/// The account a log-in names (Berth ID or email), if any.
pub(crate) async fn find_by_login(hub: &Hub, login: &str) -> Result<Option<User>, AccountError> {
    let login = login.trim();
    let row = if login.contains('@') {
        store::users::by_email(hub.db.pool(), login).await?
    } else {
        store::users::by_username(hub.db.pool(), &login.to_lowercase()).await?
    };
    Ok(row.filter(|r| r.is_org == 0).map(User::from))
}

pub(crate) async fn load(hub: &Hub, id: i64) -> Result<User, AccountError> {
    user_by_id(hub, id)
        .await?
        .ok_or(AccountError::Internal(CoreError::Db(
            sqlx::Error::RowNotFound,
        )))
}

/// Partially hides an address for pages ("a•••@example.com").
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}
