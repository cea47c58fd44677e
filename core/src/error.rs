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
}
