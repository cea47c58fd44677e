//! Browser sessions: tower-sessions, stored in the hub's own database.

use berth_core::{db::DbKind, Hub};
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    Expiry, SessionManagerLayer,
};
use tower_sessions_sqlx_store::{sqlx::sqlite::SqlitePoolOptions, SqliteStore};

use crate::ServerError;

pub const COOKIE_NAME: &str = "berth_session";
/// A session lasts two weeks from its last use.
const IDLE_DAYS: i64 = 14;

pub async fn layer(hub: &Hub) -> Result<SessionManagerLayer<SqliteStore>, ServerError> {
    if hub.db.kind() != DbKind::Sqlite {
        return Err(ServerError::Sessions(
            "this build keeps sessions in SQLite only; PostgreSQL sessions arrive with scale-out"
                .into(),
        ));
    }
    let url = &hub.config.database_url;
    let url = if url.contains("mode=") {
        url.clone()
    } else {
        format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .map_err(|e| ServerError::Sessions(e.to_string()))?;
    let store = SqliteStore::new(pool);
    store
        .migrate()
        .await
        .map_err(|e| ServerError::Sessions(e.to_string()))?;
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(hub.config.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(IDLE_DAYS))))
}
