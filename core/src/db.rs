//! The database handle: one `sqlx::Any` pool over SQLite or PostgreSQL, chosen by URL scheme.
//!
//! Queries use `$N` placeholders, which both engines accept, so one SQL text serves both; where the
//! engines must differ, the query branches on [`Db::kind`] in the store module that owns it.

use std::str::FromStr;

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};

use crate::error::CoreError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    kind: DbKind,
    url: String,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, CoreError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else {
            DbKind::Postgres
        };
        let url = match kind {
            // Create the file on first start.
            DbKind::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = Self::pool_options(kind).connect_with(options).await?;
        Ok(Db { pool, kind, url })
    }

    fn pool_options(kind: DbKind) -> AnyPoolOptions {
        AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == DbKind::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout makes writers queue.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
    }

    /// The same database through connections that are closed after each use instead of going
    /// back to the pool. For tests, whose runtimes end with each test: a PostgreSQL connection
    /// cannot be used once the runtime that opened it is gone.
    pub fn unpooled(&self) -> Result<Db, CoreError> {
        let options = AnyConnectOptions::from_str(&self.url)?;
        let pool = Self::pool_options(self.kind)
            .after_release(|_, _| Box::pin(async { Ok(false) }))
            .connect_lazy_with(options);
        Ok(Db {
            pool,
            kind: self.kind,
            url: self.url.clone(),
        })
    }

    pub async fn migrate(&self) -> Result<(), CoreError> {
        match self.kind {
            DbKind::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            DbKind::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later cannot wait for the
    /// lock in WAL mode and would fail with SQLITE_BUSY when another connection wrote meanwhile.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.kind {
            DbKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            DbKind::Postgres => self.pool.begin().await,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }
}

/// Whether an error is a UNIQUE constraint violation (a lost race for a name, say).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn names(dir: &str) -> BTreeSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir);
        std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn both_databases_have_the_same_migrations() {
        let sqlite = names("migrations/sqlite");
        let postgres = names("migrations/postgres");
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "every migration must exist for SQLite and PostgreSQL"
        );
    }
}
