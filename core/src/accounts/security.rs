//! Account security: logging in (with rate limits and, when turned on, a second factor from an
//! authenticator app), the registry's log-in (a personal access token, or the password when no
//! second factor is on), changing the password and the email address, two-factor
//! authentication with recovery codes, and deleting the account.

use sha2::{Digest as _, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use super::{
    access_tokens::{self, AccessToken},
    mails, validate, AccountError, FieldErrors, User, CONFIRM_TTL,
};
use crate::{
    activity::{self, Kind, Origin},
    clock, jobs,
    rate::{self, Limited},
    registry, store, tokens,
};
use crate::{hub::Hub, repositories};

pub const EMAIL_CHANGE_PURPOSE: &str = "email_change";
/// The second step of a log-in must follow the first within this long.
pub const SECOND_FACTOR_TTL: i64 = 5 * clock::MINUTE;
pub const RECOVERY_CODES: usize = 10;
/// Codes are 6 digits, a new one every 30 s; one step either side is accepted (clock drift).
const DIGITS: usize = 6;
const STEP: u64 = 30;

impl From<Limited> for AccountError {
    fn from(l: Limited) -> Self {
        AccountError::TooManyAttempts {
            retry_after: l.retry_after,
        }
    }
}

/// The rate-limit key of a log-in name (the same for known and unknown accounts).
fn login_key(login: &str) -> String {
    login.trim().to_lowercase()
}

fn address(origin: &Origin) -> &str {
    origin.ip.as_deref().unwrap_or("unknown")
}

/// Refuses a log-in attempt before any password work when the address, or the account from an
/// address that already failed for it, is over its limit; past the account's ceiling of failures
/// from anywhere, an address that never logged in to it gets one guess a minute (unless the
/// account has a second factor, which a guessed password does not pass).
async fn before_login(hub: &Hub, login: &str, origin: &Origin) -> Result<(), AccountError> {
    rate::check(hub, rate::FAILED_LOGINS_PER_ADDRESS, address(origin)).await??;
    let account = login_key(login);
    let failed_here = format!("{account}@{}", rate::client_key(hub, address(origin)));
    if rate::count(hub, rate::FAILED_LOGINS_PER_ACCOUNT, &failed_here).await? > 0 {
        rate::check(hub, rate::FAILED_LOGINS_PER_ACCOUNT, &account).await??;
    }
    if rate::check(hub, rate::FAILED_LOGINS_ACCOUNT_CEILING, &account)
        .await?
        .is_err()
    {
        let known = match super::find_by_login(hub, login).await? {
            Some(user) => {
                user.two_factor || activity::logged_in_from(hub, user.id, address(origin)).await?
            }
            None => false,
        };
        if !known {
            rate::hit(hub, rate::SLOWED_LOGINS_PER_ACCOUNT, &account).await??;
        }
    }
    Ok(())
}

/// Counts a failed log-in against the address and the account.
async fn failed_login(hub: &Hub, login: &str, origin: &Origin) -> Result<(), AccountError> {
    let account = login_key(login);
    // The counts matter for the next attempts; this one is refused anyway.
    let _ = rate::hit(hub, rate::FAILED_LOGINS_PER_ADDRESS, address(origin)).await?;
    let _ = rate::hit(hub, rate::FAILED_LOGINS_PER_ACCOUNT, &account).await?;
    let _ = rate::hit(
        hub,
        rate::FAILED_LOGINS_PER_ACCOUNT,
        &format!("{account}@{}", rate::client_key(hub, address(origin))),
    )
    .await?;
    if let Some(user) = super::find_by_login(hub, login).await? {
        activity::record(hub, user.id, Kind::LoginFailed, "", origin).await?;
    }
    Ok(())
}

/// The outcome of the first step of a web log-in.
#[derive(Debug)]
pub enum LogIn {
    /// Logged in.
    Done(User),
    /// The password was right; now the code from the authenticator app.
    SecondFactor(User),
}

/// Checks a web log-in by Berth ID or email and password, within the rate limits.
pub async fn log_in(
    hub: &Hub,
    login: &str,
    password: &str,
    origin: &Origin,
) -> Result<LogIn, AccountError> {
    before_login(hub, login, origin).await?;
    match super::authenticate(hub, login, password).await {
        Ok(user) if user.two_factor => Ok(LogIn::SecondFactor(user)),
        Ok(user) => {
            activity::record(hub, user.id, Kind::Login, "", origin).await?;
            Ok(LogIn::Done(user))
        }
        Err(AccountError::BadCredentials) => {
            failed_login(hub, login, origin).await?;
            Err(AccountError::BadCredentials)
        }
        Err(e) => Err(e),
    }
}

/// A finished second step: the account, and how many recovery codes are left when one was used
/// (the page says so, so the owner knows to make new ones).
#[derive(Debug)]
pub struct SecondFactor {
    pub user: User,
    pub recovery_codes_left: Option<i64>,
}

/// The second step of a log-in: a code from the authenticator app, or a recovery code (each
/// works once). `started_at` is when the password was accepted.
pub async fn second_factor(
    hub: &Hub,
    user_id: i64,
    generation: i64,
    started_at: i64,
    code: &str,
    origin: &Origin,
) -> Result<SecondFactor, AccountError> {
    let now = clock::now();
    if now - started_at > SECOND_FACTOR_TTL {
        return Err(AccountError::SecondFactorExpired);
    }
    let user = super::session_user(hub, user_id, generation)
        .await?
        .ok_or(AccountError::SecondFactorExpired)?;
    let code = code.trim();
    let slots = CodeSlots::take(hub, &user, code, origin).await?;
    let kind = if !slots.recovery && check_totp(hub, &user, code, now).await? {
        Kind::LoginWithSecondFactor
    } else if store::users::use_recovery_code(hub.db.pool(), user.id, &recovery_hash(code), now)
        .await?
    {
        Kind::LoginWithRecoveryCode
    } else {
        activity::record(hub, user.id, Kind::LoginFailed, "wrong code", origin).await?;
        // Said plainly: whoever holds a used recovery code learns only that it was one.
        if slots.recovery
            && store::users::recovery_code_used(hub.db.pool(), user.id, &recovery_hash(code))
                .await?
        {
            return Err(AccountError::RecoveryCodeUsed);
        }
        return Err(AccountError::CodeInvalid);
    };
    slots.give_back(hub).await?;
    activity::record(hub, user.id, kind, "", origin).await?;
    let recovery_codes_left = if kind == Kind::LoginWithRecoveryCode {
        Some(store::users::unused_recovery_codes(hub.db.pool(), user.id).await?)
    } else {
        None
    };
    Ok(SecondFactor {
        user,
        recovery_codes_left,
    })
}

/// The rate-limit slots one second-factor attempt holds. Each attempt is counted before its code
/// is checked (one atomic count per bucket), and the count is given back when the code is right,
/// so concurrent guesses cannot get past a limit. Codes count per client, so someone who knows
/// the password locks out only their own address; recovery codes count apart, so one still
/// works where authenticator codes are used up; and from addresses that never logged in to the
/// account, an account-wide ceiling applies too.
struct CodeSlots {
    recovery: bool,
    held: Vec<(rate::Limit, String)>,
}

impl CodeSlots {
    async fn take(
        hub: &Hub,
        user: &User,
        code: &str,
        origin: &Origin,
    ) -> Result<CodeSlots, AccountError> {
        let typed: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        // Authenticator codes are 6 digits, recovery codes 8 characters.
        let recovery = typed.len() == 8;
        let client = format!("{}@{}", user.id, rate::client_key(hub, address(origin)));
        let mut slots = CodeSlots {
            recovery,
            held: Vec::new(),
        };
        let near = if recovery {
            rate::FAILED_RECOVERY_CODES_PER_CLIENT
        } else {
            rate::FAILED_CODES_PER_CLIENT
        };
        rate::hit(hub, near, &client).await??;
        slots.held.push((near, client));
        if !activity::logged_in_from(hub, user.id, address(origin)).await? {
            let account = user.id.to_string();
            if let Err(limited) =
                rate::hit(hub, rate::FAILED_CODES_ACCOUNT_CEILING, &account).await?
            {
                slots.give_back(hub).await?;
                return Err(limited.into());
            }
            slots
                .held
                .push((rate::FAILED_CODES_ACCOUNT_CEILING, account));
        }
        Ok(slots)
    }

    async fn give_back(self, hub: &Hub) -> Result<(), AccountError> {
        for (limit, key) in self.held {
            rate::give_back(hub, limit, &key).await?;
        }
        Ok(())
    }
}

/// The registry's log-in (the `/token` endpoint, `docker login`): a personal access token as the
/// password, or the account password when two-factor authentication is off.
pub async fn registry_log_in(
    hub: &Hub,
    login: &str,
    secret: &str,
    origin: &Origin,
) -> Result<(User, Option<AccessToken>), AccountError> {
    before_login(hub, login, origin).await?;
    if access_tokens::is_token(secret) {
        return match access_tokens::authenticate(hub, login, secret, origin).await {
            Ok((user, token)) => Ok((user, Some(token))),
            Err(
                e @ (AccountError::BadCredentials
                | AccountError::TokenInactive
                | AccountError::TokenExpired),
            ) => {
                failed_login(hub, login, origin).await?;
                Err(e)
            }
            Err(e) => Err(e),
        };
    }
    match super::authenticate(hub, login, secret).await {
        Ok(user) if user.two_factor => Err(AccountError::TokenRequired),
        Ok(user) => Ok((user, None)),
        Err(AccountError::BadCredentials) => {
            failed_login(hub, login, origin).await?;
            Err(AccountError::BadCredentials)
        }
        Err(e) => Err(e),
    }
}

/// Changes the password, given the current one. Every other session and every saved registry
/// login of the account ends; returns the user with the new session generation, for the
/// session that made the change to continue.
pub async fn change_password(
    hub: &Hub,
    user: &User,
    current: &str,
    new: &str,
    origin: &Origin,
) -> Result<User, AccountError> {
    let mut errors = FieldErrors::default();
    errors.check("new_password", validate::password(new));
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    if !hub
        .passwords
        .verify(current, Some(&row.password_hash))
        .await?
    {
        errors.0.insert(
            0,
            (
                "current_password",
                "That is not your current password.".into(),
            ),
        );
    }
    errors.into_result()?;
    let hash = hub.passwords.hash(new).await?;
    let mut tx = hub.db.begin_write().await?;
    store::users::set_password(&mut *tx, user.id, &hash).await?;
    store::tokens::consume_all(
        &mut *tx,
        user.id,
        registry::access::REFRESH_PURPOSE,
        clock::now(),
    )
    .await?;
    tx.commit().await?;
    activity::record(hub, user.id, Kind::PasswordChanged, "", origin).await?;
    tracing::info!(user = %user.username, "password changed; other sessions ended");
    super::load(hub, user.id).await
}

/// Starts an email change: a confirmation link goes to the new address, a notice to the old
/// one. The old address stays until the link is opened.
pub async fn request_email_change(
    hub: &Hub,
    user: &User,
    new_email: &str,
    origin: &Origin,
) -> Result<(), AccountError> {
    let new_email = new_email.trim();
    let mut errors = FieldErrors::default();
    if errors.check("email", validate::email(new_email)) {
        if new_email.eq_ignore_ascii_case(&user.email) {
            errors
                .0
                .push(("email", "That is already your address.".into()));
        } else if store::users::email_taken(hub.db.pool(), new_email).await? {
            errors
                .0
                .push(("email", "Another account uses this address.".into()));
        }
    }
    errors.into_result()?;
    let now = clock::now();
    let (plain, hash) = tokens::generate();
    let link = format!(
        "{}/confirm-email-change?token={plain}",
        hub.config.public_url
    );
    let mut tx = hub.db.begin_write().await?;
    store::tokens::consume_all(&mut *tx, user.id, EMAIL_CHANGE_PURPOSE, now).await?;
    store::tokens::insert_with_data(
        &mut *tx,
        user.id,
        EMAIL_CHANGE_PURPOSE,
        &hash,
        now,
        now + CONFIRM_TTL,
        Some(new_email),
    )
    .await?;
    let confirm = mails::email_change(&user.username, new_email, &link).to(new_email);
    jobs::enqueue(&mut *tx, &jobs::Job::Mail(confirm)).await?;
    let notice = mails::email_change_notice(&user.username, new_email).to(&user.email);
    jobs::enqueue(&mut *tx, &jobs::Job::Mail(notice)).await?;
    tx.commit().await?;
    hub.jobs.wake();
    activity::record(hub, user.id, Kind::EmailChangeRequested, new_email, origin).await?;
    Ok(())
}

/// Opens an email-change link: the account's address becomes the new one, confirmed.
pub async fn confirm_email_change(hub: &Hub, token: &str) -> Result<User, AccountError> {
    let now = clock::now();
    let row = store::tokens::find(
        hub.db.pool(),
        EMAIL_CHANGE_PURPOSE,
        &tokens::hash(token.trim()),
    )
    .await?
    .ok_or(AccountError::LinkInvalid)?;
    if row.used_at.is_some() {
        return Err(AccountError::LinkUsed);
    }
    if row.expires_at <= now {
        return Err(AccountError::LinkExpired);
    }
    let new_email = store::tokens::data(hub.db.pool(), row.id)
        .await?
        .ok_or(AccountError::LinkInvalid)?;
    if store::users::email_taken(hub.db.pool(), &new_email).await? {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "email",
            "Another account took this address meanwhile.".into(),
        )])));
    }
    let mut tx = hub.db.begin_write().await?;
    if !store::tokens::consume(&mut *tx, row.id, now).await? {
        return Err(AccountError::LinkUsed);
    }
    store::users::set_email(&mut *tx, row.user_id, &new_email, now).await?;
    tx.commit().await?;
    activity::record(
        hub,
        row.user_id,
        Kind::EmailChanged,
        &new_email,
        &Origin::default(),
    )
    .await?;
    super::load(hub, row.user_id).await
}

/// A TOTP secret being set up, and what the page shows for it.
pub struct TotpSetup {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The URL as a QR code, an SVG drawn here (no outside service sees the secret).
    pub qr_svg: String,
}

fn totp(secret_base32: &str) -> Result<TOTP, AccountError> {
    let bytes = Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|e| {
            AccountError::Internal(crate::error::CoreError::Unexpected(format!(
                "TOTP secret: {e:?}"
            )))
        })?;
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP, bytes).map_err(|e| {
        AccountError::Internal(crate::error::CoreError::Unexpected(format!("TOTP: {e:?}")))
    })
}

/// The code an authenticator app shows for `secret` at `time` (tests compute codes with it).
pub fn totp_code(secret_base32: &str, time: i64) -> Result<String, AccountError> {
    Ok(totp(secret_base32)?.generate(time.max(0) as u64))
}

fn setup_for(user: &User, secret: &str) -> Result<TotpSetup, AccountError> {
    let label = format!("Berth:{}", user.username);
    let otpauth_url = format!(
        "otpauth://totp/{}?secret={secret}&issuer=Berth&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        url::form_urlencoded::byte_serialize(label.as_bytes()).collect::<String>()
    );
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| {
            AccountError::Internal(crate::error::CoreError::Unexpected(format!("QR code: {e}")))
        })?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(TotpSetup {
        secret: secret.to_string(),
        otpauth_url,
        qr_svg,
    })
}

/// Starts setting up two-factor authentication (or shows the setup already started): a new
/// secret, kept aside until the first code from the app proves it was scanned.
pub async fn begin_two_factor(hub: &Hub, user: &User) -> Result<TotpSetup, AccountError> {
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    let secret = match row.totp_pending {
        Some(s) => s,
        None => {
            let mut bytes = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            let Secret::Encoded(s) = Secret::Raw(bytes.to_vec()).to_encoded() else {
                return Err(AccountError::Internal(crate::error::CoreError::Unexpected(
                    "TOTP secret encoding".into(),
                )));
            };
            store::users::set_totp_pending(hub.db.pool(), user.id, Some(&s)).await?;
            s
        }
    };
    setup_for(user, &secret)
}

/// The setup in progress, if any (the page shows it again after a wrong code).
pub async fn pending_two_factor(hub: &Hub, user: &User) -> Result<Option<TotpSetup>, AccountError> {
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    row.totp_pending.map(|s| setup_for(user, &s)).transpose()
}

/// Turns two-factor authentication on once `code` matches the secret being set up. Returns
/// the recovery codes, shown once. Saved registry logins made with the password end: from now
/// on the registry takes access tokens only.
pub async fn enable_two_factor(
    hub: &Hub,
    user: &User,
    code: &str,
    origin: &Origin,
) -> Result<Vec<String>, AccountError> {
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    let Some(secret) = row.totp_pending else {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "code",
            "Start again: scan the new QR code.".into(),
        )])));
    };
    let now = clock::now();
    let Some(step) = matching_step(&secret, code.trim(), now)? else {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "code",
            "That code does not match. Enter the 6-digit code your app shows now.".into(),
        )])));
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let mut tx = hub.db.begin_write().await?;
    store::users::set_totp(&mut *tx, user.id, Some(&secret), Some(step)).await?;
    store::users::insert_recovery_codes(&mut tx, user.id, &hashes).await?;
    store::tokens::consume_all(&mut *tx, user.id, registry::access::REFRESH_PURPOSE, now).await?;
    tx.commit().await?;
    activity::record(hub, user.id, Kind::TwoFactorEnabled, "", origin).await?;
    Ok(codes)
}

/// The account's row once `password` is its password; the refusal beside the password field
/// otherwise (changes to two-factor authentication ask for it).
async fn confirmed_by_password(
    hub: &Hub,
    user: &User,
    password: &str,
) -> Result<store::users::UserRow, AccountError> {
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    if !hub
        .passwords
        .verify(password, Some(&row.password_hash))
        .await?
    {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "password",
            "That is not your password.".into(),
        )])));
    }
    Ok(row)
}

/// Makes ten new recovery codes (shown once) in place of the old ones, which stop working; needs
/// the password and two-factor authentication on.
pub async fn renew_recovery_codes(
    hub: &Hub,
    user: &User,
    password: &str,
    origin: &Origin,
) -> Result<Vec<String>, AccountError> {
    let row = confirmed_by_password(hub, user, password).await?;
    if row.totp_secret.is_none() {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "password",
            "Two-factor authentication is off: there are no recovery codes to renew.".into(),
        )])));
    }
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let mut tx = hub.db.begin_write().await?;
    store::users::insert_recovery_codes(&mut tx, user.id, &hashes).await?;
    tx.commit().await?;
    activity::record(hub, user.id, Kind::RecoveryCodesRenewed, "", origin).await?;
    Ok(codes)
}

/// Turns two-factor authentication off; needs the password.
pub async fn disable_two_factor(
    hub: &Hub,
    user: &User,
    password: &str,
    origin: &Origin,
) -> Result<(), AccountError> {
    confirmed_by_password(hub, user, password).await?;
    let mut tx = hub.db.begin_write().await?;
    store::users::set_totp(&mut *tx, user.id, None, None).await?;
    store::users::delete_recovery_codes(&mut *tx, user.id).await?;
    tx.commit().await?;
    activity::record(hub, user.id, Kind::TwoFactorDisabled, "", origin).await?;
    Ok(())
}

/// How many recovery codes are left unused.
pub async fn recovery_codes_left(hub: &Hub, user: &User) -> Result<i64, AccountError> {
    Ok(store::users::unused_recovery_codes(hub.db.pool(), user.id).await?)
}

/// Whether `code` is the account's current TOTP code; a code works once.
async fn check_totp(hub: &Hub, user: &User, code: &str, now: i64) -> Result<bool, AccountError> {
    let row = store::users::by_id(hub.db.pool(), user.id)
        .await?
        .ok_or(AccountError::BadCredentials)?;
    let Some(secret) = row.totp_secret else {
        return Ok(false);
    };
    let Some(step) = matching_step(&secret, code, now)? else {
        return Ok(false);
    };
    Ok(store::users::advance_totp_step(hub.db.pool(), user.id, step).await?)
}

/// The time step whose code is `code` (the current one, or one either side), if any.
fn matching_step(secret: &str, code: &str, now: i64) -> Result<Option<i64>, AccountError> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret)?;
    let current = now / STEP as i64;
    for step in [current - 1, current, current + 1] {
        if totp.generate((step * STEP as i64).max(0) as u64) == code {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// Ten codes like `k7dq-9xm2`: lowercase letters and digits without look-alikes.
fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
            let chars: String = raw
                .iter()
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..4], &chars[4..])
        })
        .collect()
}

fn recovery_hash(code: &str) -> String {
    let normalized: String = code
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Everything the Security page shows of an account.
pub struct Overview {
    pub tokens: Vec<AccessToken>,
    /// A two-factor set-up started and not finished.
    pub setup: Option<TotpSetup>,
    /// Unused recovery codes (0 while two-factor authentication is off).
    pub recovery_codes_left: i64,
    pub activity: Vec<activity::Entry>,
}

pub async fn overview(hub: &Hub, user: &User) -> Result<Overview, AccountError> {
    let (setup, recovery_codes_left) = if user.two_factor {
        (None, recovery_codes_left(hub, user).await?)
    } else {
        (pending_two_factor(hub, user).await?, 0)
    };
    Ok(Overview {
        tokens: access_tokens::list(hub, user).await?,
        setup,
        recovery_codes_left,
        activity: activity::recent(hub, user.id).await?,
    })
}

/// Deletes the account once `confirm` repeats its Berth ID: its repositories (with their
/// uploads in flight), tokens, sessions and log go; its name can never be taken again.
pub async fn delete_account(hub: &Hub, user: &User, confirm: &str) -> Result<(), AccountError> {
    if confirm.trim() != user.username {
        return Err(AccountError::Invalid(FieldErrors(vec![(
            "confirm",
            format!("Type {} to confirm.", user.username),
        )])));
    }
    let sole_owner = |org: String| {
        AccountError::Invalid(FieldErrors(vec![(
            "confirm",
            format!(
                "You are the only owner of {org}: make another member an owner, or delete the \
                 organization, before deleting your account."
            ),
        )]))
    };
    // Asked first so nothing is discarded for a refusal, and again under the organizations'
    // locks in the deleting transaction, where it holds.
    {
        let mut tx = hub.db.begin_write().await?;
        if let Some(org) = crate::orgs::sole_owner_locked(&mut tx, hub.db.kind(), user).await? {
            return Err(sole_owner(org));
        }
    }
    repositories::discard_uploads_of_owner(hub, user)
        .await
        .map_err(|e| AccountError::Internal(crate::error::CoreError::Unexpected(e.to_string())))?;
    let mut tx = hub.db.begin_write().await?;
    if let Some(org) = crate::orgs::sole_owner_locked(&mut tx, hub.db.kind(), user).await? {
        return Err(sole_owner(org));
    }
    store::users::delete(&mut tx, user.id, &user.username, clock::now()).await?;
    tx.commit().await?;
    tracing::info!(user = %user.username, "account deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page puts the QR code's SVG in as markup: it must hold only drawing, never the text
    /// it encodes (even a name the sign-up rules would refuse).
    #[test]
    fn the_qr_code_is_only_drawing() {
        let user = User {
            id: 1,
            username: "<script>alert(1)</script>\"'".into(),
            email: String::new(),
            confirmed: true,
            is_admin: false,
            session_generation: 0,
            created_at: 0,
            private_repo_limit: 1,
            default_private: false,
            two_factor: false,
            is_org: false,
            display_name: String::new(),
        };
        let svg = setup_for(&user, "JBSWY3DPEHPK3PXP").unwrap().qr_svg;
        assert!(!svg.contains("script") && !svg.contains("alert"), "{svg}");
        for tag in svg.split('<').skip(1) {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '?' || *c == '/')
                .collect();
            assert!(
                ["?xml", "svg", "/svg", "rect", "path"].contains(&name.as_str()),
                "unexpected element {name:?} in {svg}"
            );
        }
    }

    #[test]
    fn codes_match_one_step_either_side_and_nothing_else() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let now = 1_800_000_000;
        let code = totp_code(secret, now).unwrap();
        assert_eq!(code.len(), 6);
        assert_eq!(matching_step(secret, &code, now).unwrap(), Some(now / 30));
        assert!(matching_step(secret, &code, now + 30).unwrap().is_some());
        assert!(matching_step(secret, &code, now + 90).unwrap().is_none());
        assert!(matching_step(secret, "12345", now).unwrap().is_none());
        assert!(matching_step(secret, "abcdef", now).unwrap().is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes
            .iter()
            .all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), RECOVERY_CODES);
        assert_eq!(recovery_hash(" K7DQ-9XM2 "), recovery_hash("k7dq9xm2"));
    }
}
