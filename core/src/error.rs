//! Errors of the infrastructure under the domain (database, hashing, mail, configuration).

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("mail error: {0}")]
    Mail(String),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration error: {0}")]
    Config(String),
    /// A registry refusal where none can happen (a tag delete on a repository already opened).
    #[error("unexpected registry error: {0}")]
    Unexpected(String),
    /// A bounded resource (password hashing) is saturated: try again in a moment.
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl CoreError {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// Logs a full storage once per ten minutes, not once per refused request (a push storm
    /// against a full disk would fill the log too); other errors are not logged here.
    pub fn log_if_storage_full(&self) {
        use std::sync::atomic::{AtomicI64, Ordering};
        const EVERY: i64 = 600;
        static LOGGED_AT: AtomicI64 = AtomicI64::new(i64::MIN);
        if !self.is_storage_full() {
            return;
        }
        let now = crate::clock::now();
        let last = LOGGED_AT.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= EVERY
            && LOGGED_AT
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::error!(error = %self, "the storage is full: writes are refused until space is freed (said again in 10 minutes if it still is)");
        }
    }

    /// Whether the disk under the blob store or the database is full (`ENOSPC`, SQLite's
    /// `SQLITE_FULL`, PostgreSQL's `disk_full`): the operator's problem, worth saying as such.
    pub fn is_storage_full(&self) -> bool {
        match self {
            CoreError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull
                    || source.raw_os_error() == Some(libc::ENOSPC)
            }
            CoreError::Db(e) => e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "13" || c == "53100"),
            _ => false,
        }
    }
}
