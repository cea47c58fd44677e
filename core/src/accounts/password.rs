//! argon2id password hashes, computed on a fixed pool of threads with a bounded queue.
//!
//! Each hash takes tens of milliseconds and 19 MiB of memory. Run on the runtime's blocking
//! pool, a burst of wrong passwords (no account needed) would start hundreds of them at once and
//! leave the memory behind in the allocator. Here at most one hash runs per core, at most
//! [`QUEUE_PER_WORKER`] per core wait, and anything beyond is refused at once with
//! [`CoreError::Busy`] (the callers answer 503 or 429 with `Retry-After`). Each hash's memory is
//! given back to the system when the hash is done (see [`large_blocks_from_the_system`]).

use std::sync::{mpsc, Arc, Mutex, Once, OnceLock};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use tokio::sync::oneshot;

use crate::error::CoreError;

/// Hashes allowed to wait per worker before new ones are refused.
pub const QUEUE_PER_WORKER: usize = 16;

enum Work {
    Hash(String, oneshot::Sender<Result<String, CoreError>>),
    /// Verifies against the stored hash, or against a decoy when there is none (unknown
    /// account), so that both take the same time.
    Verify(
        String,
        Option<String>,
        oneshot::Sender<Result<bool, CoreError>>,
    ),
}

/// The hashing pool. Cloning shares it; its threads end when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    queue: mpsc::SyncSender<Work>,
}

impl Passwords {
    /// A pool of `workers` threads (at least one) with room for `QUEUE_PER_WORKER` waiting
    /// hashes per worker.
    pub fn new(workers: usize) -> Self {
        Self::with_queue(workers, workers.max(1) * QUEUE_PER_WORKER)
    }

    /// One worker per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    pub fn with_queue(workers: usize, queue: usize) -> Self {
        large_blocks_from_the_system();
        let (tx, rx) = mpsc::sync_channel::<Work>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("berth-argon2-{i}"))
                .spawn(move || worker(rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Passwords { queue: tx }
    }

    fn submit(&self, work: Work) -> Result<(), CoreError> {
        self.queue.try_send(work).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => CoreError::Busy,
            mpsc::TrySendError::Disconnected(_) => {
                CoreError::Hash("the hashing threads are gone".into())
            }
        })
    }

    /// Hashes with argon2id (the crate's default: OWASP's m=19 MiB, t=2, p=1).
    pub async fn hash(&self, password: &str) -> Result<String, CoreError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Work::Hash(password.to_owned(), tx))?;
        rx.await
            .map_err(|_| CoreError::Hash("hashing thread stopped".into()))?
    }

    /// Whether `password` matches `stored`; with no stored hash, the same work against a decoy
    /// and `false`.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, CoreError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Work::Verify(
            password.to_owned(),
            stored.map(str::to_owned),
            tx,
        ))?;
        rx.await
            .map_err(|_| CoreError::Hash("hashing thread stopped".into()))?
    }
}

fn worker(rx: Arc<Mutex<mpsc::Receiver<Work>>>) {
    loop {
        let work = {
            let guard = rx.lock().unwrap_or_else(|e| e.into_inner());
            guard.recv()
        };
        let Ok(work) = work else { return };
        match work {
            Work::Hash(password, reply) => {
                let _ = reply.send(hash_now(&password));
            }
            Work::Verify(password, stored, reply) => {
                let result = match &stored {
                    Some(s) => verify_now(&password, s),
                    None => verify_now(&password, decoy_hash()).map(|_| false),
                };
                let _ = reply.send(result);
            }
        }
    }
}

fn hash_now(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Hash(e.to_string()))
}

fn verify_now(password: &str, stored: &str) -> Result<bool, CoreError> {
    let parsed = PasswordHash::new(stored).map_err(|e| CoreError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A valid hash of a random password, made once on a hashing thread.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hash_now(salt.as_str()).unwrap_or_default()
    })
}

/// Makes the allocator take blocks of a MiB and more straight from the system and give them
/// back when freed (a fixed mmap threshold). By default glibc raises that threshold to the size
/// of the largest block freed, after which each hash's 19 MiB stays in a thread's arena for good:
/// 64 wrong passwords left 40 MiB resident that never went back. Process-wide, set once.
fn large_blocks_from_the_system() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes the allocator's tuning; it is called before any hashing
        // thread exists and is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let p = Passwords::new(2);
        let a = p.hash("correct horse").await.unwrap();
        let b = p.hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(p.verify("correct horse", Some(&a)).await.unwrap());
        assert!(!p.verify("wrong horse!", Some(&a)).await.unwrap());
        assert!(!p.verify("anything", None).await.unwrap(), "decoy");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_the_pool_recovers() {
        let p = Passwords::with_queue(1, 2);
        let hash = p.hash("x").await.unwrap();
        let calls: Vec<_> = (0..12)
            .map(|_| {
                let (p, h) = (p.clone(), hash.clone());
                tokio::spawn(async move { p.verify("y", Some(&h)).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for c in calls {
            match c.await.unwrap() {
                Err(CoreError::Busy) => busy += 1,
                Ok(false) => done += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        // One running and two waiting at most: the rest were refused.
        assert!(busy >= 6, "refused {busy}, done {done}");
        assert!(done >= 1);
        assert!(
            p.verify("x", Some(&hash)).await.unwrap(),
            "works after the burst"
        );
    }
}
