//! The durable job queue: every piece of background work (mail, password-reset requests, layer
//! measuring, webhook deliveries, and later builds and garbage collection) is a row in `jobs`, written in the transaction
//! of the change that causes it, and run by a worker that leases it. Every replica runs a worker;
//! the lease makes each job run on one of them at a time. A failed attempt is retried with
//! exponential backoff for about a day, then the job is marked failed.

use std::{future::Future, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::{
    accounts, clock, error::CoreError, hub::Hub, mail::Mail, registry::blobs::LayerRef, store,
};

/// How long one worker may hold a job before another may take it over (a crashed worker).
/// Builds renew theirs while they run.
pub(crate) const LEASE_SECS: i64 = 300;
const BATCH: i64 = 20;
/// Jobs one process runs at once, so a long one (measuring a large layer) does not hold up mail.
const CONCURRENT: usize = 4;
const POLL: Duration = Duration::from_secs(2);
/// A job failing for longer than this is given up.
const GIVE_UP_AFTER: i64 = clock::DAY;
/// Finished jobs are kept this long (for inspection), then pruned.
const KEEP_FINISHED: i64 = 7 * clock::DAY;

/// A unit of background work. The serialised form is the row's payload; `kind` names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// Deliver a composed mail.
    Mail(Mail),
    /// Someone asked for a reset link for this address: mail one if an account uses it. Done off
    /// the request path, so the answer takes as long whether or not the account exists.
    PasswordReset { email: String },
    /// Measure the uncompressed size of newly pushed layers (for the image view).
    MeasureLayers { layers: Vec<LayerRef> },
    /// Send a webhook delivery (the row in `webhook_deliveries`).
    Webhook { delivery: i64 },
    /// The daily storage upkeep: retention rules, then garbage collection.
    Lifecycle,
    /// Run an automated build (the row in `builds`). Only build workers take these.
    Build { build: i64 },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::Mail(_) => "mail",
            Job::PasswordReset { .. } => "password_reset",
            Job::MeasureLayers { .. } => "measure_layers",
            Job::Webhook { .. } => "webhook",
            Job::Lifecycle => "lifecycle",
            Job::Build { .. } => "build",
        }
    }
}

/// Wakes the worker when a job is queued, instead of waiting for its next poll.
#[derive(Clone, Default)]
pub struct Queue {
    wake: Arc<Notify>,
    builds: Arc<Notify>,
}

impl Queue {
    pub fn wake(&self) {
        self.wake.notify_one();
        self.builds.notify_one();
    }
}

/// Which jobs a worker loop takes: builds (on machines with a Docker engine, few at once) or
/// everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    General,
    Builds,
}

/// Queues `job` in the caller's transaction (or on the pool). Call [`Queue::wake`] after commit.
pub async fn enqueue<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    job: &Job,
) -> Result<i64, CoreError> {
    let payload = serde_json::to_string(job)
        .map_err(|e| CoreError::Unexpected(format!("job payload: {e}")))?;
    let now = clock::now();
    Ok(store::jobs::insert(ex, job.kind(), &payload, now, now).await?)
}

/// Queues `job` unless the same job is queued and not finished yet, which is made due now
/// instead (asking twice, e.g. a redelivery while retries are scheduled, runs it once).
pub async fn enqueue_once(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    job: &Job,
) -> Result<(), CoreError> {
    let payload = serde_json::to_string(job)
        .map_err(|e| CoreError::Unexpected(format!("job payload: {e}")))?;
    let now = clock::now();
    if store::jobs::make_due(&mut **tx, job.kind(), &payload, now).await? == 0 {
        store::jobs::insert(&mut **tx, job.kind(), &payload, now, now).await?;
    }
    Ok(())
}

/// Seconds to wait after the n-th failed attempt: 2, 4, 8, … capped at 30 minutes.
pub fn retry_delay(attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) as u32;
    2i64.saturating_pow(exp).min(30 * 60)
}

/// How many jobs of `kind` (`"mail"`, …) are queued or running.
pub async fn pending(hub: &Hub, kind: &str) -> Result<i64, CoreError> {
    Ok(store::jobs::pending_count(hub.db.pool(), kind).await?)
}

/// One pass over the queue, one job after another: runs what is due; returns how many jobs
/// finished. (The operator commands and tests use this; the server runs [`run`].)
pub async fn run_due(hub: &Hub) -> Result<usize, CoreError> {
    let now = clock::now();
    let mut done = 0;
    for id in store::jobs::due_ids(hub.db.pool(), now, BATCH, false).await? {
        if let Some(row) = store::jobs::lease(hub.db.pool(), id, now, now + LEASE_SECS).await? {
            if run_leased(hub, row).await? {
                done += 1;
            }
        }
    }
    Ok(done)
}

/// Runs a leased job and records the outcome; true if it finished.
async fn run_leased(hub: &Hub, row: store::jobs::JobRow) -> Result<bool, CoreError> {
    let pool = hub.db.pool();
    // Whether a failure now would be given up: jobs that keep a state of their own (webhook
    // deliveries) record it.
    let last = clock::now() + retry_delay(row.attempts) - row.created_at > GIVE_UP_AFTER;
    let outcome = match serde_json::from_str::<Job>(&row.payload) {
        Ok(job) => run_one(hub, job, last, row.id).await,
        Err(e) => Err(format!("unreadable job payload: {e}")),
    };
    let at = clock::now();
    match outcome {
        Ok(()) => {
            store::jobs::finish(pool, row.id, at).await?;
            Ok(true)
        }
        Err(error) => {
            let next = at + retry_delay(row.attempts);
            let retry = (next - row.created_at <= GIVE_UP_AFTER).then_some(next);
            store::jobs::fail(pool, row.id, &error, at, retry).await?;
            if retry.is_some() {
                tracing::warn!(job = row.id, kind = %row.kind, attempt = row.attempts, %error, "job failed; will retry");
            } else {
                tracing::error!(job = row.id, kind = %row.kind, attempts = row.attempts, %error, "job failed for a day; given up");
            }
            Ok(false)
        }
    }
}

async fn run_one(hub: &Hub, job: Job, last: bool, job_id: i64) -> Result<(), String> {
    match job {
        Job::Mail(mail) => hub.mailer.send(&mail).await.map(|()| {
            tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
        }),
        Job::PasswordReset { email } => accounts::send_reset_link(hub, &email)
            .await
            .map_err(|e| e.to_string()),
        Job::MeasureLayers { layers } => crate::registry::blobs::measure_layers(hub, &layers)
            .await
            .map_err(|e| e.to_string()),
        Job::Webhook { delivery } => crate::webhooks::deliver(hub, delivery, last).await,
        Job::Lifecycle => crate::lifecycle::daily(hub)
            .await
            .map_err(|e| e.to_string()),
        Job::Build { build } => crate::builds::run(hub, build, job_id)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Runs the jobs of `lane` until `shutdown` completes: up to [`CONCURRENT`] at once, builds up
/// to the configured number; the general lane also prunes old finished jobs now and then. Jobs
/// still running at shutdown get a moment to finish; one that does not is taken up again by a
/// worker once its lease runs out.
pub async fn run(hub: Hub, lane: Lane, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let (at_once, wake) = match lane {
        Lane::General => (CONCURRENT, hub.jobs.wake.clone()),
        Lane::Builds => (hub.config.build_concurrency, hub.jobs.builds.clone()),
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(at_once));
    let mut running = tokio::task::JoinSet::new();
    let mut passes = 0u64;
    loop {
        if let Err(e) = lease_and_start(&hub, lane, &slots, &mut running).await {
            tracing::error!(error = %e, "job queue pass failed");
        }
        while running.try_join_next().is_some() {}
        passes += 1;
        if lane == Lane::General && passes % 1800 == 1 {
            match store::jobs::prune(hub.db.pool(), clock::now() - KEEP_FINISHED).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "pruned finished jobs"),
                Err(e) => tracing::warn!(error = %e, "could not prune finished jobs"),
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while running.join_next().await.is_some() {}
    })
    .await;
}

/// Leases as many due jobs as there are free slots and starts each on its own task.
async fn lease_and_start(
    hub: &Hub,
    lane: Lane,
    slots: &Arc<tokio::sync::Semaphore>,
    running: &mut tokio::task::JoinSet<()>,
) -> Result<(), CoreError> {
    let free = slots.available_permits();
    if free == 0 {
        return Ok(());
    }
    let now = clock::now();
    for id in store::jobs::due_ids(hub.db.pool(), now, free as i64, lane == Lane::Builds).await? {
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            break;
        };
        if let Some(row) = store::jobs::lease(hub.db.pool(), id, now, now + LEASE_SECS).await? {
            let hub = hub.clone();
            running.spawn(async move {
                if let Err(e) = run_leased(&hub, row).await {
                    tracing::error!(error = %e, "could not record a job's outcome");
                }
                drop(permit);
                // A slot is free: look at the queue again now.
                hub.jobs.wake();
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), 2);
        assert_eq!(retry_delay(2), 4);
        assert_eq!(retry_delay(5), 32);
        assert_eq!(retry_delay(50), 1800);
    }

    #[test]
    fn jobs_round_trip_through_their_payload() {
        let job = Job::PasswordReset {
            email: "a@example.com".into(),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
    }
}
