//! The hub's shared services, opened once per process and cloned into every request.

use std::sync::Arc;

use crate::{
    accounts::password::Passwords, config::Config, db::Db, discover, error::CoreError, jobs,
    mail::Mailer, registry::Registry,
};

#[derive(Clone)]
pub struct Hub {
    pub config: Arc<Config>,
    pub db: Db,
    pub mailer: Mailer,
    pub registry: Registry,
    pub passwords: Passwords,
    pub jobs: jobs::Queue,
    /// Turns for searches (see [`crate::discover::searches_at_once`]).
    pub searches: discover::Gate,
}

impl Hub {
    /// Creates the data folder, connects to the database and brings its schema up to date.
    pub async fn open(config: Config) -> Result<Self, CoreError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| CoreError::io(&config.data_dir, e))?;
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let mailer = Mailer::new(&config)?;
        let registry = Registry::open(&config, &db).await?;
        let hub = Hub {
            config: Arc::new(config),
            mailer,
            registry,
            passwords: Passwords::per_core(),
            jobs: jobs::Queue::default(),
            searches: discover::Gate::new(
                discover::searches_at_once(db.kind()),
                discover::SEARCH_WAIT,
            ),
            db,
        };
        // Once, for manifests stored before blob references were kept (usage and collection
        // read them).
        crate::lifecycle::backfill(&hub).await?;
        Ok(hub)
    }
}
