//! Browser sessions: tower-sessions, stored in the hub's own database (SQLite or PostgreSQL), so
//! every replica sharing the database knows every session.

use berth_core::{db::DbKind, Hub};
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session::{Id, Record},
    session_store::{self, ExpiredDeletion, SessionStore},
    Expiry, SessionManagerLayer,
};
use tower_sessions_sqlx_store::{
    sqlx::{postgres::PgPoolOptions, sqlite::SqlitePoolOptions},
    PostgresStore, SqliteStore,
};

use crate::ServerError;

pub const COOKIE_NAME: &str = "berth_session";

/// The session store of the hub's database engine.
#[derive(Clone, Debug)]
pub enum HubSessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

#[async_trait::async_trait]
impl SessionStore for HubSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            HubSessions::Sqlite(s) => s.create(record).await,
            HubSessions::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            HubSessions::Sqlite(s) => s.save(record).await,
            HubSessions::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            HubSessions::Sqlite(s) => s.load(id).await,
            HubSessions::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            HubSessions::Sqlite(s) => s.delete(id).await,
            HubSessions::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for HubSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            HubSessions::Sqlite(s) => s.delete_expired().await,
            HubSessions::Postgres(s) => s.delete_expired().await,
        }
    }
}

fn failed(e: impl std::fmt::Display) -> ServerError {
    ServerError::Sessions(e.to_string())
}

/// Connects the session store (its own small pool: the store needs the engine's own pool type)
/// and creates its table if missing.
pub async fn store(hub: &Hub) -> Result<HubSessions, ServerError> {
    let url = &hub.config.database_url;
    match hub.db.kind() {
        DbKind::Sqlite => {
            let url = if url.contains("mode=") {
                url.clone()
            } else {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            };
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect(&url)
                .await
                .map_err(failed)?;
            let store = SqliteStore::new(pool);
            store.migrate().await.map_err(failed)?;
            Ok(HubSessions::Sqlite(store))
        }
        DbKind::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await
                .map_err(failed)?;
            let store = PostgresStore::new(pool);
            store.migrate().await.map_err(failed)?;
            Ok(HubSessions::Postgres(store))
        }
    }
}

pub fn layer(hub: &Hub, store: HubSessions) -> SessionManagerLayer<HubSessions> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(hub.config.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(
            app::ssr::SESSION_IDLE_DAYS,
        )))
}
