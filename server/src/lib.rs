#![recursion_limit = "256"]
//! The `berth` server: the web hub (Leptos), plain handlers (confirmation links, health), and
//! the process around them (sessions, mail worker, shutdown). `main.rs` is only the command line.

mod handlers;
mod middleware;
mod registry;
mod router;
mod serve;
mod sessions;
mod state;

use std::net::SocketAddr;

use berth_core::{Config, CoreError, Hub};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

pub use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("session store: {0}")]
    Sessions(String),
    #[error("registry: {0}")]
    Registry(#[from] berth_core::registry::RegistryError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// A started server: its bound address, its hub, and the handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Hub,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), ServerError>>>,
}

impl Running {
    /// Stops accepting connections, lets requests in flight finish, and stops the workers.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until the server stops (after [`Running::shutdown`] or a signal).
    pub async fn wait(self) -> Result<(), ServerError> {
        for task in self.tasks {
            match task.await {
                Ok(result) => result?,
                Err(e) => return Err(ServerError::Core(CoreError::Join(e))),
            }
        }
        // Requests have finished: write the last pulls they counted.
        berth_core::registry::repos::flush_pulls(&self.hub).await?;
        Ok(())
    }

    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Opens the hub (database, migrations, mail) and starts serving on `config.addr`
/// (port 0 picks a free port; see [`Running::addr`]).
pub async fn start(mut config: Config) -> Result<Running, ServerError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    // A public URL derived from port 0 names the port actually bound.
    if config.addr.port() == 0 && config.public_url == format!("http://{}", config.addr) {
        config.public_url = format!("http://{addr}");
    }
    let hub = Hub::open(config).await?;
    let session_store = sessions::store(&hub).await?;
    let state = AppState::new(hub.clone(), addr);
    let app = router::build(state, sessions::layer(&hub, session_store.clone()));

    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let limits = serve::Limits::from_config(&hub.config);
    let server = tokio::spawn({
        let rx = stopped.clone();
        async move {
            serve::serve(listener, app, limits, until_stopped(rx))
                .await
                .map_err(ServerError::Serve)
        }
    });
    let jobs = tokio::spawn({
        let (hub, rx) = (hub.clone(), stopped.clone());
        async move {
            berth_core::jobs::run(hub, berth_core::jobs::Lane::General, until_stopped(rx)).await;
            Ok(())
        }
    });
    // Builds run here only when a Docker engine is configured (else on `berth worker` machines).
    let builds = hub.config.build_docker_host.is_some().then(|| {
        let (hub, rx) = (hub.clone(), stopped.clone());
        tokio::spawn(async move {
            berth_core::jobs::run(hub, berth_core::jobs::Lane::Builds, until_stopped(rx)).await;
            Ok(())
        })
    });
    let upkeep = tokio::spawn({
        let (hub, rx) = (hub.clone(), stopped.clone());
        async move {
            upkeep(hub, session_store, until_stopped(rx)).await;
            Ok(())
        }
    });
    tracing::info!(%addr, public_url = %hub.config.public_url, "Berth is serving");
    Ok(Running {
        addr,
        hub,
        stop,
        tasks: [server, jobs, upkeep].into_iter().chain(builds).collect(),
    })
}

/// Background upkeep: pull counts written every second; hourly, uploads abandoned for a day (a
/// client that died mid-push) removed with their bytes, and expired sessions deleted. Every
/// replica runs it; each step is safe to run concurrently.
async fn upkeep(
    hub: Hub,
    sessions: sessions::HubSessions,
    stopped: impl std::future::Future<Output = ()>,
) {
    use berth_core::registry::{repos, uploads};
    use tower_sessions::ExpiredDeletion;
    let mut pulls = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut stale = tokio::time::interval(std::time::Duration::from_secs(3600));
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = pulls.tick() => {
                if let Err(e) = repos::flush_pulls(&hub).await {
                    tracing::warn!(error = %e, "could not write pull counts; will retry");
                }
            }
            _ = stale.tick() => {
                match uploads::purge_stale(&hub).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "removed abandoned uploads"),
                    Err(e) => tracing::warn!(error = %e, "could not remove abandoned uploads"),
                }
                if let Err(e) = sessions.delete_expired().await {
                    tracing::warn!(error = %e, "could not delete expired sessions");
                }
                if let Err(e) = berth_core::rate::prune(&hub).await {
                    tracing::warn!(error = %e, "could not prune rate-limit counts");
                }
                if let Err(e) = berth_core::lifecycle::schedule(&hub).await {
                    tracing::warn!(error = %e, "could not schedule the daily storage upkeep");
                }
                match berth_core::activity::prune(&hub).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "pruned old activity-log entries"),
                    Err(e) => tracing::warn!(error = %e, "could not prune the activity log"),
                }
            }
            _ = &mut stopped => break,
        }
    }
}
