//! Server-side helpers for server functions: the hub from context, the session, the current user.

use berth_core::{
    accounts::{self, AccountError, User},
    clock, Hub,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{error::AppError, model::SessionUser};

/// Session key of the logged-in user.
pub const AUTH_KEY: &str = "auth";
/// A logged-in session lasts this long from its last use.
pub const SESSION_IDLE_DAYS: i64 = 14;

/// What a logged-in session stores: the user and the generation that a password reset bumps.
#[derive(Serialize, Deserialize)]
struct AuthSession {
    user_id: i64,
    generation: i64,
}

pub fn hub() -> Result<Hub, AppError> {
    use_context::<Hub>().ok_or_else(|| internal("the hub is missing from the request context"))
}

/// Logs the cause and answers with the generic error: internals never reach the browser.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error");
    AppError::Internal
}

/// A domain failure: a full storage is named (507, logged once in a while), anything else is
/// [`internal`].
pub fn failure(e: berth_core::CoreError) -> AppError {
    if e.is_storage_full() {
        e.log_if_storage_full();
        AppError::StorageFull
    } else {
        internal(e)
    }
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// The user behind a request, looked up once per request however many resources and server
/// functions of the page ask (the server puts an empty one on every request).
#[derive(Clone, Default)]
pub struct UserCache(std::sync::Arc<std::sync::Mutex<Option<Option<User>>>>);

pub async fn current_user() -> Result<Option<User>, AppError> {
    let cache = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<UserCache>().cloned());
    if let Some(known) = cache
        .as_ref()
        .and_then(|c| c.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
    {
        return Ok(known);
    }
    let user = load_current_user().await?;
    if let Some(c) = cache {
        *c.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(user.clone());
    }
    Ok(user)
}

async fn load_current_user() -> Result<Option<User>, AppError> {
    let session = session().await?;
    let Some(auth) = session
        .get::<AuthSession>(AUTH_KEY)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let user = accounts::session_user(&hub()?, auth.user_id, auth.generation)
        .await
        .map_err(internal)?;
    if user.is_none() {
        // Password reset or deleted account: this session is over.
        session.flush().await.map_err(internal)?;
    }
    Ok(user)
}

pub async fn require_user() -> Result<User, AppError> {
    match current_user().await? {
        Some(user) => Ok(user),
        None => {
            set_error_status(&AppError::LoginRequired);
            Err(AppError::LoginRequired)
        }
    }
}

/// Starts a logged-in session for the request being served.
pub async fn log_in(user: &User) -> Result<(), AppError> {
    forget_cached_user();
    start_session(&session().await?, user)
        .await
        .map_err(internal)
}

pub async fn log_out() -> Result<(), AppError> {
    forget_cached_user();
    session().await?.flush().await.map_err(internal)
}

/// After logging in or out, the request's user is someone else.
fn forget_cached_user() {
    if let Some(c) =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<UserCache>().cloned())
    {
        *c.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

pub fn session_user(hub: &Hub, u: &User) -> SessionUser {
    let host = hub.config.registry_host();
    SessionUser {
        repo_name_max: berth_core::repositories::name_max(&host, &u.username),
        registry_host: host,
        username: u.username.clone(),
        email: u.email.clone(),
        email_masked: accounts::mask_email(&u.email),
        confirmed: u.confirmed,
        is_admin: u.is_admin,
        joined: clock::format_date(u.created_at),
    }
}

/// A refused form: per-field messages or one for the whole form, and what was typed.
fn form_error(
    fields: Option<berth_core::accounts::FieldErrors>,
    message: Option<String>,
    values: &[(&str, &str)],
) -> AppError {
    AppError::Form {
        message,
        fields: fields
            .map(|f| f.0.into_iter().map(|(f, m)| (f.to_string(), m)).collect())
            .unwrap_or_default(),
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// A form refused for one field, before any domain call (a value no form control can send).
pub fn field_refusal(field: &'static str, message: &str, values: &[(&str, &str)]) -> AppError {
    form_error(
        Some(berth_core::accounts::FieldErrors(vec![(
            field,
            message.to_string(),
        )])),
        None,
        values,
    )
}

/// Maps a repository error to the page's error, refilling the given fields. A repository the
/// caller may not see is a 404, exactly like one that does not exist.
pub fn repo_error(e: berth_core::repositories::RepoError, values: &[(&str, &str)]) -> AppError {
    use berth_core::repositories::RepoError;
    let error = match e {
        RepoError::Invalid(fields) => form_error(Some(fields), None, values),
        RepoError::NameTaken(full) => {
            field_refusal("name", &format!("{full} already exists."), values)
        }
        RepoError::NotFound => AppError::NotFound,
        RepoError::Moved(full) => {
            redirect_moved(&full);
            // No error status: the redirect's stands.
            return AppError::Moved(full);
        }
        RepoError::Internal(e) => failure(e),
        other => form_error(None, Some(other.to_string()), values),
    };
    set_error_status(&error);
    error
}

/// Sends the browser from a transferred repository's old address (`/r/OLD/NAME…`) to the same
/// page under its new name, keeping the rest of the path and the query.
fn redirect_moved(full: &str) {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return;
    };
    let path = parts.uri.path();
    // `/r/NS/NAME` then the rest (`/tags/T`), for the page's own request; server functions
    // called by a form post elsewhere go to the repository page.
    let rest = path
        .strip_prefix("/r/")
        .and_then(|p| p.splitn(3, '/').nth(2))
        .map(|r| format!("/{r}"))
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    leptos_axum::redirect(&format!("/r/{full}{rest}{query}"));
}

/// Maps an organization error to the page's error, refilling the given fields.
pub fn org_error(e: berth_core::orgs::OrgError, values: &[(&str, &str)]) -> AppError {
    use berth_core::orgs::OrgError;
    let error = match e {
        OrgError::Invalid(fields) => form_error(Some(fields), None, values),
        OrgError::NotFound => AppError::NotFound,
        OrgError::Internal(e) => failure(e),
        other => form_error(None, Some(other.to_string()), values),
    };
    set_error_status(&error);
    error
}

/// A domain failure with no form behind it: "busy" (503, `Retry-After`) or the generic error.
pub fn core_error(e: berth_core::CoreError) -> AppError {
    let error = match e {
        berth_core::CoreError::Busy => AppError::Busy,
        other => failure(other),
    };
    set_error_status(&error);
    error
}

/// Maps a domain error to the page's error, refilling the given (non-secret) fields.
pub fn account_error(e: AccountError, values: &[(&str, &str)]) -> AppError {
    let error = match e {
        AccountError::Invalid(fields) => form_error(Some(fields), None, values),
        AccountError::Busy => AppError::Busy,
        AccountError::TooManyAttempts { retry_after } => AppError::RateLimited {
            message: e.to_string(),
            retry_after,
        },
        AccountError::Internal(e) => failure(e),
        other => form_error(None, Some(other.to_string()), values),
    };
    set_error_status(&error);
    error
}

/// Gives a failed server-function call the HTTP status its error deserves (the default is 500),
/// for calls made by the app's own client. A plain form post keeps the redirect that carries the
/// error back to the form.
pub fn set_error_status(error: &AppError) {
    let plain_form = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if !plain_form {
        page_error_status(error);
    }
}

/// The status of a page (or call) that failed with `error`, with `Retry-After` where it helps.
pub fn page_error_status(error: &AppError) {
    set_status(match error {
        AppError::Form { .. } => 422,
        AppError::LoginRequired => 401,
        AppError::NotFound | AppError::Moved(_) => 404,
        AppError::Busy => {
            retry_after(1);
            503
        }
        AppError::RateLimited { retry_after: s, .. } => {
            retry_after(*s);
            429
        }
        AppError::Internal | AppError::Transport(_) => 500,
        AppError::StorageFull => 507,
    });
}

fn retry_after(secs: i64) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&secs.max(1).to_string()),
    ) {
        res.insert_header(http::header::RETRY_AFTER, v);
    }
}

/// Where the request comes from (put on every request by the server).
pub fn origin() -> berth_core::activity::Origin {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<berth_core::activity::Origin>().cloned())
        .unwrap_or_default()
}

/// Sets the HTTP status of the page being rendered.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

const SIGNUP_KEY: &str = "signed_up";

/// Keeps what a sign-up answered (Berth ID, masked address) in the browser's session.
pub async fn remember_signup(done: &berth_core::accounts::SignedUp) -> Result<(), AppError> {
    session()
        .await?
        .insert(
            SIGNUP_KEY,
            (done.username.clone(), done.email_masked.clone()),
        )
        .await
        .map_err(internal)
}

pub async fn recent_signup() -> Result<Option<(String, String)>, AppError> {
    session()
        .await?
        .get::<(String, String)>(SIGNUP_KEY)
        .await
        .map_err(internal)
}

const SECOND_FACTOR_KEY: &str = "second_factor";

/// A log-in whose password was right and which waits for its second factor.
#[derive(Serialize, Deserialize)]
struct PendingLogIn {
    user_id: i64,
    generation: i64,
    started_at: i64,
}

/// Remembers, in this session, that `user`'s password was right; the code comes next.
pub async fn begin_second_factor(user: &User) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(
            SECOND_FACTOR_KEY,
            PendingLogIn {
                user_id: user.id,
                generation: user.session_generation,
                started_at: clock::now(),
            },
        )
        .await
        .map_err(internal)
}

/// Whether this session waits for a second factor.
pub async fn second_factor_pending() -> Result<bool, AppError> {
    Ok(session()
        .await?
        .get::<PendingLogIn>(SECOND_FACTOR_KEY)
        .await
        .map_err(internal)?
        .is_some())
}

/// Checks the code for the log-in waiting in this session; the user on success.
pub async fn finish_second_factor(
    code: &str,
) -> Result<berth_core::accounts::security::SecondFactor, AppError> {
    let session = session().await?;
    let Some(pending) = session
        .get::<PendingLogIn>(SECOND_FACTOR_KEY)
        .await
        .map_err(internal)?
    else {
        return Err(account_error(
            berth_core::accounts::AccountError::SecondFactorExpired,
            &[],
        ));
    };
    let done = berth_core::accounts::security::second_factor(
        &hub()?,
        pending.user_id,
        pending.generation,
        pending.started_at,
        code,
        &origin(),
    )
    .await
    .map_err(|e| account_error(e, &[]))?;
    session
        .remove::<PendingLogIn>(SECOND_FACTOR_KEY)
        .await
        .map_err(internal)?;
    Ok(done)
}

const SHOWN_ONCE_KEY: &str = "shown_once";

/// Secrets shown on the next render of the Security page only: a new access token, or new
/// recovery codes. Never in a URL.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ShownOnce {
    pub token: Option<(String, String)>,
    pub recovery_codes: Vec<String>,
}

pub async fn show_once(shown: ShownOnce) -> Result<(), AppError> {
    session()
        .await?
        .insert(SHOWN_ONCE_KEY, shown)
        .await
        .map_err(internal)
}

/// What is waiting to be shown once, taken out of the session.
pub async fn take_shown_once() -> Result<ShownOnce, AppError> {
    let session = session().await?;
    let shown = session
        .get::<ShownOnce>(SHOWN_ONCE_KEY)
        .await
        .map_err(internal)?;
    if shown.is_some() {
        session
            .remove::<ShownOnce>(SHOWN_ONCE_KEY)
            .await
            .map_err(internal)?;
    }
    Ok(shown.unwrap_or_default())
}

/// Marks a session as logged in as `user`, under a fresh session id. Shared by server functions
/// and the confirmation-link handler.
pub async fn start_session(
    session: &Session,
    user: &User,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    // A session that held only a form's error was made short-lived; a login lasts.
    session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(
        tower_sessions::cookie::time::Duration::days(SESSION_IDLE_DAYS),
    )));
    let _ = session
        .remove::<serde_json::Value>(SECOND_FACTOR_KEY)
        .await?;
    session
        .insert(
            AUTH_KEY,
            AuthSession {
                user_id: user.id,
                generation: user.session_generation,
            },
        )
        .await
}
